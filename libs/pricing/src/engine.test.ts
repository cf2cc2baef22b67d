import { describe, expect, it } from 'vitest';
import {
  addMonths, bookAt, divRoundHalfEven, formatMinor, priceSoldIntervals, priceUsage, quoteChange, quoteCreate, quoteRenewal, segmentsByBook,
  splitTiers, sumMinor, validateRate, PricingError, type PriceBook,
} from './index.ts';

// The default book the migrations seed (prisma/migrations/*_price_book_discount): USD, 15 % prepaid discount.
const book2026: PriceBook = {
  id: 'pb-2026', currency: 'USD', effectiveFrom: new Date('2026-01-01T00:00:00Z'), prepaidDiscountBp: 1500,
  rates: [
    { meter: 'broker-hour', unitPriceMicros: 120_000 },
    { meter: 'bandwidth-mbps-hour', unitPriceMicros: 1_500 },
    { meter: 'disk-gib-hour', unitPriceMicros: 140 },
    { meter: 'partition-hour', unitPriceMicros: 30 },
  ],
};
const size = { brokers: 3, bandwidthMBps: 40, diskGiB: 500 };
const at = new Date('2026-12-01T00:00:00Z');
const byMeter = (lines: { meter: string; amountMinor: number }[]) => Object.fromEntries(lines.map((l) => [l.meter, l.amountMinor]));

describe('money', () => {
  it('rounds half to even in both signs', () => {
    expect([[5n, 2n], [7n, 2n], [-5n, 2n], [-7n, 2n], [1n, 3n], [2n, 3n], [-2n, 3n], [10n, -4n]].map(([a, b]) => divRoundHalfEven(a!, b!)))
      .toEqual([2n, 4n, -2n, -4n, 0n, 1n, -1n, -2n]);
  });
  it('formats minor units per currency exponent', () => {
    expect([formatMinor(91214, 'USD'), formatMinor(-5, 'USD'), formatMinor(1234, 'JPY'), formatMinor(0, 'EUR')]).toEqual(['912.14', '-0.05', '1234', '0.00']);
    expect(() => formatMinor(1, 'XXX')).toThrow(PricingError);
  });
  it('adds months in UTC, clamped to the last day of a shorter month', () => {
    expect(addMonths(new Date('2026-01-31T10:00:00Z'), 1).toISOString()).toBe('2026-02-28T10:00:00.000Z');
    expect(addMonths(new Date('2027-11-30T00:00:00Z'), 3).toISOString()).toBe('2028-02-29T00:00:00.000Z');
    expect(addMonths(new Date('2026-12-01T00:00:00Z'), 12).toISOString()).toBe('2027-12-01T00:00:00.000Z');
  });
});

describe('quotes (hand-computed from the default book)', () => {
  it('postpaid: 3 brokers 36¢ + 40 MB/s 6¢ + 500 GiB 7¢ = 49¢ an hour; a 730-hour month $357.70', () => {
    const q = quoteCreate([book2026], size, { mode: 'postpaid' }, at);
    // 3×120,000 µ = 36¢; 40×1,500 µ = 6¢; 500×140 µ = 7¢
    expect(byMeter(q.lines)).toEqual({ 'broker-hour': 36, 'bandwidth-mbps-hour': 6, 'disk-gib-hour': 7 });
    expect(q.lines.map((l) => l.code)).toEqual(['instance.broker-hours', 'instance.bandwidth-hours', 'instance.disk-provisioned-gib-hours']);
    expect(q.totalMinor).toBe(49);
    expect(q.hourlyMinor).toBe(49);
    // × 730 h: 26,280¢ + 4,380¢ + 5,110¢
    expect(q.monthlyEstimateMinor).toBe(35_770);
    expect(q.currency).toBe('USD');
  });

  it('prepaid 3 months: 107,310¢ less 15 % (16,096.5¢ → 16,096¢, half to even) = 91,214¢, expiring 2027-03-01', () => {
    const q = quoteCreate([book2026], size, { mode: 'prepaid', periodMonths: 3 }, at);
    expect(q.lines.filter((l) => l.code === 'prepaid.period').map((l) => l.amountMinor)).toEqual([78_840, 13_140, 15_330]);
    expect(q.lines.at(-1)).toMatchObject({ code: 'prepaid.discount', amountMinor: -16_096, quantity: 15 });
    expect(q.totalMinor).toBe(91_214);
    expect(formatMinor(q.totalMinor, q.currency)).toBe('912.14');
    expect(q.periodEnd).toBe('2027-03-01T00:00:00.000Z');
  });

  it('prepaid upgrade with 252.5 hours left: +2 brokers 6,060¢, +300 GiB 1,060.5¢ → 1,060¢, less 15 % (1,068¢) = 6,052¢; the bandwidth cut waits for the renewal', () => {
    const expiresAt = new Date(at.getTime() + 252.5 * 3600_000);
    const q = quoteChange([book2026], size, { brokers: 5, bandwidthMBps: 20, diskGiB: 800 }, { mode: 'prepaid', expiresAt }, at);
    expect(q.lines.map((l) => [l.code, l.meter, l.quantity, l.amountMinor])).toEqual([
      ['prepaid.upgrade-proration', 'broker-hour', 505, 6_060], // 2 brokers × 252.5 h × 12¢
      ['prepaid.upgrade-proration', 'disk-gib-hour', 75_750, 1_060], // 300 GiB × 252.5 h × 0.014¢
      ['prepaid.discount', 'discount', 15, -1_068],
    ]);
    expect(q.totalMinor).toBe(6_052);
    expect(q.downgradeEffectiveAt).toBe(expiresAt.toISOString());
    // the resulting size's list price: 5×12¢ + 20×0.15¢ + 800×0.014¢ = 60 + 3 + 11.2 → 60 + 3 + 11
    expect(q.hourlyMinor).toBe(74);
  });

  it('a pure downgrade of a prepaid instance costs nothing now', () => {
    const expiresAt = new Date(at.getTime() + 100 * 3600_000);
    const q = quoteChange([book2026], size, { ...size, bandwidthMBps: 20 }, { mode: 'prepaid', expiresAt }, at);
    expect(q.totalMinor).toBe(0);
    expect(q.lines).toEqual([]);
    expect(q.downgradeEffectiveAt).toBe(expiresAt.toISOString());
  });

  it('renewal before expiry extends from the old expiry; after expiry from now', () => {
    const expiresAt = new Date('2027-01-15T00:00:00Z');
    const early = quoteRenewal([book2026], size, 1, expiresAt, at);
    expect([early.periodStart, early.periodEnd]).toEqual(['2027-01-15T00:00:00.000Z', '2027-02-15T00:00:00.000Z']);
    // one month: 35,770¢ less 15 % (5,365.5¢ → 5,366¢, half to even) = 30,404¢
    expect(early.lines.at(-1)!.amountMinor).toBe(-5_366);
    expect(early.totalMinor).toBe(30_404);
    expect(early.lines.every((l) => l.code === 'prepaid.renewal' || l.code === 'prepaid.discount')).toBe(true);
    const late = quoteRenewal([book2026], size, 1, new Date('2026-11-20T00:00:00Z'), at);
    expect(late.periodStart).toBe(at.toISOString());
  });

  it('graduated bandwidth tiers: 200 MB/s = 100 at 0.15¢ + 100 at 0.10¢ = 25¢ an hour', () => {
    const tiered: PriceBook = { ...book2026, rates: book2026.rates.map((r) => r.meter === 'bandwidth-mbps-hour' ? { ...r, tiers: [{ upTo: 100, unitPriceMicros: 1_500 }, { upTo: null, unitPriceMicros: 1_000 }] } : r) };
    const q = quoteCreate([tiered], { ...size, bandwidthMBps: 200 }, { mode: 'postpaid' }, at);
    expect(q.lines.filter((l) => l.meter === 'bandwidth-mbps-hour').map((l) => [l.tier, l.quantity, l.amountMinor])).toEqual([[0, 100, 15], [1, 100, 10]]);
    expect(splitTiers(tiered.rates[1]!, 40n)).toEqual([{ units: 40n, unitPriceMicros: 1_500n, tier: 0 }]);
  });

  it('refuses a book without a sold meter, an unordered tier list and a time before every book', () => {
    expect(() => quoteCreate([{ ...book2026, rates: [] }], size, { mode: 'postpaid' }, at)).toThrow(/no rate for broker-hour/);
    expect(() => validateRate({ meter: 'x', unitPriceMicros: 1, tiers: [{ upTo: 10, unitPriceMicros: 1 }, { upTo: 5, unitPriceMicros: 1 }, { upTo: null, unitPriceMicros: 1 }] })).toThrow(/out of order/);
    expect(() => bookAt([book2026], new Date('2025-06-01T00:00:00Z'))).toThrow(PricingError);
  });
});

describe('postpaid periods and usage', () => {
  const day = new Date('2026-12-01T00:00:00Z');
  const h = (n: number) => new Date(day.getTime() + n * 3600_000);

  it('a spec change at 10:30 splits the hour: 3 brokers × 10.5 h + 5 × 13.5 h = 99 broker-hours = 1,188¢', () => {
    const lines = priceSoldIntervals([book2026], [
      { instanceId: 'ins-a', from: h(0), to: h(10.5), size },
      { instanceId: 'ins-a', from: h(10.5), to: h(30), size: { ...size, brokers: 5 } },
    ], h(0), h(24));
    expect(lines.map((l) => [l.meter, l.quantity, l.amountMinor])).toEqual([
      ['bandwidth-mbps-hour', 960, 144], ['broker-hour', 99, 1_188], ['disk-gib-hour', 12_000, 168],
    ]);
    expect(sumMinor(lines)).toBe(1_500);
  });

  it('a price book taking effect at noon prices each part at its own rates', () => {
    const noon: PriceBook = { ...book2026, id: 'pb-noon', effectiveFrom: h(12), rates: book2026.rates.map((r) => r.meter === 'broker-hour' ? { ...r, unitPriceMicros: 100_000 } : r) };
    expect(segmentsByBook([book2026, noon], h(0), h(24)).map((s) => s.book.id)).toEqual(['pb-2026', 'pb-noon']);
    const lines = priceSoldIntervals([book2026, noon], [
      { instanceId: 'ins-a', from: h(0), to: h(10.5), size },
      { instanceId: 'ins-a', from: h(10.5), to: h(24), size: { ...size, brokers: 5 } },
    ], h(0), h(24));
    const brokers = lines.filter((l) => l.meter === 'broker-hour').map((l) => [l.priceBookId, l.quantity, l.amountMinor]);
    // before noon 3×10.5 + 5×1.5 = 39 h at 12¢; after, 5×12 = 60 h at 10¢
    expect(brokers).toEqual([['pb-2026', 39, 468], ['pb-noon', 60, 600]]);
  });

  it('usage: bundled partitions taken off per hour, bytes per GiB, meters without a rate not charged', () => {
    const usageBook: PriceBook = { ...book2026, rates: [...book2026.rates.filter((r) => r.meter !== 'partition-hour'), { meter: 'partition-hour', unitPriceMicros: 3_000, includedUnits: 10 }, { meter: 'bytes-in-gib', unitPriceMicros: 50_000 }] };
    const lines = priceUsage([usageBook], [
      // 30 partition replicas for two hours: (30 − 10) × 2 = 40 partition-hours × 0.3¢ = 12¢
      { instanceId: 'ins-a', meter: 'partition-hour', periodStart: h(0), periodEnd: h(1), units: 30n * 3600n },
      { instanceId: 'ins-a', meter: 'partition-hour', periodStart: h(1), periodEnd: h(2), units: 30n * 3600n },
      // 5 GiB in at 5¢ = 25¢
      { instanceId: 'ins-a', meter: 'bytes-in-gib', periodStart: h(0), periodEnd: h(1), units: 5n << 30n },
      { instanceId: 'ins-a', meter: 'bytes-out-gib', periodStart: h(0), periodEnd: h(1), units: 7n << 30n },
    ]);
    expect(lines.map((l) => [l.code, l.quantity, l.amountMinor])).toEqual([['usage.bytes-in-gib', 5, 25], ['usage.partition-hours', 40, 12]]);
  });
});
