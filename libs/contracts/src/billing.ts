import { z } from 'zod';
import { QueryTimestampSchema, TimestampSchema, pageOf } from './common.ts';
import { CursorSchema } from './text.ts';
import { InstanceSpecSchema } from './instance.ts';

export const PriceRateSchema = z.object({
  meter: z.enum(['broker-hour', 'bandwidth-mbps-hour', 'disk-gib-hour', 'partition-hour']),
  unitPriceMicros: z.number().int().min(0).meta({ description: 'price per unit in millionths of the currency' }),
});
export const PriceBookSchema = z
  .object({ id: z.string(), currency: z.string().length(3), effectiveFrom: TimestampSchema, prepaidDiscountPercent: z.number(), rates: z.array(PriceRateSchema) })
  .meta({ id: 'PriceBook' });

export const UsageRecordSchema = z
  .object({
    id: z.string(), instanceId: z.string(), meter: z.string(), quantity: z.number(), periodStart: TimestampSchema,
    periodEnd: TimestampSchema, source: z.enum(['spec-change', 'metering']), createdAt: TimestampSchema,
  })
  .meta({ id: 'UsageRecord' });
export const UsageListSchema = pageOf(UsageRecordSchema, 'UsageList');
export const UsageQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: CursorSchema.optional(),
  instanceId: z.string().max(64).optional(),
  from: QueryTimestampSchema.optional(),
  to: QueryTimestampSchema.optional(),
});

/** One priced line: stable `code` (line type), exact `amountMinor` in the currency's minor units. */
export const PriceLineSchema = z
  .object({
    code: z.string().meta({ description: 'stable line-type code, e.g. instance.broker-hours, prepaid.period, prepaid.discount, prepaid.upgrade-proration, prepaid.renewal, usage.bytes-in-gib, adjustment.late-usage' }),
    meter: z.string(),
    instanceId: z.string().nullable(),
    quantity: z.number().meta({ description: 'quantity in `unit`, rounded to 6 decimals for display; amounts are computed from the exact value' }),
    unit: z.string(),
    unitPriceMicros: z.number().int().meta({ description: 'price per unit in millionths of the currency' }),
    amountMinor: z.number().int().meta({ description: 'amount in minor units of the currency (cents), rounded half to even once per line' }),
    priceBookId: z.string(),
    tier: z.number().int().nullable().meta({ description: 'graduated tier index of the rate, null for a flat rate' }),
    periodStart: TimestampSchema.nullable(),
    periodEnd: TimestampSchema.nullable(),
  })
  .meta({ id: 'PriceLine' });

const invoiceHead = {
  id: z.string(),
  accountId: z.string(),
  kind: z.enum(['monthly', 'prepaid']).meta({ description: 'monthly: postpaid sold size and metered usage of a calendar month, in arrears; prepaid: a purchase, renewal or upgrade, finalised at once' }),
  instanceId: z.string().nullable().meta({ description: 'the instance a prepaid invoice is for; null on monthly invoices (their lines name instances)' }),
  periodStart: TimestampSchema,
  periodEnd: TimestampSchema,
  status: z.enum(['draft', 'finalised']).meta({ description: 'draft: rebuilt from the current usage until the month can close; finalised: never changes again (late usage goes onto the next monthly invoice)' }),
  currency: z.string().length(3),
  totalMinor: z.number().int().meta({ description: 'sum of the lines, in minor units of the currency (cents)' }),
  total: z.string().meta({ description: 'totalMinor as a decimal string of the major unit ("357.70"), for display' }),
  totalMicros: z.number().int().meta({ description: 'deprecated: totalMinor in millionths of the currency (use totalMinor)', deprecated: true }),
  usageCutoff: TimestampSchema.nullable().meta({ description: 'monthly: usage committed up to this instant is on this invoice; later usage is on the next one' }),
  finalisedAt: TimestampSchema.nullable(),
  createdAt: TimestampSchema,
};
const invoiceExample = {
  id: 'inv-0123456789abcdef', accountId: 'acc-0123456789abcdef', kind: 'monthly', instanceId: null, periodStart: '2026-11-01T00:00:00.000Z', periodEnd: '2026-12-01T00:00:00.000Z',
  status: 'finalised', currency: 'USD', totalMinor: 35770, total: '357.70', totalMicros: 357700000, usageCutoff: '2026-12-01T01:04:00.000Z', finalisedAt: '2026-12-01T01:06:00.000Z', createdAt: '2026-12-01T00:01:00.000Z',
};
export const InvoiceSummarySchema = z.object(invoiceHead).meta({ id: 'InvoiceSummary', example: invoiceExample });
export const InvoiceListSchema = pageOf(InvoiceSummarySchema, 'InvoiceList');
export const InvoiceListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: CursorSchema.optional(),
  status: z.enum(['draft', 'finalised']).optional(),
  kind: z.enum(['monthly', 'prepaid']).optional(),
  instanceId: z.string().max(64).optional().meta({ description: 'invoices for this instance or with a line of it' }),
  from: QueryTimestampSchema.optional().meta({ description: 'invoices whose period ends after this instant' }),
  to: QueryTimestampSchema.optional().meta({ description: 'invoices whose period starts before this instant' }),
});
export const InvoiceSchema = z.object({ ...invoiceHead, lines: z.array(PriceLineSchema) }).meta({
  id: 'Invoice',
  example: {
    ...invoiceExample,
    lines: [{ code: 'instance.broker-hours', meter: 'broker-hour', instanceId: 'ins-0123456789abcdef', quantity: 2190, unit: 'broker-hour', unitPriceMicros: 120000, amountMinor: 26280, priceBookId: 'pb-default-2026', tier: null, periodStart: '2026-11-01T00:00:00.000Z', periodEnd: '2026-12-01T00:00:00.000Z' }],
  },
});
export const InvoicePreviewSchema = z.object({
  accountId: z.string(), kind: z.literal('monthly'), status: z.literal('draft'), periodStart: TimestampSchema, periodEnd: TimestampSchema,
  asOf: TimestampSchema.meta({ description: 'sold size and usage up to this instant' }),
  currency: z.string().length(3), totalMinor: z.number().int(), total: z.string(), lines: z.array(PriceLineSchema),
}).meta({ id: 'InvoicePreview', description: 'the current month so far, built as its invoice will be (never stored)' });
export const InvoiceRecomputeSchema = z.object({
  invoiceId: z.string(), status: z.enum(['draft', 'finalised']),
  matches: z.boolean().meta({ description: 'true when the invoice priced again from its raw usage (or its prepaid quote) equals what is stored, line by line' }),
  storedTotalMinor: z.number().int(), recomputedTotalMinor: z.number().int(),
  differences: z.array(z.object({ position: z.number().int().meta({ description: 'line index; -1 for the total' }), field: z.string(), stored: z.unknown(), recomputed: z.unknown() })),
}).meta({ id: 'InvoiceRecompute', example: { invoiceId: 'inv-0123456789abcdef', status: 'finalised', matches: true, storedTotalMinor: 35770, recomputedTotalMinor: 35770, differences: [] } });

const QuoteSpecSchema = InstanceSpecSchema;

export const QuoteRequestSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('create').meta({ description: 'price of a new instance of `spec` (postpaid per hour, or its prepaid period)' }),
      spec: QuoteSpecSchema,
    }),
    z.strictObject({
      kind: z.literal('change').meta({ description: 'price of changing an existing instance to `spec`: the new hourly price (postpaid) or the prorated difference for the rest of the period (prepaid)' }),
      instanceId: z.string().min(1).max(64),
      spec: QuoteSpecSchema,
    }),
    z.strictObject({
      kind: z.literal('renewal').meta({ description: 'price of renewing a prepaid instance for periodMonths more' }),
      instanceId: z.string().min(1).max(64),
      periodMonths: z.number().int().min(1).max(36),
    }),
  ])
  .meta({
    id: 'QuoteRequest',
    examples: [
      { kind: 'create', spec: { zone: 'zone-a', brokers: 3, bandwidthMBps: 40, diskGiB: 500, partitionLimit: 400, topicLimit: 100, consumerGroupLimit: 100, billing: { mode: 'prepaid', periodMonths: 3 } } },
      { kind: 'change', instanceId: 'ins-0123456789abcdef', spec: { zone: 'zone-a', brokers: 5, bandwidthMBps: 40, diskGiB: 800, partitionLimit: 400, topicLimit: 100, consumerGroupLimit: 100, billing: { mode: 'prepaid', periodMonths: 3 } } },
      { kind: 'renewal', instanceId: 'ins-0123456789abcdef', periodMonths: 1 },
    ],
  });
export type QuoteRequest = z.infer<typeof QuoteRequestSchema>;

export const QuoteSchema = z
  .object({
    kind: z.enum(['create', 'change', 'renewal']),
    mode: z.enum(['postpaid', 'prepaid']),
    currency: z.string().length(3),
    priceBookId: z.string(),
    hourlyMinor: z.number().int().meta({ description: 'list price of the resulting size for one hour, before any prepaid discount' }),
    monthlyEstimateMinor: z.number().int().meta({ description: 'the hourly list price for a 730-hour month' }),
    lines: z.array(PriceLineSchema).meta({ description: 'postpaid: the hourly lines; prepaid: what is charged now' }),
    totalMinor: z.number().int().meta({ description: 'sum of the lines' }),
    effectiveAt: TimestampSchema,
    periodStart: TimestampSchema.nullable(),
    periodEnd: TimestampSchema.nullable(),
    downgradeEffectiveAt: TimestampSchema.nullable().meta({ description: 'prepaid change: when levels that fall take effect (the renewal); null otherwise' }),
  })
  .meta({
    id: 'Quote',
    example: {
      kind: 'create', mode: 'postpaid', currency: 'USD', priceBookId: 'pb-default-2026', hourlyMinor: 49, monthlyEstimateMinor: 35770,
      lines: [{ code: 'instance.broker-hours', meter: 'broker-hour', instanceId: null, quantity: 3, unit: 'broker-hour', unitPriceMicros: 120000, amountMinor: 36, priceBookId: 'pb-default-2026', tier: null, periodStart: null, periodEnd: null }],
      totalMinor: 49, effectiveAt: '2026-12-01T00:00:00.000Z', periodStart: null, periodEnd: null, downgradeEffectiveAt: null,
    },
  });
export type Quote = z.infer<typeof QuoteSchema>;

export const RenewRequestSchema = z
  .strictObject({ periodMonths: z.number().int().min(1).max(36).meta({ description: 'months to add: from the current expiry, or from now once expired' }) })
  .meta({ id: 'RenewRequest', example: { periodMonths: 1 } });
export const BillingStatusChangeSchema = z
  .strictObject({ reason: z.string().max(500).optional().meta({ description: 'kept in the audit trail' }) })
  .meta({ id: 'BillingStatusChange', example: { reason: 'invoice INV-2026-11 overdue' } });

const ReportFormatSchema = z.enum(['json', 'csv']).optional().meta({ description: 'csv answers text/csv (so does `Accept: text/csv`); json by default' });
const reportRange = {
  from: QueryTimestampSchema.optional().meta({ description: 'start (default: the start of the current month, UTC)' }),
  to: QueryTimestampSchema.optional().meta({ description: 'end, exclusive (default: now). At most 31 days by hour, 366 by day, 36 months by month' }),
  granularity: z.enum(['hour', 'day', 'month']).default('day'),
  instanceId: z.string().max(64).optional(),
  format: ReportFormatSchema,
};
export const UsageReportQuerySchema = z.strictObject({
  ...reportRange,
  meter: z.string().max(64).optional().meta({ description: 'one meter only (broker-hour, bytes-in-gib, …)' }),
  groupBy: z.enum(['instance', 'label']).default('instance').meta({ description: 'label: rows per value of the instance label `label` (chargeback by label; "" for instances without it)' }),
  label: z.string().min(1).max(63).optional().meta({ description: 'the label key when groupBy=label' }),
});
export const UsageReportSchema = z.object({
  currency: z.string().length(3), from: TimestampSchema, to: TimestampSchema, granularity: z.enum(['hour', 'day', 'month']), groupBy: z.enum(['instance', 'label']),
  rows: z.array(z.object({
    periodStart: TimestampSchema, periodEnd: TimestampSchema,
    group: z.string().meta({ description: 'the instance id, or the label value with groupBy=label' }),
    meter: z.string(), code: z.string().meta({ description: 'the line-type code invoices use for this meter' }), unit: z.string(),
    quantity: z.number().meta({ description: 'in unit, as charged (bundled units off), rounded to 6 decimals' }),
    amountMinor: z.number().int().meta({ description: 'cost in minor units (postpaid sold size and metered usage; prepaid periods are on their invoices)' }),
  })),
  totalMinor: z.number().int(), total: z.string(),
}).meta({
  id: 'UsageReport',
  example: {
    currency: 'USD', from: '2026-12-01T00:00:00.000Z', to: '2026-12-02T00:00:00.000Z', granularity: 'day', groupBy: 'instance',
    rows: [{ periodStart: '2026-12-01T00:00:00.000Z', periodEnd: '2026-12-02T00:00:00.000Z', group: 'ins-0123456789abcdef', meter: 'broker-hour', code: 'instance.broker-hours', unit: 'broker-hour', quantity: 72, amountMinor: 864 }],
    totalMinor: 864, total: '8.64',
  },
});
export const ChargebackReportQuerySchema = z.strictObject({
  ...reportRange,
  by: z.enum(['topic', 'principal']).default('topic').meta({ description: 'rows per topic, or per Kafka principal (User:…)' }),
});
export const ChargebackReportSchema = z.object({
  from: TimestampSchema, to: TimestampSchema, granularity: z.enum(['hour', 'day', 'month']), by: z.enum(['topic', 'principal']),
  rows: z.array(z.object({
    periodStart: TimestampSchema, periodEnd: TimestampSchema, instanceId: z.string(),
    key: z.string().meta({ description: 'the topic or the principal' }),
    bytesIn: z.string().meta({ description: 'bytes produced, a decimal integer string' }),
    bytesOut: z.string().meta({ description: 'bytes fetched by consumers, a decimal integer string' }),
  })),
}).meta({
  id: 'ChargebackReport',
  example: {
    from: '2026-12-01T00:00:00.000Z', to: '2026-12-02T00:00:00.000Z', granularity: 'day', by: 'topic',
    rows: [{ periodStart: '2026-12-01T00:00:00.000Z', periodEnd: '2026-12-02T00:00:00.000Z', instanceId: 'ins-0123456789abcdef', key: 'orders', bytesIn: '1048576', bytesOut: '3145728' }],
  },
});
