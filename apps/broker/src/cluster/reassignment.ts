import { ErrorCode } from '@tributary/protocol';
import { NO_LEADER } from './partition-change.ts';
import type { PartitionRecord } from './cluster-view.ts';

/**
 * Partition reassignment with Kafka's semantics (KIP-455), as pure steps the controller writes
 * to etcd. While a partition moves, its replica set is the target followed by the original
 * replicas not in it (Kafka's "target ++ original, distinct"), so the adding replicas create
 * their logs and fetch from the leader; the leader takes them into the ISR once they caught up.
 * When every target replica is in the ISR the target set takes over in one write: replicas =
 * target, ISR without the removed ones, and a new leader (epoch bump) when the old one is
 * removed or not in sync. Removed replicas stop fetching and delete their logs because they no
 * longer host the partition. A cancel (null replicas) reverts to the original replicas.
 */

/** What etcd keeps per moving partition at `reassignments/<topic>/<partition>`. */
export interface ReassignmentRecord {
  /** The replica set asked for; its first broker becomes the preferred leader. */
  target: number[];
  /** The replica set before the first reassignment of this partition began. */
  original: number[];
}

export const reassignmentKey = (topic: string, partition: number) => `reassignments/${topic}/${partition}`;
export const REASSIGNMENTS_PREFIX = 'reassignments/';

/** Parses a reassignment key's rest (`<topic>/<partition>`; topic names never contain '/'). */
export function parseReassignmentKey(rest: string): { topic: string; partition: number } | null {
  const at = rest.lastIndexOf('/');
  if (at <= 0) return null;
  const partition = Number(rest.slice(at + 1));
  return Number.isInteger(partition) && partition >= 0 ? { topic: rest.slice(0, at), partition } : null;
}

export type Refusal = { errorCode: number; message: string };

/** Kafka's checks of a manual assignment (ReplicationControlManager.validateManualPartitionAssignment). */
export function validateTarget(target: readonly number[], registered: ReadonlySet<number>): Refusal | null {
  if (target.length === 0) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: 'The manual partition assignment includes an empty replica list.' };
  const seen = new Set<number>();
  for (const id of target) {
    if (seen.has(id)) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `The manual partition assignment includes the broker ${id} more than once.` };
    seen.add(id);
    if (!registered.has(id)) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `The manual partition assignment includes broker ${id}, but no such broker is registered.` };
  }
  return null;
}

/**
 * KIP-860: with `allow_replication_factor_change` false (AlterPartitionReassignments v1+), the
 * target must be as long as the set the partition is headed for — the ongoing move's target, or
 * its replicas when nothing moves — as Kafka's validatePartitionReplicationFactorUnchanged says.
 * Checked after validateTarget, in Kafka's order.
 */
export function checkReplicationFactor(current: readonly number[], ongoing: ReassignmentRecord | undefined, target: readonly number[]): Refusal | null {
  const heading = ongoing ? ongoing.target.length : current.length;
  if (heading === target.length) return null;
  return { errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, message: `The replication factor is changed from ${heading} to ${target.length}` };
}

/** The replica set while moving: target first (the preferred leader), then original replicas being removed. */
export function movingReplicas(target: readonly number[], original: readonly number[]): number[] {
  return [...new Set([...target, ...original])];
}

/** Adding and removing replicas as ListPartitionReassignments reports them. */
export function describeMove(r: ReassignmentRecord): { replicas: number[]; addingReplicas: number[]; removingReplicas: number[] } {
  return {
    replicas: movingReplicas(r.target, r.original),
    addingReplicas: r.target.filter((id) => !r.original.includes(id)),
    removingReplicas: r.original.filter((id) => !r.target.includes(id)),
  };
}

export type StartOutcome =
  /** Write `replicas` to the topic record and `record` (or delete it when null: nothing moves). */
  | { kind: 'write'; replicas: number[]; record: ReassignmentRecord | null; partition?: PartitionRecord }
  | { kind: 'refused'; refusal: Refusal };

/**
 * A request for one partition: a new target (replacing any ongoing one, whose original set is
 * kept, as Kafka does), or null to cancel the ongoing one.
 */
export function planRequest(current: readonly number[], ongoing: ReassignmentRecord | undefined, target: readonly number[] | null, state: PartitionRecord, live: ReadonlySet<number>): StartOutcome {
  if (target === null) {
    if (!ongoing) return { kind: 'refused', refusal: { errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, message: 'No ongoing reassignment for this partition.' } };
    return revert(ongoing, state, live);
  }
  const original = ongoing?.original ?? [...current];
  if (sameSet(target, original) && ongoing) return revert(ongoing, state, live, [...target]);
  if (sameList(target, current) && !ongoing) return { kind: 'write', replicas: [...target], record: null };
  return { kind: 'write', replicas: movingReplicas(target, original), record: { target: [...target], original } };
}

/** Back to `replicas` (the original set, possibly reordered): the moving replicas not in it stop. */
function revert(ongoing: ReassignmentRecord, state: PartitionRecord, live: ReadonlySet<number>, replicas = [...ongoing.original]): StartOutcome {
  return { kind: 'write', replicas, record: null, partition: narrowTo(replicas, state, live) };
}

/**
 * The partition state once its replica set shrinks to `replicas`: ISR members outside it leave,
 * and a leader outside it (or gone) hands over to the first in-sync live replica of the new set,
 * with a new epoch so followers truncate as after any election. Undefined when nothing changes.
 */
export function narrowTo(replicas: readonly number[], state: PartitionRecord, live: ReadonlySet<number>): PartitionRecord | undefined {
  const isr = state.isr.filter((id) => replicas.includes(id));
  const leaderStays = state.leader !== NO_LEADER && replicas.includes(state.leader) && live.has(state.leader) && isr.includes(state.leader);
  if (leaderStays) return isr.length === state.isr.length ? undefined : { ...state, isr };
  const next = replicas.find((id) => isr.includes(id) && live.has(id));
  // No in-sync replica of the new set is alive: keep the ISR so a clean election stays possible.
  if (next === undefined) return { leader: NO_LEADER, leaderEpoch: state.leaderEpoch + 1, isr: isr.length > 0 ? isr : state.isr };
  return { leader: next, leaderEpoch: state.leaderEpoch + 1, isr };
}

/**
 * The completion step the controller takes once every target replica is in the ISR; null while
 * some target replica is still catching up (or the new set has no live in-sync leader yet).
 */
export function completion(r: ReassignmentRecord, state: PartitionRecord, live: ReadonlySet<number>): { replicas: number[]; partition: PartitionRecord | undefined } | null {
  if (!r.target.every((id) => state.isr.includes(id))) return null;
  const partition = narrowTo(r.target, state, live);
  if (partition && partition.leader === NO_LEADER) return null;
  return { replicas: [...r.target], partition };
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, i) => b[i] === id);
}

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}
