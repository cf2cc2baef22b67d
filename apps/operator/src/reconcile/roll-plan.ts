/** A partition as Metadata reports it. */
export interface PartitionView {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

/** Null when every partition has a leader and a full ISR; otherwise how many do not, naming a few. */
export function underReplicated(topics: { name: string; partitions: PartitionView[] }[]): string | null {
  const under = topics.flatMap((t) => t.partitions.filter((p) => p.leader < 0 || p.isr.length < p.replicas.length).map((p) => `${t.name}-${p.partition}`));
  return under.length === 0 ? null : `${under.length} partition(s) under-replicated (${under.slice(0, 5).join(', ')}${under.length > 5 ? ', …' : ''})`;
}

export type RollPlan = { action: 'restart'; nodeId: number; warnings: string[] } | { action: 'wait'; reason: string };

/**
 * Pure: which stale broker a rolling restart may take down now, or why it must wait.
 * - Nothing is restarted while any partition is under-replicated (ISR smaller than its replicas, or
 *   no leader): the broker restarted before must have caught up first.
 * - With every ISR full, restarting one broker leaves each of its partitions replicas − 1 in-sync
 *   replicas, which is at least min.insync.replicas unless the partition has no more replicas than
 *   min.insync.replicas (e.g. RF 1). Such a partition can never keep its minimum through a restart;
 *   waiting would block the roll forever, so the restart goes ahead and a warning names the
 *   partitions that refuse acks=all writes meanwhile.
 */
export function planRoll(stale: number[], topics: { name: string; partitions: PartitionView[] }[], minIsr: Map<string, number>): RollPlan {
  const under = underReplicated(topics);
  if (under) return { action: 'wait', reason: `${under}; the next broker restarts once every ISR is full` };
  const nodeId = stale[0]!;
  const warnings: string[] = [];
  for (const t of topics) {
    const min = minIsr.get(t.name) ?? 1;
    const neverSafe = t.partitions.filter((p) => p.replicas.includes(nodeId) && p.replicas.length <= min);
    if (neverSafe.length > 0) warnings.push(`topic ${t.name}: ${neverSafe.length} partition(s) have ${neverSafe[0]!.replicas.length} replica(s) with min.insync.replicas ${min}; they refuse acks=all writes${neverSafe[0]!.replicas.length === 1 ? ' and reads' : ''} while broker ${nodeId} restarts`);
  }
  return { action: 'restart', nodeId, warnings };
}
