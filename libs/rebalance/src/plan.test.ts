import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planRebalance, type PlanBroker, type PlanPartition, type RebalancePlan } from './plan.ts';

const spread = (m: ReadonlyMap<number, number>) => Math.max(...m.values()) - Math.min(...m.values());
const brokersOf = (ids: number[], racks = 0): PlanBroker[] => ids.map((id, i) => ({ id, rack: racks ? `r${i % racks}` : null }));

function plan(brokers: PlanBroker[], partitions: PlanPartition[]): RebalancePlan {
  const r = planRebalance(brokers, partitions);
  if (!r.ok) throw new Error(r.error.message);
  return r.plan;
}

/** Partitions of `topics` topics on the first brokers, as a topic created on a smaller instance would be. */
const clusterArb = (opts: { racks: number }) =>
  fc.record({
    brokers: fc.integer({ min: 1, max: 7 }),
    extra: fc.integer({ min: 0, max: 4 }),
    rf: fc.integer({ min: 1, max: 3 }),
    partitions: fc.array(fc.record({ size: fc.integer({ min: 0, max: 1_000_000 }), shift: fc.nat(20) }), { minLength: 1, maxLength: 40 }),
  }).map(({ brokers, extra, rf, partitions }) => {
    const racks = opts.racks;
    // Equal racks: a multiple of the rack count on both sides of the change.
    const before = racks ? Math.max(racks, Math.ceil(brokers / racks) * racks) : brokers;
    const after = racks ? before + Math.ceil(extra / racks) * racks : before + extra;
    const r = Math.min(rf, before);
    const old = Array.from({ length: before }, (_, i) => i + 1);
    const parts: PlanPartition[] = partitions.map((p, i) => ({
      topic: `t${i % 3}`,
      partition: i,
      sizeBytes: p.size,
      replicas: Array.from({ length: r }, (_, k) => old[(p.shift + k * (racks || 1)) % before]!),
    }));
    return { before: brokersOf(old, racks), after: brokersOf(Array.from({ length: after }, (_, i) => i + 1), racks), parts, rf: r };
  });

function expectValid(p: RebalancePlan, brokers: PlanBroker[], parts: PlanPartition[], rf: (x: PlanPartition) => number) {
  const ids = new Set(brokers.map((b) => b.id));
  p.assignments.forEach((a, i) => {
    expect(new Set(a.replicas).size).toBe(a.replicas.length);
    expect(a.replicas.length).toBe(rf(parts[i]!));
    for (const b of a.replicas) expect(ids.has(b)).toBe(true);
  });
}

describe('planRebalance', () => {
  it('balances replicas and leaders within one per broker and spreads racks, for any equally racked scale-up', () => {
    for (const racks of [0, 2, 3]) {
      fc.assert(
        fc.property(clusterArb({ racks }), ({ after, parts }) => {
          const p = plan(after, parts);
          expectValid(p, after, parts, (x) => x.replicas.length);
          expect(spread(p.replicasPerBroker)).toBeLessThanOrEqual(1);
          expect(spread(p.leadersPerBroker)).toBeLessThanOrEqual(1);
          if (racks) {
            const rackOf = new Map(after.map((b) => [b.id, b.rack]));
            for (const a of p.assignments) expect(new Set(a.replicas.map((b) => rackOf.get(b))).size).toBe(Math.min(a.replicas.length, racks));
          }
        }),
        { numRuns: 150, seed: 20261201 + racks },
      );
    }
  });

  it('is a fixed point: planning the planned assignment moves nothing', () => {
    fc.assert(
      fc.property(clusterArb({ racks: 0 }), ({ after, parts }) => {
        const first = plan(after, parts);
        const again = plan(after, first.assignments.map((a, i) => ({ ...a, sizeBytes: parts[i]!.sizeBytes })));
        expect(again.moves).toEqual([]);
      }),
      { numRuns: 150, seed: 7 },
    );
  });

  it('scale-up copies data only onto the new brokers when the old ones were balanced and partitions are alike', () => {
    // With unequal sizes a chain through an old broker can copy fewer bytes, and bytes come first.
    fc.assert(
      fc.property(clusterArb({ racks: 0 }), ({ before, after, parts }) => {
        const balanced = plan(before, parts).assignments.map((a) => ({ ...a, sizeBytes: 1000 }));
        const p = plan(after, balanced);
        const old = new Set(before.map((b) => b.id));
        for (const m of p.moves) for (const b of m.adding) expect(old.has(b)).toBe(false);
      }),
      { numRuns: 150, seed: 11 },
    );
  });

  it('drains the brokers left out of the target, moving at most one other replica per displaced one', () => {
    fc.assert(
      fc.property(clusterArb({ racks: 0 }), fc.integer({ min: 1, max: 3 }), ({ after, parts }, drop) => {
        const current = plan(after, parts).assignments.map((a) => ({ ...a, sizeBytes: 1000 }));
        const rf = Math.max(...current.map((c) => c.replicas.length));
        const keep = after.slice(0, Math.max(rf, after.length - drop));
        const p = plan(keep, current);
        const left = new Set(after.filter((b) => !keep.includes(b)).map((b) => b.id));
        expectValid(p, keep, current, (x) => x.replicas.length);
        for (const a of p.assignments) for (const b of a.replicas) expect(left.has(b)).toBe(false);
        expect(spread(p.replicasPerBroker)).toBeLessThanOrEqual(1);
        const displaced = current.reduce((n, c) => n + c.replicas.filter((b) => left.has(b)).length, 0);
        // A displaced replica that only fits on a full broker pushes one replica of that broker on.
        expect(p.bytesToCopy).toBeGreaterThanOrEqual(displaced * 1000);
        expect(p.bytesToCopy).toBeLessThanOrEqual(2 * displaced * 1000);
      }),
      { numRuns: 150, seed: 13 },
    );
  });

  it('changes the replication factor in place, keeping the existing replicas', () => {
    const brokers = brokersOf([1, 2, 3, 4]);
    const parts: PlanPartition[] = [0, 1, 2, 3].map((i) => ({ topic: 'orders', partition: i, sizeBytes: 100, replicas: [1 + (i % 4), 1 + ((i + 1) % 4)], replicationFactor: 3 }));
    const p = plan(brokers, parts);
    p.assignments.forEach((a, i) => {
      expect(a.replicas).toHaveLength(3);
      expect(a.replicas).toEqual(expect.arrayContaining(parts[i]!.replicas as number[]));
      expect(a.replicas[0]).toBe(parts[i]!.replicas[0]);
    });
    expect(p.bytesToCopy).toBe(400);
    const down = plan(brokers, p.assignments.map((a) => ({ ...a, sizeBytes: 100, replicationFactor: 1 })));
    expect(down.bytesToCopy).toBe(0);
    expect(down.assignments.map((a) => a.replicas.length)).toEqual([1, 1, 1, 1]);
    expect(spread(down.replicasPerBroker)).toBe(0);
  });

  it('a scale-up spreads every topic onto the new brokers, not only the totals', () => {
    // An instance's 50 empty __consumer_offsets partitions could level 3 -> 5 brokers on their own
    // (nothing copied); the user's topic, where the traffic is, must reach brokers 4 and 5 too.
    const offsets: PlanPartition[] = Array.from({ length: 50 }, (_, p) => ({ topic: '__consumer_offsets', partition: p, sizeBytes: 0, replicas: [0, 1, 2].map((k) => 1 + ((p + k) % 3)) }));
    const orders: PlanPartition[] = Array.from({ length: 6 }, (_, p) => ({ topic: 'orders', partition: p, sizeBytes: 1_000_000, replicas: [1 + (p % 3), 1 + ((p + 1) % 3)] }));
    const p = plan(brokersOf([1, 2, 3, 4, 5]), [...offsets, ...orders]);
    const perBroker = (topic: string) => new Map([1, 2, 3, 4, 5].map((b) => [b, p.assignments.filter((a) => a.topic === topic && a.replicas.includes(b)).length]));
    expect(spread(perBroker('orders'))).toBeLessThanOrEqual(1);
    expect(spread(perBroker('__consumer_offsets'))).toBeLessThanOrEqual(1);
    expect(spread(p.replicasPerBroker)).toBeLessThanOrEqual(1);
    expect(spread(p.leadersPerBroker)).toBeLessThanOrEqual(1);
    // Only what brokers 4 and 5 need of orders is copied: 12 replicas over 5 brokers, 4 of them onto the new ones.
    expect(p.moves.filter((m) => m.topic === 'orders').flatMap((m) => m.adding).sort()).toEqual([4, 4, 5, 5]);
    expect(p.bytesToCopy).toBe(4_000_000);
  });

  it('moves the smallest partitions when some must move', () => {
    // Three brokers, RF 1, everything on broker 1: two of the six partitions stay, the four smallest move.
    const parts: PlanPartition[] = [10, 60, 20, 50, 30, 40].map((size, i) => ({ topic: 't', partition: i, sizeBytes: size, replicas: [1] }));
    const p = plan(brokersOf([1, 2, 3]), parts);
    expect(p.assignments.filter((a) => a.replicas[0] === 1).map((a) => a.partition).sort()).toEqual([1, 3]);
    expect(p.bytesToCopy).toBe(10 + 20 + 30 + 40);
  });

  it('keeps racks spread over balance when racks are uneven', () => {
    // Rack a has one broker, rack b three: with RF 2 every partition needs broker 1.
    const brokers: PlanBroker[] = [{ id: 1, rack: 'a' }, { id: 2, rack: 'b' }, { id: 3, rack: 'b' }, { id: 4, rack: 'b' }];
    const parts: PlanPartition[] = [0, 1, 2].map((i) => ({ topic: 't', partition: i, sizeBytes: 1, replicas: [2, 3] }));
    const p = plan(brokers, parts);
    for (const a of p.assignments) expect(a.replicas).toContain(1);
  });

  it('answers errors as data', () => {
    expect(planRebalance([], [])).toMatchObject({ ok: false, error: { code: 'NO_BROKERS' } });
    expect(planRebalance(brokersOf([1, 1]), [])).toMatchObject({ ok: false, error: { code: 'DUPLICATE_BROKER' } });
    expect(planRebalance(brokersOf([1, 2]), [{ topic: 't', partition: 0, sizeBytes: 0, replicas: [1], replicationFactor: 3 }])).toMatchObject({
      ok: false,
      error: { code: 'INVALID_REPLICATION_FACTOR', topic: 't', partition: 0 },
    });
  });
});
