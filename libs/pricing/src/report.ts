import { meterDef } from './meters.ts';
import { PricingError } from './money.ts';
import { bookAt, type PriceBook } from './price-book.ts';
import { priceSoldIntervals, priceUsage, type SoldInterval, type UsageInput } from './engine.ts';

export type Granularity = 'hour' | 'day' | 'month';

/** Start of the bucket holding `t` (UTC). */
export function bucketStart(t: Date, g: Granularity): Date {
  if (g === 'hour') return new Date(Math.floor(t.getTime() / 3_600_000) * 3_600_000);
  if (g === 'day') return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()));
  return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), 1));
}
export function nextBucket(t: Date, g: Granularity): Date {
  if (g === 'hour') return new Date(t.getTime() + 3_600_000);
  if (g === 'day') return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate() + 1));
  return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 1));
}
/** The buckets covering [from, to): the first starts at or before `from`, each cut to [from, to). */
export function buckets(from: Date, to: Date, g: Granularity): { start: Date; end: Date }[] {
  const out: { start: Date; end: Date }[] = [];
  for (let s = bucketStart(from, g); s < to; s = nextBucket(s, g)) {
    out.push({ start: s < from ? from : s, end: nextBucket(s, g) > to ? to : nextBucket(s, g) });
  }
  return out;
}

/** One row of a usage and cost report: a group's (an instance's, or a label value's) use of one meter in one bucket. */
export interface ReportRow {
  periodStart: string;
  periodEnd: string;
  group: string;
  meter: string;
  code: string;
  unit: string;
  /** in `unit`, rounded to 6 decimals for display */
  quantity: number;
  /** what the engine charges for it, rounded once per (instance, meter, book) in the bucket, in minor units */
  amountMinor: number;
}

/**
 * Usage and cost per bucket: postpaid sold size by the second (`priceSoldIntervals` over the bucket)
 * and metered usage hours (`priceUsage`), grouped by `groupOf(instanceId)` (the instance itself, or a
 * label value for chargeback by label). Amounts come from the same engine as invoices; a row is the
 * sum of the engine's lines for its group, so the rows of a month at `month` granularity and one
 * instance add up to the invoice's lines for it (finer buckets round each bucket on its own).
 */
export function usageReport(books: readonly PriceBook[], input: {
  from: Date; to: Date; granularity: Granularity; sold: readonly SoldInterval[]; usage: readonly UsageInput[]; groupOf?: (instanceId: string) => string;
}): { currency: string; rows: ReportRow[]; totalMinor: number } {
  if (!(input.from < input.to)) throw new PricingError('invalid-input', 'a report needs from < to');
  const currency = bookAt(books, input.from).currency;
  const groupOf = input.groupOf ?? ((id: string) => id);
  const rows: ReportRow[] = [];
  for (const b of buckets(input.from, input.to, input.granularity)) {
    const acc = new Map<string, ReportRow>();
    const lines = [
      ...priceSoldIntervals(books, input.sold, b.start, b.end),
      ...priceUsage(books, input.usage.filter((u) => u.periodStart >= b.start && u.periodStart < b.end)),
    ];
    // A usage meter without a rate is still reported (quantity, no charge).
    const priced = new Set(lines.map((l) => `${l.instanceId}|${l.meter}`));
    for (const u of input.usage) {
      if (u.periodStart < b.start || u.periodStart >= b.end || priced.has(`${u.instanceId}|${u.meter}`)) continue;
      const def = meterDef(u.meter);
      if (!def) continue;
      const book = bookAt(books, u.periodStart);
      lines.push({ code: def.code, meter: u.meter, instanceId: u.instanceId, quantity: Number(u.units) / Number(def.perQuantity), unit: def.unit, unitPriceMicros: 0, amountMinor: 0, priceBookId: book.id, tier: null, periodStart: null, periodEnd: null });
    }
    for (const l of lines) {
      if (bookAt(books, b.start).currency !== currency) throw new PricingError('invalid-input', 'a report spans price books of different currencies');
      const group = groupOf(l.instanceId ?? '');
      const key = `${group}\u0000${l.meter}`;
      const row = acc.get(key) ?? { periodStart: b.start.toISOString(), periodEnd: b.end.toISOString(), group, meter: l.meter, code: l.code, unit: l.unit, quantity: 0, amountMinor: 0 };
      row.quantity = Math.round((row.quantity + l.quantity) * 1e6) / 1e6;
      row.amountMinor += l.amountMinor;
      acc.set(key, row);
    }
    rows.push(...[...acc.values()].sort((x, y) => (x.group < y.group ? -1 : x.group > y.group ? 1 : x.meter < y.meter ? -1 : x.meter > y.meter ? 1 : 0)));
  }
  return { currency, rows, totalMinor: rows.reduce((s, r) => s + r.amountMinor, 0) };
}
