import { Prisma } from '@tributary/db';
import { microsPerMinor, type BuiltInvoice, type LateUsageInput, type Line, type SoldInterval, type SoldSize, type UsageInput } from '@tributary/pricing';
import type { Connection, Tx } from '../connection.ts';
import { newId } from './ids.ts';

export type InvoiceKind = 'monthly' | 'prepaid';
export type InvoiceStatus = 'draft' | 'finalised';
export interface StoredInvoice {
  id: string; accountId: string; kind: InvoiceKind; sourceKey: string; instanceId: string | null; periodStart: Date; periodEnd: Date;
  status: InvoiceStatus; currency: string; totalMinor: number; usageFrom: Date | null; usageCutoff: Date | null; basis: unknown;
  finalisedAt: Date | null; createdAt: Date; updatedAt: Date;
}
export interface InvoiceFilter {
  limit: number; after?: { createdAt: Date; id: string } | undefined;
  status?: InvoiceStatus | undefined; kind?: InvoiceKind | undefined; instanceId?: string | undefined; from?: Date | undefined; to?: Date | undefined;
}

const HOUR_MS = 3_600_000;
const big = (v: Prisma.Decimal | string | bigint | number) => BigInt(typeof v === 'object' ? v.toFixed(0) : v);

function stored(x: { id: string; accountId: string; kind: string; sourceKey: string; instanceId: string | null; periodStart: Date; periodEnd: Date; status: string; currency: string; totalMinor: bigint; usageFrom: Date | null; usageCutoff: Date | null; basis: Prisma.JsonValue; finalisedAt: Date | null; createdAt: Date; updatedAt: Date }): StoredInvoice {
  return {
    id: x.id, accountId: x.accountId, kind: x.kind as InvoiceKind, sourceKey: x.sourceKey, instanceId: x.instanceId, periodStart: x.periodStart, periodEnd: x.periodEnd,
    status: x.status as InvoiceStatus, currency: x.currency, totalMinor: Number(x.totalMinor), usageFrom: x.usageFrom, usageCutoff: x.usageCutoff, basis: x.basis,
    finalisedAt: x.finalisedAt, createdAt: x.createdAt, updatedAt: x.updatedAt,
  };
}

/**
 * Invoices and their lines (the API writes them), and the usage rows a monthly invoice is built from
 * (the API reads them: usage_record is its own, usage_hour and usage_adjustment are the operator's).
 */
export class InvoiceRepository {
  readonly #c: Connection;
  constructor(c: Connection) { this.#c = c; }

  async list(accountId: string, f: InvoiceFilter): Promise<StoredInvoice[]> {
    const and: Prisma.InvoiceWhereInput[] = [{ accountId }];
    if (f.status) and.push({ status: f.status });
    if (f.kind) and.push({ kind: f.kind });
    if (f.instanceId) and.push({ OR: [{ instanceId: f.instanceId }, { lines: { some: { instanceId: f.instanceId } } }] });
    if (f.from) and.push({ periodEnd: { gt: f.from } });
    if (f.to) and.push({ periodStart: { lt: f.to } });
    if (f.after) and.push({ OR: [{ createdAt: { gt: f.after.createdAt } }, { createdAt: f.after.createdAt, id: { gt: f.after.id } }] });
    const rows = await this.#c.db.invoice.findMany({ where: { AND: and }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take: f.limit + 1 });
    return rows.map(stored);
  }

  async get(accountId: string, id: string): Promise<{ invoice: StoredInvoice; lines: Line[] } | null> {
    const x = await this.#c.db.invoice.findFirst({ where: { id, accountId }, include: { lines: { orderBy: { position: 'asc' } } } });
    if (!x) return null;
    return {
      invoice: stored(x),
      lines: x.lines.map((l) => ({
        code: l.code, meter: l.meter, instanceId: l.instanceId, quantity: l.quantity.toNumber(), unit: l.unit, unitPriceMicros: Number(l.unitPriceMicros),
        amountMinor: Number(l.amountMinor), priceBookId: l.priceBookId, tier: l.tier, periodStart: l.periodStart?.toISOString() ?? null, periodEnd: l.periodEnd?.toISOString() ?? null,
      })),
    };
  }

  async bySourceKey(tx: Tx, accountId: string, sourceKey: string): Promise<StoredInvoice | null> {
    const x = await tx.invoice.findUnique({ where: { accountId_sourceKey: { accountId, sourceKey } } });
    return x && stored(x);
  }

  /** The account's latest finalised monthly invoice before `periodStart`: where the next one's usage window begins. */
  async previousMonthly(db: Tx | Connection['db'], accountId: string, periodStart: Date): Promise<StoredInvoice | null> {
    const x = await db.invoice.findFirst({ where: { accountId, kind: 'monthly', status: 'finalised', periodStart: { lt: periodStart } }, orderBy: { periodStart: 'desc' } });
    return x && stored(x);
  }

  /**
   * Writes an invoice's head and lines: inserts it, or replaces a draft's lines. A finalised invoice
   * is never written again (the update is guarded by status = 'draft'); returns null then.
   */
  async write(tx: Tx, head: { accountId: string; kind: InvoiceKind; sourceKey: string; instanceId: string | null; periodStart: Date; periodEnd: Date; status: InvoiceStatus; usageFrom: Date | null; usageCutoff: Date | null; basis: unknown; now: Date }, built: BuiltInvoice): Promise<string | null> {
    const data = {
      periodStart: head.periodStart, periodEnd: head.periodEnd, status: head.status, currency: built.currency, totalMinor: BigInt(built.totalMinor),
      totalMicros: BigInt(built.totalMinor) * microsPerMinor(built.currency), usageFrom: head.usageFrom, usageCutoff: head.usageCutoff,
      basis: head.basis === null ? Prisma.DbNull : (head.basis as Prisma.InputJsonValue), finalisedAt: head.status === 'finalised' ? head.now : null,
    };
    const existing = await this.bySourceKey(tx, head.accountId, head.sourceKey);
    let id: string;
    if (existing) {
      if (existing.status !== 'draft') return null;
      const n = await tx.invoice.updateMany({ where: { id: existing.id, status: 'draft' }, data });
      if (n.count === 0) return null;
      id = existing.id;
      await tx.invoiceLine.deleteMany({ where: { invoiceId: id } });
    } else {
      id = newId('inv');
      await tx.invoice.create({ data: { id, accountId: head.accountId, kind: head.kind, sourceKey: head.sourceKey, instanceId: head.instanceId, ...data } });
    }
    if (built.lines.length > 0) {
      await tx.invoiceLine.createMany({
        data: built.lines.map((l, position) => ({
          invoiceId: id, position, instanceId: l.instanceId, code: l.code, meter: l.meter, quantity: new Prisma.Decimal(l.quantity), unit: l.unit,
          unitPriceMicros: BigInt(l.unitPriceMicros), amountMinor: BigInt(l.amountMinor), amountMicros: BigInt(l.amountMinor) * microsPerMinor(built.currency),
          priceBookId: l.priceBookId, tier: l.tier, periodStart: l.periodStart ? new Date(l.periodStart) : null, periodEnd: l.periodEnd ? new Date(l.periodEnd) : null,
        })),
      });
    }
    return id;
  }

  /** Accounts with an instance that existed at some time in [start, end). */
  async accountsActiveIn(start: Date, end: Date): Promise<string[]> {
    const rows = await this.#c.db.$queryRaw<{ account_id: string }[]>`
      SELECT DISTINCT account_id FROM "instance" WHERE created_at < ${end} AND (deleted_at IS NULL OR deleted_at > ${start}) ORDER BY account_id`;
    return rows.map((r) => r.account_id);
  }

  // ---- the inputs of a monthly invoice ----

  /**
   * Sold sizes of the account's postpaid instances overlapping [start, end): the spec-change usage
   * records (one per sold meter, opened together) grouped into intervals; an open one lasts to `now`.
   */
  async soldIntervals(db: Tx | Connection['db'], accountId: string, start: Date, end: Date, now: Date): Promise<SoldInterval[]> {
    const rows = await db.$queryRaw<{ instance_id: string; meter: string; quantity: Prisma.Decimal; period_start: Date; period_end: Date | null }[]>`
      SELECT u.instance_id, u.meter, u.quantity, u.period_start, u.period_end FROM usage_record u JOIN "instance" i ON i.id = u.instance_id
      WHERE i.account_id = ${accountId} AND i.billing_mode = 'postpaid' AND u.source = 'spec-change'
        AND u.period_start < ${end} AND (u.period_end IS NULL OR u.period_end > ${start})
      ORDER BY u.instance_id, u.period_start`;
    const byKey = new Map<string, { instanceId: string; from: Date; to: Date; size: SoldSize }>();
    for (const r of rows) {
      const key = `${r.instance_id}|${r.period_start.getTime()}`;
      const iv = byKey.get(key) ?? { instanceId: r.instance_id, from: r.period_start, to: r.period_end ?? now, size: { brokers: 0, bandwidthMBps: 0, diskGiB: 0 } };
      const q = Number(r.quantity.toFixed(0));
      if (r.meter === 'broker-hour') iv.size.brokers = q;
      else if (r.meter === 'bandwidth-mbps-hour') iv.size.bandwidthMBps = q;
      else if (r.meter === 'disk-gib-hour') iv.size.diskGiB = q;
      byKey.set(key, iv);
    }
    return [...byKey.values()];
  }

  /** Usage hours of the account starting in [start, end) and written by `cutoff` (closed ones only unless `includeOpen`). */
  async usageHours(db: Tx | Connection['db'], accountId: string, start: Date, end: Date, cutoff: Date, includeOpen: boolean): Promise<UsageInput[]> {
    const rows = await db.$queryRaw<{ instance_id: string; dimension: string; hour_start: Date; quantity: Prisma.Decimal }[]>`
      SELECT h.instance_id, h.dimension, h.hour_start, h.quantity FROM usage_hour h JOIN "instance" i ON i.id = h.instance_id
      WHERE i.account_id = ${accountId} AND h.source = 'metering' AND h.hour_start >= ${start} AND h.hour_start < ${end}
        AND h.updated_at <= ${cutoff} AND (h.closed OR ${includeOpen})
      ORDER BY h.instance_id, h.dimension, h.hour_start`;
    return rows.map((r) => ({ instanceId: r.instance_id, meter: r.dimension, periodStart: r.hour_start, periodEnd: new Date(r.hour_start.getTime() + HOUR_MS), units: big(r.quantity) }));
  }

  /**
   * Usage learned in (from, cutoff] about hours before `periodEnd` that an earlier invoice could not
   * have had: adjustments of closed hours, and (after a first invoice) hours of earlier months first
   * written after it. Without an earlier invoice (`from` null) only the period's own hours' adjustments.
   */
  async lateUsage(db: Tx | Connection['db'], accountId: string, periodStart: Date, periodEnd: Date, from: Date | null, cutoff: Date): Promise<LateUsageInput[]> {
    const lower = from ?? new Date(0);
    const adjustments = await db.$queryRaw<{ instance_id: string; dimension: string; hour_start: Date; quantity: Prisma.Decimal; hour_quantity: Prisma.Decimal | null; prior: Prisma.Decimal | null }[]>`
      SELECT a.instance_id, a.dimension, a.hour_start, a.quantity, h.quantity AS hour_quantity,
        (SELECT SUM(b.quantity) FROM usage_adjustment b WHERE b.instance_id = a.instance_id AND b.dimension = a.dimension AND b.hour_start = a.hour_start AND b.source = a.source AND b.seq < a.seq) AS prior
      FROM usage_adjustment a JOIN "instance" i ON i.id = a.instance_id
      LEFT JOIN usage_hour h ON h.instance_id = a.instance_id AND h.dimension = a.dimension AND h.hour_start = a.hour_start AND h.source = a.source
      WHERE i.account_id = ${accountId} AND a.source = 'metering' AND a.hour_start < ${periodEnd}
        AND a.created_at > ${lower} AND a.created_at <= ${cutoff} AND (${from !== null} OR a.hour_start >= ${periodStart})
      ORDER BY a.instance_id, a.dimension, a.hour_start, a.seq`;
    const out: LateUsageInput[] = adjustments.map((r) => ({
      instanceId: r.instance_id, meter: r.dimension, periodStart: r.hour_start, periodEnd: new Date(r.hour_start.getTime() + HOUR_MS),
      units: big(r.quantity), billedUnits: big(r.hour_quantity ?? '0') + big(r.prior ?? '0'),
    }));
    if (from !== null) {
      const hours = await db.$queryRaw<{ instance_id: string; dimension: string; hour_start: Date; quantity: Prisma.Decimal }[]>`
        SELECT h.instance_id, h.dimension, h.hour_start, h.quantity FROM usage_hour h JOIN "instance" i ON i.id = h.instance_id
        WHERE i.account_id = ${accountId} AND h.source = 'metering' AND h.closed AND h.hour_start < ${periodStart}
          AND h.updated_at > ${from} AND h.updated_at <= ${cutoff}
        ORDER BY h.instance_id, h.dimension, h.hour_start`;
      for (const r of hours) out.push({ instanceId: r.instance_id, meter: r.dimension, periodStart: r.hour_start, periodEnd: new Date(r.hour_start.getTime() + HOUR_MS), units: big(r.quantity), billedUnits: 0n });
    }
    return out;
  }

  /** Whether any usage hour of the account in [start, end) is still open (a month is finalised only once all are closed). */
  async hasOpenHours(db: Tx | Connection['db'], accountId: string, start: Date, end: Date): Promise<boolean> {
    const rows = await db.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM usage_hour h JOIN "instance" i ON i.id = h.instance_id
      WHERE i.account_id = ${accountId} AND h.source = 'metering' AND NOT h.closed AND h.hour_start >= ${start} AND h.hour_start < ${end}`;
    return (rows[0]?.n ?? 0n) > 0n;
  }
}

/** What the billing reports read: usage hours with their adjustments, chargeback rows, instance labels. */
export class ReportRepository {
  readonly #c: Connection;
  constructor(c: Connection) { this.#c = c; }

  /** Usage hours of the account in [from, to), open ones too, each with its adjustments added (late usage belongs to its hour in a report). */
  async usageHours(accountId: string, from: Date, to: Date): Promise<UsageInput[]> {
    const rows = await this.#c.db.$queryRaw<{ instance_id: string; dimension: string; hour_start: Date; quantity: Prisma.Decimal }[]>`
      SELECT h.instance_id, h.dimension, h.hour_start,
        h.quantity + COALESCE((SELECT SUM(a.quantity) FROM usage_adjustment a WHERE a.instance_id = h.instance_id AND a.dimension = h.dimension AND a.hour_start = h.hour_start AND a.source = h.source), 0) AS quantity
      FROM usage_hour h JOIN "instance" i ON i.id = h.instance_id
      WHERE i.account_id = ${accountId} AND h.source = 'metering' AND h.hour_start >= ${from} AND h.hour_start < ${to}
      ORDER BY h.instance_id, h.dimension, h.hour_start`;
    return rows.map((r) => ({ instanceId: r.instance_id, meter: r.dimension, periodStart: r.hour_start, periodEnd: new Date(r.hour_start.getTime() + HOUR_MS), units: big(r.quantity) }));
  }

  /** Bytes per hour, instance, direction and topic or principal, in [from, to). */
  async chargeback(accountId: string, from: Date, to: Date, by: 'topic' | 'principal'): Promise<{ instanceId: string; hourStart: Date; direction: string; key: string; bytes: bigint }[]> {
    const rows = by === 'topic'
      ? await this.#c.db.$queryRaw<{ instance_id: string; hour_start: Date; direction: string; key: string; bytes: Prisma.Decimal }[]>`
        SELECT c.instance_id, c.hour_start, c.direction, c.topic AS key, SUM(c.bytes) AS bytes FROM chargeback_hour c JOIN "instance" i ON i.id = c.instance_id
        WHERE i.account_id = ${accountId} AND c.hour_start >= ${from} AND c.hour_start < ${to}
        GROUP BY c.instance_id, c.hour_start, c.direction, c.topic ORDER BY c.hour_start, c.instance_id, c.topic`
      : await this.#c.db.$queryRaw<{ instance_id: string; hour_start: Date; direction: string; key: string; bytes: Prisma.Decimal }[]>`
        SELECT c.instance_id, c.hour_start, c.direction, c.principal AS key, SUM(c.bytes) AS bytes FROM chargeback_hour c JOIN "instance" i ON i.id = c.instance_id
        WHERE i.account_id = ${accountId} AND c.hour_start >= ${from} AND c.hour_start < ${to}
        GROUP BY c.instance_id, c.hour_start, c.direction, c.principal ORDER BY c.hour_start, c.instance_id, c.principal`;
    return rows.map((r) => ({ instanceId: r.instance_id, hourStart: r.hour_start, direction: r.direction, key: r.key, bytes: big(r.bytes) }));
  }

  /** Labels of the account's instances (deleted ones too: their usage is still reported). */
  async instanceLabels(accountId: string): Promise<Map<string, Record<string, string>>> {
    const rows = await this.#c.db.instance.findMany({ where: { accountId }, select: { id: true, labels: true } });
    return new Map(rows.map((r) => [r.id, (r.labels ?? {}) as Record<string, string>]));
  }
}
