import { createRequire } from 'node:module';
import { Admin } from '@platformatic/kafka';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';

// Committed offsets leave __consumer_offsets in two ways that Kafka defines: OffsetDelete (API 47,
// sent by @platformatic/kafka's admin) and offsets.retention.minutes after a group became empty.
// kafkajs commits and reads the offsets back; a restart shows that the deletions were persisted.
const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');
let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startBroker({ settings: { 'group.initial.rebalance.delay.ms': '0', 'offsets.retention.minutes': '1', 'offsets.retention.check.interval.ms': '500' } });
});
afterAll(async () => {
  await broker?.destroy();
});

const kafka = () => new Kafka({ clientId: 'offsets-lifecycle', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });

async function committed(groupId: string, topics: string[]): Promise<Record<string, string>> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const answer: { topic: string; partitions: { partition: number; offset: string }[] }[] = await admin.fetchOffsets({ groupId, topics });
    return Object.fromEntries(answer.flatMap((t) => t.partitions.map((p) => [`${t.topic}/${p.partition}`, p.offset])));
  } finally {
    await admin.disconnect();
  }
}

it('OffsetDelete removes an empty group\'s offsets for the named partitions only, and refuses a live group\'s subscribed topic', { timeout: 90_000 }, async () => {
  const admin = kafka().admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'od-kept', numPartitions: 1 }, { topic: 'od-dropped', numPartitions: 2 }] });
  await admin.setOffsets({ groupId: 'od', topic: 'od-kept', partitions: [{ partition: 0, offset: '5' }] });
  await admin.setOffsets({ groupId: 'od', topic: 'od-dropped', partitions: [{ partition: 0, offset: '6' }, { partition: 1, offset: '7' }] });

  const pk = new Admin({ clientId: 'od-admin', bootstrapBrokers: [broker.bootstrap] });
  try {
    await pk.deleteConsumerGroupOffsets({ groupId: 'od', topics: [{ name: 'od-dropped', partitionIndexes: [0] }] });
    expect(await committed('od', ['od-kept', 'od-dropped'])).toEqual({ 'od-kept/0': '5', 'od-dropped/0': '-1', 'od-dropped/1': '7' });

    // A running consumer subscribed to od-kept: its offsets there cannot be deleted (GROUP_SUBSCRIBED_TO_TOPIC).
    const producer = kafka().producer();
    await producer.connect();
    await producer.send({ topic: 'od-kept', messages: [{ value: 'x' }] });
    await producer.disconnect();
    const consumer = kafka().consumer({ groupId: 'od-live', sessionTimeout: 10_000 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'od-kept', fromBeginning: true });
    let seen = 0;
    await consumer.run({ eachMessage: async () => void seen++ });
    for (let i = 0; i < 300 && seen === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(seen).toBe(1);
    const refused = await pk.deleteConsumerGroupOffsets({ groupId: 'od-live', topics: [{ name: 'od-kept', partitionIndexes: [0] }] }).then(() => null, (e: unknown) => e);
    expect(JSON.stringify(refused, Object.getOwnPropertyNames(refused ?? {}))).toMatch(/GROUP_SUBSCRIBED_TO_TOPIC|subscribed/i);
    await consumer.disconnect();
  } finally {
    await pk.close();
    await admin.disconnect();
  }

  broker = await (await broker.stop(), broker.restart());
  expect(await committed('od', ['od-kept', 'od-dropped'])).toEqual({ 'od-kept/0': '5', 'od-dropped/0': '-1', 'od-dropped/1': '7' });
});

it('offsets.retention.minutes expires a group\'s offsets a retention after it became empty, and the expiry survives a restart', { timeout: 180_000 }, async () => {
  const producer = kafka().producer();
  await producer.connect();
  await producer.send({ topic: 'od-kept', messages: [{ value: 'y' }] });
  await producer.disconnect();
  const consumer = kafka().consumer({ groupId: 'expiring', sessionTimeout: 10_000 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'od-kept', fromBeginning: true });
  await consumer.run({ autoCommitInterval: 100, eachMessage: async () => {} });
  for (let i = 0; i < 300 && (await committed('expiring', ['od-kept']))['od-kept/0'] === '-1'; i++) await new Promise((r) => setTimeout(r, 200));
  expect((await committed('expiring', ['od-kept']))['od-kept/0']).not.toBe('-1');
  await consumer.disconnect(); // LeaveGroup: the group is empty from now on
  const emptyAt = Date.now();

  // The old standalone group "od" (committed before this test) expires too, counted from its commits.
  let gone = 0;
  for (let i = 0; i < 600; i++) {
    if ((await committed('expiring', ['od-kept']))['od-kept/0'] === '-1') {
      gone = Date.now();
      break;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(gone).toBeGreaterThan(0);
  // Not before the retention (one minute, with a little slack for clocks).
  expect(gone - emptyAt).toBeGreaterThanOrEqual(58_000);
  broker = await (await broker.stop(), broker.restart());
  expect(await committed('expiring', ['od-kept'])).toEqual({ 'od-kept/0': '-1' });
  expect(await committed('od', ['od-kept', 'od-dropped'])).toEqual({ 'od-kept/0': '-1', 'od-dropped/0': '-1', 'od-dropped/1': '-1' });
});

// A broker of an earlier version kept every group in one __consumer_offsets partition. Upgraded to
// Kafka's default of 50 partitions (offsets.topic.num.partitions), it keeps the existing topic's one
// partition, as Kafka keeps an existing offsets topic's count when the setting changes: groups are
// found where they were, and their offsets survive.
it('a broker upgraded from one __consumer_offsets partition keeps the topic and every group\'s committed offsets', { timeout: 90_000 }, async () => {
  const old = await startBroker({ settings: { 'offsets.topic.num.partitions': '1' } });
  let upgraded: BrokerProcess | null = null;
  try {
    const groups = ['upgrade-a', 'upgrade-b', 'upgrade-c'];
    let admin = await KafkaAdminClient.connect(old.bootstrap);
    await admin.createTopics([{ name: 'upgraded', partitions: 2, replicationFactor: 1 }]);
    for (const [i, g] of groups.entries()) await admin.commitOffsets(g, [{ topic: 'upgraded', partition: 0, offset: BigInt(10 + i) }, { topic: 'upgraded', partition: 1, offset: BigInt(20 + i) }]);
    admin.close();
    await old.stop();

    upgraded = await startBroker({ port: old.port, dataDir: old.dataDir, brokerDefaults: true });
    admin = await KafkaAdminClient.connect(upgraded.bootstrap);
    try {
      expect((await admin.metadata(['__consumer_offsets'])).topics[0]!.partitions).toHaveLength(1);
      for (const [i, g] of groups.entries()) expect(await admin.committedOffsets(g, [{ topic: 'upgraded', partitions: [0, 1] }]), g).toEqual([{ topic: 'upgraded', partition: 0, offset: BigInt(10 + i) }, { topic: 'upgraded', partition: 1, offset: BigInt(20 + i) }]);
      // A new group is coordinated as before: in the one partition there is.
      await admin.commitOffsets('upgrade-new', [{ topic: 'upgraded', partition: 0, offset: 1n }]);
      expect(await admin.committedOffsets('upgrade-new', [{ topic: 'upgraded', partitions: [0] }])).toEqual([{ topic: 'upgraded', partition: 0, offset: 1n }]);
    } finally {
      admin.close();
    }
  } finally {
    await (upgraded ?? old).destroy();
  }
});
