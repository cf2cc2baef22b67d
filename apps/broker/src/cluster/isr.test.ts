import { describe, expect, it } from 'vitest';
import { highWatermarkOf, nextIsr } from './isr.ts';

const common = { leaderId: 1, replicas: [1, 2, 3], highWatermark: 100, nowMs: 50_000, replicaLagTimeMaxMs: 30_000 };

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

