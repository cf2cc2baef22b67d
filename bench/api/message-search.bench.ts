/**
 * Message search benchmark (not a test): the API's search scan rate with a key filter over a large
 * topic, next to the broker's own fetch rate for the same bytes in the same run (a raw Fetch loop on
 * libs/kafka-admin that decodes nothing), and the API process's peak memory during a full export.
 * Goal (issue 16): search ≥ 50 % of the fetch rate; export memory bounded.
 * Usage: npm run bench:message-search [-- --mib 1024 --partitions 8]
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseCli } from '@tributary/contracts/cli';

const values = parseCli('bench:message-search', `
Usage: npm run bench:message-search [-- --mib MIB --partitions N]   (--help, --version)

Produces MIB of 1 KiB records with kcat into a topic of N partitions on a real broker with a SASL
listener, then measures: the broker's fetch rate (raw Fetch, nothing decoded), the API's search
scan rate with a key filter that matches nothing (every record tested), and the peak RSS growth of
the process during a full NDJSON export. A benchmark, not a test; results go into bench/api/README.md.
  --mib MIB          topic size (default 1024)
  --partitions N     partitions (default 8)`, { mib: { type: 'string', default: '1024' }, partitions: { type: 'string', default: '8' } });
const MIB = Number(values.mib);
const PARTITIONS = Number(values.partitions);

const { startTestServices } = await import('@tributary/testkit');
const { KafkaAdminClient } = await import('@tributary/kafka-admin');
const { SecretBox } = await import('@tributary/db');
const { buildApp } = await import('../../apps/api/src/app.ts');
const { createReconcileQueue } = await import('../../apps/api/src/jobs/queue.ts');
const { generateApiKey } = await import('../../apps/api/src/plugins/auth.ts');
const { PrismaStore } = await import('../../apps/api/src/store/prisma-store.ts');
const { DesiredStateStore } = await import('../../apps/operator/src/store/desired-state-store.ts');
const { startBroker } = await import('../../test/support/broker-process.ts');

const services = await startTestServices();
const store = await PrismaStore.connect(services.databaseUrl);
const statusWriter = new DesiredStateStore(services.databaseUrl);
const queue = createReconcileQueue(services.redisUrl);
const broker = await startBroker({ extraListeners: ['SASL_PLAINTEXT'], settings: { 'tributary.trusted.listeners': 'PLAINTEXT' }, timeoutMs: 60_000 });
const app = await buildApp({ store, queue, secrets: SecretBox.generate(), rateLimitMax: 1_000_000 });
try {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const account = await store.createAccount('bench');
  const k = generateApiKey();
  const keyId = await store.createApiKey(account, 'admin', 'admin', k.prefix, k.hash);
  const headers = { authorization: `Bearer ${k.key}`, 'content-type': 'application/json' };
  const created = await app.inject({ method: 'POST', url: '/v1/instances', headers, payload: { name: 'bench', labels: {}, spec: { zone: 'zone-a', brokers: 1, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 100, topicLimit: 20, consumerGroupLimit: 10, billing: { mode: 'postpaid' } } } });
  const instanceId = created.json().resource.id as string;
  await statusWriter.saveStatus(instanceId, { phase: 'Running', observedGeneration: 1, internalBootstrapServers: [broker.bootstrap], clientBootstrapServers: [broker.addresses.SASL_PLAINTEXT!], brokers: [], conditions: [], events: [] });
  const root = await KafkaAdminClient.connect(broker.bootstrap);
  await root.createTopics([{ name: 'big', partitions: PARTITIONS, replicationFactor: 1 }]);
  await root.createAcls([{ resourceType: 'TOPIC', resourceName: 'big', patternType: 'LITERAL', principal: `User:tributary-api.${keyId}`, host: '*', operation: 'READ', permission: 'ALLOW' }]);

  // Produce: 1 KiB records, keyed, through kcat (fast, off this process's CPU).
  const count = MIB * 1024;
  const value = 'x'.repeat(1000);
  const t0 = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('kcat', ['-P', '-b', broker.bootstrap, '-t', 'big', '-K', ':', '-X', 'acks=1', '-X', 'linger.ms=20', '-X', 'batch.size=1000000'], { stdio: ['pipe', 'ignore', 'inherit'] });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}`))));
    let i = 0;
    const pump = () => {
      while (i < count) {
        const line = `key-${i}:${value}\n`;
        i++;
        if (!child.stdin.write(line)) return void child.stdin.once('drain', pump);
      }
      child.stdin.end();
    };
    pump();
  });
  console.log(`produced ${count} records (${MIB} MiB of values) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // 1. The broker's fetch rate: a raw Fetch loop, 4 MiB per round, nothing decoded.
  const partitions = Array.from({ length: PARTITIONS }, (_, p) => p);
  const ends = await root.listOffsets('big', partitions, 'latest');
  let fetchedBytes = 0;
  const next = new Map(partitions.map((p) => [p, 0n]));
  const f0 = process.hrtime.bigint();
  while ([...next].some(([p, o]) => o < ends.get(p)!)) {
    const active = [...next].filter(([p, o]) => o < ends.get(p)!).map(([partition, offset]) => ({ partition, offset, maxBytes: Math.floor(4 * 1024 * 1024 / PARTITIONS) }));
    const got = await root.fetchRecords('big', active);
    for (const [p, data] of got) {
      const blob = data.records ?? Buffer.alloc(0);
      fetchedBytes += blob.length;
      // The next offset from the last whole batch's header (baseOffset + lastOffsetDelta + 1).
      let pos = 0;
      let last = next.get(p)!;
      while (blob.length - pos >= 61) {
        const size = blob.readInt32BE(pos + 8) + 12;
        if (pos + size > blob.length) break;
        last = blob.readBigInt64BE(pos) + BigInt(blob.readInt32BE(pos + 23)) + 1n;
        pos += size;
      }
      next.set(p, last);
    }
  }
  const fetchSeconds = Number(process.hrtime.bigint() - f0) / 1e9;
  const fetchRate = fetchedBytes / 1048576 / fetchSeconds;
  console.log(`broker fetch: ${(fetchedBytes / 1048576).toFixed(0)} MiB in ${fetchSeconds.toFixed(2)} s = ${fetchRate.toFixed(0)} MiB/s`);

  // 2. The API's search with a key filter that matches nothing: every record is tested.
  let body: Record<string, unknown> = { filters: { key: { equals: 'no-such-key' } }, limit: 1, budget: { maxBytes: 1024 * 1024 * 1024, maxRecords: 10_000_000, maxMs: 30_000 } };
  let scannedBytes = 0;
  let scannedRecords = 0;
  const s0 = process.hrtime.bigint();
  for (;;) {
    const res = await fetch(`${base}/v1/instances/${instanceId}/topics/big/messages/search`, { method: 'POST', headers, body: JSON.stringify(body) });
    const json = await res.json() as { progress: { scannedBytes: number; scannedRecords: number; complete: boolean }; nextCursor?: string };
    if (res.status !== 200) throw new Error(JSON.stringify(json));
    scannedBytes += json.progress.scannedBytes;
    scannedRecords += json.progress.scannedRecords;
    if (json.progress.complete) break;
    body = { ...body, cursor: json.nextCursor };
  }
  const searchSeconds = Number(process.hrtime.bigint() - s0) / 1e9;
  const searchRate = scannedBytes / 1048576 / searchSeconds;
  console.log(`API search (key equals, no match): ${scannedRecords} records, ${(scannedBytes / 1048576).toFixed(0)} MiB in ${searchSeconds.toFixed(2)} s = ${searchRate.toFixed(0)} MiB/s — ${(100 * searchRate / fetchRate).toFixed(0)} % of the broker's fetch rate (goal ≥ 50 %)`);

  // 3. A full NDJSON export: peak RSS growth of this process (API and reader), VmHWM reset first.
  const status = () => readFileSync('/proc/self/status', 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status())![1]) * 1024;
  const before = kb('VmRSS');
  writeFileSync('/proc/self/clear_refs', '5');
  const e0 = Date.now();
  const res = await fetch(`${base}/v1/instances/${instanceId}/topics/big/messages/export`, { headers });
  const reader = res.body!.getReader();
  let exported = 0;
  for (;;) {
    const { value: chunk, done } = await reader.read();
    if (done) break;
    exported += chunk.length;
  }
  console.log(`export: ${(exported / 1048576).toFixed(0)} MiB of NDJSON in ${((Date.now() - e0) / 1000).toFixed(1)} s; peak RSS grew ${((kb('VmHWM') - before) / 1048576).toFixed(1)} MiB (RSS before ${(before / 1048576).toFixed(0)} MiB)`);
  root.close();
} finally {
  await app.close();
  await broker.destroy();
  await queue.close();
  await statusWriter.close();
  await store.close();
  await services.stop();
}
