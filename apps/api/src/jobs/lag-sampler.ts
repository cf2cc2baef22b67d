import { listGroups } from '../live/consumer-groups.ts';
import { withInstanceAdmin } from '../live/instance-admin.ts';
import type { LagSample, Store } from '../store/types.ts';
import { everyInterval, sampleEachInstance } from './periodic.ts';

/**
 * Lag history: every `everyMs` (a minute by default) each running instance's consumer groups are read
 * from its brokers (the live reader behind GET …/consumer-groups) and each group's lag per topic —
 * the sum over its partitions — is stored as one point at the start of the interval; points older
 * than `retentionMs` (7 days by default) are deleted on the same tick.
 *
 * Why in the API and not the operator's metering job: the API already holds the live consumer-group
 * reader and serves the history, and the metering job belongs to billing (usage records, prices);
 * lag is an observability read, not something sold. Every API replica samples: points are keyed by
 * (instance, group, topic, interval start), so replicas write the same row (upsert) instead of
 * duplicating it — the cost is one extra read of each instance's groups per replica and interval.
 */
export interface LagSamplerOptions {
  store: Pick<Store, 'lagSampleTargets' | 'recordLag' | 'pruneLag'>;
  everyMs?: number;
  retentionMs?: number;
  log?: { warn(o: object, msg: string): void };
}

export const LAG_SAMPLE_MS = 60_000;
export const LAG_RETENTION_MS = 7 * 24 * 3600_000;

/** The start of the interval `now` falls in: every replica's point for it lands on the same row. */
export const intervalStart = (now: Date, everyMs: number) => new Date(Math.floor(now.getTime() / everyMs) * everyMs);

/** One tick: sample every reachable instance (one failing instance never stops the others), then prune. */
export async function sampleLagOnce(opts: LagSamplerOptions, now = new Date()): Promise<{ instances: number; samples: number; failed: number }> {
  const everyMs = opts.everyMs ?? LAG_SAMPLE_MS;
  const at = intervalStart(now, everyMs);
  const result = await sampleEachInstance(await opts.store.lagSampleTargets(), async (t) => {
    const rows = await withInstanceAdmin(t.bootstrapServers, async (admin) => {
      const out: LagSample[] = [];
      let cursor: string | undefined;
      do {
        const page = await listGroups(admin, 100, cursor);
        for (const g of page.items) {
          const byTopic = new Map<string, number>();
          for (const o of g.offsets) byTopic.set(o.topic, (byTopic.get(o.topic) ?? 0) + o.lag);
          for (const [topic, lag] of byTopic) out.push({ instanceId: t.id, group: g.group, topic, at, lag });
        }
        cursor = page.nextCursor;
      } while (cursor);
      return out;
    });
    await opts.store.recordLag(rows);
    return rows.length;
  }, opts.log, 'lag sample');
  await opts.store.pruneLag(new Date(now.getTime() - (opts.retentionMs ?? LAG_RETENTION_MS)));
  return result;
}

/** Samples every `everyMs` until stopped; a tick never overlaps the previous one. */
export function startLagSampler(opts: LagSamplerOptions): { stop(): Promise<void> } {
  return everyInterval(opts.everyMs ?? LAG_SAMPLE_MS, () => sampleLagOnce(opts), (err) => opts.log?.warn({ err }, 'lag sampling failed'));
}
