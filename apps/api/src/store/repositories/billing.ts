import type { PriceBook } from '@tributary/pricing';
import { percentToBp } from '@tributary/pricing';
import type { Connection } from '../connection.ts';
import type { InvoiceRow, PriceBookView } from '../types.ts';
import { LIST_ORDER, listWhere, type ListQuery } from './list.ts';

/** Invoices (with their lines) and price books (with their rates). */
export class BillingRepository {
  readonly #c: Connection;
  constructor(c: Connection) { this.#c = c; }

  async invoices(accountId: string, q: ListQuery): Promise<InvoiceRow[]> {
    const rows = await this.#c.db.invoice.findMany({
      where: { AND: [{ accountId }, ...listWhere(q)] }, orderBy: LIST_ORDER, take: q.limit + 1,
      include: { lines: { orderBy: { id: 'asc' } } },
    });
    return rows.map((x) => ({
      id: x.id, accountId: x.accountId, periodStart: x.periodStart, periodEnd: x.periodEnd, status: x.status, currency: x.currency, totalMicros: Number(x.totalMicros),
      lines: x.lines.map((l) => ({ instanceId: l.instanceId, meter: l.meter, quantity: l.quantity.toNumber(), amountMicros: Number(l.amountMicros) })), createdAt: x.createdAt,
    }));
  }

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
