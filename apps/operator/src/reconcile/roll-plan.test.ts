import { describe, expect, it } from 'vitest';
import { planRoll } from './roll-plan.ts';

const full = (n: number, replicas = [1, 2, 3]) => Array.from({ length: n }, (_, partition) => ({ partition, leader: replicas[partition % replicas.length]!, replicas, isr: replicas }));

describe('planRoll', () => {
  it('restarts the first stale broker when every partition is fully replicated', () => {
    expect(planRoll([2, 3], [{ name: 'orders', partitions: full(3) }], new Map([['orders', 2]]))).toEqual({ action: 'restart', nodeId: 2, warnings: [] });
  });

  it('waits while any partition is under-replicated or leaderless, naming them', () => {
    const partitions = full(3);
    partitions[1] = { ...partitions[1]!, isr: [1, 3] };
    const plan = planRoll([3], [{ name: 'orders', partitions }, { name: 'logs', partitions: [{ partition: 0, leader: -1, replicas: [1, 2], isr: [] }] }], new Map());
    expect(plan).toMatchObject({ action: 'wait' });
    expect(plan.action === 'wait' && plan.reason).toMatch(/^2 partition\(s\) under-replicated \(orders-1, logs-0\)/);
  });

  it('goes ahead for partitions that can never keep min.insync.replicas through a restart, with a warning', () => {
    // strict-0 has 3 replicas and min ISR 3, single-0 one replica: neither can keep its minimum
    // through any restart, so the roll goes on and says so; orders (RF 3, min 2) is safe.
    const topics = [
      { name: 'strict', partitions: [{ partition: 0, leader: 1, replicas: [1, 2, 3], isr: [1, 2, 3] }] },
      { name: 'single', partitions: [{ partition: 0, leader: 3, replicas: [3], isr: [3] }] },
      { name: 'orders', partitions: full(3) },
    ];
    const plan = planRoll([3], topics, new Map([['strict', 3], ['single', 1], ['orders', 2]]));
    expect(plan).toMatchObject({ action: 'restart', nodeId: 3 });
    expect(plan.action === 'restart' && plan.warnings).toEqual([
      'topic strict: 1 partition(s) have 3 replica(s) with min.insync.replicas 3; they refuse acks=all writes while broker 3 restarts',
      'topic single: 1 partition(s) have 1 replica(s) with min.insync.replicas 1; they refuse acks=all writes and reads while broker 3 restarts',
    ]);
  });
});
