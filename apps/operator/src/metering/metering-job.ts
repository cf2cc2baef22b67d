import { Queue, Worker, type Job } from 'bullmq';
import type { BrokerRuntime } from '../runtimes/runtime.ts';
import { meteringPass, type MeteringPassResult } from './collector.ts';
import { minuteOf } from './rollup.ts';
import type { MeteringMetrics } from './metrics.ts';
import type { UsageStore } from './usage-store.ts';

export const METERING_QUEUE = 'tributary-metering';
const METER_ALL = 'meter-all';

export interface MeteringWorkerOptions {
  redisUrl: string;
  store: UsageStore;
  runtime: Pick<BrokerRuntime, 'observe'>;
  instanceIds: () => Promise<string[]>;
  /** Collection interval; one minute in production (samples are per minute). */
  everyMs?: number;
  graceMs?: number;
  metrics?: MeteringMetrics;
  /** How long raw samples are kept (default a day; the hourly usage rows are kept for good). */
  sampleRetentionMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  onPass?: (r: MeteringPassResult) => void;
}

/**
 * The metering job: a BullMQ job scheduler runs `meter-all` every minute on one of the operators
 * (the scheduler is shared in Redis, so two operators do not both run a slot). Each run stamps its
 * samples with the minute it was scheduled for, so a retry after a crash or a stalled run re-stamps
 * the same minute and the natural key turns the repeat into nothing.
 */
export async function startMeteringWorker(o: MeteringWorkerOptions): Promise<{ close(): Promise<void> }> {
  const url = new URL(o.redisUrl);
  const connection = { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null };
  const queue = new Queue(METERING_QUEUE, { connection });
  const log = o.log ?? (() => undefined);
  const worker = new Worker(METERING_QUEUE, async (job: Job) => {
    const scheduled = new Date(job.timestamp + (job.opts.delay ?? 0));
    const result = await meteringPass({ instanceIds: await o.instanceIds(), runtime: o.runtime, store: o.store, minute: minuteOf(scheduled), ...(o.graceMs !== undefined ? { graceMs: o.graceMs } : {}), ...(o.metrics ? { metrics: o.metrics } : {}), sampleRetentionMs: o.sampleRetentionMs ?? 24 * 3_600_000 });
    if (result.refused.future > 0 || result.refused.stale > 0) log('metering: samples refused by the clock-skew rule (check this host\'s clock against PostgreSQL\'s)', { refused: result.refused, minute: minuteOf(scheduled).toISOString() });
    if (result.failed.length > 0) log('metering: brokers not scraped this minute', { failed: result.failed });
    o.onPass?.(result);
    return { scraped: result.scraped, inserted: result.inserted, hours: result.hours, adjusted: result.adjusted };
  }, { connection, concurrency: 1 });
  await queue.upsertJobScheduler(METER_ALL, { every: o.everyMs ?? 60_000 }, { name: METER_ALL, data: {}, opts: { attempts: 3, backoff: { type: 'exponential', delay: 2_000 } } });
  return {
    async close() {
      // The scheduler stays in Redis: it is shared by every operator, and one stopping must not stop
      // metering for the others (slots that pass with none running are metered late, by minute).
      await worker.close();
      await queue.close();
    },
  };
}
