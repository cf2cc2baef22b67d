/**
 * A partition's next state when its ISR changes or its leader must be chosen again, with KIP-966's
 * eligible leader replicas as Apache Kafka 4.4's controller keeps them
 * (`eligible.leader.replicas.version` 1, finalized on a new 4.4 cluster; Kafka's
 * PartitionChangeBuilder with its last-known-leader recovery, the 4.4 default):
 *
 * - While the ISR is below the partition's effective min.insync.replicas, replicas that leave it go
 *   into the ELR: they held every record acknowledged until then (acks=all needs min ISR members),
 *   so any of them may lead cleanly once the ISR is empty. ISR members are never in the ELR, and the
 *   ELR is cleared once the ISR is at min ISR again.
 * - The ISR may become empty (leader -1): the last member stays in the ELR, and the leader it had
 *   is kept in LastKnownElr.
 * - A leader is first the current one while it is alive and in the ISR, else the first live
 *   replica (replica order) in the ISR, or, with the ISR empty, in the ELR (it becomes the whole
 *   ISR and leaves the ELR). With ISR and ELR both empty, the last known leader is elected when it
 *   is alive (an unclean choice: the ISR is then it alone). Only then, with
 *   unclean.leader.election.enable, any live replica (the ELR is cleared).
 * - LastKnownElr holds the leader the partition had when its ISR became empty, and is cleared once
 *   the partition has a leader again.
 *
 * With `eligible.leader.replicas.version` finalized at 0 (`elrEnabled: false`, features.ts) the
 * controller keeps no ELR, as Kafka's PartitionChangeBuilder then does: a change clears the ELR it
 * finds (an ELR member may still be elected by that change, the ISR being empty), no replica goes into it, an ISR is never written empty (its last member stays in it while
 * the partition has no leader, Kafka's behaviour before KIP-966), the last known leader is neither
 * elected nor updated. Kafka clears nothing on the downgrade itself: a partition keeps the ELR it
 * had until its next change (seen on Kafka 4.4's 3 nodes).
 *
 * Pure: the callers write the result, guarded by the revision they read.
 */
import type { PartitionRecord } from './cluster-view.ts';

export const NO_LEADER = -1;

export type Election = 'online' | 'unclean';

export interface PartitionChangeInput {
  /** The state as stored (a record written before ELR existed has no elr fields: read as empty). */
  current: PartitionRecord;
  /** The replica set, in order: the first valid one is elected. */
  replicas: readonly number[];
  /** The ISR the change asks for (the current one without dead brokers, a leader's shrink or expansion). */
  targetIsr: readonly number[];
  /** Brokers that may lead: registered and not shutting down. */
  live: ReadonlySet<number>;
  /** The topic's min.insync.replicas capped at its replica count (Kafka's getTopicEffectiveMinIsr). */
  minIsr: number;
  /** 'unclean' when the topic (or the broker default) allows unclean.leader.election.enable. */
  election: Election;
  /** Brokers back from an unclean shutdown since this state was written: out of the ISR and ELR, not leaders in this change. */
  uncleanShutdown?: readonly number[];
  /** False when eligible.leader.replicas.version is finalized at 0 (features.ts): no ELR kept. */
  elrEnabled?: boolean;
}

/** The ELR of a stored record (empty for a record of a broker that predates it). */
export const elrOf = (r: PartitionRecord): readonly number[] => r.elr ?? [];
export const lastKnownElrOf = (r: PartitionRecord): readonly number[] => r.lastKnownElr ?? [];

/** The next state; equal in content to `current` when nothing changes (see `samePartitionState`). */
export function changePartition(input: PartitionChangeInput): PartitionRecord {
  const { current, replicas, minIsr } = input;
  const uncleanShutdown = input.uncleanShutdown ?? [];
  const elrEnabled = input.elrEnabled ?? true;
  const live = new Set([...input.live].filter((id) => !uncleanShutdown.includes(id)));
  let isr = input.targetIsr.filter((id) => !uncleanShutdown.includes(id));
  // Without ELR the partition's current ELR may still elect (Kafka clears it only in the record it writes).
  let elr = elrEnabled ? populateElr(current, isr, minIsr, uncleanShutdown) : elrOf(current).filter((id) => !uncleanShutdown.includes(id));
  const valid = (id: number) => live.has(id) && (isr.includes(id) || (isr.length === 0 && elr.includes(id)));
  let leader = current.leader;
  let unclean = false;
  if (current.leader === NO_LEADER || !valid(current.leader)) {
    const clean = replicas.find(valid);
    const lastKnown = lastKnownElrOf(current);
    if (clean !== undefined) {
      leader = clean;
    } else if (elrEnabled && isr.length === 0 && elr.length === 0 && lastKnown.length === 1 && live.has(lastKnown[0]!)) {
      // Kafka's "balanced recovery": the last leader holds at least what any other replica holds.
      leader = lastKnown[0]!;
      unclean = true;
    } else if (input.election === 'unclean' && replicas.some((id) => live.has(id))) {
      leader = replicas.find((id) => live.has(id))!;
      unclean = true;
    } else {
      leader = NO_LEADER;
    }
    if (leader !== current.leader && leader !== NO_LEADER && elr.includes(leader)) {
      isr = [leader];
      elr = elr.filter((id) => id !== leader);
    }
    if (unclean) isr = [leader];
  }
  // Without ELR an empty ISR is not written: its last member stays in it (Kafka before KIP-966).
  if (!elrEnabled && isr.length === 0) isr = [...current.isr];
  return finish(current, { leader, isr, elr: unclean || !elrEnabled ? [] : elr }, elrEnabled);
}

/**
 * The ELR bookkeeping for a change whose leader and ISR another rule chose (a preferred-leader
 * move, a reassignment's completion, an ElectLeaders request); `unclean` when the leader was taken
 * from outside the ISR and ELR (its log becomes the truth, so no other replica stays eligible).
 */
export function withElr(current: PartitionRecord, next: { leader: number; leaderEpoch?: number; isr: readonly number[] }, minIsr: number, unclean = false, uncleanShutdown: readonly number[] = [], elrEnabled = true): PartitionRecord {
  let elr = unclean || !elrEnabled ? [] : populateElr(current, next.isr, minIsr, uncleanShutdown);
  if (next.leader !== NO_LEADER) elr = elr.filter((id) => id !== next.leader);
  return finish(current, { leader: next.leader, isr: [...next.isr], elr }, elrEnabled);
}

/** True when two states are the same (leader, epoch, ISR, ELR, LastKnownElr). */
export function samePartitionState(a: PartitionRecord, b: PartitionRecord): boolean {
  return a.leader === b.leader && a.leaderEpoch === b.leaderEpoch && sameList(a.isr, b.isr) && sameList(elrOf(a), elrOf(b)) && sameList(lastKnownElrOf(a), lastKnownElrOf(b));
}

/** Kafka's maybePopulateTargetElr: below min ISR, the ELR gains the replicas that leave the ISR (not those back from an unclean shutdown). */
function populateElr(current: PartitionRecord, targetIsr: readonly number[], minIsr: number, uncleanShutdown: readonly number[]): number[] {
  if (targetIsr.length >= minIsr) return [];
  // Ascending, as Kafka's HashSet of broker ids iterates (what DescribeTopicPartitions shows).
  const candidates = [...new Set([...elrOf(current), ...current.isr])].sort((a, b) => a - b);
  return candidates.filter((id) => !targetIsr.includes(id) && !uncleanShutdown.includes(id));
}

/**
 * The record: the epoch moves with the leader; LastKnownElr becomes the leader the partition had
 * when its ISR first empties, and is cleared once it has a leader again (Kafka's
 * maybeUpdateLastKnownLeader). Empty lists are left out, so a partition without ELR is stored as
 * before KIP-966 and older brokers read it unchanged. Without ELR, LastKnownElr is left as it is
 * (Kafka's maybeUpdateLastKnownLeader returns at once).
 */
function finish(current: PartitionRecord, next: { leader: number; isr: number[]; elr: number[] }, elrEnabled: boolean): PartitionRecord {
  const leaderChanged = next.leader !== current.leader;
  const isrChanged = !sameList(next.isr, current.isr);
  let lastKnownElr = [...lastKnownElrOf(current)];
  if (elrEnabled && isrChanged && next.isr.length === 0 && current.leader !== NO_LEADER && !(lastKnownElr.length === 1 && lastKnownElr[0] === current.leader)) {
    lastKnownElr = [current.leader];
  } else if (elrEnabled && next.leader !== NO_LEADER && lastKnownElr.length > 0) {
    lastKnownElr = [];
  }
  const record: PartitionRecord = { leader: next.leader, leaderEpoch: leaderChanged ? current.leaderEpoch + 1 : current.leaderEpoch, isr: next.isr };
  if (next.elr.length > 0) record.elr = next.elr;
  if (lastKnownElr.length > 0) record.lastKnownElr = lastKnownElr;
  return record;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, i) => b[i] === id);
}
