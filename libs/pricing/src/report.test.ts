import { describe, expect, it } from 'vitest';
import { buckets, usageReport, type PriceBook } from './index.ts';

const book: PriceBook = {
  id: 'pb', currency: 'USD', effectiveFrom: new Date('2026-01-01T00:00:00Z'), prepaidDiscountBp: 0,
  rates: [{ meter: 'broker-hour', unitPriceMicros: 120_000 }, { meter: 'bandwidth-mbps-hour', unitPriceMicros: 1_500 }, { meter: 'disk-gib-hour', unitPriceMicros: 140 }],
};
const t = (s: string) => new Date(s);

describe('buckets', () => {
  it('covers the range in UTC calendar buckets, the first and last cut to it', () => {
    expect(buckets(t('2026-11-30T10:30:00Z'), t('2026-12-02T06:00:00Z'), 'day').map((b) => [b.start.toISOString(), b.end.toISOString()])).toEqual([
      ['2026-11-30T10:30:00.000Z', '2026-12-01T00:00:00.000Z'], ['2026-12-01T00:00:00.000Z', '2026-12-02T00:00:00.000Z'], ['2026-12-02T00:00:00.000Z', '2026-12-02T06:00:00.000Z'],
    ]);
    expect(buckets(t('2026-12-15T00:00:00Z'), t('2027-02-01T00:00:00Z'), 'month').map((b) => b.start.toISOString())).toEqual(['2026-12-15T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
    expect(buckets(t('2026-12-01T00:00:00Z'), t('2026-12-01T02:00:00Z'), 'hour')).toHaveLength(2);
  });
});

describe('usageReport', () => {
  it('rows per bucket, group and meter; a usage meter without a rate is listed at 0; groups merge instances', () => {
    const size = { brokers: 2, bandwidthMBps: 0, diskGiB: 0 };
    const r = usageReport([book], {
      from: t('2026-12-01T00:00:00Z'), to: t('2026-12-01T02:00:00Z'), granularity: 'hour',
      sold: [{ instanceId: 'a', from: t('2026-12-01T00:30:00Z'), to: t('2026-12-01T05:00:00Z'), size }, { instanceId: 'b', from: t('2026-12-01T00:00:00Z'), to: t('2026-12-01T05:00:00Z'), size }],
      usage: [{ instanceId: 'a', meter: 'bytes-out-gib', periodStart: t('2026-12-01T01:00:00Z'), periodEnd: t('2026-12-01T02:00:00Z'), units: 3n << 30n }],
      groupOf: () => 'team-x',
    });
    // hour 0: a 2 brokers × 0.5 h + b 2 × 1 h = 3 broker-hours × 12¢ = 36¢; hour 1: 4 × 12¢ = 48¢
    expect(r.rows.filter((x) => x.meter === 'broker-hour').map((x) => [x.periodStart.slice(11, 16), x.group, x.quantity, x.amountMinor])).toEqual([['00:00', 'team-x', 3, 36], ['01:00', 'team-x', 4, 48]]);
    expect(r.rows.find((x) => x.meter === 'bytes-out-gib')).toMatchObject({ quantity: 3, amountMinor: 0, code: 'usage.bytes-out-gib' });
    expect(r.totalMinor).toBe(84);
    expect(() => usageReport([book], { from: t('2026-12-01T02:00:00Z'), to: t('2026-12-01T02:00:00Z'), granularity: 'hour', sold: [], usage: [] })).toThrow(/from < to/);
  });
});
