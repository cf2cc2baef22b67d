import { bucketStart, buckets, usageReport, type Granularity, type PriceBook, type ReportRow } from '@tributary/pricing';
import { ApiError } from '../../errors.ts';
import type { Connection } from '../connection.ts';
import type { InvoiceRepository, ReportRepository } from '../repositories/invoices.ts';
import { InvoiceService } from './invoices.ts';

export interface ReportRange { from?: string | undefined; to?: string | undefined; granularity: Granularity; instanceId?: string | undefined }
export interface UsageReportQuery extends ReportRange { meter?: string | undefined; groupBy: 'instance' | 'label'; label?: string | undefined }
export interface ChargebackQuery extends ReportRange { by: 'topic' | 'principal' }
export interface ChargebackRow { periodStart: string; periodEnd: string; instanceId: string; key: string; bytesIn: bigint; bytesOut: bigint }

/** The longest range per granularity: a report is at most ~1,000 buckets, answered in one response. */
const MAX_SPAN_MS: Record<Granularity, number> = { hour: 31 * 86_400_000, day: 366 * 86_400_000, month: 36 * 31 * 86_400_000 };

const bad = (path: string, message: string) => new ApiError('validation-failed', message, { errors: [{ in: 'query', path, message }] });

/**
 * Usage, cost and chargeback reports for an account (JSON or CSV at the route). Costs come from the
 * same engine as invoices (libs/pricing `usageReport`): postpaid sold size by the second and metered
 * usage hours (open ones too, adjustments added to their hour). Chargeback is bytes in and out per
 * topic or per principal from the operator's chargeback rows.
 */
export class ReportService {
  readonly #c: Connection;
  readonly #invoices: InvoiceRepository;
  readonly #reports: ReportRepository;
  readonly #books: () => Promise<PriceBook[]>;
  constructor(c: Connection, repos: { invoices: InvoiceRepository; reports: ReportRepository }, books: () => Promise<PriceBook[]>) {
    this.#c = c; this.#invoices = repos.invoices; this.#reports = repos.reports; this.#books = books;
  }

  /** The range asked for (default: this month so far), checked against the granularity's limit. */
  static range(q: ReportRange, now: Date): { from: Date; to: Date } {
    const to = q.to !== undefined ? new Date(q.to) : now;
    const from = q.from !== undefined ? new Date(q.from) : bucketStart(now, 'month');
    if (!(from < to)) throw bad('/from', 'from must be before to');
    if (to.getTime() - from.getTime() > MAX_SPAN_MS[q.granularity]) throw bad('/to', `at most ${MAX_SPAN_MS[q.granularity] / 86_400_000} days by ${q.granularity}`);
    return { from, to };
  }

  async usage(accountId: string, q: UsageReportQuery, now: Date) {
    if (q.groupBy === 'label' && q.label === undefined) throw bad('/label', 'groupBy=label needs the label key');
    const { from, to } = ReportService.range(q, now);
    const [books, sold, usage, labels] = await Promise.all([
      this.#books(),
      this.#invoices.soldIntervals(this.#c.db, accountId, from, to, now),
      this.#reports.usageHours(accountId, from, to),
      q.groupBy === 'label' ? this.#reports.instanceLabels(accountId) : Promise.resolve(null),
    ]);
    const mine = (id: string) => q.instanceId === undefined || id === q.instanceId;
    const groupOf = labels ? (id: string) => labels.get(id)?.[q.label!] ?? '' : undefined;
    const report = InvoiceService.priced(() => usageReport(books, {
      from, to, granularity: q.granularity, sold: sold.filter((s) => mine(s.instanceId)), usage: usage.filter((u) => mine(u.instanceId)), ...(groupOf ? { groupOf } : {}),
    }));
    const rows: ReportRow[] = q.meter === undefined ? report.rows : report.rows.filter((r) => r.meter === q.meter);
    return { currency: report.currency, from, to, rows, totalMinor: rows.reduce((s, r) => s + r.amountMinor, 0) };
  }

  async chargeback(accountId: string, q: ChargebackQuery, now: Date): Promise<{ from: Date; to: Date; rows: ChargebackRow[] }> {
    const { from, to } = ReportService.range(q, now);
    const cut = buckets(from, to, q.granularity);
    const hours = await this.#reports.chargeback(accountId, from, to, q.by);
    const acc = new Map<string, ChargebackRow>();
    for (const h of hours) {
      if (q.instanceId !== undefined && h.instanceId !== q.instanceId) continue;
      // Chargeback rows are hourly: an hour belongs to the bucket it starts in.
      const b = cut.find((x) => x.start.getTime() <= h.hourStart.getTime() && h.hourStart.getTime() < x.end.getTime());
      if (!b) continue;
      const key = `${b.start.getTime()}\u0000${h.instanceId}\u0000${h.key}`;
      const row = acc.get(key) ?? { periodStart: b.start.toISOString(), periodEnd: b.end.toISOString(), instanceId: h.instanceId, key: h.key, bytesIn: 0n, bytesOut: 0n };
      if (h.direction === 'in') row.bytesIn += h.bytes; else row.bytesOut += h.bytes;
      acc.set(key, row);
    }
    const rows = [...acc.values()].sort((a, b) => (a.periodStart < b.periodStart ? -1 : a.periodStart > b.periodStart ? 1 : a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { from, to, rows };
  }
}
