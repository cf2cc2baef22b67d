import { LINE_CODES, METERS, SOLD_METERS, meterDef, type Meter } from './meters.ts';
import { PricingError, divRoundHalfEven, microsPerMinor, safeNumber } from './money.ts';
import { bookAt, segmentsByBook, splitTiers, type PriceBook, type Rate } from './price-book.ts';

/** The sold size of an instance: what sold-size meters are priced from. */
export interface SoldSize { brokers: number; bandwidthMBps: number; diskGiB: number }

/**
 * One priced line. `quantity` is for display (rounded to 6 decimals); `amountMinor` is computed from
 * the exact integer inputs and rounded once, half to even.
 */
export interface Line {
  code: string;
  meter: string;
  instanceId: string | null;
  quantity: number;
  unit: string;
  unitPriceMicros: number;
  amountMinor: number;
  priceBookId: string;
  tier: number | null;
  periodStart: string | null;
  periodEnd: string | null;
}

/** Hours in a prepaid month: a year of 8,760 hours in twelve equal months, whatever the calendar month's length. */
export const HOURS_PER_MONTH = 730n;
const HOUR_S = 3600n;
const MONTH_S = HOURS_PER_MONTH * HOUR_S;

export function soldLevels(size: SoldSize): [Meter, bigint][] {
  for (const k of ['brokers', 'bandwidthMBps', 'diskGiB'] as const) {
    if (!Number.isSafeInteger(size[k]) || size[k] < 0) throw new PricingError('invalid-input', `${k} must be a non-negative integer`);
  }
  return [['broker-hour', BigInt(size.brokers)], ['bandwidth-mbps-hour', BigInt(size.bandwidthMBps)], ['disk-gib-hour', BigInt(size.diskGiB)]];
}

function rateOf(book: PriceBook, meter: string): Rate | undefined {
  return book.rates.find((r) => r.meter === meter);
}
function requiredRate(book: PriceBook, meter: string): Rate {
  const r = rateOf(book, meter);
  if (!r) throw new PricingError('missing-rate', `price book ${book.id} has no rate for ${meter}`);
  return r;
}

const displayQuantity = (units: bigint, per: bigint) => Number(divRoundHalfEven(units * 1_000_000n, per)) / 1_000_000;

/** A line of `units` base units at `priceMicros` per `per` base units, rounded once to minor units. */
function line(book: PriceBook, code: string, meter: string, units: bigint, per: bigint, priceMicros: bigint, extra: Partial<Line> = {}): Line {
  const def = meterDef(meter);
  return {
    code, meter, instanceId: null, quantity: displayQuantity(units, per), unit: def?.unit ?? meter, unitPriceMicros: safeNumber(priceMicros),
    amountMinor: safeNumber(divRoundHalfEven(units * priceMicros, per * microsPerMinor(book.currency))),
    priceBookId: book.id, tier: null, periodStart: null, periodEnd: null, ...extra,
  };
}

/** Lines for a sold size held `seconds` seconds under one book (one line per meter and tier). */
export function soldLines(book: PriceBook, size: SoldSize, seconds: bigint, code: (meter: Meter) => string, extra: Partial<Line> = {}): Line[] {
  const out: Line[] = [];
  for (const [meter, level] of soldLevels(size)) {
    const rate = requiredRate(book, meter);
    for (const piece of splitTiers(rate, level)) {
      out.push(line(book, code(meter), meter, piece.units * seconds, HOUR_S, piece.unitPriceMicros, { ...extra, tier: piece.tier }));
    }
  }
  return out;
}

export const sumMinor = (lines: readonly Line[]): number => lines.reduce((s, l) => s + l.amountMinor, 0);

/** The prepaid discount of a subtotal, as a negative line (rounded half to even on the whole subtotal). */
function discountLine(book: PriceBook, subtotalMinor: number, extra: Partial<Line>): Line | null {
  if (book.prepaidDiscountBp === 0 || subtotalMinor === 0) return null;
  const amount = -safeNumber(divRoundHalfEven(BigInt(subtotalMinor) * BigInt(book.prepaidDiscountBp), 10_000n));
  return {
    code: LINE_CODES.prepaidDiscount, meter: 'discount', instanceId: null, quantity: book.prepaidDiscountBp / 100, unit: 'percent',
    unitPriceMicros: 0, amountMinor: amount, priceBookId: book.id, tier: null, periodStart: null, periodEnd: null, ...extra,
  };
}

/** Adds calendar months in UTC, clamped to the month's last day (Jan 31 + 1 month = Feb 28/29). */
export function addMonths(d: Date, months: number): Date {
  const y = d.getUTCFullYear(); const m = d.getUTCMonth() + months;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return new Date(Date.UTC(y, m, Math.min(d.getUTCDate(), last), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()));
}

export interface Quote {
  kind: 'create' | 'change' | 'renewal';
  mode: 'postpaid' | 'prepaid';
  currency: string;
  priceBookId: string;
  /** list price of the resulting size for one hour (postpaid rate; before any prepaid discount) */
  hourlyMinor: number;
  /** the hourly list price × 730 hours, line by line */
  monthlyEstimateMinor: number;
  /** what is charged now (prepaid) or per hour (postpaid) */
  lines: Line[];
  totalMinor: number;
  effectiveAt: string;
  periodStart: string | null;
  periodEnd: string | null;
}

function listPrices(book: PriceBook, size: SoldSize) {
  const hourly = soldLines(book, size, HOUR_S, (m) => METERS[m].code);
  return { hourly, hourlyMinor: sumMinor(hourly), monthlyEstimateMinor: sumMinor(soldLines(book, size, MONTH_S, (m) => METERS[m].code)) };
}

function prepaidLines(book: PriceBook, size: SoldSize, months: number, code: string, start: Date, end: Date): Line[] {
  if (!Number.isSafeInteger(months) || months < 1) throw new PricingError('invalid-input', 'periodMonths must be a positive integer');
  const period = { periodStart: start.toISOString(), periodEnd: end.toISOString() };
  const lines = soldLines(book, size, MONTH_S * BigInt(months), () => code, period);
  const d = discountLine(book, sumMinor(lines), period);
  return d ? [...lines, d] : lines;
}

/** Price of a new instance: per hour (postpaid) or for its prepaid period, paid at once. */
export function quoteCreate(books: readonly PriceBook[], size: SoldSize, billing: { mode: 'postpaid' | 'prepaid'; periodMonths?: number | undefined }, at: Date): Quote {
  const book = bookAt(books, at);
  const list = listPrices(book, size);
  if (billing.mode === 'postpaid') {
    return { kind: 'create', mode: 'postpaid', currency: book.currency, priceBookId: book.id, hourlyMinor: list.hourlyMinor, monthlyEstimateMinor: list.monthlyEstimateMinor, lines: list.hourly, totalMinor: list.hourlyMinor, effectiveAt: at.toISOString(), periodStart: null, periodEnd: null };
  }
  const months = billing.periodMonths ?? 1;
  const end = addMonths(at, months);
  const lines = prepaidLines(book, size, months, LINE_CODES.prepaidPeriod, at, end);
  return { kind: 'create', mode: 'prepaid', currency: book.currency, priceBookId: book.id, hourlyMinor: list.hourlyMinor, monthlyEstimateMinor: list.monthlyEstimateMinor, lines, totalMinor: sumMinor(lines), effectiveAt: at.toISOString(), periodStart: at.toISOString(), periodEnd: end.toISOString() };
}

/**
 * A change of size. Postpaid: the new hourly price applies from `at` (the hour is split). Prepaid:
 * every meter whose level rises is charged now for the rest of the period, prorated by the second at
 * the 730-hour month's hourly rate, less the prepaid discount; a meter whose level falls keeps its old
 * level until the renewal (no refund) — its new level takes effect at `expiresAt`.
 */
export function quoteChange(books: readonly PriceBook[], from: SoldSize, to: SoldSize, billing: { mode: 'postpaid' | 'prepaid'; expiresAt?: Date | null | undefined }, at: Date): Quote & { downgradeEffectiveAt: string | null } {
  const book = bookAt(books, at);
  const list = listPrices(book, to);
  if (billing.mode === 'postpaid') {
    return { kind: 'change', mode: 'postpaid', currency: book.currency, priceBookId: book.id, hourlyMinor: list.hourlyMinor, monthlyEstimateMinor: list.monthlyEstimateMinor, lines: list.hourly, totalMinor: list.hourlyMinor, effectiveAt: at.toISOString(), periodStart: null, periodEnd: null, downgradeEffectiveAt: null };
  }
  if (!billing.expiresAt) throw new PricingError('invalid-input', 'a prepaid change needs the period end');
  const remaining = BigInt(Math.max(0, Math.floor((billing.expiresAt.getTime() - at.getTime()) / 1000)));
  const period = { periodStart: at.toISOString(), periodEnd: billing.expiresAt.toISOString() };
  const before = new Map(soldLevels(from));
  const lines: Line[] = [];
  let downgrade = false;
  for (const [meter, level] of soldLevels(to)) {
    const old = before.get(meter)!;
    if (level < old) downgrade = true;
    if (level <= old) continue;
    // The price per hour of the rise: price(new level) − price(old level), both through the tiers.
    const rate = requiredRate(book, meter);
    const hourMicros = (l: bigint) => splitTiers(rate, l).reduce((s, p) => s + p.units * p.unitPriceMicros, 0n);
    const deltaMicros = hourMicros(level) - hourMicros(old);
    const units = (level - old) * remaining;
    const amount = divRoundHalfEven(deltaMicros * remaining, HOUR_S * microsPerMinor(book.currency));
    lines.push({
      code: LINE_CODES.prepaidUpgrade, meter, instanceId: null, quantity: displayQuantity(units, HOUR_S), unit: METERS[meter].unit,
      unitPriceMicros: safeNumber(level === old ? 0n : deltaMicros / (level - old)), amountMinor: safeNumber(amount), priceBookId: book.id, tier: null, ...period,
    });
  }
  const d = discountLine(book, sumMinor(lines), period);
  if (d) lines.push(d);
  return {
    kind: 'change', mode: 'prepaid', currency: book.currency, priceBookId: book.id, hourlyMinor: list.hourlyMinor, monthlyEstimateMinor: list.monthlyEstimateMinor,
    lines, totalMinor: sumMinor(lines), effectiveAt: at.toISOString(), periodStart: period.periodStart, periodEnd: period.periodEnd,
    downgradeEffectiveAt: downgrade ? billing.expiresAt.toISOString() : null,
  };
}

/**
 * A renewal for `months` more: the new period starts at the old expiry, or now when the instance
 * has already expired (an isolated instance renewed is served from the renewal on), priced by the
 * book in effect at the renewal.
 */
export function quoteRenewal(books: readonly PriceBook[], size: SoldSize, months: number, expiresAt: Date, at: Date): Quote {
  const book = bookAt(books, at);
  const list = listPrices(book, size);
  const start = expiresAt.getTime() > at.getTime() ? expiresAt : at;
  const end = addMonths(start, months);
  const lines = prepaidLines(book, size, months, LINE_CODES.prepaidRenewal, start, end);
  return { kind: 'renewal', mode: 'prepaid', currency: book.currency, priceBookId: book.id, hourlyMinor: list.hourlyMinor, monthlyEstimateMinor: list.monthlyEstimateMinor, lines, totalMinor: sumMinor(lines), effectiveAt: at.toISOString(), periodStart: start.toISOString(), periodEnd: end.toISOString() };
}

/** A postpaid instance's sold size over [from, to). */
export interface SoldInterval { instanceId: string; from: Date; to: Date; size: SoldSize }

/**
 * Postpaid sold-size charges of a period: each interval cut at price-book changes, seconds summed per
 * (instance, meter, book, tier, level price) and each sum rounded once — so a month's line is the
 * same whatever the number of spec changes inside it, and a partial hour counts its exact seconds.
 */
export function priceSoldIntervals(books: readonly PriceBook[], intervals: readonly SoldInterval[], periodStart: Date, periodEnd: Date): Line[] {
  const acc = new Map<string, { book: PriceBook; instanceId: string; meter: Meter; tier: number | null; price: bigint; units: bigint }>();
  for (const iv of intervals) {
    const from = new Date(Math.max(iv.from.getTime(), periodStart.getTime()));
    const to = new Date(Math.min(iv.to.getTime(), periodEnd.getTime()));
    if (to <= from) continue;
    for (const seg of segmentsByBook(books, from, to)) {
      const seconds = BigInt(Math.floor(seg.to.getTime() / 1000) - Math.floor(seg.from.getTime() / 1000));
      for (const [meter, level] of soldLevels(iv.size)) {
        for (const piece of splitTiers(requiredRate(seg.book, meter), level)) {
          const key = [iv.instanceId, meter, seg.book.id, piece.tier, piece.unitPriceMicros].join('|');
          const a = acc.get(key) ?? { book: seg.book, instanceId: iv.instanceId, meter, tier: piece.tier, price: piece.unitPriceMicros, units: 0n };
          a.units += piece.units * seconds;
          acc.set(key, a);
        }
      }
    }
  }
  return sortLines([...acc.values()].map((a) => line(a.book, METERS[a.meter].code, a.meter, a.units, HOUR_S, a.price, {
    instanceId: a.instanceId, tier: a.tier, periodStart: periodStart.toISOString(), periodEnd: periodEnd.toISOString(),
  })));
}

/** One hourly usage record: `units` base units of a usage meter over [periodStart, periodEnd). */
export interface UsageInput { instanceId: string; meter: string; periodStart: Date; periodEnd: Date; units: bigint }

/**
 * Usage charges: each record priced by the book in effect at its start (bundled units taken off per
 * record: `includedUnits` per hour of the record); base units summed per (instance, meter, book) and
 * rounded once. Meters without a rate in the book are not charged.
 */
export function priceUsage(books: readonly PriceBook[], records: readonly UsageInput[], code?: string): Line[] {
  const acc = new Map<string, { book: PriceBook; instanceId: string; meter: string; price: bigint; per: bigint; units: bigint; from: number; to: number }>();
  for (const r of records) {
    const def = meterDef(r.meter);
    if (!def || def.kind !== 'usage') continue;
    const book = bookAt(books, r.periodStart);
    const rate = rateOf(book, r.meter);
    if (!rate) continue;
    const seconds = BigInt(Math.round((r.periodEnd.getTime() - r.periodStart.getTime()) / 1000));
    const included = BigInt(rate.includedUnits ?? 0) * (def.perQuantity === HOUR_S ? seconds : 1n);
    const billable = r.units > included ? r.units - included : 0n;
    const key = [r.instanceId, r.meter, book.id].join('|');
    const a = acc.get(key) ?? { book, instanceId: r.instanceId, meter: r.meter, price: BigInt(rate.unitPriceMicros), per: def.perQuantity, units: 0n, from: r.periodStart.getTime(), to: r.periodEnd.getTime() };
    a.units += billable;
    a.from = Math.min(a.from, r.periodStart.getTime()); a.to = Math.max(a.to, r.periodEnd.getTime());
    acc.set(key, a);
  }
  return sortLines([...acc.values()].map((a) => line(a.book, code ?? meterDef(a.meter)!.code, a.meter, a.units, a.per, a.price, {
    instanceId: a.instanceId, periodStart: new Date(a.from).toISOString(), periodEnd: new Date(a.to).toISOString(),
  })));
}

/** Stable order: instance, code, meter, tier, book — so a recomputation lists lines identically. */
export function sortLines(lines: Line[]): Line[] {
  const k = (l: Line) => [l.instanceId ?? '', l.code, l.meter, String(l.tier ?? -1).padStart(4, '0'), l.priceBookId].join('\u0000');
  return lines.sort((a, b) => (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0));
}

export { SOLD_METERS };
