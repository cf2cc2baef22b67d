import type { BrokerRuntime } from '../runtimes/runtime.ts';
import { readingOf } from './prom-text.ts';
import { hourOf, type MinuteSample } from './rollup.ts';
import type { Refusal } from './admission.ts';
import type { MeteringMetrics } from './metrics.ts';
import type { UsageStore } from './usage-store.ts';

/**
 * One metering pass: scrape every instance's brokers (their /metrics), store the readings as the
 * samples of `minute`, and recompute the affected hours.
 *
 * Scrape, not push: the broker stays a standalone Kafka broker that knows nothing of the control
 * plane (DESIGN.md) and already serves Prometheus metrics; its counters are cumulative, so a missed,
 * repeated or late scrape loses and doubles nothing (the next one's increase covers the gap); and
 * the operator already knows where every broker is (the runtime's observation). Pushing would give
 * every broker an endpoint and credentials to know, and retries and buffering to do. The metrics port
 * is plain HTTP beside the Kafka listeners, so SASL-only Kafka endpoints do not change this path.
 */
export interface MeteringPassOptions {
  instanceIds: string[];
  runtime: Pick<BrokerRuntime, 'observe'>;
  store: UsageStore;
  /** The minute the samples are stamped with: the job's scheduled time, so a retried job re-stamps the same minute. */
  minute: Date;
  /** When hours close, judged against this; default PostgreSQL's clock (never the host's: admission.ts). */
  now?: Date;
  /** How far a stamp may be ahead of PostgreSQL's clock (default admission.ts MAX_FUTURE_MS). */
  maxFutureMs?: number;
  metrics?: MeteringMetrics;
  /**
   * Raw samples older than this (whole hours) are pruned at the end of the pass, each broker's latest
   * kept, and stamps in hours whose samples or baseline may be pruned are refused; unset: kept forever.
   */
  sampleRetentionMs?: number;
  /** An hour closes this long after its end (late scrapes of its last minutes still count). */
  graceMs?: number;
  timeoutMs?: number;
  concurrency?: number;
  /** hours recomputed at once (default 4: the UsageStore's pool size) */
  rollupConcurrency?: number;
}

export interface MeteringPassResult { scraped: number; inserted: number; refused: Record<Refusal, number>; failed: { instanceId: string; nodeId: number; error: string }[]; hours: number; adjusted: number }

async function scrape(address: string, timeoutMs: number): Promise<string> {
  const res = await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.text();
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) { const i = next++; out[i] = await fn(items[i]!); }
  }));
  return out;
}

export async function meteringPass(o: MeteringPassOptions): Promise<MeteringPassResult> {
  const hostBefore = Date.now();
  const dbNow = await o.store.clock();
  const hostMinusDbMs = (hostBefore + Date.now()) / 2 - dbNow.getTime();
  const now = o.now ?? dbNow;
  const graceMs = o.graceMs ?? 5 * 60_000;
  const timeoutMs = o.timeoutMs ?? 5_000;
  const targets = (await mapLimit(o.instanceIds, o.concurrency ?? 32, async (instanceId) => {
    const obs = await o.runtime.observe(instanceId);
    return (obs?.brokers ?? []).filter((b) => b.running && b.metricsAddress).map((b) => ({ instanceId, nodeId: b.nodeId, address: b.metricsAddress! }));
  })).flat();
  const failed: MeteringPassResult['failed'] = [];
  const rows = (await mapLimit(targets, o.concurrency ?? 32, async (t): Promise<(MinuteSample & { instanceId: string }) | null> => {
    try {
      const r = readingOf(await scrape(t.address, timeoutMs));
      return { instanceId: t.instanceId, nodeId: t.nodeId, minute: o.minute, ...r };
    } catch (err) {
      // A broker that does not answer is metered at the next pass: its counters keep what it did.
      failed.push({ instanceId: t.instanceId, nodeId: t.nodeId, error: (err as Error).message });
      return null;
    }
  })).filter((r) => r !== null);
  // Judged by the database clock read once before the scrapes: a pass takes seconds, the bound is a minute.
  // Pruned below `horizon`: an hour is recomputed from its samples and the baseline before it, so only
  // hours from the one after the horizon on may take samples.
  const horizon = o.sampleRetentionMs !== undefined ? hourOf(new Date(dbNow.getTime() - o.sampleRetentionMs)) : null;
  const admission = await o.store.insertSamples(rows, {
    now: dbNow, ...(o.maxFutureMs !== undefined ? { maxFutureMs: o.maxFutureMs } : {}), ...(horizon ? { oldest: new Date(horizon.getTime() + 3_600_000) } : {}),
  });
  o.metrics?.record(admission.refused, hostMinusDbMs);
  const closes = (hour: Date) => hour.getTime() + 3_600_000 + graceMs <= now.getTime();
  const hours = new Map<string, { instanceId: string; hourStart: Date }>();
  // The hours of what is stored, now or by an earlier run of this minute; never of a refused stamp.
  for (const r of admission.stored) hours.set(`${r.instanceId}|${hourOf(r.minute).getTime()}`, { instanceId: r.instanceId, hourStart: hourOf(r.minute) });
  for (const h of await o.store.openHours(hourOf(now))) hours.set(`${h.instanceId}|${h.hourStart.getTime()}`, h);
  // Hours are independent (each under its own advisory lock): a few at a time, as many as the
  // store's pool holds, since one after another made the rollups most of a pass's time (bench/metering).
  const rolled = await mapLimit([...hours.values()], o.rollupConcurrency ?? 4, (h) => o.store.rollup(h.instanceId, h.hourStart, closes(h.hourStart)));
  const adjusted = rolled.reduce((s, r) => s + r.adjusted, 0);
  if (horizon) await o.store.pruneSamples(horizon);
  return { scraped: rows.length, inserted: admission.admitted.length, refused: admission.refused, failed, hours: hours.size, adjusted };
}
