import type { KafkaAdminClient } from '@tributary/kafka-admin';

/**
 * The replication throttle the operator's own moves run under (KIP-73, issue 20), the way
 * `kafka-reassign-partitions --throttle` and `--verify` handle it: before the moves start, every
 * broker gets `leader.`/`follower.replication.throttled.rate` and each moving topic names its
 * throttled replicas (leader side: the replicas there now, follower side: the ones being added);
 * once nothing moves any more, all of it is removed. The brokers enforce it on follower fetches
 * (apps/broker/src/cluster/replication-throttle.ts), so clients keep the rest of the bandwidth.
 */

export const THROTTLE_RATES = ['leader.replication.throttled.rate', 'follower.replication.throttled.rate'] as const;
export const THROTTLED_REPLICAS = ['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas'] as const;

export interface Move { topic: string; partition: number; from: readonly number[]; to: readonly number[] }

/** Per topic, the throttled-replicas values for `moves` (Kafka's `partition:broker` lists, sorted). */
export function throttledReplicas(moves: readonly Move[]): Map<string, { leader: string; follower: string }> {
  const byTopic = new Map<string, { leader: string[]; follower: string[] }>();
  for (const m of moves) {
    const entry = byTopic.get(m.topic) ?? { leader: [], follower: [] };
    for (const b of m.from) entry.leader.push(`${m.partition}:${b}`);
    for (const b of m.to) if (!m.from.includes(b)) entry.follower.push(`${m.partition}:${b}`);
    byTopic.set(m.topic, entry);
  }
  const order = (list: string[]) => [...new Set(list)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).join(',');
  return new Map([...byTopic].map(([topic, e]) => [topic, { leader: order(e.leader), follower: order(e.follower) }]));
}

/** Sets the throttle for `moves` on every broker in `brokers` and on the moving topics. */
export async function throttleMoves(admin: KafkaAdminClient, brokers: readonly number[], moves: readonly Move[], bytesPerSecond: number): Promise<void> {
  const rate = String(bytesPerSecond);
  for (const id of brokers) await admin.alterBrokerConfigs(id, { [THROTTLE_RATES[0]]: rate, [THROTTLE_RATES[1]]: rate });
  for (const [topic, r] of throttledReplicas(moves)) {
    await admin.alterTopicConfigs(topic, { [THROTTLED_REPLICAS[0]]: r.leader || null, [THROTTLED_REPLICAS[1]]: r.follower || null });
  }
}

/** The follower rate set on the brokers (the highest, should they differ); null: unthrottled. */
export async function currentThrottle(admin: KafkaAdminClient, brokers: readonly number[]): Promise<number | null> {
  let rate: number | null = null;
  for (const id of brokers) {
    const value = (await admin.describeDynamicBrokerConfigs(id))[THROTTLE_RATES[1]];
    if (value !== undefined) rate = Math.max(rate ?? 0, Number(value));
  }
  return rate;
}

/**
 * Removes the throttle once nothing moves (kafka-reassign-partitions --verify). The brokers' rates
 * tell whether one is set; only then are the topics' configs read. Answers whether anything was removed.
 */
export async function clearThrottle(admin: KafkaAdminClient, brokers: readonly number[], topics: readonly string[]): Promise<boolean> {
  const throttled: number[] = [];
  for (const id of brokers) {
    const configs = await admin.describeDynamicBrokerConfigs(id);
    if (THROTTLE_RATES.some((name) => configs[name] !== undefined)) throttled.push(id);
  }
  if (throttled.length === 0) return false;
  for (const topic of topics) {
    const configs = await admin.describeTopicConfigs(topic).catch(() => null);
    const set = THROTTLED_REPLICAS.filter((name) => configs?.[name] && !configs[name]!.isDefault);
    if (set.length > 0) await admin.alterTopicConfigs(topic, Object.fromEntries(set.map((name) => [name, null])));
  }
  // The rates last: a pass that dies halfway finds them and clears again.
  for (const id of throttled) await admin.alterBrokerConfigs(id, { [THROTTLE_RATES[0]]: null, [THROTTLE_RATES[1]]: null });
  return true;
}
