import { LINE_CODES, meterDef } from './meters.ts';
import { PricingError, divRoundHalfEven, microsPerMinor, safeNumber } from './money.ts';
import { bookAt, type PriceBook } from './price-book.ts';
import { priceSoldIntervals, priceUsage, sortLines, sumMinor, type Line, type Quote, type SoldInterval, type UsageInput } from './engine.ts';

/**
 * Usage of an hour learned after an earlier invoice was finalised (an adjustment of a closed hour, or
 * an hour first recorded after the cutoff): `units` more base units on top of `billedUnits` already
 * billed for that hour. The bundle (`includedUnits` per hour) is applied to the hour as a whole, so
 * the late units cost exactly what the hour would have cost more had they been known in time.
 */
export interface LateUsageInput extends UsageInput { billedUnits: bigint }

/** What one monthly invoice is built from (the API reads these rows; the builder is pure). */
export interface MonthlyInvoiceInputs {
  periodStart: Date;
  periodEnd: Date;
  /** sold sizes of the account's postpaid instances (clipped to the period here) */
  sold: readonly SoldInterval[];
  /** closed usage hours starting in the period */
  usage: readonly UsageInput[];
  /** usage of earlier hours learned since the previous invoice */
  late: readonly LateUsageInput[];
}

export interface BuiltInvoice { currency: string; lines: Line[]; totalMinor: number }

/**
 * The monthly invoice of an account, in arrears: postpaid sold-size lines by the second
 * (`priceSoldIntervals`), metered usage lines (`priceUsage`) and `adjustment.late-usage` lines, all
 * from the same engine as quotes. Deterministic: the same inputs give the same lines in the same
 * order, which is what the recompute check relies on.
 */
export function buildMonthlyInvoice(books: readonly PriceBook[], inputs: MonthlyInvoiceInputs): BuiltInvoice {
  const currency = bookAt(books, inputs.periodStart).currency;
  const lines = [
    ...priceSoldIntervals(books, inputs.sold, inputs.periodStart, inputs.periodEnd),
    ...priceUsage(books, inputs.usage.filter((u) => u.periodStart >= inputs.periodStart && u.periodStart < inputs.periodEnd)),
    ...priceLateUsage(books, inputs.late),
  ];
  for (const l of lines) {
    const c = books.find((b) => b.id === l.priceBookId)?.currency;
    if (c !== currency) throw new PricingError('invalid-input', `line ${l.code} is priced in ${c ?? '?'}, the invoice in ${currency}`);
  }
  return { currency, lines: sortLines(lines), totalMinor: sumMinor(lines) };
}

/** A purchase invoice (prepaid period, renewal, upgrade): the quote's lines as they were charged. */
export function buildPurchaseInvoice(quote: Pick<Quote, 'currency' | 'lines'>, instanceId: string | null = null): BuiltInvoice {
  return { currency: quote.currency, lines: quote.lines.map((l) => ({ ...l, instanceId: l.instanceId ?? instanceId })), totalMinor: sumMinor(quote.lines) };
}

/**
 * Late usage as `adjustment.late-usage` lines, one per (instance, meter, book): for each hour the
 * billable units are (billed + late − bundle)⁺ − (billed − bundle)⁺, summed and rounded once.
 */
export function priceLateUsage(books: readonly PriceBook[], records: readonly LateUsageInput[]): Line[] {
  const acc = new Map<string, { book: PriceBook; instanceId: string; meter: string; price: bigint; per: bigint; units: bigint; from: number; to: number }>();
  for (const r of records) {
    const def = meterDef(r.meter);
    if (!def || def.kind !== 'usage') continue;
    const book = bookAt(books, r.periodStart);
    const rate = book.rates.find((x) => x.meter === r.meter);
    if (!rate) continue;
    const seconds = BigInt(Math.round((r.periodEnd.getTime() - r.periodStart.getTime()) / 1000));
    const included = BigInt(rate.includedUnits ?? 0) * (def.perQuantity === 3600n ? seconds : 1n);
    const pos = (v: bigint) => (v > 0n ? v : 0n);
    const billable = pos(r.billedUnits + r.units - included) - pos(r.billedUnits - included);
    const key = [r.instanceId, r.meter, book.id].join('|');
    const a = acc.get(key) ?? { book, instanceId: r.instanceId, meter: r.meter, price: BigInt(rate.unitPriceMicros), per: def.perQuantity, units: 0n, from: r.periodStart.getTime(), to: r.periodEnd.getTime() };
    a.units += billable;
    a.from = Math.min(a.from, r.periodStart.getTime()); a.to = Math.max(a.to, r.periodEnd.getTime());
    acc.set(key, a);
  }
  return sortLines([...acc.values()].filter((a) => a.units !== 0n).map((a) => ({
    code: LINE_CODES.lateUsage, meter: a.meter, instanceId: a.instanceId,
    quantity: Number(divRoundHalfEven(a.units * 1_000_000n, a.per)) / 1_000_000, unit: meterDef(a.meter)!.unit,
    unitPriceMicros: safeNumber(a.price), amountMinor: safeNumber(divRoundHalfEven(a.units * a.price, a.per * microsPerMinor(a.book.currency))),
    priceBookId: a.book.id, tier: null, periodStart: new Date(a.from).toISOString(), periodEnd: new Date(a.to).toISOString(),
  })));
}

/** A line-by-line comparison of a stored invoice with its recomputation (the recompute check). */
export interface InvoiceDifference { position: number; field: string; stored: unknown; recomputed: unknown }
const COMPARED = ['code', 'meter', 'instanceId', 'quantity', 'unit', 'unitPriceMicros', 'amountMinor', 'priceBookId', 'tier', 'periodStart', 'periodEnd'] as const;
export function compareInvoices(stored: { lines: readonly Line[]; totalMinor: number }, recomputed: { lines: readonly Line[]; totalMinor: number }): InvoiceDifference[] {
  const out: InvoiceDifference[] = [];
  const n = Math.max(stored.lines.length, recomputed.lines.length);
  for (let i = 0; i < n; i++) {
    const a = stored.lines[i]; const b = recomputed.lines[i];
    if (!a || !b) { out.push({ position: i, field: 'line', stored: a ?? null, recomputed: b ?? null }); continue; }
    for (const f of COMPARED) if (a[f] !== b[f]) out.push({ position: i, field: f, stored: a[f], recomputed: b[f] });
  }
  if (stored.totalMinor !== recomputed.totalMinor) out.push({ position: -1, field: 'totalMinor', stored: stored.totalMinor, recomputed: recomputed.totalMinor });
  return out;
}
