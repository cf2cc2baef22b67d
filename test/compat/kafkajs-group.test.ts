import { createRequire } from 'node:module';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';

// kafkajs consumer groups: three members share a six-partition topic through rebalances as members
// join and leave, commit, and a new consumer resumes from the committed offsets after a broker restart.
const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');
let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startBroker({ settings: { 'group.initial.rebalance.delay.ms': '0' } });
});
afterAll(async () => {
  await broker?.destroy();
});

const client = () => new Kafka({ clientId: 'group-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });

async function produce(kafka: ReturnType<typeof client>, from: number, count: number) {
  const producer = kafka.producer();
  await producer.connect();
  for (let i = from; i < from + count; i += 50) {
    await producer.send({ topic: 'orders', messages: Array.from({ length: 50 }, (_, j) => ({ key: `k${i + j}`, value: String(i + j) })) });
  }
  await producer.disconnect();
}

function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

it('shares partitions among members through joins and leaves, commits, and resumes after a restart', { timeout: 120_000 }, async () => {
  const kafka = client();
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 6 }] });
  await admin.disconnect();
  await produce(kafka, 0, 600);

  const seen = new Map<number, string>();
  const assignments = new Map<string, number[]>();
  const consumers = ['a', 'b', 'c'].map((name) => {
    const consumer = kafka.consumer({ groupId: 'g1', sessionTimeout: 10_000, heartbeatInterval: 300, rebalanceTimeout: 10_000 });
    consumer.on(consumer.events.GROUP_JOIN, (e: { payload: { memberAssignment: Record<string, number[]> } }) => assignments.set(name, e.payload.memberAssignment.orders ?? []));
    return { name, consumer };
  });
  for (const { name, consumer } of consumers) {
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }: { message: { value: Buffer } }) => void seen.set(Number(message.value.toString()), name) });
  }
  await until(() => seen.size === 600, 60_000, 'all 600 messages');
  await until(() => [...assignments.values()].flat().length === 6 && assignments.size === 3 && [...assignments.values()].every((p) => p.length === 2), 30_000, 'three members with two partitions each');
  expect(new Set([...assignments.values()].flat())).toEqual(new Set([0, 1, 2, 3, 4, 5]));

  // A member leaves: the other two take over its partitions.
  await consumers[1]!.consumer.disconnect();
  assignments.delete('b');
  await until(() => [...assignments.values()].flat().length === 6 && assignments.size === 2, 30_000, 'two members covering all six partitions');
  await produce(kafka, 600, 100);
  await until(() => seen.size === 700, 30_000, 'the next 100 messages');
  expect([...seen.entries()].filter(([v]) => v >= 600).every(([, who]) => who !== 'b')).toBe(true);

  const admin2 = kafka.admin();
  await admin2.connect();
  const described = await admin2.describeGroups(['g1']);
  expect(described.groups[0]).toMatchObject({ groupId: 'g1', state: 'Stable', protocolType: 'consumer' });
  expect(described.groups[0].members).toHaveLength(2);
  await admin2.disconnect();

  for (const { consumer } of [consumers[0]!, consumers[2]!]) await consumer.disconnect();

  // Restart the broker; a new member of g1 starts from the committed offsets, not from the beginning.
  await broker.stop();
  broker = await broker.restart();
  const kafka2 = client();
  await produce(kafka2, 700, 50);
  const resumed: number[] = [];
  const late = kafka2.consumer({ groupId: 'g1', sessionTimeout: 10_000, heartbeatInterval: 300 });
  await late.connect();
  await late.subscribe({ topic: 'orders', fromBeginning: true });
  await late.run({ eachMessage: async ({ message }: { message: { value: Buffer } }) => void resumed.push(Number(message.value.toString())) });
  await until(() => resumed.length >= 50, 30_000, 'the 50 messages produced after the restart');
  await new Promise((r) => setTimeout(r, 500));
  await late.disconnect();
  expect(resumed.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => 700 + i));

  const admin3 = kafka2.admin();
  await admin3.connect();
  expect((await admin3.listGroups()).groups).toEqual([expect.objectContaining({ groupId: 'g1', protocolType: 'consumer' })]);
  const offsets = await admin3.fetchOffsets({ groupId: 'g1', topics: ['orders'] });
  expect(offsets[0].partitions.reduce((n: number, p: { offset: string }) => n + Number(p.offset), 0)).toBe(750);
  await admin3.deleteGroups(['g1']);
  expect((await admin3.listGroups()).groups).toEqual([]);
  await admin3.disconnect();
});
