import { describe, expect, it } from 'vitest';
import { assignReplicas, rackAlternatedOrder } from './replica-assignment.ts';

const threeRacks = [
  { id: 1, rack: 'a' },
  { id: 2, rack: 'a' },
  { id: 3, rack: 'b' },
  { id: 4, rack: 'b' },
  { id: 5, rack: 'c' },
  { id: 6, rack: 'c' },
];

describe('rackAlternatedOrder', () => {
  it('alternates racks', () => {
    expect(rackAlternatedOrder(threeRacks)).toEqual([1, 3, 5, 2, 4, 6]);
  });
  it('treats brokers without a rack as one rack', () => {
    expect(rackAlternatedOrder([{ id: 3, rack: null }, { id: 1, rack: null }])).toEqual([1, 3]);
  });
});

describe('assignReplicas', () => {
  it('puts every replica of a partition on a different broker and rack', () => {
    const result = assignReplicas(threeRacks, 12, 3);
    if (!result.ok) throw new Error(result.error.message);
    const rackOf = new Map(threeRacks.map((b) => [b.id, b.rack]));
    for (const set of result.replicas) {
      expect(new Set(set).size).toBe(3);
      expect(new Set(set.map((id) => rackOf.get(id))).size).toBe(3);
    }
  });

  it('spreads preferred leaders evenly', () => {
    const result = assignReplicas(threeRacks, 12, 3);
    if (!result.ok) throw new Error(result.error.message);
    const leaders = new Map<number, number>();
    for (const set of result.replicas) leaders.set(set[0]!, (leaders.get(set[0]!) ?? 0) + 1);
    expect([...leaders.values()]).toEqual([2, 2, 2, 2, 2, 2]);
  });

  it('uses every broker when the replication factor equals the broker count', () => {
    const brokers = [1, 2, 3].map((id) => ({ id, rack: null }));
    const result = assignReplicas(brokers, 9, 3);
    if (!result.ok) throw new Error(result.error.message);
    for (const set of result.replicas) expect([...set].sort()).toEqual([1, 2, 3]);
  });

  it('continues the rotation when partitions are added', () => {
    const brokers = [1, 2, 3].map((id) => ({ id, rack: null }));
    const all = assignReplicas(brokers, 6, 2);
    const added = assignReplicas(brokers, 3, 2, 3);
    if (!all.ok || !added.ok) throw new Error('assignment failed');
    expect(added.replicas).toEqual(all.replicas.slice(3));
  });

  it('refuses a replication factor above the broker count', () => {
    const result = assignReplicas([{ id: 1, rack: null }], 1, 3);
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_REPLICATION_FACTOR' } });
  });

  it('refuses zero partitions', () => {
    expect(assignReplicas([{ id: 1, rack: null }], 0, 1)).toMatchObject({ ok: false, error: { code: 'INVALID_PARTITIONS' } });
  });
});
