import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';

// Client quotas with kafkajs: a producer and a consumer held to 1 MB/s by the broker's throttling
// (throttle_time_ms + a muted connection), with no errors. Measured by the client over a steady
// stretch, after the window's initial allowance is spent.
const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');

const MB = 1_000_000;
const VALUE = Buffer.alloc(1024, 120);
let broker: BrokerProcess;
let admin: KafkaAdminClient;

beforeAll(async () => {
  // A 3 s window (3 × 1 s samples) keeps the start-up allowance short; Kafka's default is 11 × 1 s.
  broker = await startBroker({ metrics: true, settings: { 'quota.window.num': '3', 'quota.window.size.seconds': '1', 'group.initial.rebalance.delay.ms': '0' } });
  admin = await KafkaAdminClient.connect(broker.bootstrap);
  await admin.createTopics([{ name: 'metered', partitions: 1, replicationFactor: 1 }]);
});
afterAll(async () => {
  admin?.close();
  await broker?.destroy();
});

const kafka = (clientId: string) => new Kafka({ clientId, brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5 } });

/** Sends 50 × 1 KiB batches back to back for `ms`; returns the bytes acknowledged per second between `fromMs` and the end. */
async function produceFor(clientId: string, ms: number, fromMs: number): Promise<{ rate: number; errors: number }> {
  const producer = kafka(clientId).producer();
  await producer.connect();
  const start = Date.now();
  let measured = 0;
  let measuredFrom = 0;
  let errors = 0;
  while (Date.now() - start < ms) {
    try {
      await producer.send({ topic: 'metered', acks: 1, messages: Array.from({ length: 50 }, () => ({ value: VALUE })) });
    } catch {
      errors++;
    }
    const t = Date.now() - start;
    if (t >= fromMs) {
      if (measuredFrom === 0) measuredFrom = Date.now();
      else measured += 50 * VALUE.length;
    }
  }
  const seconds = (Date.now() - measuredFrom) / 1000;
  await producer.disconnect();
  return { rate: measured / seconds, errors };
}

describe('client quotas (kafkajs)', () => {
  it('AlterClientQuotas and DescribeClientQuotas round-trip, with <default> entities and removal', async () => {
    await admin.alterClientQuotas({ clientId: 'throttled-producer' }, { producer_byte_rate: MB });
    await admin.alterClientQuotas({ user: null }, { request_percentage: 200 });
    await admin.alterClientQuotas({ user: null }, { request_percentage: null });
    await expect(admin.alterClientQuotas({ clientId: 'x' }, { producer_bytes_rate: 5 })).rejects.toMatchObject({ errorName: 'INVALID_REQUEST' });
    expect(await admin.describeClientQuotas()).toEqual([{ entity: { clientId: 'throttled-producer' }, values: { producer_byte_rate: MB } }]);
  });

  it('refuses invalid quota values with INVALID_REQUEST', async () => {
    await expect(admin.alterClientQuotas({ clientId: 'x' }, { producer_byte_rate: -5 })).rejects.toMatchObject({ errorName: 'INVALID_REQUEST' });
  });

  it('controller_mutation_rate: topic creation past the rate gets THROTTLING_QUOTA_EXCEEDED, and succeeds after the throttle', async () => {
    await admin.alterClientQuotas({ clientId: 'mutator' }, { controller_mutation_rate: 2 });
    const mutator = await KafkaAdminClient.connect(broker.bootstrap, { clientId: 'mutator' });
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) outcomes.push((await mutator.createTopics([{ name: `mutated-${i}`, partitions: 2, replicationFactor: 1 }])).get(`mutated-${i}`)?.errorName ?? 'ok');
    expect(outcomes.slice(0, 2)).toEqual(['ok', 'ok']);
    expect(outcomes).toContain('THROTTLING_QUOTA_EXCEEDED');
    // The 3 s window forgets the burst; the refused topic can be created then.
    const refused = outcomes.indexOf('THROTTLING_QUOTA_EXCEEDED');
    await new Promise((r) => setTimeout(r, 3_500));
    expect((await mutator.createTopics([{ name: `mutated-${refused}`, partitions: 2, replicationFactor: 1 }])).get(`mutated-${refused}`)).toBeNull();
    mutator.close();
    await admin.alterClientQuotas({ clientId: 'mutator' }, { controller_mutation_rate: null });
  });

  it('holds a producer to 1 MB/s ± 15% over 20 s without errors, while an unthrottled one runs faster', { timeout: 90_000 }, async () => {
    // The machine must be able to go well past the quota, or a low figure would prove nothing.
    const free = await produceFor('free-producer', 4_000, 1_000);
    expect(free.rate).toBeGreaterThan(3 * MB);
    const held = await produceFor('throttled-producer', 25_000, 5_000);
    expect(held.errors).toBe(0);
    expect(held.rate).toBeGreaterThan(0.85 * MB);
    expect(held.rate).toBeLessThan(1.15 * MB);
    const metrics = await (await fetch(`http://127.0.0.1:${broker.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/tributary_broker_quota_throttle_events_total\{quota="producer_byte_rate",user="ANONYMOUS",client_id="throttled-producer"\} [1-9]/);
  });

  it('holds a consumer group to 1 MB/s ± 15% by its group quota (consumer-group entity)', { timeout: 90_000 }, async () => {
    await admin.alterClientQuotas({ group: 'metered-readers' }, { consumer_byte_rate: MB, group_max_members: 1 });
    expect(await admin.describeClientQuotas()).toContainEqual({ entity: { group: 'metered-readers' }, values: { consumer_byte_rate: MB, group_max_members: 1 } });
    // Enough data for 20 s at the quota is already in the topic from the producers above.
    const consumer = kafka('throttled-consumer').consumer({ groupId: 'metered-readers', maxBytes: 256 * 1024, maxBytesPerPartition: 256 * 1024 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'metered', fromBeginning: true });
    let bytes = 0;
    let first = 0;
    await consumer.run({
      eachBatch: async ({ batch }: { batch: { messages: { value: Buffer }[] } }) => {
        const now = Date.now();
        if (first === 0) first = now;
        // The first 5 s spend the window's start-up allowance; measure what follows.
        if (now - first >= 5_000) for (const m of batch.messages) bytes += m.value.length;
      },
    });
    const start = Date.now();
    while (first === 0 && Date.now() - start < 20_000) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 5_000 + 15_000));
    const rate = bytes / 15;
    const metrics = await (await fetch(`http://127.0.0.1:${broker.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/tributary_broker_group_throttle_ms_total\{group="metered-readers"\} [1-9]/);
    // The group's member limit is 1: a second member is refused while the first is in.
    const second = kafka('second-reader').consumer({ groupId: 'metered-readers', retry: { retries: 0 } });
    await second.connect();
    await second.subscribe({ topic: 'metered' });
    const refused = new Promise<Error>((resolve) => second.on(second.events.CRASH, (e: { payload: { error: Error } }) => resolve(e.payload.error)));
    await second.run({ eachMessage: async () => undefined });
    expect((await Promise.race([refused, new Promise<null>((r) => setTimeout(() => r(null), 15_000))]))?.message).toMatch(/maximum size|max/i);
    await second.disconnect();
    await consumer.disconnect();
    expect(rate).toBeGreaterThan(0.85 * MB);
    expect(rate).toBeLessThan(1.15 * MB);
  });
});
