import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';
import { ensureJavaPrograms, runJava } from '../support/java-client.ts';

// Apache Kafka's own AdminClient (kafka-clients 4.4, unchanged) against one broker: every admin
// method the broker supports, errors included. The expected values are what the same programs
// print against Apache Kafka 4.4 (test/compat/README.md says how to re-run them there); where
// Tributary differs on purpose the assertion says why.
let broker: BrokerProcess;
const NODE = 1;

beforeAll(async () => {
  ensureJavaPrograms();
  broker = await startBroker({ nodeId: NODE, settings: { 'group.initial.rebalance.delay.ms': '0' } });
}, 600_000);
afterAll(async () => {
  await broker?.destroy();
});

type Err = { error: string; message: string };
// The programs' JSON results, read field by field and checked with toEqual/toMatchObject.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Result = Record<string, any>;

// Every topic config of Kafka 4.4 (LogConfig), as Kafka 4.4 lists them in DescribeConfigs.
const KAFKA_TOPIC_CONFIG_NAMES = [
  'cleanup.policy', 'compression.gzip.level', 'compression.lz4.level', 'compression.type', 'compression.zstd.level', 'delete.retention.ms',
  'errors.deadletterqueue.group.enable', 'file.delete.delay.ms', 'flush.messages', 'flush.ms', 'follower.replication.throttled.replicas',
  'index.interval.bytes', 'leader.replication.throttled.replicas', 'local.retention.bytes', 'local.retention.ms', 'max.compaction.lag.ms',
  'max.decompressed.message.bytes', 'max.message.bytes', 'message.timestamp.after.max.ms', 'message.timestamp.before.max.ms',
  'message.timestamp.type', 'min.cleanable.dirty.ratio', 'min.compaction.lag.ms', 'min.insync.replicas', 'preallocate', 'remote.copy.lag.bytes',
  'remote.copy.lag.ms', 'remote.log.copy.disable', 'remote.log.delete.on.disable', 'remote.storage.enable', 'retention.bytes', 'retention.ms',
  'segment.bytes', 'segment.index.bytes', 'segment.jitter.ms', 'segment.ms', 'unclean.leader.election.enable',
];
// A valid value other than the default for each settable one (remote storage stays off: there is none).
const EVERY_CONFIG: Record<string, string> = {
  'cleanup.policy': 'compact', 'compression.gzip.level': '5', 'compression.lz4.level': '10', 'compression.type': 'gzip', 'compression.zstd.level': '5',
  'delete.retention.ms': '1000', 'file.delete.delay.ms': '1000', 'flush.messages': '100', 'flush.ms': '1000', 'follower.replication.throttled.replicas': '0:1',
  'index.interval.bytes': '8192', 'leader.replication.throttled.replicas': '*', 'local.retention.bytes': '-2', 'local.retention.ms': '-2',
  'max.compaction.lag.ms': '100000', 'max.message.bytes': '2000000', 'message.timestamp.after.max.ms': '1000', 'message.timestamp.before.max.ms': '1000',
  'message.timestamp.type': 'LogAppendTime', 'min.cleanable.dirty.ratio': '0.3', 'min.compaction.lag.ms': '10', 'min.insync.replicas': '1',
  'preallocate': 'true', 'retention.bytes': '1000000', 'retention.ms': '100000', 'segment.bytes': '2000000', 'segment.index.bytes': '1000000',
  'segment.jitter.ms': '10', 'segment.ms': '100000', 'unclean.leader.election.enable': 'true', 'errors.deadletterqueue.group.enable': 'true',
  'max.decompressed.message.bytes': '1000000', 'remote.copy.lag.bytes': '-1', 'remote.copy.lag.ms': '0', 'remote.log.copy.disable': 'false', 'remote.log.delete.on.disable': 'false',
  // Kafka 3.x topic configs that Kafka 4 removed: accepted here (and ignored) so 3.x-era tools keep working.
  'message.format.version': '3.0', 'message.downconversion.enable': 'true', 'message.timestamp.difference.max.ms': '5000',
};

describe('Java AdminClient: topics and cluster', () => {
  it('creates (count, manual assignment, validate-only), describes (DescribeTopicPartitions), lists, grows and deletes topics with Kafka\'s errors', async () => {
    const { result: r } = await runJava<Record<string, unknown>>('AdminTopics', [broker.bootstrap, 'jt']);
    expect(r.describeCluster).toMatchObject({ controller: NODE, nodes: [{ id: NODE, host: '127.0.0.1', port: broker.port }] });
    expect(r.createCount).toBe('ok');
    expect(r.createAssigned).toBe('ok');
    expect(r.createValidateOnly).toBe('ok');
    expect(r.createUnknownBroker).toEqual({ error: 'InvalidReplicaAssignmentException', message: `The manual partition assignment includes broker ${NODE + 100}, but no such broker is registered.` });
    expect(r.createDuplicateReplica).toEqual({ error: 'InvalidReplicaAssignmentException', message: `The manual partition assignment includes the broker ${NODE} more than once.` });
    expect(r.createGap).toEqual({ error: 'InvalidReplicaAssignmentException', message: 'partitions should be a consecutive 0-based integer sequence' });
    expect(r.createBadConfig).toEqual({ error: 'InvalidConfigurationException', message: 'Unknown topic config name: no.such.config' });
    expect((r.createExisting as Err).error).toBe('TopicExistsException');
    expect(r.listTopics).toEqual(['jt-assigned', 'jt-count']);
    const described = r.describeTopics as Record<string, { partitions: { partition: number; leader: number; replicas: number[]; isr: number[] }[] }>;
    expect(described.count!.partitions).toEqual([0, 1, 2].map((p) => ({ partition: p, leader: NODE, replicas: [NODE], isr: [NODE] })));
    expect(described.assigned!.partitions).toHaveLength(2);
    expect((r.describeMissing as Err).error).toBe('UnknownTopicOrPartitionException');
    expect(r.createPartitionsCount).toBe(5);
    expect((r.createPartitionsAssigned as { partitions: unknown[] }).partitions).toHaveLength(4);
    expect(r.createPartitionsWrongCount).toEqual({ error: 'InvalidReplicaAssignmentException', message: 'Attempted to add 3 additional partition(s), but only 1 assignment(s) were specified.' });
    expect((r.createPartitionsUnknownBroker as Err).error).toBe('InvalidReplicaAssignmentException');
    expect(r.createPartitionsDecrease).toEqual({ error: 'InvalidPartitionsException', message: 'The topic jt-count currently has 5 partition(s); 2 would not be an increase.' });
    expect(r.createPartitionsValidateOnly).toBe(5);
    expect(r.deleteTopics).toEqual([]);
    expect((r.deleteMissing as Err).error).toBe('UnknownTopicOrPartitionException');
    // Kafka 4 answers the finalized feature levels of its KRaft metadata; this broker has one feature,
    // transaction.version (finalized at 2 by default, apps/broker/src/txn/README.md), at epoch 1.
    expect(r.describeFeatures).toEqual({ finalized: ['eligible.leader.replicas.version', 'group.version', 'transaction.version'], supported: ['eligible.leader.replicas.version', 'group.version', 'transaction.version'], epoch: 1 });
  }, 120_000);
});

describe('Java AdminClient: configs', () => {
  it('describes topic, broker and group configs with sources, synonyms, types and documentation; SET/DELETE/APPEND/SUBTRACT; every Kafka topic config', async () => {
    const args = Object.entries(EVERY_CONFIG).map(([k, v]) => `${k}=${v}`);
    const { result: r } = await runJava<Result>('AdminConfigs', [broker.bootstrap, 'jc-topic', 'jc-group', String(NODE), ...args]);
    expect(r.describeTopic.names).toEqual(KAFKA_TOPIC_CONFIG_NAMES);
    const e = r.describeTopic.entries;
    expect(e['retention.ms']).toMatchObject({ value: '86400000', source: 'DYNAMIC_TOPIC_CONFIG', isDefault: false, type: 'LONG', synonyms: [{ name: 'retention.ms', value: '86400000', source: 'DYNAMIC_TOPIC_CONFIG' }] });
    expect(e['cleanup.policy']).toMatchObject({ value: 'delete', source: 'DEFAULT_CONFIG', isDefault: true, type: 'LIST', synonyms: [{ name: 'log.cleanup.policy', value: 'delete', source: 'DEFAULT_CONFIG' }] });
    expect(e['cleanup.policy'].documentation).toMatch(/^This config designates the retention policy/);
    expect(e['flush.ms']).toMatchObject({ value: '9223372036854775807', source: 'DEFAULT_CONFIG', type: 'LONG', synonyms: [] });
    expect(e['segment.bytes']).toMatchObject({ value: '1073741824', type: 'INT', synonyms: [{ name: 'log.segment.bytes', value: '1073741824', source: 'DEFAULT_CONFIG' }] });
    expect(e['min.cleanable.dirty.ratio']).toMatchObject({ value: '0.5', type: 'DOUBLE' });
    expect(e['preallocate']).toMatchObject({ value: 'false', type: 'BOOLEAN', synonyms: [{ name: 'log.preallocate', value: 'false', source: 'DEFAULT_CONFIG' }] });
    expect(e['leader.replication.throttled.replicas']).toMatchObject({ value: '', type: 'LIST', synonyms: [] });
    expect(r.describeBroker.entries['num.partitions']).toMatchObject({ value: '1', type: 'INT', readOnly: true });
    expect(r.describeBroker.entries['ssl.key.password']).toMatchObject({ value: null, sensitive: true, type: 'PASSWORD' });

    for (const [name, value] of Object.entries(EVERY_CONFIG)) expect(r.setEvery[name], name).toEqual({ value, source: 'DYNAMIC_TOPIC_CONFIG' });
    expect(r.deleteEvery).toEqual([]);
    expect(r.append).toBe('delete,compact');
    expect(r.appendAgain).toBe('delete,compact');
    expect(r.subtract).toBe('compact');
    expect(r.appendThrottled).toBe('0:1,1:1');
    expect(r.appendNonList).toEqual({ error: 'InvalidConfigurationException', message: "Can't APPEND to key retention.ms because its type is not LIST." });
    expect(r.subtractNonList).toEqual({ error: 'InvalidConfigurationException', message: "Can't SUBTRACT to key retention.ms because its type is not LIST." });
    expect(r.setInvalidValue).toEqual({ error: 'InvalidConfigurationException', message: 'Invalid value soon for configuration retention.ms: Not a number of type LONG' });
    expect(r.setOutOfRange).toEqual({ error: 'InvalidConfigurationException', message: 'Invalid value 1.5 for configuration min.cleanable.dirty.ratio: Value must be no more than 1' });
    expect(r.setUnknown).toEqual({ error: 'InvalidConfigurationException', message: 'Unknown topic config name: no.such.config' });
    expect(r.setUnknownTopic).toEqual({ error: 'UnknownTopicOrPartitionException', message: "The topic 'jc-topic-missing' does not exist." });
    expect(r.validateOnly).toBe('604800000');
    // Kafka changes log.retention.ms at run time (a dynamic broker config); this broker's settings are static.
    expect(r.alterBroker.error).toBe('InvalidRequestException');

    expect(r.describeGroupBefore.entries['consumer.session.timeout.ms']).toMatchObject({ value: '45000', source: 'DEFAULT_CONFIG', type: 'INT', synonyms: [{ name: 'group.consumer.session.timeout.ms', value: '45000', source: 'DEFAULT_CONFIG' }] });
    expect(r.describeGroupBefore.names).toContain('share.auto.offset.reset');
    expect(r.alterGroup.entries['consumer.session.timeout.ms']).toMatchObject({ value: '50000', source: 'DYNAMIC_GROUP_CONFIG', synonyms: [{ name: 'consumer.session.timeout.ms', value: '50000', source: 'DYNAMIC_GROUP_CONFIG' }, { name: 'group.consumer.session.timeout.ms', value: '45000', source: 'DEFAULT_CONFIG' }] });
    expect(r.alterGroup.entries['consumer.heartbeat.interval.ms']).toMatchObject({ value: '6000', source: 'DYNAMIC_GROUP_CONFIG' });
    expect(r.alterGroupOutOfRange).toEqual({ error: 'InvalidConfigurationException', message: 'consumer.session.timeout.ms must be in the range 45000 to 60000 inclusive.' });
    expect(r.alterGroupUnknown).toEqual({ error: 'InvalidConfigurationException', message: 'Unknown group config name: retention.ms' });
    expect(r.deleteGroupConfig.entries['consumer.session.timeout.ms']).toMatchObject({ value: '45000', source: 'DEFAULT_CONFIG' });
  }, 120_000);
});

describe('Java AdminClient: consumer groups', () => {
  it('lists, describes (falling back from ConsumerGroupDescribe), reads, alters and deletes offsets, deletes groups', async () => {
    const { result: r } = await runJava<Result>('AdminGroups', [broker.bootstrap, 'jg-topic', 'jg-group']);
    expect(r.consumed).toBe(20);
    expect(r.listConsumerGroups).toEqual([{ groupId: 'jg-group', state: 'Stable', type: 'Classic', simple: false }]);
    expect(r.listGroups).toEqual([{ groupId: 'jg-group', state: 'Stable', type: 'Classic', protocol: 'consumer' }]);
    expect(r.describeActive).toMatchObject({ groupId: 'jg-group', state: 'Stable', type: 'Classic', simple: false, assignor: 'range', coordinator: NODE, members: [{ clientId: 'admin-groups-member', instanceId: null, assignment: ['jg-topic-0', 'jg-topic-1'] }] });
    expect(r.listOffsetsActive).toEqual({ 'jg-topic-0': { offset: 10, metadata: '' }, 'jg-topic-1': { offset: 10, metadata: '' } });
    expect(r.alterWhileActive.error).toBe('UnknownMemberIdException');
    expect(r.deleteWhileActive.error).toBe('GroupNotEmptyException');
    expect(r.deleteOffsetsWhileSubscribed.error).toBe('GroupSubscribedToTopicException');
    expect(r.describeEmpty).toMatchObject({ state: 'Empty', members: [] });
    expect(r.alterOffsets).toEqual({ 'jg-topic-0': { offset: 3, metadata: 'three' }, 'jg-topic-1': { offset: 4, metadata: '' } });
    expect(r.deleteOffsets).toEqual({ 'jg-topic-1': { offset: 4, metadata: '' } });
    expect(r.deleteGroup).toBe(0);
    expect(r.deleteMissing.error).toBe('GroupIdNotFoundException');
    // An unknown group: GROUP_ID_NOT_FOUND from ConsumerGroupDescribe and then from DescribeGroups v6
    // (KIP-1043), as Kafka 4.4 answers; the client reports GroupIdNotFoundException.
    expect(r.describeMissing.error).toBe('GroupIdNotFoundException');
  }, 120_000);
});

describe('Java AdminClient: log offsets and directories', () => {
  it('listOffsets, deleteRecords, describeLogDirs and describeReplicaLogDirs', async () => {
    const { result: r } = await runJava<Result>('AdminRecords', [broker.bootstrap, 'jr-topic', String(NODE)]);
    expect(r['listOffsets.earliest']).toEqual({ offset: 0, timestamp: -1 });
    expect(r['listOffsets.latest']).toEqual({ offset: 10, timestamp: -1 });
    expect(r['listOffsets.afterLast']).toEqual({ offset: -1, timestamp: -1 });
    expect(r['listOffsets.forTimestamp'].offset).toBe(3);
    expect(r.deleteRecords).toBe(4);
    expect(r.earliestAfterDelete).toBe(4);
    expect(r.deleteBeyondEnd.error).toBe('OffsetOutOfRangeException');
    expect(r.describeLogDirs).toMatchObject({ dir: broker.dataDir, error: null, replica: { offsetLag: 0, future: false }, totalBytesKnown: true });
    expect(r.describeLogDirs.replica.size).toBeGreaterThan(0);
    expect(r.describeReplicaLogDirs).toEqual({ currentDir: broker.dataDir, futureDir: null });
  }, 120_000);
});

describe('Java AdminClient: ACLs, client quotas, SCRAM credentials', () => {
  it('creates, describes and deletes ACLs; alters and describes quotas; alters and describes SCRAM users', async () => {
    const { result: r } = await runJava<Result>('AdminSecurity', [broker.bootstrap, 'alice']);
    expect(r.createAcls).toBe('ok');
    expect(r.createInvalid.error).toBe('InvalidRequestException');
    expect(r.describeAll).toEqual(['GROUP g- PREFIXED User:alice 10.0.0.1 READ DENY', 'TOPIC orders LITERAL User:alice * READ ALLOW', 'TOPIC orders- PREFIXED User:alice * WRITE ALLOW']);
    expect(r.describeMatch).toEqual(['TOPIC orders- PREFIXED User:alice * WRITE ALLOW']);
    expect(r.deleteAcls).toEqual(['TOPIC orders LITERAL User:alice * READ ALLOW', 'TOPIC orders- PREFIXED User:alice * WRITE ALLOW']);
    expect(r.describeAfterDelete).toEqual(['GROUP g- PREFIXED User:alice 10.0.0.1 READ DENY']);
    expect(r.alterQuotas).toBe('ok');
    expect(r.alterQuotaInvalid.error).toBe('InvalidRequestException');
    expect(r.describeQuotas).toEqual({ '{client-id=app-1, user=alice}': { request_percentage: 50 }, '{user=alice}': { consumer_byte_rate: 2097152, producer_byte_rate: 1048576 } });
    expect(r.removeQuota).toEqual({ '{client-id=app-1, user=alice}': { request_percentage: 50 }, '{user=alice}': { consumer_byte_rate: 2097152 } });
    expect(r.alterScram).toBe('ok');
    expect(r.alterScramTwiceInOneRequest.error).toBe('DuplicateResourceException');
    expect(r.describeScram).toEqual(['SCRAM_SHA_256:8192', 'SCRAM_SHA_512:4096']);
    expect(r.alterScramTooFewIterations.error).toBe('UnacceptableCredentialException');
    expect(r.deleteScram).toEqual(['SCRAM_SHA_512']);
    expect(r.describeScramMissing.error).toBe('ResourceNotFoundException');
  }, 120_000);
});

describe('Java AdminClient: topics by id, batched group offsets, static members, elections, producers, config resources', () => {
  it('answers describeTopics by id, listConsumerGroupOffsets of two groups, removeMembersFromConsumerGroup, electLeaders, describeProducers, fenceProducers and listConfigResources as Kafka 4.4 does', async () => {
    const { result: r } = await runJava<Result>('AdminMisc', [broker.bootstrap, 'jm', 'jm-group']);
    // Metadata v12 by topic id: the topic, and for an unknown id UNKNOWN_TOPIC_ID naming that id
    // (an answer without the id made the client throw IllegalStateException for both).
    expect(r.describeTopicsById).toEqual({ name: 'jm', internal: false, partitions: 2 });
    expect(r.describeTopicsByUnknownId.error).toBe('UnknownTopicIdException');
    expect(r.describeTopicsAuthorizedOperations).toEqual(['ALTER', 'ALTER_CONFIGS', 'CREATE', 'DELETE', 'DESCRIBE', 'DESCRIBE_CONFIGS', 'READ', 'WRITE']);
    expect(r.describeProducers).toEqual([{ epoch: 0, lastSequence: 4, coordinatorEpoch: -1, txnStartOffset: -1 }]);
    expect(r.listOffsetsOfTwoGroups).toEqual({ a: { 'jm-0': 5, 'jm-1': 5 }, b: { 'jm-0': null, 'jm-1': 2 }, missing: {} });
    expect(r.describeWithStaticMember).toEqual(['misc-static']);
    expect(r.removeUnknownMember).toEqual({ error: 'UnknownMemberIdException', message: 'The coordinator is not aware of this member.' });
    expect(r.removeStaticMember).toEqual({ state: 'Empty', members: 0 });
    expect(r.removeAllOfEmptyGroup).toEqual({ error: 'IllegalArgumentException', message: 'leaving members should not be empty' });
    expect(r.removeFromMissingGroup.error).toBe('UnknownMemberIdException');
    expect(r.electPreferred).toEqual({ 'jm-0': 'ElectionNotNeededException', 'jm-9': 'UnknownTopicOrPartitionException' });
    expect(r.electUnclean).toEqual({ 'jm-1': 'ElectionNotNeededException' });
    expect(r.electPreferredAll).toEqual([]);
    expect(r.fenceProducers).toEqual({ state: 'Empty', epoch: 0, partitions: 0 });
    expect(r.fenceProducersTwice).toBe(1);
    expect(r.listTransactionsFilteredByState).toEqual(['misc-fenced']);
    expect(r.listConfigResourcesClientMetrics).toEqual(['misc-metrics']);
    // Only groups with configs of their own are GROUP config resources (Kafka 4.4's config image):
    // not jm-group or jm-group-b (other tests' groups on this broker are left out).
    expect((r.listConfigResourcesGroups as string[]).filter((g) => g.startsWith('jm-'))).toEqual(['jm-group-conf']);
    // A standalone broker is its metadata quorum's leader and only voter (cluster/metadata-quorum.ts),
    // as a one-node Kafka is; an id never registered is refused as Kafka refuses it.
    expect(r.describeMetadataQuorum).toBe(NODE);
    expect(r.unregisterUnknownBroker).toEqual({ error: 'BrokerIdNotRegisteredException', message: 'Broker ID 99 is not currently registered' });
  }, 120_000);
});
