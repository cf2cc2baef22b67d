import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { rebalanceOnto } from '../../apps/operator/src/reconcile/rebalance.ts';
import { cancelReassignments } from '../../apps/operator/src/reconcile/rebalance-hold.ts';
import { THROTTLED_REPLICAS, THROTTLE_RATES } from '../../apps/operator/src/reconcile/rebalance-throttle.ts';
import { startCluster, type TestCluster } from '../support/cluster.ts';
import { until } from '../support/until.ts';

/**
 * The operator's own moves on a real 3-broker cluster (issue 20): they run under a replication
 * throttle it sets first and removes once nothing moves (as kafka-reassign-partitions --throttle
 * and --verify do), the look while they run reports it, and a cancel halfway through a copy puts
 * the original replicas back and removes the throttle.
 */
let cluster: TestCluster;
let admin: KafkaAdminClient;

beforeAll(async () => {
  cluster = await startCluster({ brokers: 3, timeoutMs: 90_000 });
  admin = await KafkaAdminClient.connect(cluster.bootstrap[0]!, { timeoutMs: 30_000 });
}, 180_000);
afterAll(async () => {
  admin?.close();
  await cluster?.stop();
}, 60_000);

/** ~`mb` MB of 1 kB records per partition, acks=all. */
async function fill(topic: string, partitions: number, mb: number): Promise<void> {
  const kafka = new Kafka({ clientId: 'throttle-fill', brokers: cluster.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 30 } });
  const producer = kafka.producer();
  await producer.connect();
  try {
    const value = Buffer.alloc(1000, 'x');
    for (let i = 0; i < mb * 10; i++) {
      for (let p = 0; p < partitions; p++) await producer.send({ topic, acks: -1, messages: Array.from({ length: 100 }, () => ({ value, partition: p })) });
    }
  } finally {
    await producer.disconnect();
  }
}

const replicasOf = async (topic: string) => (await admin.metadata([topic])).topics[0]!.partitions.map((p) => [...p.replicas]);
const brokerRates = async () => Promise.all([1, 2, 3].map(async (id) => Object.fromEntries(Object.entries(await admin.describeDynamicBrokerConfigs(id)).filter(([k]) => (THROTTLE_RATES as readonly string[]).includes(k)))));
const topicThrottle = async (topic: string) => {
  const configs = await admin.describeTopicConfigs(topic);
  return Object.fromEntries(THROTTLED_REPLICAS.filter((n) => !configs[n]?.isDefault && configs[n]?.value).map((n) => [n, configs[n]!.value]));
};
const settled = () => until(async () => ((await admin.listPartitionReassignments()).length === 0 ? true : null), 'no reassignment in flight', 120_000);

describe('throttled moves and a cancel', () => {
  it('sets the throttle before the moves, reports it while they run, and removes it once nothing moves', async () => {
    expect((await admin.createTopics([{ name: 'grow', partitions: 2, replicationFactor: 2 }])).get('grow')).toBeNull();
    await fill('grow', 2, 1);
    const before = await replicasOf('grow');
    const started = await rebalanceOnto(admin, [1, 2, 3], new Map([['grow', 3]]), { throttleBytesPerSecond: 4_000_000 });
    expect(started).toMatchObject({ state: 'moving', started: true, throttleBytesPerSecond: 4_000_000 });
    // Set on every broker and, for each moving partition, leader side = the replicas it had, follower side = the one added.
    expect(await brokerRates()).toEqual([1, 2, 3].map(() => ({ 'leader.replication.throttled.rate': '4000000', 'follower.replication.throttled.rate': '4000000' })));
    const added = before.map((r, p) => [1, 2, 3].filter((b) => !r.includes(b)).map((b) => `${p}:${b}`)).flat();
    expect(await topicThrottle('grow')).toEqual({
      'leader.replication.throttled.replicas': before.flatMap((r, p) => r.map((b) => `${p}:${b}`)).sort().join(','),
      'follower.replication.throttled.replicas': added.sort().join(','),
    });
    await settled();
    expect((await replicasOf('grow')).map((r) => r.length)).toEqual([3, 3]);
    // The look after the moves finds nothing to do and takes the throttle away.
    expect(await rebalanceOnto(admin, [1, 2, 3], new Map([['grow', 3]]), { throttleBytesPerSecond: 4_000_000 })).toEqual({ state: 'balanced' });
    expect(await brokerRates()).toEqual([{}, {}, {}]);
    expect(await topicThrottle('grow')).toEqual({});
  }, 300_000);

  it('a cancel while a throttled copy is halfway leaves the original replicas and no throttle', async () => {
    expect((await admin.createTopics([{ name: 'slow', partitions: 1, replicationFactor: 1 }])).get('slow')).toBeNull();
    await fill('slow', 1, 2);
    const [original] = await replicasOf('slow');
    // 20 kB/s for ~2 MB: minutes to copy, so the cancel comes while the new replica holds part of it.
    const started = await rebalanceOnto(admin, [1, 2, 3], new Map([['slow', 2], ['grow', 3]]), { throttleBytesPerSecond: 20_000 });
    expect(started).toMatchObject({ state: 'moving', started: true });
    const moving = await admin.listPartitionReassignments();
    expect(moving.map((m) => m.topic)).toEqual(['slow']);
    const target = moving[0]!.adding[0]!;
    const look = await rebalanceOnto(admin, [1, 2, 3], new Map([['slow', 2]]), { throttleBytesPerSecond: 20_000 });
    expect(look).toMatchObject({ state: 'moving', started: false, throttleBytesPerSecond: 20_000 });

    // Halfway: the new replica holds part of the log, not all of it.
    const sizeOn = async (broker: number) => Number((await admin.describeLogDirsByBroker([{ topic: 'slow', partitions: [0] }])).get(broker)?.flatMap((d) => d.partitions).find((p) => p.topic === 'slow')?.sizeBytes ?? 0);
    const copied = await until(async () => { const n = await sizeOn(target); return n > 0 ? n : null; }, 'the new replica copying', 60_000);
    expect(copied).toBeLessThan(await sizeOn(original![0]!));

    const cancelled = await cancelReassignments(admin, ['op-test']);
    expect(cancelled.partitions).toBe(1);
    expect(await admin.listPartitionReassignments()).toEqual([]);
    expect(await replicasOf('slow')).toEqual([original]);
    expect((await replicasOf('slow'))[0]).not.toContain(target);
    expect(await brokerRates()).toEqual([{}, {}, {}]);
    expect(await topicThrottle('slow')).toEqual({});
    // A second cancel finds nothing moving.
    expect((await cancelReassignments(admin, ['op-again'])).partitions).toBe(0);
  }, 300_000);
});
