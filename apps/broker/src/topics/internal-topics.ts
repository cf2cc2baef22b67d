/** Committed offsets of consumer groups; the leader of a group's partition is its coordinator. */
export const OFFSETS_TOPIC = '__consumer_offsets';

/**
 * The partition of a coordinator's internal topic that holds `key` (a group id in
 * `__consumer_offsets`, a transactional id in `__transaction_state`): Kafka's String.hashCode
 * (UTF-16 code units, 32-bit overflow) and Utils.abs, modulo the partition count, so a key lands
 * on the same partition number as on Apache Kafka.
 */
export function coordinatorPartitionFor(key: string, numPartitions: number): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
  const abs = h === -2147483648 ? 0 : Math.abs(h);
  return abs % numPartitions;
}

/**
 * The topic configs Kafka 4.4 sets on `__consumer_offsets` when it creates it
 * (GroupCoordinatorService's groupMetadataTopicConfigs): compacted, its own segment size, batches
 * kept as the coordinator wrote them. Stored as the topic's own configs, so kafka-topics
 * --describe and DescribeConfigs (DYNAMIC_TOPIC_CONFIG) show them as on Kafka.
 */
export function offsetsTopicConfigs(settings: Readonly<Record<string, string>>): Record<string, string> {
  return { 'cleanup.policy': 'compact', 'compression.type': 'producer', 'segment.bytes': settings['offsets.topic.segment.bytes']! };
}

/**
 * The topic configs Kafka 4.4 sets on `__transaction_state` when it creates it
 * (TransactionLog / TransactionStateManager.transactionTopicConfigs): compacted, uncompressed, its
 * own segment size, no unclean leader election and `transaction.state.log.min.isr` in-sync
 * replicas for each write — capped at `replicationFactor`, the replicas it gets (a standalone
 * broker gives it one, which would otherwise never be enough).
 */
export function transactionStateTopicConfigs(settings: Readonly<Record<string, string>>, replicationFactor: number): Record<string, string> {
  return {
    'cleanup.policy': 'compact',
    'compression.type': 'uncompressed',
    'segment.bytes': settings['transaction.state.log.segment.bytes']!,
    'unclean.leader.election.enable': 'false',
    'min.insync.replicas': String(Math.min(Number(settings['transaction.state.log.min.isr']), replicationFactor)),
  };
}
