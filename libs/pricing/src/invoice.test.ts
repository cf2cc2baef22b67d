import { describe, expect, it } from 'vitest';
import { buildMonthlyInvoice, buildPurchaseInvoice, compareInvoices, priceLateUsage, quoteCreate, type PriceBook } from './index.ts';

// The default book (libs/pricing README) plus usage rates: partition replicas at 0.3¢ an hour beyond 10
// bundled, bytes in at 5¢ a GiB.
const book: PriceBook = {
  id: 'pb-2026', currency: 'USD', effectiveFrom: new Date('2026-01-01T00:00:00Z'), prepaidDiscountBp: 1500,
  rates: [
    { meter: 'broker-hour', unitPriceMicros: 120_000 },
    { meter: 'bandwidth-mbps-hour', unitPriceMicros: 1_500 },
    { meter: 'disk-gib-hour', unitPriceMicros: 140 },
    { meter: 'partition-hour', unitPriceMicros: 3_000, includedUnits: 10 },
    { meter: 'bytes-in-gib', unitPriceMicros: 50_000 },
  ],
};
const dec = new Date('2026-12-01T00:00:00Z');
const jan = new Date('2027-01-01T00:00:00Z');
const h = (n: number) => new Date(dec.getTime() + n * 3600_000);
const size = { brokers: 3, bandwidthMBps: 40, diskGiB: 500 };

describe('buildMonthlyInvoice (hand-computed)', () => {
  const inputs = {
    periodStart: dec, periodEnd: jan,
    // runs from Nov 30 12:00 (clipped to Dec 1) to Dec 2 00:00: 24 hours in December
    sold: [{ instanceId: 'ins-a', from: h(-12), to: h(24), size }],
    usage: [
      { instanceId: 'ins-a', meter: 'bytes-in-gib', periodStart: h(0), periodEnd: h(1), units: 5n << 30n },
      { instanceId: 'ins-a', meter: 'partition-hour', periodStart: h(0), periodEnd: h(1), units: 30n * 3600n },
      // an hour of January is not December's
      { instanceId: 'ins-a', meter: 'bytes-in-gib', periodStart: jan, periodEnd: new Date(jan.getTime() + 3600_000), units: 99n << 30n },
    ],
    late: [
      // Nov 30 23:00 was billed at 8 replicas (inside the bundle of 10); 5 more arrived late: 13 − 10 = 3 charged
      { instanceId: 'ins-a', meter: 'partition-hour', periodStart: h(-1), periodEnd: h(0), units: 5n * 3600n, billedUnits: 8n * 3600n },
      { instanceId: 'ins-a', meter: 'bytes-in-gib', periodStart: h(-1), periodEnd: h(0), units: 1n << 30n, billedUnits: 0n },
    ],
  };

  it('sold size by the second, usage less the bundle, late usage as adjustments: 1,213¢', () => {
    const inv = buildMonthlyInvoice([book], inputs);
    expect(inv.currency).toBe('USD');
    expect(inv.lines.map((l) => [l.code, l.meter, l.quantity, l.amountMinor])).toEqual([
      // 3 × 24 = 72 broker-hours × 12¢ = 864¢; 40 × 24 = 960 MB/s-hours × 0.15¢ = 144¢; 500 × 24 = 12,000 GiB-hours × 0.014¢ = 168¢
      ['adjustment.late-usage', 'bytes-in-gib', 1, 5], // 1 GiB × 5¢
      ['adjustment.late-usage', 'partition-hour', 3, 1], // 3 × 0.3¢ = 0.9¢ → 1¢
      ['instance.bandwidth-hours', 'bandwidth-mbps-hour', 960, 144],
      ['instance.broker-hours', 'broker-hour', 72, 864],
      ['instance.disk-provisioned-gib-hours', 'disk-gib-hour', 12_000, 168],
      ['usage.bytes-in-gib', 'bytes-in-gib', 5, 25], // 5 GiB × 5¢
      ['usage.partition-hours', 'partition-hour', 20, 6], // (30 − 10) × 0.3¢
    ]);
    expect(inv.totalMinor).toBe(864 + 144 + 168 + 25 + 6 + 1 + 5);
    expect(inv.lines.every((l) => l.instanceId === 'ins-a')).toBe(true);
  });

  it('is deterministic: the same inputs in another order give the same lines', () => {
    const a = buildMonthlyInvoice([book], inputs);
    const b = buildMonthlyInvoice([book], { ...inputs, usage: [...inputs.usage].reverse(), late: [...inputs.late].reverse() });
    expect(compareInvoices(a, b)).toEqual([]);
    const changed = { ...b, lines: b.lines.map((l, i) => (i === 3 ? { ...l, amountMinor: l.amountMinor + 1 } : l)), totalMinor: b.totalMinor + 1 };
    expect(compareInvoices(a, changed)).toEqual([
      { position: 3, field: 'amountMinor', stored: 864, recomputed: 865 },
      { position: -1, field: 'totalMinor', stored: a.totalMinor, recomputed: a.totalMinor + 1 },
    ]);
  });

  it('late usage entirely inside the bundle costs nothing and gives no line', () => {
    expect(priceLateUsage([book], [{ instanceId: 'ins-a', meter: 'partition-hour', periodStart: h(0), periodEnd: h(1), units: 2n * 3600n, billedUnits: 7n * 3600n }])).toEqual([]);
  });

  it('refuses a month whose lines come from books of different currencies', () => {
    const eur: PriceBook = { ...book, id: 'pb-eur', currency: 'EUR', effectiveFrom: h(12) };
    expect(() => buildMonthlyInvoice([book, eur], inputs)).toThrow(/priced in EUR/);
  });
});

describe('buildPurchaseInvoice', () => {
  it('is the prepaid quote as charged: 3 months 91,214¢', () => {
    const q = quoteCreate([book], size, { mode: 'prepaid', periodMonths: 3 }, dec);
    const inv = buildPurchaseInvoice(q);
    expect(inv.totalMinor).toBe(91_214);
    expect(inv.lines.map((l) => l.code)).toEqual(['prepaid.period', 'prepaid.period', 'prepaid.period', 'prepaid.discount']);
  });
});
