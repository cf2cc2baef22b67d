import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '@tributary/db';
import { startTestServices, until, type TestServices } from '@tributary/testkit';
import { meteringPass } from './collector.ts';
import { minuteOf } from './rollup.ts';
import { UsageStore } from './usage-store.ts';

// A metering worker killed with SIGKILL in the middle of a job (its brokers' answers are held until
// it is dead), then a new worker process: the usage that results is exactly what the brokers
// counted — nothing lost, nothing counted twice — and running the killed job's minute again adds
// nothing. Real PostgreSQL (the project's migrations) and Redis (the BullMQ job scheduler); the
// brokers are simulated metrics endpoints serving fixed cumulative counters (the metering of a real
// broker is metering.test.ts).
const WORKER = resolve(import.meta.dirname, 'testing/worker-process.ts');
const INSTANCES = 20;
const BROKERS = 2;
/** bytes in counted by broker `n` of instance `i` since its start (constant: the clients have stopped) */
const bytesIn = (i: number, n: number) => 1_000_000 * (i + 1) + 1_000 * n;
const EPOCH = Math.floor(Date.now() / 1000) - 3600;

let services: TestServices;
let store: UsageStore;
let server: Server;
let port = 0;
let holding = true;
const held: (() => void)[] = [];
let scrapes = 0;
const children: ChildProcess[] = [];

function metrics(i: number, n: number): string {
  return [
    `tributary_broker_metering_epoch_seconds ${EPOCH}`,
    `tributary_broker_metered_bytes_total{direction="in",topic="orders",principal="User:app",listener="SASL_PLAINTEXT"} ${bytesIn(i, n)}`,
    `tributary_broker_partition_log_bytes{topic="orders",partition="${n}"} 4096`,
  ].join('\n') + '\n';
}


function startWorker(): { child: ChildProcess; output: () => string; exited: Promise<unknown> } {
  const targets = Object.fromEntries(Array.from({ length: INSTANCES }, (_, i) => [`ins-k${i}`, Array.from({ length: BROKERS }, (_, n) => `127.0.0.1:${port}/i/${i}/b/${n}`)]));
  const child = spawn(process.execPath, [WORKER], {
    env: { ...process.env, DATABASE_URL: services.databaseUrl, REDIS_URL: services.redisUrl, TARGETS: JSON.stringify(targets), EVERY_MS: '1000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, output: () => out, exited: new Promise((r) => child.once('exit', r)) };
}

const bytesInByInstance = async () => {
  const rows = await store.db.$queryRaw<{ instance_id: string; q: string }[]>`
    SELECT h.instance_id, (SUM(h.quantity) + COALESCE((SELECT SUM(a.quantity) FROM usage_adjustment a WHERE a.instance_id = h.instance_id AND a.dimension = 'bytes-in-gib'), 0))::text AS q
    FROM usage_hour h WHERE h.dimension = 'bytes-in-gib' GROUP BY h.instance_id`;
  return Object.fromEntries(rows.map((r) => [r.instance_id, Number(r.q)]));
};
const expected = Object.fromEntries(Array.from({ length: INSTANCES }, (_, i) => [`ins-k${i}`, Array.from({ length: BROKERS }, (_, n) => bytesIn(i, n)).reduce((a, b) => a + b, 0)]));

beforeAll(async () => {
  services = await startTestServices();
  await migrate(services.databaseUrl);
  store = new UsageStore(services.databaseUrl);
  server = createServer((req, res) => {
    const m = /^\/i\/(\d+)\/b\/(\d+)\/metrics$/.exec(req.url ?? '');
    if (!m) { res.writeHead(404).end(); return; }
    scrapes++;
    const answer = () => res.writeHead(200, { 'content-type': 'text/plain' }).end(metrics(Number(m[1]), Number(m[2])));
    if (holding) held.push(answer); else answer();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
}, 120_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await new Promise((r) => server?.close(r));
  await store?.close();
  await services?.stop();
});

describe('metering worker killed mid-job', () => {
  it('SIGKILL while scraping, then a new worker: every instance\'s usage is exactly what its brokers counted; the minute run again adds nothing', async () => {
    const first = startWorker();
    // The job is running: it has asked every broker and waits for the answers we hold back.
    await until(() => scrapes >= INSTANCES * BROKERS, 'the first job scrapes every broker', 90_000);
    expect(await store.db.meterSample.count()).toBe(0);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(first.output()).not.toMatch(/"pass"/); // it never finished a pass
    holding = false;
    for (const answer of held.splice(0)) answer(); // to a dead client: nobody reads them

    const second = startWorker();
    await until(async () => {
      const got = await bytesInByInstance();
      return Object.keys(got).length === INSTANCES ? got : null;
    }, 'usage of every instance after the restart');
    // Several more passes by the new worker (a pass a second) change nothing.
    const passes = () => second.output().split('\n').filter((l) => l.startsWith('{"pass"')).length;
    const seen = passes();
    await until(() => passes() >= seen + 2, 'two more passes');
    expect(await bytesInByInstance()).toEqual(expected);
    // One sample per broker and minute, whatever ran how often.
    const dupes = await store.db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM (SELECT instance_id, node_id, minute FROM meter_sample GROUP BY 1, 2, 3 HAVING count(*) > 1) d`;
    expect(dupes[0]!.n).toBe(0n);
    second.child.kill('SIGTERM');
    await second.exited;

    // The killed job's minute metered again in this process: no new sample, the same usage.
    const minutes = await store.db.meterSample.findMany({ distinct: ['minute'], select: { minute: true }, orderBy: { minute: 'asc' } });
    const instanceIds = Object.keys(expected);
    const runtime = { observe: async (id: string) => ({ brokers: Array.from({ length: BROKERS }, (_, n) => ({ nodeId: n + 1, running: true, metricsAddress: `127.0.0.1:${port}/i/${id.slice(5)}/b/${n}` })) }) as never };
    const again = await meteringPass({ instanceIds, runtime, store, minute: minuteOf(minutes[0]!.minute) });
    expect([again.scraped, again.inserted, again.failed]).toEqual([INSTANCES * BROKERS, 0, []]);
    expect(await bytesInByInstance()).toEqual(expected);
  }, 180_000);
});
