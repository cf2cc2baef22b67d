/**
 * Metering cost (issue 15): how long one operator process takes to meter N instances (3 simulated
 * brokers each) in one pass — scrape every broker, store the minute's samples, recompute each
 * instance's hour — and the CPU it spends, per instance and minute. Goal: 1,000 instances within the
 * minute. Real PostgreSQL (the project's migrations); the brokers are bench/metering/brokers.ts in a
 * child process so its CPU is not counted. A script, not a test: it prints and never fails.
 *
 *   node bench/metering/metering.bench.ts [instances…]   (default 100 500 1000)
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { migrate } from '@tributary/db';
import { startTestServices } from '@tributary/testkit';
import { meteringPass } from '../../apps/operator/src/metering/collector.ts';
import { UsageStore } from '../../apps/operator/src/metering/usage-store.ts';

if (process.argv.includes('--help')) {
  console.log('usage: node bench/metering/metering.bench.ts [instances…]  (default 100 500 1000; 3 brokers each, 10 topics per broker)');
  process.exit(0);
}
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const BROKERS = 3;
const PASSES = 3;

const services = await startTestServices();
const brokers = spawn(process.execPath, [resolve(import.meta.dirname, 'brokers.ts'), '10'], { stdio: ['ignore', 'pipe', 'inherit'] });
try {
  const port = await new Promise<number>((ok) => brokers.stdout!.once('data', (d) => ok(JSON.parse(String(d)).port)));
  await migrate(services.databaseUrl);
  const store = new UsageStore(services.databaseUrl);
  const rows: string[][] = [];
  let base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000;
  for (const n of sizes.length > 0 ? sizes : [100, 500, 1000]) {
    const ids = Array.from({ length: n }, (_, i) => `ins-${n}-${i}`);
    const index = new Map(ids.map((id, i) => [id, i]));
    const runtime = { observe: async (id: string) => ({ brokers: Array.from({ length: BROKERS }, (_, b) => ({ nodeId: b + 1, running: true, metricsAddress: `127.0.0.1:${port}/i/${index.get(id)}/b/${b}` })) }) as never };
    for (let p = 0; p < PASSES; p++) {
      const minute = new Date(base + p * 60_000);
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      const r = await meteringPass({ instanceIds: ids, runtime, store, minute, now: new Date(base + 30 * 60_000), concurrency: 64 });
      const wall = performance.now() - t0;
      const used = process.cpuUsage(cpu);
      const cpuMs = (used.user + used.system) / 1000;
      rows.push([String(n), String(p + 1), String(r.scraped), String(r.failed.length), `${(wall / 1000).toFixed(1)} s`, `${(cpuMs / 1000).toFixed(1)} s`, `${(cpuMs / n).toFixed(1)} ms`, wall < 60_000 ? 'yes' : 'no']);
      console.log(rows.at(-1)!.join('\t'));
    }
    base += 3_600_000; // each size in an hour of its own
  }
  console.log('\n| instances | pass | brokers scraped | failed | wall | operator CPU | CPU per instance-minute | within the minute |\n| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  await store.close();
} finally {
  brokers.kill('SIGTERM');
  await services.stop();
}
