import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEtcd, startTestServices, type TestEtcd, type TestServices } from '@tributary/testkit';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { buildApp, createReconcileQueue, type ReconcileQueue } from '../../apps/api/src/index.ts';
import { ensureBootstrapKey } from '../../apps/api/src/bootstrap.ts';
import { PrismaStore } from '../../apps/api/src/store/prisma-store.ts';
import { startOperatorWorker } from '../../apps/operator/src/jobs/worker.ts';
import { InstanceReconciler } from '../../apps/operator/src/reconcile/instance-reconciler.ts';
import { LocalRuntime } from '../../apps/operator/src/runtimes/local/local-runtime.ts';
import { DesiredStateStore } from '../../apps/operator/src/store/desired-state-store.ts';
import { checkDelivery, readAll, startKafkajsProducer } from '../chaos/producers.ts';

// Through the REST API only, with an operator that has etcd: a 3-broker instance comes up as one
// replicated cluster, a topic with replication factor 3 is created through the API, kcat produces
// with acks=all and consumes, a broker setting change rolls the three brokers one at a time while an
// idempotent acks=-1 kafkajs producer runs (zero failed sends, nothing lost), and delete removes it all.
const run = promisify(execFile);
const KEY = 'trib_e2e_cluster_admin_key_0123456789ab';
let services: TestServices;
let etcd: TestEtcd;
let app: Awaited<ReturnType<typeof buildApp>>;
let store: PrismaStore;
let queue: ReconcileQueue;
let operator: { close(): Promise<void> };
let operatorStore: DesiredStateStore;
let runtime: LocalRuntime;
let root: string;

beforeAll(async () => {
  [services, etcd] = await Promise.all([startTestServices(), startEtcd()]);
  store = await PrismaStore.connect(services.databaseUrl);
  queue = createReconcileQueue(services.redisUrl);
  await ensureBootstrapKey(store, KEY);
  app = await buildApp({ store, queue });
  root = mkdtempSync(join(tmpdir(), 'tributary-e2e-cluster-'));
  runtime = new LocalRuntime({ rootDir: root, brokerCommand: [process.execPath, resolve(import.meta.dirname, '../../node_modules/.bin/tributary-broker')], stopGraceMs: 30_000 });
  operatorStore = new DesiredStateStore(services.databaseUrl);
  operator = await startOperatorWorker({ redisUrl: services.redisUrl, store: operatorStore, reconciler: new InstanceReconciler(runtime, { etcdEndpoints: etcd.endpoint }), resyncMs: 2_000 });
}, 90_000);

afterAll(async () => {
  await operator?.close();
  for (const id of (await runtime?.knownInstances()) ?? []) await runtime.deleteCluster(id);
  await operatorStore?.close();
  await app?.close();
  await queue?.close();
  await store?.close();
  await etcd?.stop();
  await services?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
}, 120_000);

const api = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
  app.inject({ method, url, payload, headers: { authorization: `Bearer ${KEY}`, ...(payload ? { 'content-type': 'application/json' } : {}) } });

async function until<T>(probe: () => Promise<T | null>, what: string, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== null) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const spec = { zone: 'zone-a', brokers: 3, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 100, topicLimit: 10, consumerGroupLimit: 10, billing: { mode: 'postpaid' } };

it('runs a 3-broker instance, an RF 3 topic, acks=all clients, a rolling restart under load with no failed send, and deletes it', { timeout: 300_000 }, async () => {
  const created = await api('POST', '/v1/instances', { name: 'e2e-cluster', spec });
  expect(created.statusCode).toBe(202);
  const id = created.json().resource.id as string;

  let seen: unknown;
  const running = await until(async () => {
    const body = (await api('GET', `/v1/instances/${id}`)).json();
    seen = body;
    return body.status?.phase === 'Running' ? body : null;
  }, 'the instance to be Running').catch((err: Error) => {
    throw new Error(`${err.message}; last seen: ${JSON.stringify(seen)}`);
  });
  const bootstrap = (running.status.bootstrapServers as string).split(',');
  expect(bootstrap).toHaveLength(3);
  expect(running.status.brokers).toBe(3);
  expect(running.status.conditions).toContainEqual(expect.objectContaining({ type: 'BrokersHealthy', status: 'True' }));

  expect((await api('POST', `/v1/instances/${id}/topics`, { name: 'orders', partitions: 6, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } })).statusCode).toBe(202);
  await until(async () => ((await api('GET', `/v1/instances/${id}/topics/orders`)).json().status?.phase === 'Ready' ? true : null), 'the topic to be Ready');
  const admin = await KafkaAdminClient.connect(bootstrap[0]!);
  try {
    const orders = await until(async () => {
      const t = (await admin.metadata(['orders'])).topics[0]!;
      return t.partitions.length === 6 && t.partitions.every((p) => p.isr.length === 3) ? t : null;
    }, 'orders fully replicated');
    for (const p of orders.partitions) expect([...p.replicas].sort()).toEqual([1, 2, 3]);
    expect(new Set(orders.partitions.map((p) => p.leader)).size).toBe(3);
  } finally {
    admin.close();
  }

  // kcat (librdkafka) with acks=all against all three bootstrap servers, then read back.
  await new Promise<void>((done, fail) => {
    const child = spawn('kcat', ['-P', '-b', bootstrap.join(','), '-t', 'orders', '-K:', '-X', 'acks=all'], { stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`kcat -P exited ${code}`))));
    child.stdin.end(Array.from({ length: 1000 }, (_, i) => `k${i}:v${i}`).join('\n') + '\n');
  });
  const { stdout } = await run('kcat', ['-C', '-b', bootstrap.join(','), '-t', 'orders', '-o', 'beginning', '-e', '-q', '-f', '%s\n'], { timeout: 60_000 });
  expect(stdout.split('\n').filter(Boolean).sort()).toEqual(Array.from({ length: 1000 }, (_, i) => `v${i}`).sort());

  // A broker setting change through the API rolls the brokers while a producer keeps writing.
  const hashes = (await runtime.observe(id))!.brokers.map((b) => b.configHash);
  const producer = startKafkajsProducer(() => bootstrap, 'orders', 'roll');
  await new Promise((r) => setTimeout(r, 2_000));
  const updated = await api('PUT', `/v1/instances/${id}`, { spec: { ...spec, brokerConfig: { 'log.retention.ms': '7200000' } } });
  expect(updated.statusCode).toBe(202);
  const generation = updated.json().resource.generation as number;
  const rolled = await until(async () => {
    const body = (await api('GET', `/v1/instances/${id}`)).json();
    seen = body;
    return body.status?.phase === 'Running' && body.status.observedGeneration === generation ? body : null;
  }, 'the rolling restart to finish', 180_000).catch((err: Error) => {
    throw new Error(`${err.message}; last seen: ${JSON.stringify(seen)}`);
  });
  expect(rolled.status.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'True' }));
  const after = (await runtime.observe(id))!.brokers;
  expect(after.every((b) => b.running && b.configHash !== null && !hashes.includes(b.configHash))).toBe(true);
  await new Promise((r) => setTimeout(r, 2_000));
  const outcome = await producer.stop();
  expect(outcome.failed).toEqual([]);
  expect(outcome.acked.length).toBeGreaterThan(20);
  expect(checkDelivery(await readAll(bootstrap, 'orders'), [outcome])).toEqual([]);

  expect((await api('DELETE', `/v1/instances/${id}?force=true`)).statusCode).toBe(202);
  await until(async () => ((await runtime.observe(id)) === null ? true : null), 'the instance processes and data to be gone');
  await expect(run('kcat', ['-L', '-b', bootstrap.join(','), '-m', '3'], { timeout: 15_000 })).rejects.toThrow();
});
