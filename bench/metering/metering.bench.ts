/**
 * Metering cost (issue 15): how long one operator process takes to meter N instances (3 simulated
 * brokers each) in one pass — scrape every broker over HTTP, store the minute's samples, recompute each
 * instance's hour — the CPU it spends per instance and minute, its memory, and the rows it leaves in
 * PostgreSQL. Goal: 1,000 instances within the minute. Real PostgreSQL (the project's migrations);
 * the brokers are bench/metering/brokers.ts in a child process (real HTTP metric endpoints, counters
 * growing on every scrape) so their CPU is not counted. A script, not a test: it prints and never fails.
 *
 * A pass recomputes the whole open hour of every instance from its samples, so its cost grows with the
 * minute of the hour: each size is timed at the start of an hour (minutes 0–2) and at its end
 * (minutes 57–59, after minutes 3–56 were filled in SQL with copies of minute 2's samples, untimed).
 *
 *   node bench/metering/metering.bench.ts [instances…]   (default 100 500 1000)
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { migrate } from '@tributary/db';
import { startTestServices } from '@tributary/testkit';
import { meteringPass } from '../../apps/operator/src/metering/collector.ts';
import { UsageStore } from '../../apps/operator/src/metering/usage-store.ts';

if (process.argv.includes('--help')) {
  console.log('usage: node bench/metering/metering.bench.ts [instances…]  (default 100 500 1000; 3 brokers each, 10 topics per broker; passes at minutes 0-2 and 57-59 of an hour)');
  process.exit(0);
}
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const BROKERS = 3;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const load = () => loadavg().map((l) => l.toFixed(2)).join(' / ');

console.log(`machine load (1/5/15 min) at start: ${load()}`);
const services = await startTestServices();
const brokers = spawn(process.execPath, [resolve(import.meta.dirname, 'brokers.ts'), '10'], { stdio: ['ignore', 'pipe', 'inherit'] });
try {
  const port = await new Promise<number>((ok) => brokers.stdout!.once('data', (d) => ok(JSON.parse(String(d)).port)));
  await migrate(services.databaseUrl);
  const store = new UsageStore(services.databaseUrl);
  const db = store.db;
  const rows: string[][] = [];
  const tables: string[][] = [];
  let base = Math.floor(Date.now() / HOUR) * HOUR - 24 * HOUR;
  for (const n of sizes.length > 0 ? sizes : [100, 500, 1000]) {
    const ids = Array.from({ length: n }, (_, i) => `ins-${n}-${i}`);
    const index = new Map(ids.map((id, i) => [id, i]));
    const runtime = { observe: async (id: string) => ({ brokers: Array.from({ length: BROKERS }, (_, b) => ({ nodeId: b + 1, running: true, metricsAddress: `127.0.0.1:${port}/i/${index.get(id)}/b/${b}` })) }) as never };
    const pass = async (minuteOfHour: number) => {
      const minute = new Date(base + minuteOfHour * MINUTE);
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      // "now" is within the hour: it stays open (closing is one more write per dimension, once an hour)
      const r = await meteringPass({ instanceIds: ids, runtime, store, minute, now: new Date(minute.getTime() + 30_000), concurrency: 64 });
      const wall = performance.now() - t0;
      const used = process.cpuUsage(cpu);
      const cpuMs = (used.user + used.system) / 1000;
      const mem = process.memoryUsage();
      rows.push([String(n), String(minuteOfHour), String(r.scraped), String(r.failed.length), `${(wall / 1000).toFixed(1)} s`, `${(cpuMs / 1000).toFixed(1)} s`, `${(cpuMs / n).toFixed(1)} ms`, mib(mem.rss), mib(mem.heapUsed), wall < MINUTE ? 'yes' : 'no']);
      console.log(rows.at(-1)!.join('\t'));
    };
    for (const m of [0, 1, 2]) await pass(m);
    // Minutes 3–56 as the passes would have left them (copies of minute 2's samples), untimed.
    await db.$executeRawUnsafe(`INSERT INTO meter_sample (instance_id, node_id, minute, epoch, counters, replicas, log_bytes)
      SELECT s.instance_id, s.node_id, s.minute + make_interval(mins => g), s.epoch, s.counters, s.replicas, s.log_bytes
      FROM meter_sample s CROSS JOIN generate_series(1, 54) g WHERE s.minute = $1 AND s.instance_id LIKE $2`, new Date(base + 2 * MINUTE), `ins-${n}-%`);
    for (const m of [57, 58, 59]) await pass(m);
    const count = async (table: string) => (await db.$queryRawUnsafe<{ c: bigint; size: bigint }[]>(`SELECT count(*) AS c, pg_total_relation_size('${table}') AS size FROM ${table} WHERE instance_id LIKE $1`, `ins-${n}-%`))[0]!;
    for (const t of ['meter_sample', 'usage_hour', 'chargeback_hour']) {
      const c = await count(t);
      tables.push([String(n), t, String(c.c), mib(Number(c.size))]);
    }
    base += HOUR; // each size in an hour of its own
  }
  const peak = process.resourceUsage().maxRSS * 1024;
  console.log(`\nmachine load (1/5/15 min) at end: ${load()}; operator process peak RSS ${mib(peak)}`);
  console.log('\n| instances | minute of the hour | brokers scraped | failed | wall | operator CPU | CPU per instance-minute | RSS after | heap used | within the minute |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log('\n| instances | table | rows for these instances (one hour) | table size on disk (all sizes so far) |\n| --- | --- | --- | --- |');
  for (const t of tables) console.log(`| ${t.join(' | ')} |`);
  await store.close();
} finally {
  brokers.kill('SIGTERM');
  await services.stop();
}
