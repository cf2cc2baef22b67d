import { z } from 'zod';
import { CursorSchema } from './text.ts';

export const IdSchema = z.string().min(1).max(64).regex(/^[a-z0-9][a-z0-9_-]*$/);

/** Labels: Kubernetes-like keys and values, used for filtering (`?label=team=payments`). */
export const LabelsSchema = z
  .record(z.string().regex(/^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$/), z.string().max(63))
  .refine((l) => Object.keys(l).length <= 32, { message: 'at most 32 labels' })
  .meta({ example: { team: 'payments' } });

/** A DNS-label-like resource name (instances, users are addressed by it in URLs and CLIs). */
export const ResourceNameSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'lowercase letters, digits and "-", starting and ending alphanumeric');

export const TimestampSchema = z.iso.datetime();

/**
 * A timestamp a client sends (query filters): ISO 8601, years 1970–9999. PostgreSQL has no year 0
 * and stops at 294276, while ISO strings and JS dates go further; out-of-range values are a 422 here.
 */
export const QueryTimestampSchema = z.iso.datetime().refine((s) => {
  const t = new Date(s);
  return !Number.isNaN(t.getTime()) && t.getUTCFullYear() >= 1970 && t.getUTCFullYear() <= 9999;
}, { message: 'a timestamp between 1970 and 9999' });

export const ListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: CursorSchema.optional(),
  name: z.string().max(249).optional().meta({ description: 'exact name, or a prefix ending in *' }),
  label: z.string().max(200).optional().meta({ description: 'key=value' }),
});
export type ListQuery = z.infer<typeof ListQuerySchema>;

/** A page of a cursor-paginated list: `nextCursor` is absent on the last page. */
export function pageOf<T extends z.ZodType>(item: T, id: string) {
  return z.object({ items: z.array(item), nextCursor: z.string().optional() }).meta({ id });
}

/** Resource metadata shared by every versioned resource. `etag` mirrors the ETag header. */
export const MetaFields = {
  id: z.string(),
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema,
  etag: z.string(),
};
