/**
 * Kafka's dynamic replication throttles (KIP-73): broker configs kafka-reassign-partitions sets
 * with --throttle and deletes after every successful --verify. This broker does not throttle
 * replication yet and its settings are static, so nothing ever sets them; deleting them is
 * therefore a no-op that is accepted (so --verify can finish), while setting them is refused
 * with the static-settings error like every other broker config.
 */
export const REPLICATION_THROTTLE_CONFIGS: ReadonlySet<string> = new Set(['leader.replication.throttled.rate', 'follower.replication.throttled.rate', 'replica.alter.log.dirs.io.max.bytes.per.second']);

const DELETE = 1;

/** True when an IncrementalAlterConfigs on a broker only deletes replication throttles. */
export function onlyClearsThrottles(changes: readonly { name: string; op: number }[]): boolean {
  return changes.length > 0 && changes.every((c) => c.op === DELETE && REPLICATION_THROTTLE_CONFIGS.has(c.name));
}
