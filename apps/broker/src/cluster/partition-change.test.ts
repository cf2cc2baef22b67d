import { describe, expect, it } from 'vitest';
import type { PartitionRecord } from './cluster-view.ts';
import { changePartition, samePartitionState, withElr, type Election } from './partition-change.ts';

/** One change of a partition of `replicas` whose ISR becomes the current one without `dead`. */
function after(current: PartitionRecord, o: { replicas?: number[]; dead?: number[]; live?: number[]; minIsr?: number; election?: Election; targetIsr?: number[]; elrEnabled?: boolean } = {}): PartitionRecord {
  const replicas = o.replicas ?? [1, 2, 3];
  const live = new Set(o.live ?? replicas.filter((id) => !(o.dead ?? []).includes(id)));
  return changePartition({ current, replicas, targetIsr: o.targetIsr ?? current.isr.filter((id) => live.has(id)), live, minIsr: o.minIsr ?? 1, election: o.election ?? 'online', elrEnabled: o.elrEnabled });
}

describe('changePartition: leader election', () => {
  it('keeps a live in-sync leader and its epoch', () => {
    const current = { leader: 1, leaderEpoch: 3, isr: [1, 2, 3] };
    expect(samePartitionState(after(current), current)).toBe(true);
  });

  it('picks the next live ISR member in replica order and bumps the epoch', () => {
    expect(after({ leader: 1, leaderEpoch: 3, isr: [1, 2, 3] }, { replicas: [1, 3, 2], dead: [1] })).toEqual({ leader: 3, leaderEpoch: 4, isr: [2, 3] });
  });

  it('never picks a replica outside the ISR and ELR without unclean election; with it, any live replica becomes the whole ISR and the ELR is cleared', () => {
    const current = { leader: -1, leaderEpoch: 4, isr: [], elr: [1], lastKnownElr: [1] };
    expect(samePartitionState(after(current, { dead: [1] }), current)).toBe(true);
    expect(after(current, { dead: [1], election: 'unclean' })).toEqual({ leader: 2, leaderEpoch: 5, isr: [2] });
  });

  it('elects the returning ISR member of a leaderless partition written before the ELR existed (its record has no elr fields)', () => {
    expect(after({ leader: -1, leaderEpoch: 4, isr: [1] })).toEqual({ leader: 1, leaderEpoch: 5, isr: [1] });
  });
});

describe('changePartition and withElr: eligible leader replicas (KIP-966, as Kafka 4.4 on 3 nodes)', () => {
  it('an ISR shrinking below min.insync.replicas puts the dropped replica in the ELR; at min ISR the ELR stays empty', () => {
    // Kafka 4.4, broker 3 killed: min.insync.replicas=3 gives Isr: 1,2 Elr: 3; =2 gives Isr: 1,2 Elr: (none).
    expect(after({ leader: 1, leaderEpoch: 0, isr: [1, 2, 3] }, { dead: [3], minIsr: 3 })).toEqual({ leader: 1, leaderEpoch: 0, isr: [1, 2], elr: [3] });
    expect(after({ leader: 1, leaderEpoch: 0, isr: [1, 2, 3] }, { dead: [3], minIsr: 2 })).toEqual({ leader: 1, leaderEpoch: 0, isr: [1, 2] });
    // The leader's own shrink (a lagging follower) is bookkept the same way.
    expect(withElr({ leader: 1, leaderEpoch: 2, isr: [1, 3] }, { leader: 1, isr: [1] }, 2)).toEqual({ leader: 1, leaderEpoch: 2, isr: [1], elr: [3] });
  });

  it('an ELR member back in the ISR leaves the ELR, and the ELR is cleared once the ISR is at min ISR again', () => {
    const shrunk = { leader: 1, leaderEpoch: 0, isr: [1], elr: [2, 3] };
    expect(withElr(shrunk, { leader: 1, isr: [1, 2] }, 3)).toEqual({ leader: 1, leaderEpoch: 0, isr: [1, 2], elr: [3] });
    expect(withElr(shrunk, { leader: 1, isr: [1, 2, 3] }, 3)).toEqual({ leader: 1, leaderEpoch: 0, isr: [1, 2, 3] });
    expect(withElr({ leader: 1, leaderEpoch: 0, isr: [1, 2], elr: [3] }, { leader: 1, isr: [1, 2] }, 2)).toEqual({ leader: 1, leaderEpoch: 0, isr: [1, 2] });
  });

  it('the last ISR member dying empties the ISR: no leader, the replica in the ELR and as LastKnownElr (Kafka 4.4: an RF-1 partition on a killed broker)', () => {
    expect(after({ leader: 3, leaderEpoch: 0, isr: [3] }, { replicas: [3], dead: [3], minIsr: 1 })).toEqual({ leader: -1, leaderEpoch: 1, isr: [], elr: [3], lastKnownElr: [3] });
  });

  it('an ELR member that comes back leads cleanly: it becomes the ISR, leaves the ELR, and LastKnownElr is cleared', () => {
    const leaderless = { leader: -1, leaderEpoch: 1, isr: [], elr: [3], lastKnownElr: [3] };
    expect(after(leaderless, { replicas: [3], minIsr: 1 })).toEqual({ leader: 3, leaderEpoch: 2, isr: [3] });
  });

  it('RF 3 at min ISR 2 losing all three: the ELR collects them in turn and the first to come back leads, the others staying eligible', () => {
    const opts = { minIsr: 2 };
    let p: PartitionRecord = { leader: 1, leaderEpoch: 0, isr: [1, 2, 3] };
    p = after(p, { ...opts, dead: [3] });
    expect(p).toEqual({ leader: 1, leaderEpoch: 0, isr: [1, 2] });
    p = after(p, { ...opts, dead: [2, 3] });
    expect(p).toEqual({ leader: 1, leaderEpoch: 0, isr: [1], elr: [2] });
    p = after(p, { ...opts, dead: [1, 2, 3] });
    expect(p).toEqual({ leader: -1, leaderEpoch: 1, isr: [], elr: [1, 2], lastKnownElr: [1] });
    // Broker 3 left while the ISR was at min ISR: not eligible, it cannot lead cleanly.
    expect(samePartitionState(after(p, { ...opts, live: [3] }), p)).toBe(true);
    p = after(p, { ...opts, live: [2, 3] });
    expect(p).toEqual({ leader: 2, leaderEpoch: 2, isr: [2], elr: [1] });
  });

  it('with ISR and ELR empty, the last known leader is elected when it is alive (Kafka\'s balanced recovery), without unclean election', () => {
    const p = { leader: -1, leaderEpoch: 1, isr: [], lastKnownElr: [2] };
    expect(after(p, { live: [1, 2] })).toEqual({ leader: 2, leaderEpoch: 2, isr: [2] });
    expect(samePartitionState(after(p, { live: [1] }), p)).toBe(true);
  });

  it('with unclean.leader.election.enable, a live ELR member is still preferred (a clean election that keeps the rest of the ELR); only with none does an unclean one clear it', () => {
    const p = { leader: -1, leaderEpoch: 1, isr: [], elr: [1, 2], lastKnownElr: [3] };
    expect(after(p, { live: [2, 3], election: 'unclean' })).toEqual({ leader: 2, leaderEpoch: 2, isr: [2], elr: [1] });
    expect(after({ ...p, elr: [1] }, { live: [2], election: 'unclean' })).toEqual({ leader: 2, leaderEpoch: 2, isr: [2] });
  });

  it('a preferred-leader move keeps the ELR and clears LastKnownElr only once there is a leader', () => {
    expect(withElr({ leader: 2, leaderEpoch: 5, isr: [2, 1], elr: [3] }, { leader: 1, isr: [2, 1] }, 3)).toEqual({ leader: 1, leaderEpoch: 6, isr: [2, 1], elr: [3] });
  });

  it('leaves empty lists out of the record, so a partition without ELR is stored as before KIP-966', () => {
    expect(Object.keys(after({ leader: 1, leaderEpoch: 0, isr: [1, 2, 3] }, { dead: [2] }))).toEqual(['leader', 'leaderEpoch', 'isr']);
  });
});

describe('eligible.leader.replicas.version 0 (Kafka 4.4\'s PartitionChangeBuilder with ELR disabled)', () => {
  const off = { elrEnabled: false } as const;

  it('puts no replica in the ELR below min ISR, and a change clears the ELR the partition had', () => {
    expect(after({ leader: 1, leaderEpoch: 0, isr: [1, 2, 3] }, { ...off, dead: [3], minIsr: 3 })).toEqual({ leader: 1, leaderEpoch: 0, isr: [1, 2] });
    // Kafka 4.4 on 3 nodes kept Elr: 3 after the downgrade itself; the partition's next change clears it.
    expect(after({ leader: 1, leaderEpoch: 0, isr: [1, 2], elr: [3] }, { ...off, dead: [2, 3], minIsr: 3 })).toEqual({ leader: 1, leaderEpoch: 0, isr: [1] });
    expect(withElr({ leader: 1, leaderEpoch: 2, isr: [1, 3], elr: [2] }, { leader: 1, isr: [1] }, 3, false, [], false)).toEqual({ leader: 1, leaderEpoch: 2, isr: [1] });
  });

  it('never empties the ISR: the last member stays in it while the partition has no leader, and leads again once back', () => {
    const leaderless = after({ leader: 3, leaderEpoch: 0, isr: [3] }, { ...off, replicas: [3], dead: [3] });
    expect(leaderless).toEqual({ leader: -1, leaderEpoch: 1, isr: [3] });
    expect(after(leaderless, { ...off, replicas: [3] })).toEqual({ leader: 3, leaderEpoch: 2, isr: [3] });
  });

  it('still elects from the ELR a partition had before the downgrade, and clears it', () => {
    expect(after({ leader: -1, leaderEpoch: 1, isr: [], elr: [3], lastKnownElr: [3] }, { ...off, replicas: [3] })).toEqual({ leader: 3, leaderEpoch: 2, isr: [3], lastKnownElr: [3] });
  });

  it('neither elects nor updates the last known leader', () => {
    const current = { leader: -1, leaderEpoch: 4, isr: [], lastKnownElr: [1] };
    expect(samePartitionState(after(current, { ...off, replicas: [1] }), current)).toBe(true);
    expect(after({ leader: 2, leaderEpoch: 1, isr: [2], lastKnownElr: [1] }, { ...off, dead: [3] })).toEqual({ leader: 2, leaderEpoch: 1, isr: [2], lastKnownElr: [1] });
  });
});
