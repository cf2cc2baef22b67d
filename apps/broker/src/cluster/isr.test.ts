import { describe, expect, it } from 'vitest';
import { highWatermarkOf, nextIsr } from './isr.ts';

const common = { leaderId: 1, replicas: [1, 2, 3], leaderLogEndOffset: 120, highWatermark: 100, nowMs: 50_000, replicaLagTimeMaxMs: 30_000 };

describe('nextIsr', () => {
  it('removes a follower that has not caught up within the lag time', () => {
    const isr = nextIsr({
      ...common,
      isr: [1, 2, 3],
      followers: [
        { brokerId: 2, logEndOffset: 100, lastCaughtUpMs: 49_000 },
        { brokerId: 3, logEndOffset: 40, lastCaughtUpMs: 10_000 },
      ],
    });
    expect(isr).toEqual([1, 2]);
  });

  it('removes a follower that never fetched', () => {
    expect(nextIsr({ ...common, isr: [1, 2], followers: [] })).toEqual([1]);
  });

  it('keeps a follower whose log ends where the leader\'s does, however long ago it fetched (an idle partition, as Kafka)', () => {
    const followers = [
      { brokerId: 2, logEndOffset: 120, lastCaughtUpMs: 1_000 },
      { brokerId: 3, logEndOffset: 119, lastCaughtUpMs: 1_000 },
    ];
    expect(nextIsr({ ...common, isr: [1, 2, 3], followers })).toEqual([1, 2]);
  });

  it('gives a follower that has not fetched since the leader was elected the lag time to do so', () => {
    const followers = [
      { brokerId: 2, logEndOffset: -1, lastCaughtUpMs: 40_000 },
      { brokerId: 3, logEndOffset: -1, lastCaughtUpMs: 10_000 },
    ];
    expect(nextIsr({ ...common, isr: [1, 2, 3], followers })).toEqual([1, 2]);
    // Not fetched yet is no progress: it does not bring a follower back into the ISR, even at a high watermark of 0.
    expect(nextIsr({ ...common, highWatermark: 0, leaderLogEndOffset: 0, isr: [1], followers })).toEqual([1]);
  });

  it('adds back a follower that reached the high watermark', () => {
    const isr = nextIsr({
      ...common,
      isr: [1, 2],
      followers: [
        { brokerId: 2, logEndOffset: 100, lastCaughtUpMs: 49_000 },
        { brokerId: 3, logEndOffset: 100, lastCaughtUpMs: 49_500 },
      ],
    });
    expect(isr).toEqual([1, 2, 3]);
  });

  it('keeps out a follower still below the high watermark', () => {
    const isr = nextIsr({ ...common, isr: [1], followers: [{ brokerId: 2, logEndOffset: 99, lastCaughtUpMs: 49_000 }] });
    expect(isr).toEqual([1]);
  });
});

describe('highWatermarkOf', () => {
  it('is the smallest log end offset over the ISR', () => {
    const followers = [
      { brokerId: 2, logEndOffset: 80, lastCaughtUpMs: 0 },
      { brokerId: 3, logEndOffset: 10, lastCaughtUpMs: 0 },
    ];
    expect(highWatermarkOf(100, [1, 2], 1, followers)).toBe(80);
    expect(highWatermarkOf(100, [1, 2, 3], 1, followers)).toBe(10);
    expect(highWatermarkOf(100, [1], 1, followers)).toBe(100);
  });
});

