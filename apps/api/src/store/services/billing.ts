import { ApiError } from '../../errors.ts';
import { decodeCursor } from '../../http.ts';
import type { BillingRepository } from '../repositories/billing.ts';
import type { UsageRepository } from '../repositories/usage.ts';
import type { InvoiceRow, ListFilter, Page, PriceBookView, UsageRow } from '../types.ts';
import { listQuery, page } from './list.ts';

/** Usage records, invoices and the price book in effect. */
export class BillingService {
  static readonly PRICE_BOOK_CACHE_MS = 60_000;
  readonly #usage: UsageRepository;
  readonly #billing: BillingRepository;
  constructor(repos: { usage: UsageRepository; billing: BillingRepository }) { this.#usage = repos.usage; this.#billing = repos.billing; }

  async listUsage(accountId: string, f: { limit: number; cursor?: string | undefined; instanceId?: string | undefined; from?: string | undefined; to?: string | undefined }): Promise<Page<UsageRow>> {
    let after: { createdAt: Date; id: bigint } | undefined;
    if (f.cursor !== undefined) {
      const c = decodeCursor(f.cursor);
      // Usage record ids are a bigint sequence; a cursor with any other id was not made here.
      try { after = { createdAt: c.createdAt, id: BigInt(c.id) }; } catch { throw new ApiError('validation-failed', 'cursor is not one this API returned', { errors: [{ in: 'query', path: '/cursor', message: 'invalid cursor' }] }); }
    }
    const rows = await this.#usage.list(accountId, {
      limit: f.limit, instanceId: f.instanceId, after,
      from: f.from !== undefined ? new Date(f.from) : undefined, to: f.to !== undefined ? new Date(f.to) : undefined,
    });
    return page(rows, f.limit);
  }
  async listInvoices(accountId: string, f: ListFilter): Promise<Page<InvoiceRow>> {
    return page(await this.#billing.invoices(accountId, listQuery(f, { name: false, label: false })), f.limit);
  }

  /**
   * Price books change rarely and every role reads them: the one in effect is kept for a minute, so
   * a new book (or one whose effectiveFrom has come) is served within a minute of taking effect.
   */
  #priceBook: { view: PriceBookView | null; until: number } | null = null;
  async priceBook(): Promise<PriceBookView | null> {
    if (this.#priceBook && this.#priceBook.until > Date.now()) return this.#priceBook.view;
    const view = await this.#billing.priceBookAt(new Date());
    this.#priceBook = { view, until: Date.now() + BillingService.PRICE_BOOK_CACHE_MS };
    return view;
  }
}
