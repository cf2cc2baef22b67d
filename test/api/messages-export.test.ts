import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { SecretBox } from '@tributary/db';
import { startTestServices, type TestServices } from '@tributary/testkit';
import { buildApp } from '../../apps/api/src/app.ts';
import { createReconcileQueue, type ReconcileQueue } from '../../apps/api/src/jobs/queue.ts';
import { generateApiKey } from '../../apps/api/src/plugins/auth.ts';
import { PrismaStore } from '../../apps/api/src/store/prisma-store.ts';
import { DesiredStateStore } from '../../apps/operator/src/store/desired-state-store.ts';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';

// An export of 100,000 messages (~210 MB of NDJSON) streams in bounded memory. Measured as the
// growth of this process's peak RSS (VmHWM, reset through /proc/self/clear_refs after a warm-up):
// the API and the reading client both run here, so an exporter that held the export (or let the
// socket buffer it) would grow by more than the export's size; a bounded one by a fraction of it.
const COUNT = 100_000;
const VALUE_BYTES = 2048;
const GROWTH_LIMIT = 120 * 1024 * 1024;

let services: TestServices;
let store: PrismaStore;
let statusWriter: DesiredStateStore;
let queue: ReconcileQueue;
let app: FastifyInstance;
let base: string;
let broker: BrokerProcess;
let key = '';
let instanceId = '';

const kib = (line: string) => Number(/^(?:VmRSS|VmHWM):\s+(\d+) kB/m.exec(line)?.[1] ?? NaN) * 1024;
const status = () => readFileSync('/proc/self/status', 'utf8');
const rss = () => kib(status().split('\n').find((l) => l.startsWith('VmRSS:'))!);
const peak = () => kib(status().split('\n').find((l) => l.startsWith('VmHWM:'))!);

/** kcat -P fed from a generator, with back-pressure: the 200 MB input never sits in memory. */
function produce(args: string[], lines: () => Generator<string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', ['-P', ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`kcat -P exited ${code}: ${stderr.slice(-2000)}`));
    });
    const it = lines();
    const pump = () => {
      for (;;) {
        const next = it.next();
        if (next.done) return void child.stdin.end();
        if (!child.stdin.write(next.value)) return void child.stdin.once('drain', pump);
      }
    };
    pump();
  });
}

beforeAll(async () => {
  services = await startTestServices();
  store = await PrismaStore.connect(services.databaseUrl);
  statusWriter = new DesiredStateStore(services.databaseUrl);
  queue = createReconcileQueue(services.redisUrl);
  const account = await store.createAccount('export');
  const k = generateApiKey();
  key = k.key;
  const keyId = await store.createApiKey(account, 'admin', 'admin', k.prefix, k.hash);
  app = await buildApp({ store, queue, secrets: SecretBox.generate() });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  broker = await startBroker({ extraListeners: ['SASL_PLAINTEXT'], settings: { 'tributary.trusted.listeners': 'PLAINTEXT' }, timeoutMs: 30_000 });
  const r = await app.inject({ method: 'POST', url: '/v1/instances', headers: { authorization: `Bearer ${key}` }, payload: { name: 'export', labels: {}, spec: { zone: 'zone-a', brokers: 1, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 50, topicLimit: 20, consumerGroupLimit: 10, billing: { mode: 'postpaid' } } } });
  instanceId = r.json().resource.id;
  await statusWriter.saveStatus(instanceId, { phase: 'Running', observedGeneration: 1, internalBootstrapServers: [broker.bootstrap], clientBootstrapServers: [broker.addresses.SASL_PLAINTEXT!], brokers: [], conditions: [], events: [] });
  const root = await KafkaAdminClient.connect(broker.bootstrap);
  try {
    expect((await root.createTopics([{ name: 'bulk', partitions: 4, replicationFactor: 1 }])).get('bulk')).toBeNull();
    await root.createAcls([{ resourceType: 'TOPIC', resourceName: 'bulk', patternType: 'LITERAL', principal: `User:tributary-api.${keyId}`, host: '*', operation: 'READ', permission: 'ALLOW' }]);
  } finally {
    root.close();
  }
  const filler = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(Math.ceil(VALUE_BYTES / 36)).slice(0, VALUE_BYTES - 12);
  await produce(['-b', broker.bootstrap, '-t', 'bulk', '-K', ':', '-X', 'acks=1', '-X', 'linger.ms=20'], function* () {
    for (let i = 0; i < COUNT; i++) yield `k${i}:${String(i).padStart(10, '0')}-${filler}\n`;
  });
}, 300_000);

afterAll(async () => {
  await app?.close();
  await broker?.destroy();
  await queue?.close();
  await statusWriter?.close();
  await store?.close();
  await services?.stop();
});

async function exportAll(query: string): Promise<{ lines: number; bytes: number; perPartition: Map<number, { count: number; last: number }> }> {
  const res = await fetch(`${base}/v1/instances/${instanceId}/topics/bulk/messages/export${query}`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const perPartition = new Map<number, { count: number; last: number }>();
  let lines = 0;
  let bytes = 0;
  let carry = '';
  const decoder = new TextDecoder();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    bytes += value.length;
    const text = carry + decoder.decode(value, { stream: true });
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      // Only the head of each line: {"partition":P,"offset":O,...
      const m = /^\{"partition":(\d+),"offset":(\d+),/.exec(text.slice(start, start + 64));
      expect(m).not.toBeNull();
      const p = Number(m![1]);
      const o = Number(m![2]);
      const s = perPartition.get(p) ?? { count: 0, last: -1 };
      expect(o).toBeGreaterThan(s.last); // in order within a partition
      perPartition.set(p, { count: s.count + 1, last: o });
      lines++;
      start = nl + 1;
    }
    carry = text.slice(start);
  }
  expect(carry).toBe('');
  return { lines, bytes, perPartition };
}

describe('export', () => {
  it('streams 100,000 messages as NDJSON in bounded memory', async () => {
    // Warm-up: the same path on a small range, so code and pools exist before the measurement.
    expect((await exportAll('?maxRecords=2000')).lines).toBe(2000);
    const before = rss();
    writeFileSync('/proc/self/clear_refs', '5'); // resets VmHWM to the current RSS
    const started = Date.now();
    const all = await exportAll('');
    const growth = peak() - before;
    console.log(`export: ${all.lines} lines, ${(all.bytes / 1048576).toFixed(0)} MiB in ${Date.now() - started} ms; peak RSS grew ${(growth / 1048576).toFixed(1)} MiB`);
    expect(all.lines).toBe(COUNT);
    expect([...all.perPartition.values()].reduce((n, p) => n + p.count, 0)).toBe(COUNT);
    for (const p of all.perPartition.values()) expect(p.last).toBe(p.count - 1);
    expect(all.bytes).toBeGreaterThan(COUNT * VALUE_BYTES);
    expect(growth).toBeLessThan(GROWTH_LIMIT);
    expect(growth).toBeLessThan(all.bytes / 2);
  }, 300_000);
});
