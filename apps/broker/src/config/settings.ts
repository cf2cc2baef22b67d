/**
 * The Kafka broker settings Tributary reads, by their Kafka names. Anything else is refused at
 * start-up: a typo in a setting must not silently fall back to a default.
 */
export type SettingType = 'int' | 'long' | 'boolean' | 'string';

export interface SettingSpec {
  type: SettingType;
  default: string;
  min?: number;
  /** The largest value that means something (a feature level this broker implements). */
  max?: number;
  doc: string;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export const SETTINGS = {
  'num.partitions': { type: 'int', default: '1', min: 1, doc: 'Partitions of an auto-created topic.' },
  'default.replication.factor': { type: 'int', default: '1', min: 1, doc: 'Replication factor of an auto-created topic.' },
  'auto.create.topics.enable': { type: 'boolean', default: 'true', doc: 'Create a topic when a client asks for its metadata.' },
  'log.segment.bytes': { type: 'int', default: String(1024 * 1024 * 1024), min: 1024, doc: 'Roll a segment at this size.' },
  'log.roll.ms': { type: 'long', default: String(7 * DAY), min: 1, doc: 'Roll a segment at this age.' },
  'log.retention.ms': { type: 'long', default: String(7 * DAY), min: -1, doc: 'Delete segments older than this (-1: keep).' },
  'log.retention.bytes': { type: 'long', default: '-1', min: -1, doc: 'Delete old segments beyond this partition size (-1: no limit).' },
  'log.retention.check.interval.ms': { type: 'long', default: String(5 * MINUTE), min: 1, doc: 'How often retention runs.' },
  'log.flush.interval.messages': { type: 'long', default: '9223372036854775807', min: 1, doc: 'fdatasync after this many messages (1: before every ack).' },
  'log.flush.interval.ms': { type: 'long', default: '-1', min: -1, doc: 'fdatasync at least this often (-1: leave it to the OS).' },
  'log.message.timestamp.before.max.ms': { type: 'long', default: '9223372036854775807', min: 0, doc: 'Default message.timestamp.before.max.ms: how far in the past a CreateTime timestamp may be (INVALID_TIMESTAMP beyond).' },
  'log.message.timestamp.after.max.ms': { type: 'long', default: '3600000', min: 0, doc: "Default message.timestamp.after.max.ms: how far in the future a CreateTime timestamp may be (Kafka 4's default: one hour)." },
  'message.max.bytes': { type: 'int', default: String(1024 * 1024 + 12), min: 0, doc: 'Largest record batch accepted.' },
  'socket.request.max.bytes': { type: 'int', default: String(100 * 1024 * 1024), min: 1, doc: 'Largest request frame; larger ones close the connection.' },
  'group.initial.rebalance.delay.ms': { type: 'int', default: '3000', min: 0, doc: 'Wait for more members before the first rebalance.' },
  'group.min.session.timeout.ms': { type: 'int', default: '6000', min: 0, doc: 'Smallest session timeout a member may ask for.' },
  'group.max.session.timeout.ms': { type: 'int', default: '1800000', min: 0, doc: 'Largest session timeout a member may ask for.' },
  'group.max.size': { type: 'int', default: String(2 ** 31 - 1), min: 1, doc: 'Most members in one group.' },
  'group.consumer.session.timeout.ms': { type: 'int', default: '45000', min: 1, doc: 'KIP-848 consumer groups: a member not heard from for this long is fenced (Kafka\'s default).' },
  'group.consumer.heartbeat.interval.ms': { type: 'int', default: '5000', min: 1, doc: 'KIP-848 consumer groups: the heartbeat interval told to members.' },
  'group.consumer.assignors': { type: 'string', default: 'uniform,range', doc: 'KIP-848 server assignors a consumer group may use, the first the default (uniform, range).' },
  'group.consumer.migration.policy': { type: 'string', default: 'bidirectional', doc: 'KIP-848 online migration: which conversions of groups with members are allowed (disabled, upgrade, downgrade, bidirectional; case-insensitive). Upgrade (classic to consumer) and downgrade (consumer to classic, when the last member of the consumer protocol leaves or is replaced by a classic static member) as Kafka 4.4.' },
  'group.consumer.regex.refresh.interval.ms': { type: 'int', default: '600000', min: 10000, doc: 'KIP-848 consumer groups: a group\'s regular-expression subscriptions are resolved again after this long (at the next heartbeat), as well as when a new expression or new topics appear (Kafka\'s default and minimum).' },
  'group.consumer.max.size': { type: 'int', default: String(2 ** 31 - 1), min: 1, doc: 'Most members in one KIP-848 consumer group.' },
  'log.cleaner.delete.retention.ms': { type: 'long', default: String(DAY), min: 0, doc: 'Default delete.retention.ms: how long compaction keeps tombstones.' },
  'offsets.topic.segment.bytes': { type: 'int', default: String(100 * 1024 * 1024), min: 1024, doc: 'Segment size of __consumer_offsets (small, so compaction can clean closed segments).' },
  'min.insync.replicas': { type: 'int', default: '1', min: 1, doc: 'Default for topics: in-sync replicas an acks=-1 produce needs.' },
  'unclean.leader.election.enable': { type: 'boolean', default: 'false', doc: 'Default for topics: elect an out-of-sync replica when no in-sync one is alive (loses data).' },
  'replica.lag.time.max.ms': { type: 'long', default: '30000', min: 1, doc: 'A follower that has not caught up for this long leaves the ISR.' },
  'replica.fetch.wait.max.ms': { type: 'int', default: '500', min: 0, doc: 'Long-poll time of a follower fetch.' },
  'replica.fetch.max.bytes': { type: 'int', default: String(1024 * 1024), min: 1, doc: 'Bytes per partition a follower fetch asks for.' },
  'inter.broker.listener.name': { type: 'string', default: '', doc: 'Listener followers use to reach leaders (default: the first listener).' },
  // Kafka's default (9 s): a 3 s lease let event-loop stalls on a loaded machine expire a live
  // broker's registration (test/cluster/replication.test.ts lost one from Metadata). A killed
  // process is still noticed in ~100 ms by the peer probe below; tests that need a hung broker
  // declared dead faster set it lower.
  'broker.session.timeout.ms': { type: 'long', default: '9000', min: 1000, doc: 'etcd lease of a broker: it is dead to the cluster this long after its last renewal (whole seconds; Kafka\'s default 9000).' },
  'tributary.peer.probe.enable': { type: 'boolean', default: 'true', doc: 'Declare a broker dead as soon as its port refuses connections after a connection to it closed (a killed or crashed process), not only when its etcd lease expires.' },
  'controlled.shutdown.enable': { type: 'boolean', default: 'true', doc: 'On SIGTERM, have the controller move leadership away before stopping.' },
  'controlled.shutdown.timeout.ms': { type: 'long', default: '15000', min: 0, doc: 'Longest wait for leadership to move away during a controlled shutdown.' },
  'auto.leader.rebalance.enable': { type: 'boolean', default: 'true', doc: 'The controller moves leadership back to preferred replicas.' },
  'leader.imbalance.check.interval.seconds': { type: 'int', default: '30', min: 1, doc: 'How often the controller checks preferred leaders.' },
  'offsets.topic.num.partitions': { type: 'int', default: '50', min: 1, doc: "Partitions of __consumer_offsets when it is created (Kafka's default); a group is coordinated by the leader of partition abs(hash(group id)) mod the topic's partition count, as in Kafka. An existing topic keeps its count." },
  'offsets.topic.replication.factor': { type: 'int', default: '3', min: 1, doc: 'Replication factor of __consumer_offsets in a cluster (a standalone broker uses 1); created on the first FindCoordinator for a group, which answers COORDINATOR_NOT_AVAILABLE while fewer brokers than this are up.' },
  'offsets.retention.minutes': { type: 'int', default: String(7 * 24 * 60), min: 1, doc: 'Keep committed offsets of an empty group this long.' },
  'offsets.retention.check.interval.ms': { type: 'long', default: '600000', min: 1, doc: 'How often expired committed offsets are removed.' },
  'transaction.state.log.num.partitions': { type: 'int', default: '50', min: 1, doc: 'Partitions of __transaction_state, created on the first transactional request; a transactional id is coordinated by the leader of partition abs(hash(id)) mod this, as in Kafka.' },
  'transaction.state.log.replication.factor': { type: 'int', default: '3', min: 1, doc: 'Replication factor of __transaction_state in a cluster (a standalone broker uses 1).' },
  'transaction.state.log.min.isr': { type: 'int', default: '2', min: 1, doc: "min.insync.replicas of __transaction_state, set on it when it is created (Kafka's default; a standalone broker, whose topic has one replica, uses 1)." },
  'transaction.state.log.segment.bytes': { type: 'int', default: String(100 * 1024 * 1024), min: 1024, doc: 'Segment size of __transaction_state, set on it when it is created.' },
  'transaction.partition.verification.enable': { type: 'boolean', default: 'true', doc: 'KIP-890 part 1: a leader asks the transaction coordinator (AddPartitionsToTxn verify-only) before writing the first transactional batch of a transaction version 1 producer to a partition, and refuses it when the producer did not add the partition.' },
  'transaction.max.timeout.ms': { type: 'int', default: '900000', min: 1, doc: 'Longest transaction.timeout.ms a producer may ask for (INVALID_TRANSACTION_TIMEOUT otherwise).' },
  'tributary.transaction.version': { type: 'int', default: '2', min: 1, max: 2, doc: 'The transaction.version feature ApiVersions finalizes. 2 (the default, as Apache Kafka 4.4 formats a new cluster) is KIP-890 part 2: Kafka 4 clients send Produce v12, TxnOffsetCommit v5 and EndTxn v5 and get an epoch bump per transaction. 1 advertises no feature (clients keep one producer epoch across transactions).' },
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': { type: 'int', default: '10000', min: 1, doc: 'How often the transaction coordinator aborts transactions older than their timeout.' },
  'transactional.id.expiration.ms': { type: 'int', default: '604800000', min: 1, doc: 'Forget a transactional id (its producer id and epoch) when its last transaction ended this long ago; a running transaction never expires. Its next InitProducerId starts again with a new producer id.' },
  'transaction.remove.expired.transaction.cleanup.interval.ms': { type: 'int', default: '3600000', min: 1, doc: 'How often the transaction coordinator removes expired transactional ids.' },
  'producer.id.expiration.ms': { type: 'int', default: '86400000', min: 1, doc: 'Forget an idempotent producer (its epoch and last sequences, for duplicate detection) when its last batch is this old.' },
  'tributary.instance.max.topics': { type: 'int', default: '-1', min: -1, doc: 'Topics the instance may hold (internal topics not counted; -1: unlimited).' },
  'tributary.instance.max.partitions': { type: 'int', default: '-1', min: -1, doc: 'Partitions over all topics (-1: unlimited).' },
  'tributary.instance.max.consumer.groups': { type: 'int', default: '-1', min: -1, doc: 'Consumer groups (-1: unlimited); a JoinGroup creating one more fails.' },
  'tributary.instance.disk.bytes': { type: 'long', default: '-1', min: -1, doc: 'Disk capacity for logs; produce fails when it is full (-1: unlimited).' },
  'tributary.instance.produce.byte.rate': { type: 'long', default: '-1', min: -1, doc: 'Total produce bandwidth of the instance in bytes/s, throttled (-1: unlimited).' },
  'tributary.instance.fetch.byte.rate': { type: 'long', default: '-1', min: -1, doc: 'Total fetch bandwidth of the instance in bytes/s, throttled (-1: unlimited).' },
  'tributary.instance.isolated.reason': { type: 'string', default: '', doc: 'Non-empty: the instance is isolated for billing (prepaid period expired, account overdue). Every SASL login is refused with SASL_AUTHENTICATION_FAILED and this text; data is kept and trusted (internal) listeners keep working. Empty: not isolated.' },
  'max.connections': { type: 'int', default: '2147483647', min: 0, doc: "Open connections the broker takes over all listeners but the inter-broker one (when there are several); past it new connections wait unread, and a connection on the inter-broker listener closes the least recently used connection of another listener (Kafka's KIP-402)." },
  'max.connections.per.ip': { type: 'int', default: '2147483647', min: 0, doc: 'Open connections from one address; one more is closed as soon as it is accepted.' },
  'max.connections.per.ip.overrides': { type: 'string', default: '', doc: 'Per-address exceptions to max.connections.per.ip: host:count pairs separated by commas; a host name is resolved when the broker starts (as Kafka, its first address, IPv4 before IPv6).' },
  'max.connection.creation.rate': { type: 'int', default: '2147483647', min: 0, doc: 'New connections per second the broker accepts over all listeners but the inter-broker one (KIP-612); past it the acceptor waits before taking the next one.' },
  'quota.window.num': { type: 'int', default: '11', min: 2, doc: 'Samples in the window client quotas are measured over.' },
  'quota.window.size.seconds': { type: 'int', default: '1', min: 1, doc: 'Length of one quota sample.' },
  'super.users': { type: 'string', default: '', doc: 'Principals allowed everything, separated by ";" (e.g. User:admin;User:operator).' },
  'tributary.trusted.listeners': { type: 'string', default: '', doc: 'Listener names (comma-separated) whose every connection may do everything, like a super user: an operator-only internal listener on an address clients cannot reach. Never a SASL listener, so no client that logs in gets these rights; empty: none.' },
  'allow.everyone.if.no.acl.found': { type: 'string', default: '', doc: 'true/false: whether a resource without ACLs is open to all; empty = false on SASL listeners, true on others.' },
  'listener.security.protocol.map': { type: 'string', default: 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL', doc: 'Listener name to security protocol, NAME:PROTOCOL pairs.' },
  'sasl.enabled.mechanisms': { type: 'string', default: 'SCRAM-SHA-256,SCRAM-SHA-512', doc: 'SASL mechanisms offered on SASL listeners: SCRAM-SHA-256, SCRAM-SHA-512, PLAIN.' },
  'ssl.keystore.type': { type: 'string', default: 'PEM', doc: 'Only PEM: the keystore file holds the private key and the certificate chain.' },
  'ssl.keystore.location': { type: 'string', default: '', doc: 'PEM file with the private key and certificate chain of SSL and SASL_SSL listeners.' },
  'ssl.key.password': { type: 'string', default: '', doc: 'Password of an encrypted private key in the keystore.' },
  'ssl.truststore.location': { type: 'string', default: '', doc: 'PEM file of CA certificates that client certificates must chain to.' },
  'ssl.client.auth': { type: 'string', default: 'none', doc: 'none, requested or required: whether TLS clients present certificates.' },
  'connections.max.reauth.ms': { type: 'long', default: '0', min: 0, doc: 'KIP-368: lifetime of a SASL session (0: unlimited). Clients told it in SaslAuthenticate re-authenticate on the open connection before it ends; a connection whose session has ended is closed at its next request.' },
  'connection.failed.authentication.delay.ms': { type: 'int', default: '100', min: 0, doc: 'Delay before a connection that failed authentication is closed.' },
  'tributary.sasl.failed.authentication.max.per.minute': { type: 'int', default: '20', min: 1, doc: 'Failed SASL logins allowed per client address per minute; beyond it the address is refused until the minute ends.' },
  'tributary.sasl.plain.allow.insecure': { type: 'boolean', default: 'false', doc: 'Allow PLAIN on SASL_PLAINTEXT listeners (passwords in clear on the wire).' },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;
