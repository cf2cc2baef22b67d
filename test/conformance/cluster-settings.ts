/**
 * The settings both kinds of 3-broker cluster get in the failover comparisons
 * (cluster-failover.test.ts, admin-cluster.test.ts), so that a difference is the brokers', not
 * their configuration's.
 */
export const SETTINGS = {
  // A killed broker's partitions move within seconds (Tributary: its etcd lease; Kafka: the
  // controller's heartbeat deadline), not after the defaults' 9 s.
  'broker.session.timeout.ms': '6000',
  'replica.lag.time.max.ms': '3000',
  'leader.imbalance.check.interval.seconds': '3600',
  'default.replication.factor': '3',
  'min.insync.replicas': '2',
  // kafka-acls and the AdminClient's ACL calls need an authorizer; PLAINTEXT's principal ANONYMOUS may do everything.
  'super.users': 'User:ANONYMOUS',
  'allow.everyone.if.no.acl.found': 'false',
};

/** Kafka names its authorizer class; Tributary's is on whenever super.users is set. */
export const KAFKA_ONLY = { 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer' };
