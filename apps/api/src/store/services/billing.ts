import type { Quote, QuoteRequest } from '@tributary/contracts';
import { PricingError, quoteChange, quoteCreate, quoteRenewal, withPending, type PriceBook } from '@tributary/pricing';
import { ApiError, notFound } from '../../errors.ts';
import { decodeCursor } from '../../http.ts';
import type { BillingRepository } from '../repositories/billing.ts';
import type { UsageRepository } from '../repositories/usage.ts';
import type { InstanceRepository } from '../repositories/instances.ts';
import type { Page, PriceBookView, UsageRow } from '../types.ts';
import { page } from './list.ts';

/** Usage records, invoices and the price book in effect. */
export class BillingService {
  static readonly PRICE_BOOK_CACHE_MS = 60_000;
  readonly #usage: UsageRepository;
  readonly #billing: BillingRepository;
  readonly #instances: InstanceRepository;
  constructor(repos: { usage: UsageRepository; billing: BillingRepository; instances: InstanceRepository }) {
    this.#usage = repos.usage; this.#billing = repos.billing; this.#instances = repos.instances;
  }

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

  /** Every price book, kept for a minute like the one in effect (they change rarely). */
  #books: { books: PriceBook[]; until: number } | null = null;
  async priceBooks(): Promise<PriceBook[]> {
    if (this.#books && this.#books.until > Date.now()) return this.#books.books;
    const books = await this.#billing.priceBooks();
    this.#books = { books, until: Date.now() + BillingService.PRICE_BOOK_CACHE_MS };
    return books;
  }

  /**
   * A price inquiry (libs/pricing does the arithmetic). An instance named by a change or renewal must
   * be the account's (404 otherwise); a change keeps the billing mode; only prepaid instances renew.
   */
  async quote(accountId: string, req: QuoteRequest, at: Date): Promise<Quote> {
    const books = await this.priceBooks();
    try {
      if (req.kind === 'create') {
        return { ...quoteCreate(books, req.spec, req.spec.billing, at), downgradeEffectiveAt: null };
      }
      const instance = await this.#instances.get(accountId, req.instanceId);
      if (!instance) throw notFound('instance');
      const mode = instance.spec.billing.mode;
      if (req.kind === 'change') {
        if (req.spec.billing.mode !== mode) {
          throw new ApiError('validation-failed', 'the billing mode is fixed at creation', { errors: [{ in: 'body', path: '/spec/billing/mode', message: `the instance is ${mode}` }] });
        }
        return quoteChange(books, instance.spec, req.spec, { mode, expiresAt: instance.billingExpiresAt }, at);
      }
      if (mode !== 'prepaid' || !instance.billingExpiresAt) throw new ApiError('not-prepaid', 'only prepaid instances are renewed; postpaid instances are billed by the hour');
      // A renewal is priced at the size the new period will have: a pending downgrade applied.
      return { ...quoteRenewal(books, withPending(instance.spec, instance.pending?.size ?? null), req.periodMonths, instance.billingExpiresAt, at), downgradeEffectiveAt: null };
    } catch (err) {
      if (err instanceof PricingError) {
        // The price book cannot price this (no book in effect, a rate missing): a state of the
        // deployment's price data, not of the request.
        throw new ApiError('price-unavailable', err.message);
      }
      throw err;
    }
  }
}
