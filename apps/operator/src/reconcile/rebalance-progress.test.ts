import { describe, expect, it } from 'vitest';
import { estimateEnd, nextProgress, type RebalanceProgress } from './rebalance-progress.ts';

const t0 = new Date('2026-12-02T03:00:00.000Z');
const at = (s: number) => new Date(t0.getTime() + s * 1000);
const moving = (started: boolean, partitions: number, copied: number, total: number, throttle: number | null = null) => ({ state: 'moving' as const, started, message: '', partitions, bytes: { copied, total }, throttleBytesPerSecond: throttle });

describe('progress of the data an instance moves', () => {
  it('fixes the totals when the moves start and counts moved partitions and bytes from what is still moving', () => {
    const start = nextProgress(null, moving(true, 4, 0, 4000), t0)!;
    expect(start).toEqual({ partitionsMoved: 0, partitionsTotal: 4, bytesMoved: 0, bytesTotal: 4000, startedAt: t0.toISOString(), estimatedEndAt: null, throttleBytesPerSecond: null, finished: false });
    // 10 s later: one partition done (3 still moving), the moving ones have copied 1000 of their 3000 (2000 left).
    const later = nextProgress(start, moving(false, 3, 1000, 3000), at(10))!;
    expect(later).toMatchObject({ partitionsMoved: 1, partitionsTotal: 4, bytesMoved: 2000, bytesTotal: 4000, startedAt: t0.toISOString() });
    // Half the bytes in 10 s: the other half by 20 s.
    expect(later.estimatedEndAt).toBe(at(20).toISOString());
  });

  it('shows the throttle the brokers have at each look', () => {
    const start = nextProgress(null, moving(true, 2, 0, 2000, 1_000_000), t0)!;
    expect(start.throttleBytesPerSecond).toBe(1_000_000);
    expect(nextProgress(start, moving(false, 2, 500, 2000, 250_000), at(5))!.throttleBytesPerSecond).toBe(250_000);
    expect(nextProgress(start, moving(false, 2, 500, 2000, null), at(5))!.throttleBytesPerSecond).toBeNull();
  });

  it('never counts backwards when a moving partition\'s source grows under load', () => {
    const p: RebalanceProgress = { partitionsMoved: 2, partitionsTotal: 4, bytesMoved: 3000, bytesTotal: 4000, startedAt: t0.toISOString(), estimatedEndAt: null, throttleBytesPerSecond: null, finished: false };
    expect(nextProgress(p, moving(false, 3, 0, 5000), at(5))).toMatchObject({ partitionsMoved: 2, bytesMoved: 3000 });
  });

  it('ends with everything moved once the placement is balanced, and stays so until the next pass forgets it', () => {
    const p: RebalanceProgress = { partitionsMoved: 3, partitionsTotal: 4, bytesMoved: 3900, bytesTotal: 4000, startedAt: t0.toISOString(), estimatedEndAt: null, throttleBytesPerSecond: null, finished: false };
    const done = nextProgress(p, { state: 'balanced' }, at(30))!;
    expect(done).toMatchObject({ partitionsMoved: 4, bytesMoved: 4000, estimatedEndAt: at(30).toISOString(), finished: true });
    expect(nextProgress(done, { state: 'balanced' }, at(31))).toBe(done);
    expect(nextProgress(null, { state: 'balanced' }, at(31))).toBeNull();
  });

  it('counts moves found running without a start it saw (operator restarted mid-move) from the first look', () => {
    expect(nextProgress(null, moving(false, 2, 500, 2000), t0)).toMatchObject({ partitionsMoved: 0, partitionsTotal: 2, bytesMoved: 500, bytesTotal: 2000, startedAt: t0.toISOString() });
  });

  it('keeps the progress while the moves are blocked', () => {
    const p: RebalanceProgress = { partitionsMoved: 1, partitionsTotal: 4, bytesMoved: 10, bytesTotal: 40, startedAt: t0.toISOString(), estimatedEndAt: null, throttleBytesPerSecond: null, finished: false };
    expect(nextProgress(p, { state: 'blocked', message: 'x' }, at(3))).toBe(p);
  });

  it('estimates no end before a byte has moved', () => {
    expect(estimateEnd(t0.toISOString(), 0, 100, at(5))).toBeNull();
  });
});
