import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { freePort, startTestServices, type TestServices } from '@tributary/testkit';
import { SecretBox } from '@tributary/db';
import { buildApp } from '../../apps/api/src/app.ts';
import { createReconcileQueue, type ReconcileQueue } from '../../apps/api/src/jobs/queue.ts';
import { intervalStart, sampleLagOnce } from '../../apps/api/src/jobs/lag-sampler.ts';
import { generateApiKey } from '../../apps/api/src/plugins/auth.ts';
import { PrismaStore } from '../../apps/api/src/store/prisma-store.ts';
import { DesiredStateStore } from '../../apps/operator/src/store/desired-state-store.ts';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';

// Lag history: the API's sampler reads a real broker's consumer-group offsets and stores each group's
// lag per topic per interval; GET …/lag-history serves it. Ticks are driven with explicit times
// (sampleLagOnce), so the test never waits for a timer.
const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');

let services: TestServices;
let store: PrismaStore;
let statusWriter: DesiredStateStore;
let queue: ReconcileQueue;
let app: FastifyInstance;
let broker: BrokerProcess;
let kafka: InstanceType<typeof Kafka>;
const keys = { admin: '', viewer: '', other: '' };
const spec = { zone: 'zone-a', brokers: 1, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 20, topicLimit: 5, consumerGroupLimit: 10, billing: { mode: 'postpaid' } };
const call = (url: string, key = keys.admin) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });

async function instanceWith(name: string, internal: string[]): Promise<string> {
  const r = await app.inject({ method: 'POST', url: '/v1/instances', headers: { authorization: `Bearer ${keys.admin}` }, payload: { name, labels: {}, spec } });
  expect(r.statusCode, r.body).toBe(202);
  const id = r.json().resource.id as string;
  await statusWriter.saveStatus(id, { phase: 'Running', observedGeneration: 1, internalBootstrapServers: internal, clientBootstrapServers: [], brokers: [], conditions: [], events: [] });
  return id;
}

beforeAll(async () => {
  services = await startTestServices();
  store = await PrismaStore.connect(services.databaseUrl);
  statusWriter = new DesiredStateStore(services.databaseUrl);
  queue = createReconcileQueue(services.redisUrl);
  const account = await store.createAccount('lag');
  const otherAccount = await store.createAccount('elsewhere');
  for (const [name, acc, role] of [['admin', account, 'admin'], ['viewer', account, 'viewer'], ['other', otherAccount, 'admin']] as const) {
    const k = generateApiKey();
    await store.createApiKey(acc, name, role, k.prefix, k.hash);
    keys[name] = k.key;
  }
  // No background sampler here: the test drives the ticks itself.
  app = await buildApp({ store, queue, secrets: SecretBox.generate(), outboxDrainer: false });
  broker = await startBroker({ settings: { 'group.initial.rebalance.delay.ms': '0' } });
  kafka = new Kafka({ clientId: 'lag-history', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5 } });
}, 60_000);

afterAll(async () => {
  await broker?.destroy();
  await app?.close();
  await queue?.close();
  await statusWriter?.close();
  await store?.close();
  await services?.stop();
});

describe('consumer-group lag history', () => {
  it('samples a group\'s lag per topic each interval (a second sample in one interval replaces the first), serves it, and prunes past the retention', async () => {
    const id = await instanceWith('lagged', [broker.bootstrap]);
    // An instance whose brokers do not answer: its failure must not stop the others' samples.
    const dead = await instanceWith('unreachable', [`127.0.0.1:${await freePort()}`]);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'orders', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `m${i}` })) });
    // Offsets committed for an empty group: 3 behind on partition 0, none on partition 1.
    await admin.setOffsets({ groupId: 'billing', topic: 'orders', partitions: [{ partition: 0, offset: '2' }, { partition: 1, offset: '5' }] });

    const opts = { store, everyMs: 60_000, retentionMs: 3600_000 };
    const t0 = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 5_000); // 5 s into an interval
    const first = await sampleLagOnce(opts, t0);
    expect(first).toEqual({ instances: 2, samples: 1, failed: 1 });
    const history = async (key = keys.admin) => call(`/v1/instances/${id}/consumer-groups/billing/lag-history?from=${new Date(t0.getTime() - 3600_000).toISOString()}&to=${new Date(t0.getTime() + 3600_000).toISOString()}`, key);
    let h = (await history()).json();
    expect(h).toMatchObject({ group: 'billing', intervalSeconds: 60, retentionHours: 168 });
    expect(h.series).toEqual([{ topic: 'orders', points: [{ at: intervalStart(t0, 60_000).toISOString(), lag: 3 }] }]);

    // Four more records on partition 1 in the same interval: the interval's point is replaced.
    await producer.send({ topic: 'orders', acks: -1, messages: Array.from({ length: 4 }, () => ({ partition: 1, value: 'late' })) });
    await sampleLagOnce(opts, new Date(t0.getTime() + 1_000));
    h = (await history()).json();
    expect(h.series[0].points).toEqual([{ at: intervalStart(t0, 60_000).toISOString(), lag: 7 }]);

    // Caught up by the next interval: a second point.
    await admin.setOffsets({ groupId: 'billing', topic: 'orders', partitions: [{ partition: 0, offset: '5' }, { partition: 1, offset: '9' }] });
    const t1 = new Date(t0.getTime() + 60_000);
    await sampleLagOnce(opts, t1);
    h = (await history()).json();
    expect(h.series[0].points.map((p: { lag: number }) => p.lag)).toEqual([7, 0]);
    expect((await history(keys.viewer)).statusCode).toBe(200);

    // Past the retention, the first interval's point is gone; the newer one stays.
    await sampleLagOnce({ ...opts, retentionMs: 30_000 }, new Date(t1.getTime() + 1_000));
    h = (await history()).json();
    expect(h.series[0].points).toEqual([{ at: intervalStart(t1, 60_000).toISOString(), lag: 0 }]);
    await producer.disconnect();
    await admin.disconnect();
    expect(dead).toMatch(/^ins-/);
  });

  it('answers problems: another account\'s or a missing instance is 404, an inverted range 422, an unknown group an empty history', async () => {
    const id = (await call('/v1/instances?limit=1')).json().items[0].id as string;
    expect((await call(`/v1/instances/${id}/consumer-groups/billing/lag-history`, keys.other)).statusCode).toBe(404);
    expect((await call('/v1/instances/ins-missing/consumer-groups/billing/lag-history')).json().code).toBe('not-found');
    const inverted = await call(`/v1/instances/${id}/consumer-groups/billing/lag-history?from=2026-12-01T12:00:00.000Z&to=2026-12-01T11:00:00.000Z`);
    expect(inverted.statusCode).toBe(422);
    expect(inverted.json().errors[0].path).toBe('/from');
    const bad = await call(`/v1/instances/${id}/consumer-groups/billing/lag-history?from=yesterday`);
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors.map((e: { path: string }) => e.path)).toContain('/from');
    const none = (await call(`/v1/instances/${id}/consumer-groups/nobody/lag-history`)).json();
    expect(none.series).toEqual([]);
  });
});
