import { describe, expect, it } from 'vitest';
import { electLeader, moveLeadershipAway, NO_LEADER } from './leader-election.ts';

const base = { replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 4 };

describe('electLeader', () => {
  it('keeps a live in-sync leader and its epoch', () => {
    const state = electLeader({ state: base, liveBrokers: new Set([1, 2, 3]), uncleanLeaderElection: false });
    expect(state).toBe(base);
  });

  it('picks the next live ISR member in replica order and bumps the epoch', () => {
    const state = electLeader({ state: base, liveBrokers: new Set([2, 3]), uncleanLeaderElection: false });
    expect(state).toEqual({ replicas: [1, 2, 3], isr: [2, 3], leader: 2, leaderEpoch: 5 });
  });

  it('never picks a replica outside the ISR without unclean election', () => {
    const state = electLeader({
      state: { ...base, isr: [1] },
      liveBrokers: new Set([2, 3]),
      uncleanLeaderElection: false,
    });
    expect(state).toEqual({ replicas: [1, 2, 3], isr: [1], leader: NO_LEADER, leaderEpoch: 5 });
  });

  it('picks an out-of-sync replica with unclean election', () => {
    const state = electLeader({ state: { ...base, isr: [1] }, liveBrokers: new Set([3]), uncleanLeaderElection: true });
    expect(state).toEqual({ replicas: [1, 2, 3], isr: [3], leader: 3, leaderEpoch: 5 });
  });

  it('elects the returning ISR member of a leaderless partition', () => {
    const leaderless = { replicas: [1, 2, 3], isr: [1], leader: NO_LEADER, leaderEpoch: 5 };
    expect(electLeader({ state: leaderless, liveBrokers: new Set([1]), uncleanLeaderElection: false })).toEqual({
      replicas: [1, 2, 3],
      isr: [1],
      leader: 1,
      leaderEpoch: 6,
    });
  });
});

describe('moveLeadershipAway', () => {
  it('moves leadership to another ISR member', () => {
    expect(moveLeadershipAway(base, 1, new Set([1, 2, 3]))).toEqual({ replicas: [1, 2, 3], isr: [2, 3], leader: 2, leaderEpoch: 5 });
  });
  it('drops a follower from the ISR without a new epoch', () => {
    expect(moveLeadershipAway(base, 3, new Set([1, 2, 3]))).toEqual({ ...base, isr: [1, 2] });
  });
  it('keeps the last in-sync copy', () => {
    const alone = { ...base, isr: [1] };
    expect(moveLeadershipAway(alone, 1, new Set([1, 2, 3]))).toBe(alone);
  });
});
