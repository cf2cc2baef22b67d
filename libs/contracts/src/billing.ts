import { z } from 'zod';
import { QueryTimestampSchema, TimestampSchema, pageOf } from './common.ts';
import { CursorSchema } from './text.ts';

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

export const InvoiceSchema = z
  .object({
    id: z.string(), accountId: z.string(), periodStart: TimestampSchema, periodEnd: TimestampSchema,
    status: z.enum(['draft', 'issued', 'paid', 'void']), currency: z.string(), totalMicros: z.number().int(),
    lines: z.array(z.object({ instanceId: z.string().nullable(), meter: z.string(), quantity: z.number(), amountMicros: z.number().int() })),
  })
  .meta({ id: 'Invoice' });
export const InvoiceListSchema = pageOf(InvoiceSchema, 'InvoiceList');
