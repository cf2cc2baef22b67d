import type { KafkaAdminClient, TopicMetadata } from '@tributary/kafka-admin';
import { planRebalance, type PlanPartition } from '@tributary/rebalance';
import { clearThrottle, currentThrottle, throttleMoves } from './rebalance-throttle.ts';

/**
 * Moving an instance's data between its brokers (issue 20), one level-based look per reconcile
 * pass: while the brokers have reassignments in flight it only reports them; otherwise, when the
 * placement is off (a replica on a broker that is going, a replication factor to change, or
 * replicas per broker more than one apart, as after a scale-up), it
 * plans with libs/rebalance (replicas and leaders within ±1 per broker, least data copied) and
 * hands the moves to the brokers (AlterPartitionReassignments), which copy, catch up and switch
 * over on their own (apps/broker/src/cluster/README.md "Reassignment"). A retried pass recomputes
 * the same plan, and moves already applied are not moves any more.
 */

export type RebalanceOutcome =
  | { state: 'balanced' }
  /**
   * Reassignments are running (`started`: this pass handed them over). `partitions` moving and the
   * bytes their new replicas have `copied` of the `total` to copy (null when the log sizes could
   * not be read); when started, `total` is the plan's estimate and nothing is copied yet.
   */
  | { state: 'moving'; started: boolean; message: string; partitions: number; bytes: { copied: number; total: number } | null; throttleBytesPerSecond: number | null }
  /** The brokers cannot hold what they must (e.g. fewer brokers than a topic's replication factor). */
  | { state: 'blocked'; message: string };

/** Replication factor wanted per topic (the control plane's); topics not named keep theirs. */
export type WantedReplication = ReadonlyMap<string, number>;

/**
 * Why data must move onto `targets`: replicas outside them, a topic whose replication factor is
 * not the wanted one, or replicas per broker more than one apart (a new broker holds none). Null
 * when nothing has to move.
 */
export function placementProblem(topics: readonly TopicMetadata[], targets: readonly number[], wanted: WantedReplication = new Map(), racks: ReadonlyMap<number, string | null> = new Map()): string | null {
  const hosting = new Map<number, number>(targets.map((id) => [id, 0]));
  const outside = new Set<number>();
  const rackCount = new Set(targets.map((id) => racks.get(id) ?? '')).size;
  for (const t of topics) {
    const rf = wanted.get(t.name);
    if (rf !== undefined && t.partitions.some((p) => p.replicas.length !== rf)) return `topic ${t.name} is to have replication factor ${rf}`;
    // The planner's hard goal: a partition's replicas span min(RF, racks) racks (zones).
    const crowded = t.partitions.find((p) => new Set(p.replicas.map((id) => racks.get(id) ?? '')).size < Math.min(p.replicas.length, rackCount));
    if (crowded) return `partition ${t.name}-${crowded.partition} has replicas in fewer racks than it could`;
    for (const p of t.partitions) {
      for (const id of p.replicas) {
        if (hosting.has(id)) hosting.set(id, hosting.get(id)! + 1);
        else outside.add(id);
      }
    }
  }
  if (outside.size > 0) return `brokers ${[...outside].sort((a, b) => a - b).join(', ')} still hold replicas`;
  const counts = [...hosting.values()];
  // More than ±1 apart: the planner's balance goal; it may still find nothing better (uneven racks), then nothing moves.
  return Math.max(...counts) - Math.min(...counts) > 1 ? `replicas per broker range from ${Math.min(...counts)} to ${Math.max(...counts)}` : null;
}

/**
 * One look at the instance: report moves in flight, or start the moves that place every replica on
 * `targets` (the brokers that stay) in balance. Sizes come from the leaders' log directories, so
 * the planner moves small partitions first.
 */
export async function rebalanceOnto(admin: KafkaAdminClient, targets: readonly number[], wanted: WantedReplication = new Map(), options: { throttleBytesPerSecond?: number | null } = {}): Promise<RebalanceOutcome> {
  const ongoing = await admin.listPartitionReassignments();
  if (ongoing.length > 0) {
    const adding = [...new Set(ongoing.flatMap((m) => m.adding))].sort((a, b) => a - b);
    const sizes = await replicaSizes(admin, ongoing).catch(() => null);
    const copied = sizes ? copyProgress(ongoing, sizes) : null;
    const bytes = copied ? `, ${mb(copied.copied)} of ${mb(copied.total)} MB copied` : '';
    const throttle = await currentThrottle(admin, (await admin.metadata([])).brokers.map((b) => b.nodeId)).catch(() => null);
    const at = throttle === null ? '' : ` at ${mb(throttle)} MB/s per broker`;
    return { state: 'moving', started: false, message: `${ongoing.length} partition(s) moving${adding.length > 0 ? `, copying onto brokers ${adding.join(', ')}` : ''}${bytes}${at}`, partitions: ongoing.length, bytes: copied, throttleBytesPerSecond: throttle };
  }
  const { topics, brokers } = await admin.metadata(null);
  // Nothing moves: a throttle left from the last moves goes (kafka-reassign-partitions --verify).
  await clearThrottle(admin, brokers.map((b) => b.nodeId), topics.map((t) => t.name));
  // Brokers started with --rack (a zone) advertise it in Metadata: replicas are spread over them.
  const racks = new Map(brokers.map((b) => [b.nodeId, b.rack]));
  const problem = placementProblem(topics, targets, wanted, racks);
  if (problem === null) return { state: 'balanced' };
  const partitions: PlanPartition[] = [];
  for (const t of topics) {
    const sizes = await admin.partitionSizes(t.name).catch(() => new Map<number, bigint>());
    const rf = wanted.get(t.name);
    for (const p of t.partitions) partitions.push({ topic: t.name, partition: p.partition, replicas: p.replicas, sizeBytes: Math.max(0, Number(sizes.get(p.partition) ?? 0n)), ...(rf !== undefined ? { replicationFactor: rf } : {}) });
  }
  const planned = planRebalance(targets.map((id) => ({ id, rack: racks.get(id) ?? null })), partitions);
  if (!planned.ok) return { state: 'blocked', message: planned.error.message };
  // Moves that only reorder replicas change the preferred leader (leaders balanced too) and complete at once.
  const moves = planned.plan.moves;
  // Nothing the planner would change: the placement is as good as it gets (e.g. fewer replicas than brokers).
  if (moves.length === 0) return { state: 'balanced' };
  const throttle = options.throttleBytesPerSecond ?? null;
  // The throttle first, as kafka-reassign-partitions --throttle does: no byte copies unthrottled.
  if (throttle !== null) await throttleMoves(admin, brokers.map((b) => b.nodeId), moves, throttle);
  const results = await admin.alterPartitionReassignments(moves.map((m) => ({ topic: m.topic, partition: m.partition, replicas: [...m.to] })));
  const refused = [...results].filter(([, err]) => err !== null);
  if (refused.length === moves.length) return { state: 'blocked', message: `the brokers refused every move: ${refused.slice(0, 3).map(([k, err]) => `${k}: ${err!.message}`).join('; ')}` };
  return {
    state: 'moving', started: true, message: `${problem}: ${moves.length - refused.length} partition(s) moving onto brokers ${targets.join(', ')} (${mb(planned.plan.bytesToCopy)} MB to copy${throttle === null ? '' : `, throttled to ${mb(throttle)} MB/s per broker`})`,
    partitions: moves.length - refused.length, bytes: { copied: 0, total: planned.plan.bytesToCopy }, throttleBytesPerSecond: throttle,
  };
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

type Moving = { topic: string; partition: number; replicas: number[]; adding: number[] };

/** Size of each moving partition's replica on each broker that holds one (from every broker's log dirs). */
async function replicaSizes(admin: KafkaAdminClient, moving: readonly Moving[]): Promise<Map<string, Map<number, number>>> {
  const topics = [...new Set(moving.map((m) => m.topic))].map((topic) => ({ topic, partitions: moving.filter((m) => m.topic === topic).map((m) => m.partition) }));
  const out = new Map<string, Map<number, number>>();
  for (const [broker, dirs] of await admin.describeLogDirsByBroker(topics)) {
    for (const d of dirs) for (const p of d.partitions) {
      const key = `${p.topic}-${p.partition}`;
      if (!out.has(key)) out.set(key, new Map());
      out.get(key)!.set(broker, Number(p.sizeBytes));
    }
  }
  return out;
}

/**
 * Bytes copied of the bytes to copy: each adding replica is to reach the size of the largest
 * replica that is not being added (the source it copies from).
 */
export function copyProgress(moving: readonly Moving[], sizes: ReadonlyMap<string, ReadonlyMap<number, number>>): { copied: number; total: number } {
  let copied = 0;
  let total = 0;
  for (const m of moving) {
    const bySize = sizes.get(`${m.topic}-${m.partition}`) ?? new Map<number, number>();
    const source = Math.max(0, ...m.replicas.filter((id) => !m.adding.includes(id)).map((id) => bySize.get(id) ?? 0));
    for (const id of m.adding) {
      total += source;
      copied += Math.min(source, bySize.get(id) ?? 0);
    }
  }
  return { copied, total };
}
