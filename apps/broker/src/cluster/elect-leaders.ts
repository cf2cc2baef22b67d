import { ErrorCode } from '@tributary/protocol';
import type { PartitionRecord } from './cluster-view.ts';
import { changePartition, NO_LEADER, withElr } from './partition-change.ts';

/** ElectLeaders' election types (the request's electionType). */
export const ElectionType = { PREFERRED: 0, UNCLEAN: 1 } as const;

export type ElectionOutcome = { ok: true; next: PartitionRecord } | { ok: false; errorCode: number; message: string | null };

/**
 * One partition's answer to ElectLeaders, Kafka's rules (KRaft's ReplicationControlManager.electLeader):
 * PREFERRED moves leadership to the first replica when it is alive and in sync (ELECTION_NOT_NEEDED
 * when it already leads, PREFERRED_LEADER_NOT_AVAILABLE otherwise); UNCLEAN elects only a
 * leaderless partition, first from the live ISR, else (ISR empty) the live ELR, else the last known
 * leader, else any live replica, which then is the whole ISR (its log becomes the truth; the ELR is
 * cleared; ELIGIBLE_LEADERS_NOT_AVAILABLE when no replica is alive) — Kafka's PartitionChangeBuilder
 * with Election.UNCLEAN (partition-change.ts). Every change bumps the leader epoch. `minIsr`: the
 * topic's effective min.insync.replicas, for the ELR; `elrEnabled` false: eligible.leader.replicas.version 0.
 */
export function electFor(type: number, replicas: readonly number[], state: PartitionRecord, live: ReadonlySet<number>, minIsr: number, elrEnabled = true): ElectionOutcome {
  if (type === ElectionType.PREFERRED) {
    const preferred = replicas[0];
    if (preferred === undefined) return { ok: false, errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, message: null };
    if (state.leader === preferred) return { ok: false, errorCode: ErrorCode.ELECTION_NOT_NEEDED, message: 'Leader election not needed for topic partition.' };
    if (!live.has(preferred) || !state.isr.includes(preferred)) return { ok: false, errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, message: `Failed to elect leader: the preferred replica ${preferred} is not alive and in sync.` };
    return { ok: true, next: withElr(state, { leader: preferred, isr: state.isr }, minIsr, false, [], elrEnabled) };
  }
  if (type === ElectionType.UNCLEAN) {
    if (state.leader !== NO_LEADER && live.has(state.leader)) return { ok: false, errorCode: ErrorCode.ELECTION_NOT_NEEDED, message: 'Leader election not needed for topic partition.' };
    const next = changePartition({ current: state, replicas, targetIsr: state.isr.filter((id) => live.has(id)), live, minIsr, election: 'unclean', elrEnabled });
    if (next.leader === NO_LEADER) return { ok: false, errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, message: 'Failed to elect leader: no replica is alive.' };
    return { ok: true, next };
  }
  return { ok: false, errorCode: ErrorCode.INVALID_REQUEST, message: `Unknown election type ${type}.` };
}
