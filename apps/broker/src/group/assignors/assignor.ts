/** Partitions by topic id: what a member owns, is assigned, or is meant to get. */
export type Assignment = Map<string, Set<number>>;

/** What a server-side assignor sees of one member: who it is, what it subscribes to, what it was meant to own until now. */
export interface AssignorMember {
  memberId: string;
  /** A static member's group.instance.id: Kafka's range assignor orders static members by it, first. */
  instanceId?: string | null;
  /** Topic ids the member subscribes to (only topics that exist). */
  subscribedTopicIds: ReadonlySet<string>;
  /** The member's current target assignment: an assignor may keep it (stickiness). */
  current: Assignment;
}

/**
 * A KIP-848 server-side assignor (Kafka's ConsumerGroupPartitionAssignor): given the members and
 * the partition count of every subscribed topic, the target assignment of every member. Members
 * are given in member-id order, so the result does not depend on insertion order.
 */
export interface ServerAssignor {
  readonly name: string;
  assign(members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): Map<string, Assignment>;
}

/** A deep copy of an assignment (reconciliation must not share sets between members). */
export function copyAssignment(a: Assignment): Assignment {
  return new Map([...a].map(([t, ps]) => [t, new Set(ps)]));
}

export function addPartition(a: Assignment, topicId: string, partition: number): void {
  let ps = a.get(topicId);
  if (!ps) a.set(topicId, (ps = new Set()));
  ps.add(partition);
}

export function assignmentSize(a: Assignment): number {
  let n = 0;
  for (const ps of a.values()) n += ps.size;
  return n;
}

export function sameAssignment(a: Assignment, b: Assignment): boolean {
  const nonEmpty = (x: Assignment) => [...x].filter(([, ps]) => ps.size > 0);
  const ea = nonEmpty(a);
  if (ea.length !== nonEmpty(b).length) return false;
  return ea.every(([t, ps]) => {
    const other = b.get(t);
    return other !== undefined && other.size === ps.size && [...ps].every((p) => other.has(p));
  });
}
