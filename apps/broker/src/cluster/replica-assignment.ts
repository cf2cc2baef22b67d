/**
 * Rack-aware replica assignment, the decision the controller makes when a topic is created or
 * grows. Pure: the same brokers and counts always give the same answer, so the controller can
 * write it in one revision-guarded etcd transaction and every broker can re-derive nothing.
 */

export interface BrokerPlacement {
  readonly id: number;
  /** null when the broker was started without --rack. */
  readonly rack: string | null;
}

export type AssignmentError =
  | { readonly code: 'INVALID_REPLICATION_FACTOR'; readonly message: string }
  | { readonly code: 'INVALID_PARTITIONS'; readonly message: string };

export type AssignmentResult =
  | { readonly ok: true; readonly replicas: readonly (readonly number[])[] }
  | { readonly ok: false; readonly error: AssignmentError };

/**
 * Orders brokers so that consecutive entries alternate racks (Kafka's rack-alternated list):
 * taking replicationFactor consecutive entries then lands replicas on as many racks as possible.
 */
export function rackAlternatedOrder(brokers: readonly BrokerPlacement[]): number[] {
  const byRack = new Map<string, number[]>();
  for (const broker of [...brokers].sort((a, b) => a.id - b.id)) {
    const rack = broker.rack ?? '';
    const list = byRack.get(rack) ?? [];
    list.push(broker.id);
    byRack.set(rack, list);
  }
  const racks = [...byRack.keys()].sort();
  const ordered: number[] = [];
  for (let round = 0; ordered.length < brokers.length; round++) {
    for (const rack of racks) {
      const id = byRack.get(rack)![round];
      if (id !== undefined) ordered.push(id);
    }
  }
  return ordered;
}

/**
 * Assigns `partitionCount` partitions starting at `firstPartition` (non-zero when adding
 * partitions). The first replica (preferred leader) rotates over the rack-alternated list so
 * leadership spreads evenly; followers are the next entries, shifted per wrap so two partitions
 * led by the same broker do not share the same follower set.
 */
export function assignReplicas(
  brokers: readonly BrokerPlacement[],
  partitionCount: number,
  replicationFactor: number,
  firstPartition = 0,
): AssignmentResult {
  if (!Number.isInteger(partitionCount) || partitionCount < 1) {
    return { ok: false, error: { code: 'INVALID_PARTITIONS', message: `partition count must be a positive integer, got ${partitionCount}` } };
  }
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1) {
    return { ok: false, error: { code: 'INVALID_REPLICATION_FACTOR', message: `replication factor must be a positive integer, got ${replicationFactor}` } };
  }
  if (replicationFactor > brokers.length) {
    return {
      ok: false,
      error: { code: 'INVALID_REPLICATION_FACTOR', message: `replication factor ${replicationFactor} exceeds the ${brokers.length} live brokers` },
    };
  }
  const order = rackAlternatedOrder(brokers);
  const n = order.length;
  const rackOf = new Map(brokers.map((b) => [b.id, b.rack ?? '']));
  const replicas: number[][] = [];
  for (let i = 0; i < partitionCount; i++) {
    const p = firstPartition + i;
    const first = p % n;
    // The shift grows each time the leader position wraps, spreading follower sets.
    const shift = n > 1 ? Math.floor(p / n) % (n - 1) : 0;
    // Offsets 1 + (shift + j) mod (n - 1) are distinct and never 0, so no broker repeats.
    const candidates: number[] = [];
    for (let j = 0; j < n - 1; j++) candidates.push(order[(first + 1 + ((shift + j) % (n - 1))) % n]!);
    const set = [order[first]!];
    const usedRacks = new Set([rackOf.get(order[first]!)]);
    // First pass: a rack not yet holding a replica (Kafka's rack-aware rule); then any broker.
    for (const id of candidates) {
      if (set.length === replicationFactor) break;
      if (!usedRacks.has(rackOf.get(id))) {
        set.push(id);
        usedRacks.add(rackOf.get(id));
      }
    }
    for (const id of candidates) {
      if (set.length === replicationFactor) break;
      if (!set.includes(id)) set.push(id);
    }
    replicas.push(set);
  }
  return { ok: true, replicas };
}
