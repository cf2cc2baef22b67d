import { withInstanceAdmin } from '../live/instance-admin.ts';
import type { Store, TopicSample } from '../store/types.ts';
import { LAG_SAMPLE_MS, intervalStart } from './lag-sampler.ts';
import { everyInterval, sampleEachInstance } from './periodic.ts';

/**
 * Topic samples: every `everyMs` (the lag sampler's interval, a minute by default) each running
 * instance's partitions are read from its brokers in one snapshot (KafkaAdminClient
 * partitionSnapshot: a ListOffsets and a DescribeLogDirs per leader, however many topics) and each
 * topic's end offsets and size — summed over its partitions, as their leaders hold them — are stored
 * at the start of the interval. The topic list's size and message rate come from the newest two
 * (topic-stats.ts), so listing topics never waits for a broker.
 *
 * Why sampled and not read when the list is asked for: a rate needs two readings apart in time, and
 * the list must answer while brokers are slow or down. Why not from the operator's metering: the
 * brokers meter bytes by topic, not messages, and their size gauge is summed per broker there.
 * Samples are kept for `retentionMs` (an hour by default): only the newest two are read.
 */
export interface TopicSamplerOptions {
  store: Pick<Store, 'lagSampleTargets' | 'recordTopicSamples' | 'pruneTopicSamples'>;
  everyMs?: number;
  retentionMs?: number;
  log?: { warn(o: object, msg: string): void };
}

export const TOPIC_SAMPLE_RETENTION_MS = 3600_000;

/** One tick: sample every reachable instance (one failing instance never stops the others), then prune. */
export async function sampleTopicsOnce(opts: TopicSamplerOptions, now = new Date()): Promise<{ instances: number; samples: number; failed: number }> {
  const at = intervalStart(now, opts.everyMs ?? LAG_SAMPLE_MS);
  const result = await sampleEachInstance(await opts.store.lagSampleTargets(), async (t) => {
    const partitions = await withInstanceAdmin(t.bootstrapServers, (admin) => admin.partitionSnapshot());
    const byTopic = new Map<string, TopicSample>();
    for (const p of partitions) {
      if (p.topic.startsWith('__')) continue; // the service's own (offsets, transactions), not the customer's
      const s = byTopic.get(p.topic) ?? { instanceId: t.id, topic: p.topic, at, endOffsets: 0n, sizeBytes: 0n };
      s.endOffsets += p.endOffset;
      s.sizeBytes += p.sizeBytes;
      byTopic.set(p.topic, s);
    }
    await opts.store.recordTopicSamples([...byTopic.values()]);
    return byTopic.size;
  }, opts.log, 'topic sample');
  await opts.store.pruneTopicSamples(new Date(now.getTime() - (opts.retentionMs ?? TOPIC_SAMPLE_RETENTION_MS)));
  return result;
}

/** Samples every `everyMs` until stopped; a tick never overlaps the previous one. */
export function startTopicSampler(opts: TopicSamplerOptions): { stop(): Promise<void> } {
  return everyInterval(opts.everyMs ?? LAG_SAMPLE_MS, () => sampleTopicsOnce(opts), (err) => opts.log?.warn({ err }, 'topic sampling failed'));
}
