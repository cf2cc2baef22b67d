import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { BROKER_NODE_FLAGS } from '@tributary/contracts';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { migrate } from '@tributary/db';
import { startTestServices, until, type TestServices } from '@tributary/testkit';
import { LocalRuntime } from '../runtimes/local/local-runtime.ts';
import type { BrokerClusterSpec } from '../runtimes/runtime.ts';
import { meteringPass } from './collector.ts';
import { startMeteringWorker } from './metering-job.ts';
import { UsageStore } from './usage-store.ts';

// Metering end to end: a real broker (local runtime, the tributary-broker binary), real PostgreSQL
// with the project's migrations, and Redis for the BullMQ job. Samples are stamped with minutes of a
// fixed past hour so that the test decides when the hour closes.
const brokerBin = resolve(import.meta.dirname, '../../../../node_modules/.bin/tributary-broker');
// Test brokers keep 3 __consumer_offsets partitions, not Kafka's 50 (test/support/broker-process.ts TEST_BROKER_SETTINGS).
const TEST_BROKER_ARGS = ['--set', 'offsets.topic.num.partitions=3'];
const ID = 'ins-metering';
const spec: BrokerClusterSpec = { instanceId: ID, brokers: 1, brokerConfig: {}, configHash: 'metering-1' };
const HOUR = Date.parse('2026-11-30T10:00:00Z');
const at = (minutes: number) => new Date(HOUR + minutes * 60_000);
const MESSAGE = 1_000;
/**
 * Metered bytes are record batches as the client sent them: the payload plus the batch header (61
 * bytes) and each record's framing (~10 bytes). Measured with kafkajs batches of 50 uncompressed
 * 1,000-byte values: 1.14 % over the payload, in and out alike; the test allows up to 5 %.
 */
const TOLERANCE = 1.05;

let services: TestServices;
let store: UsageStore;
let root: string;
let runtime: LocalRuntime;
let kafka: Kafka;
let producer: Producer;

async function ready() {
  return until(async () => {
    const o = await runtime.observe(ID);
    return o?.brokers.every((b) => b.ready) && o.brokers.length === 1 ? o : null;
  }, 'broker ready', 120_000);
}
const pass = (minute: number, now = at(30)) => meteringPass({ instanceIds: [ID], runtime, store, minute: at(minute), now, graceMs: 5 * 60_000 });
async function usage() {
  const rows = await store.db.usageHour.findMany({ where: { instanceId: ID, hourStart: new Date(HOUR) } });
  return Object.fromEntries(rows.map((r) => [r.dimension, Number(r.quantity.toFixed(0))]));
}
async function produce(n: number) {
  for (let i = 0; i < n; i += 50) {
    await producer.send({ topic: 'metered', acks: -1, messages: Array.from({ length: Math.min(50, n - i) }, () => ({ value: Buffer.alloc(MESSAGE, 'x') })) });
  }
}

beforeAll(async () => {
  services = await startTestServices();
  await migrate(services.databaseUrl);
  store = new UsageStore(services.databaseUrl);
  root = mkdtempSync(join(tmpdir(), 'tributary-metering-'));
  runtime = new LocalRuntime({ rootDir: root, brokerCommand: [process.execPath, ...BROKER_NODE_FLAGS, brokerBin, ...TEST_BROKER_ARGS], stopGraceMs: 10_000 });
  await runtime.ensureBrokers(spec);
  const obs = await ready();
  // As the operator does: the topic, a SCRAM user and its ACLs through the internal endpoint; the
  // clients use the client (SASL) endpoint as that user, so chargeback names the user.
  const admin = await KafkaAdminClient.connect(obs.internalBootstrapServers[0]!);
  try {
    await admin.createTopics([{ name: 'metered', partitions: 2, replicationFactor: 1 }]);
    expect([...(await admin.alterUserScramCredentials([{ user: 'billy', mechanism: 'SCRAM-SHA-512', password: 'billy-secret', iterations: 4096 }])).values()]).toEqual([null]);
    const allow = (resourceType: 'TOPIC' | 'GROUP', resourceName: string, operation: 'READ' | 'WRITE' | 'DESCRIBE') => ({ resourceType, resourceName, patternType: 'LITERAL' as const, principal: 'User:billy', host: '*', operation, permission: 'ALLOW' as const });
    await admin.createAcls([allow('TOPIC', 'metered', 'WRITE'), allow('TOPIC', 'metered', 'READ'), allow('TOPIC', 'metered', 'DESCRIBE'), allow('GROUP', 'metering-reader', 'READ')]);
  } finally {
    admin.close();
  }
  kafka = new Kafka({ clientId: 'metering-test', brokers: obs.clientBootstrapServers, sasl: { mechanism: 'scram-sha-512', username: 'billy', password: 'billy-secret' }, logLevel: logLevel.NOTHING, retry: { retries: 10 } });
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
}, 240_000);
afterAll(async () => {
  await producer?.disconnect();
  await runtime?.deleteCluster(ID);
  await store?.close();
  await services?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('metering (real broker, PostgreSQL, Redis)', () => {
  it('bytes produced and consumed are the hour\'s bytes in and out, by topic and principal', { timeout: 90_000 }, async () => {
    expect((await pass(0)).scraped).toBe(1);
    await produce(500);
    await pass(1);
    const afterProduce = await usage()
    expect(afterProduce['bytes-in-gib']).toBeGreaterThanOrEqual(500 * MESSAGE);
    expect(afterProduce['bytes-in-gib']).toBeLessThanOrEqual(500 * MESSAGE * TOLERANCE);
    expect(afterProduce['partition-hour']).toBe(2 * 2 * 60); // 2 replicas hosted, 2 samples of 60 s
    expect(afterProduce['running-broker-hour']).toBe(2 * 60); // one broker seen running in 2 samples
    expect(afterProduce['disk-used-gib-hour']).toBeGreaterThan(0);
    expect(afterProduce['peak-bandwidth-mbps-hour']).toBeGreaterThanOrEqual(Math.floor((500 * MESSAGE) / 60));

    const consumer = kafka.consumer({ groupId: 'metering-reader' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'metered', fromBeginning: true });
    let read = 0;
    await consumer.run({ eachMessage: async () => { read++; } });
    await until(async () => read >= 500, '500 messages read', 60_000);
    await consumer.disconnect();
    await pass(2);
    const u = await usage()
    expect(u['bytes-out-gib']).toBeGreaterThanOrEqual(500 * MESSAGE);
    expect(u['bytes-out-gib']).toBeLessThanOrEqual(500 * MESSAGE * TOLERANCE);
    const chargeback = await store.db.chargebackHour.findMany({ where: { instanceId: ID, hourStart: new Date(HOUR) }, orderBy: { direction: 'asc' } });
    expect(chargeback.map((c) => [c.direction, c.topic, c.principal, c.listener, Number(c.bytes)])).toEqual([
      ['in', 'metered', 'User:billy', 'SASL_PLAINTEXT', u['bytes-in-gib']],
      ['out', 'metered', 'User:billy', 'SASL_PLAINTEXT', u['bytes-out-gib']],
    ]);
  });

  it('a re-run, a run killed after storing its samples and two operators at once count nothing twice', { timeout: 60_000 }, async () => {
    const before = await usage();
    expect((await pass(2)).inserted).toBe(0);
    // two operators on the same minute, and a run that died after its insert (its samples stay)
    const [a, b] = await Promise.all([pass(3), pass(3)]);
    expect(a.inserted + b.inserted).toBe(1);
    // the one new sample: its minute of partition replicas and of one broker running
    expect(await usage()).toEqual({ ...before, 'partition-hour': before['partition-hour']! + 120, 'running-broker-hour': before['running-broker-hour']! + 60, 'disk-used-gib-hour': (await usage())['disk-used-gib-hour'] });
    expect(await store.db.meterSample.count({ where: { instanceId: ID } })).toBe(4);
    expect(await store.db.usageHour.count({ where: { instanceId: ID } })).toBe(6);
  });

  it('a broker restart loses and doubles nothing; a closed hour never changes and late usage becomes an adjustment', { timeout: 90_000 }, async () => {
    const before = await usage();
    await runtime.restartBroker(spec, 1);
    await ready();
    await pass(4);
    expect((await usage())['bytes-in-gib']).toBe(before['bytes-in-gib']);
    await produce(100);
    await pass(5);
    const grown = (await usage())['bytes-in-gib']! - before['bytes-in-gib']!;
    expect(grown).toBeGreaterThanOrEqual(100 * MESSAGE);
    expect(grown).toBeLessThanOrEqual(100 * MESSAGE * TOLERANCE);

    // two hours later the hour closes; a late run stamped with its last minute is an adjustment
    await pass(6, at(120));
    const closed = await store.db.usageHour.findMany({ where: { instanceId: ID, hourStart: new Date(HOUR) } });
    expect(closed.every((r) => r.closed)).toBe(true);
    const frozen = await usage();
    await produce(20);
    const late = await pass(59, at(121));
    expect(late.adjusted).toBeGreaterThanOrEqual(1);
    expect(await usage()).toEqual(frozen);
    const adj = await store.db.usageAdjustment.findMany({ where: { instanceId: ID, dimension: 'bytes-in-gib' } });
    expect(adj).toHaveLength(1);
    expect(Number(adj[0]!.quantity)).toBeGreaterThanOrEqual(20 * MESSAGE);
    expect(Number(adj[0]!.quantity)).toBeLessThanOrEqual(20 * MESSAGE * TOLERANCE);
    // the same late run again adds no second adjustment
    expect((await pass(59, at(121))).adjusted).toBe(0);
  });

  it('the BullMQ job meters every instance each interval', { timeout: 60_000 }, async () => {
    const passes: number[] = [];
    const worker = await startMeteringWorker({ redisUrl: services.redisUrl, store, runtime, instanceIds: async () => [ID], everyMs: 1_000, onPass: (r) => passes.push(r.scraped) });
    try {
      await until(async () => passes.length > 0, 'a pass of the job');
      expect(passes[0]).toBe(1);
      const row = await store.db.meterSample.findFirst({ where: { instanceId: ID, minute: { gte: new Date(Date.now() - 120_000) } } });
      expect(row?.nodeId).toBe(1);
    } finally {
      await worker.close();
    }
  });
});
