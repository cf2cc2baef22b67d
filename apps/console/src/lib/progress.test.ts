import { describe, expect, it } from 'vitest';
import { describeProgress } from './progress.ts';

const base = { partitionsMoved: 2, partitionsTotal: 8, bytesMoved: 256 * 1024 * 1024, bytesTotal: 1024 * 1024 * 1024, startedAt: '2026-12-02T03:00:00.000Z', estimatedEndAt: '2026-12-02T03:02:00.000Z', throttleBytesPerSecond: 10 * 1048576 };
const now = Date.parse('2026-12-02T03:00:30.000Z');

describe('rebalance progress', () => {
  it('by bytes when there are bytes to copy, with the operator\'s estimate while running and the throttle', () => {
    expect(describeProgress(base, true, now)).toEqual({ percent: 25, lines: ['2 of 8 partitions moved', '256 MiB of 1.00 GiB copied', 'about 2 min left', 'throttled to 10.0 MiB/s per broker'] });
  });

  it('by partitions when nothing is to be copied; no estimate once finished; unthrottled said so', () => {
    const empty = { ...base, bytesMoved: 0, bytesTotal: 0, partitionsMoved: 3, partitionsTotal: 4, throttleBytesPerSecond: null };
    expect(describeProgress(empty, false, now)).toEqual({ percent: 75, lines: ['3 of 4 partitions moved', '0 B of 0 B copied', 'unthrottled'] });
    expect(describeProgress({ ...empty, estimatedEndAt: null }, true, now).lines).not.toContain('finishing');
  });
});
