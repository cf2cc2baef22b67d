import type { PriceBook } from '@tributary/pricing';
import { percentToBp } from '@tributary/pricing';
import type { Connection } from '../connection.ts';
import type { PriceBookView } from '../types.ts';

/** Price books (with their rates); invoices are repositories/invoices.ts. */
export class BillingRepository {
  readonly #c: Connection;
  constructor(c: Connection) { this.#c = c; }

  /** The latest price book with effectiveFrom ≤ `at`, or null. */
  async priceBookAt(at: Date): Promise<PriceBookView | null> {
    const book = await this.#c.db.priceBook.findFirst({
      where: { effectiveFrom: { lte: at } }, orderBy: [{ effectiveFrom: 'desc' }, { id: 'desc' }], include: { rates: { orderBy: { meter: 'asc' } } },
    });
    return book && {
      id: book.id, currency: book.currency, effectiveFrom: book.effectiveFrom.toISOString(), prepaidDiscountPercent: book.prepaidDiscountPercent,
      rates: book.rates.map((r) => ({ meter: r.meter as PriceBookView['rates'][number]['meter'], unitPriceMicros: Number(r.priceMicros) })),
    };
  }

  /** Every price book with its rates and tiers, in the pricing engine's form (libs/pricing). */
  async priceBooks(): Promise<PriceBook[]> {
    const books = await this.#c.db.priceBook.findMany({ include: { rates: { include: { tiers: { orderBy: { position: 'asc' } } } } }, orderBy: { effectiveFrom: 'asc' } });
    return books.map((b) => ({
      id: b.id, currency: b.currency, effectiveFrom: b.effectiveFrom, prepaidDiscountBp: percentToBp(b.prepaidDiscountPercent),
      rates: b.rates.map((r) => ({
        meter: r.meter, unitPriceMicros: Number(r.priceMicros), includedUnits: Number(r.includedUnits),
        ...(r.tiers.length > 0 ? { tiers: r.tiers.map((t) => ({ upTo: t.upTo === null ? null : Number(t.upTo), unitPriceMicros: Number(t.priceMicros) })) } : {}),
      })),
    }));
  }
}
