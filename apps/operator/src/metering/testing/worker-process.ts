/**
 * Test and benchmark support (nothing in the operator imports it): one metering worker as a process of
 * its own, so a test can SIGKILL it in the middle of a job. The brokers are given as metrics addresses
 * per instance (TARGETS, JSON `{ instanceId: ["host:port/path", …] }`), standing in for the runtime's
 * observation. Prints `{"pass": …}` after each pass and `ready` once the job scheduler is in place.
 *
 *   DATABASE_URL=… REDIS_URL=… TARGETS='{"ins-a":["127.0.0.1:9100"]}' EVERY_MS=1000 node worker-process.ts
 */
import { parseArgs } from 'node:util';
import { startMeteringWorker } from '../metering-job.ts';
import { UsageStore } from '../usage-store.ts';

if (parseArgs({ options: { help: { type: 'boolean', short: 'h' } }, strict: false }).values.help) {
  console.log('usage: DATABASE_URL=… REDIS_URL=… TARGETS=<json> [EVERY_MS=60000] node worker-process.ts\nRuns one metering worker (test support).');
  process.exit(0);
}
const { DATABASE_URL, REDIS_URL, TARGETS, EVERY_MS } = process.env;
if (!DATABASE_URL || !REDIS_URL || !TARGETS) {
  console.error('DATABASE_URL, REDIS_URL and TARGETS are required (--help)');
  process.exit(2);
}
const targets = JSON.parse(TARGETS) as Record<string, string[]>;
const runtime = {
  observe: async (instanceId: string) => ({
    instanceId, brokers: (targets[instanceId] ?? []).map((metricsAddress, i) => ({ nodeId: i + 1, running: true, ready: true, metricsAddress })),
  }) as never,
};
const store = new UsageStore(DATABASE_URL);
await startMeteringWorker({
  redisUrl: REDIS_URL, store, runtime, instanceIds: async () => Object.keys(targets), everyMs: Number(EVERY_MS ?? 60_000),
  onPass: (r) => console.log(JSON.stringify({ pass: { scraped: r.scraped, inserted: r.inserted, failed: r.failed.length } })),
});
console.log('ready');
