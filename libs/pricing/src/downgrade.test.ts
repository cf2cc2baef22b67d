import { describe, expect, it } from 'vitest';
import { PricingError, parsePendingSize, planPrepaidChange, samePending, withPending } from './index.ts';

const paid = { brokers: 3, bandwidthMBps: 100, diskGiB: 500 };

describe('a prepaid change split into now and at the renewal', () => {
  it('a lower level waits, a higher one applies now, an unchanged one keeps what was pending', () => {
    expect(planPrepaidChange(paid, { ...paid, bandwidthMBps: 40 }, null)).toEqual({ now: paid, pending: { bandwidthMBps: 40 } });
    // disk up now, bandwidth down at the renewal: both in one request
    expect(planPrepaidChange(paid, { ...paid, bandwidthMBps: 40, diskGiB: 800 }, null)).toEqual({ now: { ...paid, diskGiB: 800 }, pending: { bandwidthMBps: 40 } });
    // the spec as read (the paid levels) sent back to change something else keeps the pending downgrade
    expect(planPrepaidChange(paid, paid, { bandwidthMBps: 40 })).toEqual({ now: paid, pending: { bandwidthMBps: 40 } });
    // a second, different downgrade replaces the first
    expect(planPrepaidChange(paid, { ...paid, bandwidthMBps: 20 }, { bandwidthMBps: 40 })).toEqual({ now: paid, pending: { bandwidthMBps: 20 } });
    // an upgrade of that level supersedes it
    expect(planPrepaidChange(paid, { ...paid, bandwidthMBps: 200 }, { bandwidthMBps: 40 })).toEqual({ now: { ...paid, bandwidthMBps: 200 }, pending: null });
    expect(planPrepaidChange(paid, paid, null)).toEqual({ now: paid, pending: null });
  });

  it('the size after the renewal, and the stored form', () => {
    expect(withPending(paid, { bandwidthMBps: 40 })).toEqual({ ...paid, bandwidthMBps: 40 });
    expect(withPending(paid, null)).toEqual(paid);
    expect(samePending({ bandwidthMBps: 40 }, { bandwidthMBps: 40 })).toBe(true);
    expect(samePending({ bandwidthMBps: 40 }, null)).toBe(false);
    expect(samePending(null, null)).toBe(true);
    expect(parsePendingSize({ bandwidthMBps: 20 })).toEqual({ bandwidthMBps: 20 });
    expect(parsePendingSize(null)).toBeNull();
    expect(parsePendingSize({})).toBeNull();
    expect(() => parsePendingSize({ zone: 'zone-a' })).toThrow(PricingError);
    expect(() => parsePendingSize({ bandwidthMBps: -1 })).toThrow(PricingError);
    expect(() => parsePendingSize([20])).toThrow(PricingError);
  });
});
