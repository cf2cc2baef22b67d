import { describe, expect, it } from 'vitest';
import { ClusterView, keys } from './cluster-view.ts';
import { planPartitionChanges } from './controller-plan.ts';

/** A view with brokers 1..3 registered (unless listed dead) and one 3-replica topic. */
function view(options: { dead?: number[]; shuttingDown?: number[]; leader?: number; isr?: number[]; elr?: number[]; lastKnownElr?: number[]; configs?: Record<string, string>; replicas?: number[] } = {}): ClusterView {
  const v = new ClusterView();
  for (const id of [1, 2, 3]) {
    if (options.dead?.includes(id)) continue;
    v.apply(keys.broker(id), JSON.stringify({ nodeId: id, rack: null, listeners: [], ...(options.shuttingDown?.includes(id) ? { shuttingDown: true } : {}) }), '5', '5');
  }
  v.apply(keys.topic('t'), JSON.stringify({ name: 't', topicId: 'id', configs: options.configs ?? {}, replicas: [options.replicas ?? [1, 2, 3]] }), '6', '6');
  const elr = { ...(options.elr ? { elr: options.elr } : {}), ...(options.lastKnownElr ? { lastKnownElr: options.lastKnownElr } : {}) };
  v.apply(keys.partition('t', 0), JSON.stringify({ leader: options.leader ?? 1, leaderEpoch: 4, isr: options.isr ?? options.replicas ?? [1, 2, 3], ...elr }), '7', '7');
  return v;
}

const plan = (v: ClusterView, preferredLeaders = false) => planPartitionChanges(v, { uncleanLeaderElection: false, preferredLeaders });

describe('planPartitionChanges', () => {
  it('changes nothing while every replica is alive and in sync', () => {
    expect(plan(view())).toEqual([]);
  });

  it('elects the next ISR member with an epoch bump when the leader dies, guarded by the revision it read', () => {
    expect(plan(view({ dead: [1] }))).toEqual([{ topic: 't', partition: 0, next: { leader: 2, leaderEpoch: 5, isr: [2, 3] }, modRevision: '7', reason: 'leader-failed' }]);
  });

  it('removes a dead follower from the ISR without moving leadership', () => {
    expect(plan(view({ dead: [3] }))).toEqual([{ topic: 't', partition: 0, next: { leader: 1, leaderEpoch: 4, isr: [1, 2] }, modRevision: '7', reason: 'replica-failed' }]);
  });

  it('never elects outside the ISR and ELR without unclean election: the partition goes leaderless, its last ISR member in the ELR', () => {
    expect(plan(view({ dead: [1], isr: [1] }))).toEqual([{ topic: 't', partition: 0, next: { leader: -1, leaderEpoch: 5, isr: [], elr: [1], lastKnownElr: [1] }, modRevision: '7', reason: 'leader-failed' }]);
    expect(planPartitionChanges(view({ dead: [1], isr: [1] }), { uncleanLeaderElection: true, preferredLeaders: false })[0]!.next).toEqual({ leader: 2, leaderEpoch: 5, isr: [2] });
    // A topic's own setting wins over the broker default, both ways.
    expect(plan(view({ dead: [1], isr: [1], configs: { 'unclean.leader.election.enable': 'true' } }))[0]!.next.leader).toBe(2);
    expect(planPartitionChanges(view({ dead: [1], isr: [1], configs: { 'unclean.leader.election.enable': 'false' } }), { uncleanLeaderElection: true, preferredLeaders: false })[0]!.next.leader).toBe(-1);
  });

  it('moves leadership away from a broker in controlled shutdown and takes it out of the ISR', () => {
    expect(plan(view({ shuttingDown: [1] }))).toEqual([{ topic: 't', partition: 0, next: { leader: 2, leaderEpoch: 5, isr: [2, 3] }, modRevision: '7', reason: 'controlled-shutdown' }]);
  });

  it('gives leadership back to the preferred replica only when asked and only when it is in sync', () => {
    expect(plan(view({ leader: 2 }))).toEqual([]);
    expect(plan(view({ leader: 2 }), true)[0]).toMatchObject({ next: { leader: 1, leaderEpoch: 5 }, reason: 'preferred-leader' });
    expect(plan(view({ leader: 2, isr: [2, 3] }), true)).toEqual([]);
  });

  it('elects a returning ISR member of a leaderless partition', () => {
    expect(plan(view({ leader: -1, isr: [1] }))[0]).toMatchObject({ next: { leader: 1, leaderEpoch: 5, isr: [1] }, reason: 'leader-returned' });
  });

  it('a dead follower of an ISR at min.insync.replicas (the topic\'s own, else the broker default) goes into the ELR', () => {
    const withDefault = (v: ClusterView, minInsyncReplicas: number) => planPartitionChanges(v, { uncleanLeaderElection: false, preferredLeaders: false, minInsyncReplicas });
    expect(withDefault(view({ dead: [3] }), 3)[0]!.next).toEqual({ leader: 1, leaderEpoch: 4, isr: [1, 2], elr: [3] });
    expect(withDefault(view({ dead: [3] }), 2)[0]!.next).toEqual({ leader: 1, leaderEpoch: 4, isr: [1, 2] });
    expect(withDefault(view({ dead: [3], configs: { 'min.insync.replicas': '3' } }), 2)[0]!.next).toEqual({ leader: 1, leaderEpoch: 4, isr: [1, 2], elr: [3] });
    // Capped at the replica count: RF 1 under a default of 2 has min ISR 1, so its broker's death leaves it in the ELR and as LastKnownElr.
    expect(withDefault(view({ replicas: [3], leader: 3, dead: [3] }), 2)[0]).toMatchObject({ next: { leader: -1, leaderEpoch: 5, isr: [], elr: [3], lastKnownElr: [3] }, reason: 'leader-failed' });
  });

  it('elects a returning ELR member of a partition whose ISR is empty', () => {
    expect(plan(view({ replicas: [3], leader: -1, isr: [], elr: [3], lastKnownElr: [3] }))[0]).toMatchObject({ next: { leader: 3, leaderEpoch: 5, isr: [3] }, reason: 'leader-returned' });
    expect(plan(view({ replicas: [3], leader: -1, isr: [], elr: [3], lastKnownElr: [3] }))[0]!.next).not.toHaveProperty('elr');
  });

  it('a broker in controlled shutdown that is the last ISR member leaves it for the ELR, as Kafka\'s controller takes it out of every ISR', () => {
    expect(plan(view({ replicas: [1], shuttingDown: [1] }))).toEqual([{ topic: 't', partition: 0, next: { leader: -1, leaderEpoch: 5, isr: [], elr: [1], lastKnownElr: [1] }, modRevision: '7', reason: 'controlled-shutdown' }]);
  });

  it('a broker back from a kill -9 leaves the ISRs and ELRs written before its registration (Kafka\'s handleBrokerUncleanShutdown), then counts as any broker', () => {
    const returning = (uncleanShutdown: boolean, state: Parameters<typeof view>[0], partitionRevision = '7') => {
      const v = view(state);
      v.apply(keys.broker(2), JSON.stringify({ nodeId: 2, rack: null, listeners: [], ...(uncleanShutdown ? { uncleanShutdown } : {}) }), '8', '8');
      v.apply(keys.partition('t', 0), v.raw.get(keys.partition('t', 0))!, partitionRevision, '7');
      return plan(v);
    };
    // Every ISR member died in turn: ISR empty, ELR 1 and 2, last known leader 1; broker 2 comes back.
    const leaderless = { leader: -1, isr: [], elr: [1, 2], lastKnownElr: [1], dead: [1, 2] };
    expect(returning(false, leaderless)[0]!.next).toEqual({ leader: 2, leaderEpoch: 5, isr: [2], elr: [1] });
    expect(returning(true, leaderless)).toEqual([{ topic: 't', partition: 0, next: { leader: -1, leaderEpoch: 4, isr: [], elr: [1], lastKnownElr: [1] }, modRevision: '7', reason: 'unclean-shutdown' }]);
    // Once out of the ISR and ELR (or the partition written after its registration), it is any broker again.
    expect(returning(true, { ...leaderless, elr: [1] })).toEqual([]);
    expect(returning(true, leaderless, '9')[0]!.next).toEqual({ leader: 2, leaderEpoch: 5, isr: [2], elr: [1] });
    // An RF-1 partition: out of the ELR, then elected as the last known leader (Kafka's balanced recovery).
    const rf1 = { replicas: [2], leader: -1, isr: [], elr: [2], lastKnownElr: [2], dead: [2] };
    expect(returning(true, rf1)[0]!.next).toEqual({ leader: -1, leaderEpoch: 4, isr: [], lastKnownElr: [2] });
    expect(returning(true, { ...rf1, elr: undefined })[0]!.next).toEqual({ leader: 2, leaderEpoch: 5, isr: [2] });
  });

  it('with eligible.leader.replicas.version finalized at 0 (the features key), keeps no ELR and leaves the last ISR member in the ISR', () => {
    const off = (v: ClusterView) => {
      v.apply(keys.features, JSON.stringify({ 'eligible.leader.replicas.version': 0 }), '9', '9');
      return v;
    };
    const withDefault = (v: ClusterView) => planPartitionChanges(v, { uncleanLeaderElection: false, preferredLeaders: false, minInsyncReplicas: 3 });
    expect(withDefault(off(view({ dead: [3] })))[0]!.next).toEqual({ leader: 1, leaderEpoch: 4, isr: [1, 2] });
    expect(withDefault(off(view({ replicas: [3], leader: 3, dead: [3] })))[0]).toMatchObject({ next: { leader: -1, leaderEpoch: 5, isr: [3] }, reason: 'leader-failed' });
    // Back to 1 (the key rewritten): the ELR again.
    const on = off(view({ dead: [3] }));
    on.apply(keys.features, JSON.stringify({ 'eligible.leader.replicas.version': 1 }), '10', '9');
    expect(withDefault(on)[0]!.next).toEqual({ leader: 1, leaderEpoch: 4, isr: [1, 2], elr: [3] });
  });
});
