import { describe, expect, it } from 'vitest';
import type { ConsumerMember } from './consumer-member.ts';
import { reconcile, type ReconcileInput } from './reconciliation.ts';

const set = (o: Record<string, number[]>) => new Map(Object.entries(o).map(([t, ps]) => [t, new Set(ps)]));
const plain = (a: Map<string, Set<number>>) => Object.fromEntries([...a].filter(([, ps]) => ps.size > 0).map(([t, ps]) => [t, [...ps].sort((x, y) => x - y)]));
const member = (epoch: number, assigned: Record<string, number[]>, extra: Partial<ConsumerMember> = {}): ConsumerMember => ({
  memberId: 'm', instanceId: null, rackId: null, clientId: 'c', clientHost: '/h', rebalanceTimeoutMs: 30_000, serverAssignor: null,
  subscribedTopicNames: ['t'], subscribedTopicRegex: null, memberEpoch: epoch, previousMemberEpoch: epoch - 1, state: 'stable',
  assigned: set(assigned), assignmentEpochs: new Map(), pendingRevocation: new Map(), lastHeartbeat: 0, sessionTimeoutMs: 45_000, revocationDeadline: null, ...extra,
});
const input = (targetEpoch: number, target: Record<string, number[]>, owned: ReconcileInput['owned'], held: Record<string, number> = {}): ReconcileInput => ({
  targetEpoch, target: set(target), subscribedTopicIds: new Set(['t']), owned,
  partitionEpoch: (t, p) => held[`${t}:${p}`] ?? -1,
});

describe('KIP-848 reconciliation (Kafka\'s CurrentAssignmentBuilder rules)', () => {
  it('a member that must give partitions up stays at its epoch with them pending revocation until its heartbeat no longer lists them', () => {
    const m = member(2, { t: [0, 1, 2, 3] });
    const asked = reconcile(m, input(3, { t: [0, 1] }, [{ topicId: 't', partitions: [0, 1, 2, 3] }], { 't:0': 2, 't:1': 2, 't:2': 2, 't:3': 2 }));
    expect(asked).toMatchObject({ state: 'unrevoked-partitions', memberEpoch: 2 });
    expect(plain(asked.assigned)).toEqual({ t: [0, 1] });
    expect(plain(asked.pendingRevocation)).toEqual({ t: [2, 3] });
    // Still listed: no progress.
    expect(reconcile(asked, input(3, { t: [0, 1] }, [{ topicId: 't', partitions: [0, 1, 3] }]))).toBe(asked);
    // Revoked: the target epoch, stable.
    const done = reconcile(asked, input(3, { t: [0, 1] }, [{ topicId: 't', partitions: [0, 1] }]));
    expect(done).toMatchObject({ state: 'stable', memberEpoch: 3, previousMemberEpoch: 2 });
    expect(plain(done.pendingRevocation)).toEqual({});
  });

  it('a partition still held by its previous owner is not given to the next one: the member waits in unreleased-partitions, at the target epoch', () => {
    const m = member(1, {});
    const waiting = reconcile(m, input(3, { t: [2, 3] }, [], { 't:2': 2 }));
    expect(waiting).toMatchObject({ state: 'unreleased-partitions', memberEpoch: 3 });
    expect(plain(waiting.assigned)).toEqual({ t: [3] });
    const released = reconcile(waiting, input(3, { t: [2, 3] }, null));
    expect(released.state).toBe('stable');
    expect(plain(released.assigned)).toEqual({ t: [2, 3] });
  });

  it('without owned partitions in the heartbeat (unchanged), revocation is not assumed', () => {
    const asked = reconcile(member(2, { t: [0, 1] }), input(3, { t: [0] }, null));
    expect(asked.state).toBe('unrevoked-partitions');
    expect(reconcile(asked, input(3, { t: [0] }, null))).toBe(asked);
  });

  it('partitions of a topic no longer subscribed are revoked whatever the target says', () => {
    const asked = reconcile(member(2, { t: [0], u: [0] }), { ...input(3, { t: [0], u: [0] }, [{ topicId: 'u', partitions: [0] }]), subscribedTopicIds: new Set(['t']) });
    expect(plain(asked.pendingRevocation)).toEqual({ u: [0] });
  });

  it('remembers the epoch at which each partition was assigned (commits at an older epoch are accepted for those)', () => {
    const first = reconcile(member(0, {}), input(2, { t: [0, 1] }, []));
    const second = reconcile(first, input(3, { t: [0, 1, 2] }, [{ topicId: 't', partitions: [0, 1] }]));
    expect(Object.fromEntries(second.assignmentEpochs)).toEqual({ 't:0': 2, 't:1': 2, 't:2': 3 });
  });
});
