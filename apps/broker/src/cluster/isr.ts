/**
 * ISR changes a partition leader proposes (KRaft's AlterPartition): followers that have not
 * caught up to the leader's log end within replica.lag.time.max.ms leave, unless their log ends
 * where the leader's does (Kafka's Replica.isCaughtUp: an idle partition keeps a follower that
 * holds everything, even one that stopped fetching; a dead broker's replicas are the controller's
 * to remove); followers that reach the high watermark come back. Pure: the leader feeds in what it
 * observed from follower fetches.
 */

export interface FollowerProgress {
  readonly brokerId: number;
  /** Log end offset the follower reported in its last fetch (-1 before its first in this epoch). */
  readonly logEndOffset: number;
  /** Last time (ms) the follower's fetch reached the leader's log end offset. */
  readonly lastCaughtUpMs: number;
}

export interface IsrInput {
  readonly leaderId: number;
  readonly isr: readonly number[];
  readonly replicas: readonly number[];
  readonly followers: readonly FollowerProgress[];
  readonly leaderLogEndOffset: number;
  readonly highWatermark: number;
  readonly nowMs: number;
  readonly replicaLagTimeMaxMs: number;
}

/** The ISR the leader should propose; equal contents to `isr` when nothing changes. */
export function nextIsr(input: IsrInput): number[] {
  const progress = new Map(input.followers.map((f) => [f.brokerId, f]));
  const next: number[] = [];
  for (const id of input.replicas) {
    if (id === input.leaderId) {
      next.push(id);
      continue;
    }
    const p = progress.get(id);
    const inIsr = input.isr.includes(id);
    if (inIsr) {
      const caughtUp = p !== undefined && (p.logEndOffset === input.leaderLogEndOffset || input.nowMs - p.lastCaughtUpMs <= input.replicaLagTimeMaxMs);
      if (caughtUp) next.push(id);
    } else if (p !== undefined && p.logEndOffset >= 0 && p.logEndOffset >= input.highWatermark) {
      next.push(id);
    }
  }
  return next;
}

/** The high watermark: the smallest log end offset over the ISR (leader included). */
export function highWatermarkOf(leaderLogEndOffset: number, isr: readonly number[], leaderId: number, followers: readonly FollowerProgress[]): number {
  let hw = leaderLogEndOffset;
  for (const id of isr) {
    if (id === leaderId) continue;
    const f = followers.find((x) => x.brokerId === id);
    hw = Math.min(hw, f === undefined ? 0 : f.logEndOffset);
  }
  return hw;
}
