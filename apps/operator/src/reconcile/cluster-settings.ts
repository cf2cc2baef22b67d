/**
 * Pure: the broker settings an instance's brokers need when they form a replicated cluster on etcd.
 * Replication defaults follow the instance size (at most 3 replicas, as CKafka sells); the user's own
 * `default.replication.factor` / `min.insync.replicas` overrides win. `offsets.topic.replication.factor`
 * is always min(3, brokers): `__consumer_offsets` (created on the first FindCoordinator for a group)
 * needs that many registered brokers, so a larger value would leave a small instance without group
 * coordination; `transaction.state.log.replication.factor` likewise (the broker's default, 3, left a
 * 1- or 2-broker instance without transactions), its `transaction.state.log.min.isr` one less, as
 * for topics.
 */
export function clusterSettings(brokers: number, overrides: Record<string, string>): Record<string, string> {
  const replicas = Math.min(3, brokers);
  return {
    'default.replication.factor': String(replicas),
    // One replica may be down (a rolling restart, a crash) while acks=all producers keep writing.
    'min.insync.replicas': String(Math.max(1, replicas - 1)),
    'transaction.state.log.min.isr': String(Math.max(1, replicas - 1)),
    ...overrides,
    'offsets.topic.replication.factor': String(replicas),
    'transaction.state.log.replication.factor': String(replicas),
  };
}
