import {
  PricingError, addMonths, buildMonthlyInvoice, buildPurchaseInvoice, compareInvoices, quoteChange, quoteCreate, quoteRenewal,
  type BuiltInvoice, type InvoiceDifference, type Line, type PriceBook, type Quote, type SoldSize,
} from '@tributary/pricing';
import { ApiError, notFound } from '../../errors.ts';
import type { Connection, Tx } from '../connection.ts';
import type { InvoiceFilter, InvoiceRepository, StoredInvoice } from '../repositories/invoices.ts';
import type { Page } from '../types.ts';
import { page } from './list.ts';

/** What a prepaid invoice was priced from, kept on it so the recompute check can price it again. */
export type PurchaseBasis =
  | { quote: 'create'; size: SoldSize; months: number; at: string }
  | { quote: 'renewal'; size: SoldSize; months: number; expiresAt: string; at: string }
  | { quote: 'change'; from: SoldSize; to: SoldSize; expiresAt: string; at: string };

export interface InvoiceView { invoice: StoredInvoice; lines: Line[] }
export interface RecomputeResult { invoice: StoredInvoice; storedTotalMinor: number; recomputedTotalMinor: number; matches: boolean; differences: InvoiceDifference[] }

/** The sold size alone (what a purchase is priced from), not the rest of a spec. */
export const sizeOf = (s: SoldSize): SoldSize => ({ brokers: s.brokers, bandwidthMBps: s.bandwidthMBps, diskGiB: s.diskGiB });

const monthStart = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
const monthKey = (d: Date) => `monthly:${d.toISOString().slice(0, 7)}`;

/**
 * Invoices. Monthly invoices (postpaid sold size and metered usage, in arrears) are built by
 * libs/pricing `buildMonthlyInvoice` from rows read here; the sweep (every minute, beside the expiry
 * sweep) keeps last month's invoice as a draft rebuilt from the current rows until every hour of the
 * month is closed and `graceMs` has passed since its end, then finalises it once. Prepaid purchases
 * (creation, renewal, auto-renewal, upgrade) are invoiced and finalised in the transaction that makes
 * them, with the quote that was charged.
 *
 * The usage window: a finalised monthly invoice holds the usage rows committed up to its
 * `usageCutoff` (now − `COMMIT_MARGIN_MS`, so a rollup transaction that took its timestamp before the
 * cutoff but committed after the read is not missed); rows committed later (adjustments of closed
 * hours, hours first written late) are billed on the next monthly invoice as `adjustment.late-usage`.
 * The recompute check reads the same rows again by the stored window and compares line by line.
 */
export class InvoiceService {
  static readonly COMMIT_MARGIN_MS = 2 * 60_000;
  readonly #c: Connection;
  readonly #repo: InvoiceRepository;
  readonly #books: () => Promise<PriceBook[]>;
  readonly graceMs: number;
  constructor(c: Connection, repo: InvoiceRepository, books: () => Promise<PriceBook[]>, opts: { graceMs?: number } = {}) {
    this.#c = c; this.#repo = repo; this.#books = books; this.graceMs = opts.graceMs ?? 60 * 60_000;
  }

  async list(accountId: string, f: InvoiceFilter): Promise<Page<StoredInvoice>> {
    return page(await this.#repo.list(accountId, f), f.limit);
  }

  async get(accountId: string, id: string): Promise<InvoiceView> {
    const v = await this.#repo.get(accountId, id);
    if (!v) throw notFound('invoice');
    return v;
  }

  /** Prices with the engine; the price book's gaps are a state of the deployment (price-unavailable), not of the request. */
  static priced<T>(fn: () => T): T {
    try { return fn(); } catch (err) {
      if (err instanceof PricingError) throw new ApiError('price-unavailable', err.message);
      throw err;
    }
  }

  // ---- prepaid purchases ----

  /** Prices a purchase from its basis (the same call at purchase time and in the recompute check). */
  static quoteOf(books: readonly PriceBook[], b: PurchaseBasis): Quote {
    if (b.quote === 'create') return quoteCreate(books, b.size, { mode: 'prepaid', periodMonths: b.months }, new Date(b.at));
    if (b.quote === 'renewal') return quoteRenewal(books, b.size, b.months, new Date(b.expiresAt), new Date(b.at));
    return quoteChange(books, b.from, b.to, { mode: 'prepaid', expiresAt: new Date(b.expiresAt) }, new Date(b.at));
  }

  /**
   * Invoices a prepaid purchase inside the caller's transaction, finalised at once. `sourceKey` makes
   * it once only (a retried transaction or a repeated sweep finds it). Returns the quote charged; a
   * change that costs nothing now (a downgrade) writes no invoice.
   */
  async purchase(tx: Tx, accountId: string, instanceId: string, basis: PurchaseBasis, sourceKey: string, now: Date): Promise<Quote> {
    const books = await this.#books();
    const quote = InvoiceService.priced(() => InvoiceService.quoteOf(books, basis));
    if (quote.lines.length === 0) return quote;
    const built = buildPurchaseInvoice(quote, instanceId);
    await this.#repo.write(tx, {
      accountId, kind: 'prepaid', sourceKey, instanceId, periodStart: new Date(quote.periodStart ?? quote.effectiveAt),
      periodEnd: new Date(quote.periodEnd ?? basis.at), status: 'finalised', usageFrom: null, usageCutoff: null, basis, now,
    }, built);
    return quote;
  }

  // ---- monthly invoices ----

  async #buildMonthly(db: Tx | Connection['db'], accountId: string, start: Date, end: Date, from: Date | null, cutoff: Date, soldUntil: Date, includeOpen: boolean): Promise<BuiltInvoice> {
    const books = await this.#books();
    const [sold, usage, late] = await Promise.all([
      this.#repo.soldIntervals(db, accountId, start, end, soldUntil),
      this.#repo.usageHours(db, accountId, start, end, cutoff, includeOpen),
      this.#repo.lateUsage(db, accountId, start, end, from, cutoff),
    ]);
    return InvoiceService.priced(() => buildMonthlyInvoice(books, { periodStart: start, periodEnd: end, sold, usage, late }));
  }

  /** The current month so far (never stored): sold size up to now, every usage hour so far (open ones too), late usage since the last invoice. */
  async preview(accountId: string, now: Date): Promise<{ periodStart: Date; periodEnd: Date; asOf: Date; usageFrom: Date | null; built: BuiltInvoice }> {
    const start = monthStart(now);
    const end = addMonths(start, 1);
    const prev = await this.#repo.previousMonthly(this.#c.db, accountId, start);
    const from = prev?.usageCutoff ?? null;
    return { periodStart: start, periodEnd: end, asOf: now, usageFrom: from, built: await this.#buildMonthly(this.#c.db, accountId, start, end, from, now, now, true) };
  }

  /**
   * Builds or finalises last month's invoice of every account that had an instance in it. Safe from
   * every API process at once: each (account, month) is done under a transaction-scoped advisory
   * lock, and a finalised invoice is never written again.
   */
  async sweep(now: Date): Promise<{ drafted: string[]; finalised: string[] }> {
    const end = monthStart(now);
    const start = addMonths(end, -1);
    const out = { drafted: [] as string[], finalised: [] as string[] };
    for (const accountId of await this.#repo.accountsActiveIn(start, end)) {
      const r = await this.closeMonth(accountId, start, now);
      if (r) out[r.status === 'finalised' ? 'finalised' : 'drafted'].push(r.id);
    }
    return out;
  }

  /** One account's month starting at `start`: a draft rebuilt from the current rows, or finalised once every hour is closed and the grace has passed. */
  async closeMonth(accountId: string, start: Date, now: Date): Promise<{ id: string; status: 'draft' | 'finalised' } | null> {
    const end = addMonths(start, 1);
    if (now.getTime() < end.getTime()) throw new Error('a month is invoiced after it ended');
    const sourceKey = monthKey(start);
    return this.#c.tx(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${accountId}), hashtext(${sourceKey}))`;
      const existing = await this.#repo.bySourceKey(tx, accountId, sourceKey);
      if (existing?.status === 'finalised') return null;
      const prev = await this.#repo.previousMonthly(tx, accountId, start);
      const from = prev?.usageCutoff ?? null;
      const final = now.getTime() >= end.getTime() + this.graceMs && !(await this.#repo.hasOpenHours(tx, accountId, start, end));
      const cutoff = final ? new Date(now.getTime() - InvoiceService.COMMIT_MARGIN_MS) : now;
      const built = await this.#buildMonthly(tx, accountId, start, end, from, cutoff, end, !final);
      if (!existing && built.lines.length === 0 && final) return null; // nothing to bill: no empty invoice
      const status = final ? 'finalised' as const : 'draft' as const;
      const id = await this.#repo.write(tx, { accountId, kind: 'monthly', sourceKey, instanceId: null, periodStart: start, periodEnd: end, status, usageFrom: from, usageCutoff: cutoff, basis: null, now }, built);
      return id ? { id, status } : null;
    });
  }

  /**
   * The recompute check: the invoice priced again from the raw rows it was built from (monthly: the
   * same usage window; prepaid: the same quote basis) and compared line by line with what is stored.
   */
  async recompute(accountId: string, id: string): Promise<RecomputeResult> {
    const { invoice, lines } = await this.get(accountId, id);
    let again: BuiltInvoice;
    if (invoice.kind === 'prepaid') {
      const books = await this.#books();
      again = buildPurchaseInvoice(InvoiceService.priced(() => InvoiceService.quoteOf(books, invoice.basis as PurchaseBasis)), invoice.instanceId);
    } else {
      const draft = invoice.status === 'draft';
      again = await this.#buildMonthly(this.#c.db, accountId, invoice.periodStart, invoice.periodEnd, invoice.usageFrom, invoice.usageCutoff!, invoice.periodEnd, draft);
    }
    const differences = compareInvoices({ lines, totalMinor: invoice.totalMinor }, again);
    return { invoice, storedTotalMinor: invoice.totalMinor, recomputedTotalMinor: again.totalMinor, matches: differences.length === 0, differences };
  }

  /** Runs the sweep every `everyMs` until stopped (buildApp starts it with the expiry sweep). */
  startSweeper(opts: { everyMs?: number; log?: { warn(o: object, msg: string): void } } = {}): { stop(): Promise<void> } {
    let running: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      running = this.sweep(new Date()).catch((err: unknown) => opts.log?.warn({ err }, 'invoice sweep failed'));
    }, opts.everyMs ?? 60_000);
    timer.unref();
    return { async stop() { clearInterval(timer); await running; } };
  }
}
