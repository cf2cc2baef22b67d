/**
 * What kafka-verifiable-consumer (Kafka 4.4's VerifiableConsumer, no auto-commit: it commits
 * synchronously after each batch it prints) reports, and what of it a run across a broker kill may
 * show under Kafka's at-least-once delivery.
 *
 * A classic-group consumer moves its position in a partition only forward, except when the partition
 * is assigned to it: it then starts at the group's committed offset, so records it had read after its
 * last commit are read again. Anything else is a defect: a gap (records never read: lost for this
 * group) or a record read again without a reassignment, or from before the last successful commit.
 */
export interface ConsumerEvent {
  name: string;
  partitions?: { topic: string; partition: number; count?: number; minOffset?: number; maxOffset?: number }[];
  offsets?: { topic: string; partition: number; offset: number }[];
  success?: boolean;
}

export interface ReadAcross {
  /** `partition:from..to` ranges never read (a gap, or short of the end offset). */
  lost: string[];
  /** `partition:from..to` ranges read again without a reassignment, or from before the last successful commit. */
  rereadOutsideReassignment: string[];
  /** Records read again after a reassignment (at-least-once duplicates Kafka allows). */
  reread: number;
}

export function readAcross(events: ConsumerEvent[], ends: Map<number, number>): ReadAcross {
  const next = new Map<number, number>();
  const committed = new Map<number, number>();
  const assignedSinceLastRead = new Set<number>();
  const lost: string[] = [];
  const outside: string[] = [];
  let reread = 0;
  for (const e of events) {
    if (e.name === 'partitions_assigned') for (const p of e.partitions ?? []) assignedSinceLastRead.add(p.partition);
    if (e.name === 'offsets_committed' && e.success) for (const o of e.offsets ?? []) committed.set(o.partition, o.offset);
    if (e.name !== 'records_consumed') continue;
    for (const p of e.partitions ?? []) {
      const from = p.minOffset!;
      const to = p.maxOffset!;
      const expected = next.get(p.partition) ?? 0;
      if (from > expected) lost.push(`${p.partition}:${expected}..${from - 1}`);
      if (from < expected) {
        reread += Math.min(expected - 1, to) - from + 1;
        if (!assignedSinceLastRead.has(p.partition) || from < (committed.get(p.partition) ?? 0)) outside.push(`${p.partition}:${from}..${Math.min(expected - 1, to)}`);
      }
      next.set(p.partition, Math.max(expected, to + 1));
      assignedSinceLastRead.delete(p.partition);
    }
  }
  for (const [partition, end] of ends) {
    const reached = next.get(partition) ?? 0;
    if (reached < end) lost.push(`${partition}:${reached}..${end - 1}`);
  }
  return { lost, rereadOutsideReassignment: outside, reread };
}

/** The last offset each partition's successful commits reached. */
export function lastCommitted(events: ConsumerEvent[]): Map<number, number> {
  const at = new Map<number, number>();
  for (const e of events) if (e.name === 'offsets_committed' && e.success) for (const o of e.offsets ?? []) at.set(o.partition, o.offset);
  return at;
}

/**
 * The shape of what the tool printed, to compare between two clusters: each event name with its
 * field names. `partitions_lost` is left out: whether the killed broker was also the group's
 * coordinator is placement, and only then may the member lose its partitions.
 */
export function eventShapes(events: ConsumerEvent[]): string[] {
  const shapes = new Set<string>();
  for (const e of events) if (e.name !== 'partitions_lost') shapes.add(`${e.name}: ${Object.keys(e).sort().join(',')}`);
  return [...shapes].sort();
}
