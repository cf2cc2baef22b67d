import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@tributary/protocol';
import { checkReplicationFactor, completion, describeMove, narrowTo, parseReassignmentKey, planRequest, validateTarget } from './reassignment.ts';
import { electFor, ElectionType } from './elect-leaders.ts';

const live = new Set([1, 2, 3, 4, 5]);

describe('reassignment steps (KIP-455)', () => {
  it('a move widens the replica set to target then original, and records both', () => {
    const out = planRequest([1, 2, 3], undefined, [4, 2, 5], { leader: 1, leaderEpoch: 3, isr: [1, 2, 3] }, live);
    expect(out).toEqual({ kind: 'write', replicas: [4, 2, 5, 1, 3], record: { target: [4, 2, 5], original: [1, 2, 3] } });
    expect(describeMove({ target: [4, 2, 5], original: [1, 2, 3] })).toEqual({ replicas: [4, 2, 5, 1, 3], addingReplicas: [4, 5], removingReplicas: [1, 3] });
  });

  it('a new target replaces an ongoing one and keeps the first original set', () => {
    const out = planRequest([4, 2, 5, 1, 3], { target: [4, 2, 5], original: [1, 2, 3] }, [5, 1, 2], { leader: 1, leaderEpoch: 3, isr: [1, 2, 3, 4] }, live);
    expect(out).toEqual({ kind: 'write', replicas: [5, 1, 2, 3], record: { target: [5, 1, 2], original: [1, 2, 3] } });
  });

  it('the current set asked again with nothing ongoing writes nothing that moves', () => {
    expect(planRequest([1, 2, 3], undefined, [1, 2, 3], { leader: 1, leaderEpoch: 0, isr: [1, 2, 3] }, live)).toEqual({ kind: 'write', replicas: [1, 2, 3], record: null });
  });

  it('cancel reverts to the original replicas; adding replicas leave the ISR and a leader among them hands back', () => {
    const ongoing = { target: [4, 5, 6], original: [1, 2, 3] };
    const out = planRequest([4, 5, 6, 1, 2, 3], ongoing, null, { leader: 4, leaderEpoch: 7, isr: [1, 2, 3, 4] }, live);
    expect(out).toEqual({ kind: 'write', replicas: [1, 2, 3], record: null, partition: { leader: 1, leaderEpoch: 8, isr: [1, 2, 3] } });
  });

  it('cancel with nothing ongoing is NO_REASSIGNMENT_IN_PROGRESS', () => {
    const out = planRequest([1, 2, 3], undefined, null, { leader: 1, leaderEpoch: 0, isr: [1, 2, 3] }, live);
    expect(out).toMatchObject({ kind: 'refused', refusal: { errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS } });
  });

  it('completes only once every target replica is in the ISR; the leader moves off a removed broker', () => {
    const r = { target: [4, 2, 5], original: [1, 2, 3] };
    expect(completion(r, { leader: 1, leaderEpoch: 2, isr: [1, 2, 3, 4] }, live)).toBeNull();
    expect(completion(r, { leader: 1, leaderEpoch: 2, isr: [1, 2, 3, 4, 5] }, live)).toEqual({ replicas: [4, 2, 5], partition: { leader: 4, leaderEpoch: 3, isr: [2, 4, 5] } });
  });

  it('a leader that stays keeps its epoch; only the ISR narrows', () => {
    expect(completion({ target: [2, 3, 4], original: [1, 2, 3] }, { leader: 2, leaderEpoch: 5, isr: [1, 2, 3, 4] }, live)).toEqual({ replicas: [2, 3, 4], partition: { leader: 2, leaderEpoch: 5, isr: [2, 3, 4] } });
    expect(narrowTo([1, 2], { leader: 1, leaderEpoch: 1, isr: [1, 2] }, live)).toBeUndefined();
  });

  it('waits rather than completing without a live in-sync leader in the target set', () => {
    expect(completion({ target: [4], original: [1] }, { leader: 1, leaderEpoch: 0, isr: [1, 4] }, new Set([1]))).toBeNull();
  });

  it('refuses targets Kafka refuses', () => {
    const registered = new Set([1, 2, 3]);
    expect(validateTarget([], registered)?.errorCode).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(validateTarget([1, 1], registered)?.message).toContain('more than once');
    expect(validateTarget([1, 9], registered)?.message).toContain('broker 9');
    expect(validateTarget([3, 1], registered)).toBeNull();
  });

  it('KIP-860: a target of another length than the set the partition is headed for changes the replication factor', () => {
    expect(checkReplicationFactor([1, 2], undefined, [2, 3])).toBeNull();
    expect(checkReplicationFactor([1, 2], undefined, [1, 2, 3])).toEqual({ errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, message: 'The replication factor is changed from 2 to 3' });
    // While [1,2] moves to [3,4] the replica set is [3,4,1,2]: the target's size counts, as in Kafka (replicas + adding - removing).
    const ongoing = { target: [3, 4], original: [1, 2] };
    expect(checkReplicationFactor([3, 4, 1, 2], ongoing, [4, 5])).toBeNull();
    expect(checkReplicationFactor([3, 4, 1, 2], ongoing, [3])).toEqual({ errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, message: 'The replication factor is changed from 2 to 1' });
  });

  it('parses its etcd keys (topic names may contain dots and dashes)', () => {
    expect(parseReassignmentKey('my.topic-1/12')).toEqual({ topic: 'my.topic-1', partition: 12 });
    expect(parseReassignmentKey('nope')).toBeNull();
  });
});

describe('ElectLeaders rules', () => {
  it('preferred: elects the first replica when alive and in sync, with an epoch bump', () => {
    expect(electFor(ElectionType.PREFERRED, [2, 1, 3], { leader: 1, leaderEpoch: 4, isr: [1, 2, 3] }, live, 1)).toEqual({ ok: true, next: { leader: 2, leaderEpoch: 5, isr: [1, 2, 3] } });
    expect(electFor(ElectionType.PREFERRED, [2, 1, 3], { leader: 2, leaderEpoch: 4, isr: [1, 2, 3] }, live, 1)).toMatchObject({ ok: false, errorCode: ErrorCode.ELECTION_NOT_NEEDED });
    expect(electFor(ElectionType.PREFERRED, [2, 1, 3], { leader: 1, leaderEpoch: 4, isr: [1, 3] }, live, 1)).toMatchObject({ ok: false, errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE });
    expect(electFor(ElectionType.PREFERRED, [2, 1, 3], { leader: 1, leaderEpoch: 4, isr: [1, 2, 3] }, new Set([1, 3]), 1)).toMatchObject({ ok: false, errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE });
  });

  it('unclean: only a leaderless partition; an in-sync replica first, else any live one alone in the ISR', () => {
    expect(electFor(ElectionType.UNCLEAN, [1, 2], { leader: 1, leaderEpoch: 0, isr: [1, 2] }, live, 1)).toMatchObject({ ok: false, errorCode: ErrorCode.ELECTION_NOT_NEEDED });
    expect(electFor(ElectionType.UNCLEAN, [1, 2, 3], { leader: -1, leaderEpoch: 2, isr: [1] }, new Set([2, 3]), 1)).toEqual({ ok: true, next: { leader: 2, leaderEpoch: 3, isr: [2] } });
    expect(electFor(ElectionType.UNCLEAN, [1, 2, 3], { leader: -1, leaderEpoch: 2, isr: [3] }, new Set([2, 3]), 1)).toEqual({ ok: true, next: { leader: 3, leaderEpoch: 3, isr: [3] } });
    expect(electFor(ElectionType.UNCLEAN, [1, 2], { leader: -1, leaderEpoch: 2, isr: [1] }, new Set([3]), 1)).toMatchObject({ ok: false, errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE });
    // KIP-966: with the ISR empty, a live ELR member before any other replica, and the ELR's others stay eligible.
    expect(electFor(ElectionType.UNCLEAN, [1, 2, 3], { leader: -1, leaderEpoch: 2, isr: [], elr: [1, 3], lastKnownElr: [1] }, new Set([2, 3]), 2)).toEqual({ ok: true, next: { leader: 3, leaderEpoch: 3, isr: [3], elr: [1] } });
  });
});
