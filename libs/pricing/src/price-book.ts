import { PricingError } from './money.ts';

/**
 * A price book as the engine sees it. `rates` are per meter; a rate may be graduated into tiers (the
 * first `upTo` units at one price, the next at another; the last tier has `upTo: null`) and may
 * bundle `includedUnits` free per hour (partition replicas). `prepaidDiscountBp` is the prepaid
 * discount in basis points (1500 = 15 %), an integer so no float reaches an amount.
 */
export interface RateTier { upTo: number | null; unitPriceMicros: number }
export interface Rate { meter: string; unitPriceMicros: number; tiers?: RateTier[] | undefined; includedUnits?: number | undefined }
export interface PriceBook { id: string; currency: string; effectiveFrom: Date; prepaidDiscountBp: number; rates: Rate[] }

/** The book in effect at `at`: the latest with effectiveFrom ≤ at. */
export function bookAt(books: readonly PriceBook[], at: Date): PriceBook {
  let best: PriceBook | undefined;
  for (const b of books) {
    if (b.effectiveFrom.getTime() <= at.getTime() && (!best || b.effectiveFrom.getTime() > best.effectiveFrom.getTime())) best = b;
  }
  if (!best) throw new PricingError('no-price-book', `no price book is in effect at ${at.toISOString()}`);
  return best;
}

/**
 * [from, to) cut where a later price book takes effect, each piece with the book in effect over it:
 * usage over an interval that spans a price change is priced at each book's rates for its part.
 */
export function segmentsByBook(books: readonly PriceBook[], from: Date, to: Date): { from: Date; to: Date; book: PriceBook }[] {
  const out: { from: Date; to: Date; book: PriceBook }[] = [];
  const cuts = books.map((b) => b.effectiveFrom.getTime()).filter((t) => t > from.getTime() && t < to.getTime()).sort((a, b) => a - b);
  let start = from.getTime();
  for (const t of [...new Set(cuts), to.getTime()]) {
    if (t <= start) continue;
    out.push({ from: new Date(start), to: new Date(t), book: bookAt(books, new Date(start)) });
    start = t;
  }
  return out;
}

/** The percent the database keeps (a float column) as whole basis points. */
export function percentToBp(percent: number): number {
  return Math.round(percent * 100);
}

/** Graduated tiers checked: ascending `upTo`, only the last open-ended, prices not negative. */
export function validateRate(rate: Rate): void {
  if (!Number.isSafeInteger(rate.unitPriceMicros) || rate.unitPriceMicros < 0) throw new PricingError('invalid-input', `rate ${rate.meter}: price must be a non-negative integer`);
  const tiers = rate.tiers ?? [];
  let prev = 0;
  tiers.forEach((t, i) => {
    const last = i === tiers.length - 1;
    if (t.upTo === null ? !last : !(t.upTo > prev)) throw new PricingError('invalid-input', `rate ${rate.meter}: tier ${i} is out of order`);
    if (!Number.isSafeInteger(t.unitPriceMicros) || t.unitPriceMicros < 0) throw new PricingError('invalid-input', `rate ${rate.meter}: tier ${i} price must be a non-negative integer`);
    prev = t.upTo ?? prev;
  });
  if (tiers.length > 0 && tiers.at(-1)!.upTo !== null) throw new PricingError('invalid-input', `rate ${rate.meter}: the last tier must be open-ended`);
}

/** A level split over the rate's tiers: [units in tier, price] (one piece at the flat price without tiers). */
export function splitTiers(rate: Rate, level: bigint): { units: bigint; unitPriceMicros: bigint; tier: number | null }[] {
  if (!rate.tiers || rate.tiers.length === 0) return [{ units: level, unitPriceMicros: BigInt(rate.unitPriceMicros), tier: null }];
  const out: { units: bigint; unitPriceMicros: bigint; tier: number | null }[] = [];
  let floor = 0n;
  rate.tiers.forEach((t, i) => {
    const cap = t.upTo === null ? level : (level < BigInt(t.upTo) ? level : BigInt(t.upTo));
    if (cap > floor) out.push({ units: cap - floor, unitPriceMicros: BigInt(t.unitPriceMicros), tier: i });
    if (cap > floor) floor = cap;
  });
  return out;
}
