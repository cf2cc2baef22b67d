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
