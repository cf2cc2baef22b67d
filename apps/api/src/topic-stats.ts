import type { TopicSample } from './store/types.ts';

/** What the topic list shows of a topic's data: its size and how fast messages arrive. */
export interface TopicStats { sizeBytes: number; messagesPerSecond: number | null; sampledAt: string }

/**
 * A topic's stats from its newest two samples (newest first). The size is the newest sample's; the
 * rate is the growth of its end offsets over the time between the two, so it says what the topic
 * did in the last interval, not since the page was opened. One sample, or end offsets that went
 * down (the topic was deleted and made again between the samples), give no rate: null, never a
 * guess. No sample at all: no stats (the sampler has not reached the topic yet).
 */
export function topicStats(samples: readonly TopicSample[]): TopicStats | null {
  const [newest, before] = samples;
  if (!newest) return null;
  const seconds = before ? (newest.at.getTime() - before.at.getTime()) / 1000 : 0;
  const grown = before ? newest.endOffsets - before.endOffsets : -1n;
  return {
    sizeBytes: Number(newest.sizeBytes),
    messagesPerSecond: seconds > 0 && grown >= 0n ? Math.round((Number(grown) / seconds) * 100) / 100 : null,
    sampledAt: newest.at.toISOString(),
  };
}

/** Stats of each topic from the samples of many (as TopicSampleRepository.latest returns them). */
export function statsByTopic(samples: readonly TopicSample[]): Map<string, TopicStats> {
  const byTopic = new Map<string, TopicSample[]>();
  for (const s of samples) byTopic.set(s.topic, [...(byTopic.get(s.topic) ?? []), s]);
  const out = new Map<string, TopicStats>();
  for (const [topic, list] of byTopic) {
    const stats = topicStats([...list].sort((a, b) => b.at.getTime() - a.at.getTime()));
    if (stats) out.set(topic, stats);
  }
  return out;
}
