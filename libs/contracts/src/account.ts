import { z } from 'zod';
import { MetaFields, TimestampSchema, pageOf } from './common.ts';
import { CursorSchema } from './text.ts';

export const ROLES = ['admin', 'operator', 'viewer', 'billing'] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

export const AccountCreateSchema = z
  .strictObject({ name: z.string().min(1).max(100), email: z.email().optional() })
  .meta({ id: 'AccountCreate', example: { name: 'Payments team', email: 'payments@example.com' } });
export const AccountSchema = z
  .object({ ...MetaFields, name: z.string(), email: z.string().nullable() })
  .meta({ id: 'Account' });
export const AccountListSchema = pageOf(AccountSchema, 'AccountList');

export const ApiKeyCreateSchema = z
  .strictObject({
    name: z.string().min(1).max(100),
    role: RoleSchema,
    accountId: z.string().optional().meta({ description: 'platform admins may mint keys for another account' }),
  })
  .meta({ id: 'ApiKeyCreate', example: { name: 'ci', role: 'operator' } });
export const ApiKeySchema = z
  .object({ ...MetaFields, accountId: z.string(), name: z.string(), role: RoleSchema, prefix: z.string(), lastUsedAt: TimestampSchema.nullable() })
  .meta({ id: 'ApiKey' });
/** The only response that carries the secret: it is shown once. */
export const ApiKeyCreatedSchema = ApiKeySchema.extend({ secret: z.string() }).meta({ id: 'ApiKeyCreated' });
export const ApiKeyListSchema = pageOf(ApiKeySchema, 'ApiKeyList');

export const OperationSchema = z
  .object({
    id: z.string(),
    accountId: z.string(),
    kind: z.string().meta({ example: 'instance.create' }),
    targetType: z.enum(['instance', 'topic', 'user', 'acl', 'client-quota', 'consumer-group-quota', 'consumer-group']),
    targetId: z.string(),
    generation: z.number().int(),
    state: z.enum(['Pending', 'Running', 'Succeeded', 'Failed']),
    error: z.string().nullable(),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
  })
  .meta({ id: 'Operation' });
export type Operation = z.infer<typeof OperationSchema>;

export const OperationListSchema = pageOf(OperationSchema, 'OperationList');
export const OperationListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: CursorSchema.optional(),
  targetId: z.string().min(1).max(64).optional().meta({ description: 'only the operations of this resource (an instance, topic, user … id)' }),
});

/** 202 body of an asynchronous change: the resource as now desired, and the operation tracking it. */
export function acceptedOf<T extends z.ZodType>(resource: T, id: string) {
  return z.object({ resource, operation: OperationSchema }).meta({ id });
}
