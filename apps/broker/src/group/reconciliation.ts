import { copyAssignment, type Assignment } from './assignors/assignor.ts';
import type { ConsumerMember } from './consumer-member.ts';

/** Partitions a member reports owning in its heartbeat; null when it did not say (unchanged). */
export type OwnedPartitions = { topicId: string; partitions: number[] }[] | null;

export interface ReconcileInput {
  targetEpoch: number;
  target: Assignment;
  /** Topic ids the member subscribes to now: the target of any other topic counts as empty. */
  subscribedTopicIds: ReadonlySet<string>;
  /** The epoch of the member that holds a partition (assigned or pending revocation), -1 when free. */
  partitionEpoch(topicId: string, partition: number): number;
  owned: OwnedPartitions;
}

/**
 * KIP-848's reconciliation (Kafka's CurrentAssignmentBuilder): moves a member towards its target
 * assignment without ever letting two members own a partition at once. A member first gives up
 * what it must (it stays at its epoch, `unrevoked-partitions`, until its heartbeat no longer lists
 * those partitions); then it reaches the target epoch and gets the partitions that are free; the
 * ones another member still holds come later (`unreleased-partitions`). Returns the member
 * unchanged, or a new one.
 */
export function reconcile(member: ConsumerMember, input: ReconcileInput): ConsumerMember {
  switch (member.state) {
    case 'stable':
      return member.memberEpoch === input.targetEpoch ? member : nextAssignment(member, input);
    case 'unrevoked-partitions':
      return ownsAny(member.pendingRevocation, input.owned) ? member : nextAssignment(member, input);
    case 'unreleased-partitions':
      return nextAssignment(member, input);
  }
}

/** Whether the member still owns one of `partitions` (when it did not say, it is assumed to). */
function ownsAny(partitions: Assignment, owned: OwnedPartitions): boolean {
  if (owned === null) return true;
  return owned.some((t) => t.partitions.some((p) => partitions.get(t.topicId)?.has(p) ?? false));
}

function nextAssignment(member: ConsumerMember, input: ReconcileInput): ConsumerMember {
  const assigned: Assignment = new Map();
  const revoke: Assignment = new Map();
  const toAssign: Assignment = new Map();
  let unreleased = false;
  const topics = new Set([...input.target.keys(), ...member.assigned.keys()]);
  for (const t of topics) {
    const target = input.subscribedTopicIds.has(t) ? (input.target.get(t) ?? new Set<number>()) : new Set<number>();
    const current = member.assigned.get(t) ?? new Set<number>();
    const keep = new Set([...current].filter((p) => target.has(p)));
    const gone = new Set([...current].filter((p) => !keep.has(p)));
    const mine = member.pendingRevocation.get(t);
    const wanted = [...target].filter((p) => !keep.has(p));
    // A partition still held by another member is not assigned yet (one this member is itself revoking is free to it).
    const free = wanted.filter((p) => input.partitionEpoch(t, p) === -1 || (mine?.has(p) ?? false));
    if (free.length < wanted.length) unreleased = true;
    if (keep.size > 0) assigned.set(t, keep);
    if (gone.size > 0) revoke.set(t, gone);
    if (free.length > 0) toAssign.set(t, new Set(free));
  }
  const next = (epoch: number): ConsumerMember => ({
    ...member,
    memberEpoch: epoch,
    previousMemberEpoch: epoch === member.memberEpoch ? member.previousMemberEpoch : member.memberEpoch,
  });
  if (revoke.size > 0 && ownsAny(revoke, input.owned)) {
    // Partitions to give up first: the member stays at its epoch until it has revoked them.
    const assignmentEpochs = new Map([...member.assignmentEpochs].filter(([k]) => { const cut = k.lastIndexOf(':'); return assigned.get(k.slice(0, cut))?.has(Number(k.slice(cut + 1))) ?? false; }));
    return { ...next(member.memberEpoch), state: 'unrevoked-partitions', assigned, assignmentEpochs, pendingRevocation: revoke };
  }
  const all = copyAssignment(assigned);
  const assignmentEpochs = new Map<string, number>();
  for (const [t, ps] of assigned) for (const p of ps) assignmentEpochs.set(`${t}:${p}`, member.assignmentEpochs.get(`${t}:${p}`) ?? input.targetEpoch);
  for (const [t, ps] of toAssign) {
    all.set(t, new Set([...(all.get(t) ?? []), ...ps]));
    for (const p of ps) assignmentEpochs.set(`${t}:${p}`, input.targetEpoch);
  }
  return { ...next(input.targetEpoch), state: unreleased ? 'unreleased-partitions' : 'stable', assigned: all, assignmentEpochs, pendingRevocation: new Map() };
}
