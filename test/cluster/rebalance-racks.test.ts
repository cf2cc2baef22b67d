import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { rebalanceOnto } from '../../apps/operator/src/reconcile/rebalance.ts';
import { startCluster, type TestCluster } from '../support/cluster.ts';
import { until } from '../support/until.ts';

/**
 * The operator's rebalance (issue 20) places replicas over racks (zones): brokers started with
 * --rack advertise it in Metadata, and a partition whose replicas sit in one rack while the
 * instance has two is moved until they span both, with replicas per broker still within ±1.
 */
const RACK: Record<number, string> = { 1: 'zone-a', 2: 'zone-b', 3: 'zone-a', 4: 'zone-b' };
let cluster: TestCluster;
let admin: KafkaAdminClient;

beforeAll(async () => {
  cluster = await startCluster({ brokers: 4, racks: ['zone-a', 'zone-b'], timeoutMs: 90_000 });
  admin = await KafkaAdminClient.connect(cluster.bootstrap[0]!, { timeoutMs: 30_000 });
}, 180_000);
afterAll(async () => {
  admin?.close();
  await cluster?.stop();
}, 60_000);

const rackSpread = async () => (await admin.metadata(['zoned'])).topics[0]!.partitions.map((p) => new Set(p.replicas.map((id) => RACK[id])).size);

describe('rebalancing over racks', () => {
  it('moves replicas crowded into one rack until every partition spans both racks', async () => {
    expect((await admin.createTopics([{ name: 'zoned', partitions: 4, replicationFactor: 2 }])).get('zoned')).toBeNull();
    // Crowd every partition into one rack: zone-a (1, 3) for partitions 0 and 1, zone-b (2, 4) for 2 and 3.
    const crowded = [[1, 3], [3, 1], [2, 4], [4, 2]];
    await until(async () => ((await admin.metadata(['zoned'])).topics[0]?.partitions.length === 4 ? true : null), 'the topic on every broker', 30_000);
    const refused = [...(await admin.alterPartitionReassignments(crowded.map((replicas, partition) => ({ topic: 'zoned', partition, replicas }))))].filter(([, e]) => e !== null);
    expect(refused).toEqual([]);
    await until(async () => ((await rackSpread()).every((n) => n === 1) && (await admin.listPartitionReassignments()).length === 0 ? true : null), 'the crowded placement', 90_000);

    const outcome = await rebalanceOnto(admin, [1, 2, 3, 4]);
    expect(outcome).toMatchObject({ state: 'moving', started: true });
    expect(outcome.state === 'moving' && outcome.message).toContain('fewer racks than it could');
    await until(async () => ((await admin.listPartitionReassignments()).length === 0 ? true : null), 'the moves completing', 120_000);
    expect(await rackSpread()).toEqual([2, 2, 2, 2]);
    // Balance is the planner's goal over every topic (the internal ones too), not per topic.
    const perBroker = new Map<number, number>();
    for (const p of (await admin.metadata(null)).topics.flatMap((t) => t.partitions)) for (const id of p.replicas) perBroker.set(id, (perBroker.get(id) ?? 0) + 1);
    expect(Math.max(...perBroker.values()) - Math.min(...perBroker.values())).toBeLessThanOrEqual(1);
    // Nothing more to do: the next look finds the placement balanced.
    expect(await rebalanceOnto(admin, [1, 2, 3, 4])).toEqual({ state: 'balanced' });
  }, 300_000);
});
