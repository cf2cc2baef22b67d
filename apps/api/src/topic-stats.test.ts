import { describe, expect, it } from 'vitest';
import { statsByTopic, topicStats } from './topic-stats.ts';

const at = (s: number) => new Date(Date.UTC(2026, 11, 2, 3, 0, s));
const sample = (topic: string, s: number, endOffsets: bigint, sizeBytes = 100n) => ({ instanceId: 'ins-1', topic, at: at(s), endOffsets, sizeBytes });

describe('topic stats from samples', () => {
  it('the rate is the end offsets\' growth between the newest two samples; the size is the newest', () => {
    expect(topicStats([sample('t', 30, 160n, 900n), sample('t', 0, 100n)])).toEqual({ sizeBytes: 900, messagesPerSecond: 2, sampledAt: at(30).toISOString() });
  });

  it('one sample, or end offsets that went down (the topic made again), give no rate; no sample no stats', () => {
    expect(topicStats([sample('t', 30, 160n)])?.messagesPerSecond).toBeNull();
    expect(topicStats([sample('t', 30, 5n), sample('t', 0, 100n)])?.messagesPerSecond).toBeNull();
    expect(topicStats([])).toBeNull();
  });

  it('groups many topics\' samples, whatever their order', () => {
    const m = statsByTopic([sample('a', 0, 0n), sample('b', 60, 7n), sample('a', 60, 60n)]);
    expect(m.get('a')?.messagesPerSecond).toBe(1);
    expect(m.get('b')?.messagesPerSecond).toBeNull();
  });
});
