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

/**
 * Data an operation moves between brokers (a scale-up's rebalance, a scale-down's drain, a
 * replication-factor change): the totals are fixed when the moves start, the counts are those of
 * the operator's last look (every few seconds while moving).
 */
export const OperationProgressSchema = z
  .object({
    partitionsMoved: z.number().int().min(0),
    partitionsTotal: z.number().int().min(0),
    bytesMoved: z.number().int().min(0),
    bytesTotal: z.number().int().min(0).meta({ description: 'bytes the new replicas copy, from the leaders\' log sizes when the moves started' }),
    startedAt: TimestampSchema,
    estimatedEndAt: TimestampSchema.nullable().meta({ description: 'from the copy rate so far; null until some bytes have moved' }),
    throttleBytesPerSecond: z.number().int().min(1).nullable().meta({ description: 'the replication throttle the moves run under (per broker); null: unthrottled' }),
  })
  .meta({ id: 'OperationProgress' });
export type OperationProgress = z.infer<typeof OperationProgressSchema>;

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
    progress: OperationProgressSchema.nullable().meta({ description: 'data moved between brokers by this operation; null for one that moves none' }),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
  })
  .meta({ id: 'Operation' });
export type Operation = z.infer<typeof OperationSchema>;

export const OperationListSchema = pageOf(OperationSchema, 'OperationList');

/**
 * The operation `POST /v1/operations/{id}/cancel` records on the instance: the operator cancels the
 * brokers' reassignments (they put the original replicas back) and then starts no moves until the
 * instance or one of its topics changes again.
 */
export const REBALANCE_CANCEL_KIND = 'rebalance.cancel';
export const OperationListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: CursorSchema.optional(),
  targetId: z.string().min(1).max(64).optional().meta({ description: 'only the operations of this resource (an instance, topic, user … id)' }),
});

/** 202 body of an asynchronous change: the resource as now desired, and the operation tracking it. */
export function acceptedOf<T extends z.ZodType>(resource: T, id: string) {
  return z.object({ resource, operation: OperationSchema }).meta({ id });
}

/**
 * GET /v1/me: who the calling key is — its id, name, role and prefix, its account, whether it runs
 * the platform, and the Kafka principal the API uses for it on instances (messages over HTTP).
 * Clients (the console) read their role here instead of probing what the key may do.
 */
export const MeSchema = z
  .object({
    key: z.object({ id: z.string(), name: z.string(), role: RoleSchema, prefix: z.string(), createdAt: TimestampSchema }),
    account: z.object({ id: z.string(), name: z.string() }).meta({ description: 'the account the call acts on: the key\'s own, or the one a platform admin named in the Tributary-Account header' }),
    homeAccount: z.object({ id: z.string(), name: z.string() }).nullable().meta({ description: 'the key\'s own account while a platform admin acts on another (Tributary-Account header); null otherwise' }),
    platformAdmin: z.boolean().meta({ description: 'an admin key of the platform account: may see and create every account' }),
    kafkaPrincipal: z.string().meta({ description: 'the principal the API reads and writes messages as; ACLs for it decide what the key may do on an instance' }),
  })
  .meta({
    id: 'Me',
    example: {
      key: { id: 'key-0123456789abcdef', name: 'ci', role: 'operator', prefix: 'a1b2c3d4e5f6', createdAt: '2026-12-01T18:00:00.000Z' },
      account: { id: 'acc-0123456789abcdef', name: 'Payments team' }, homeAccount: null, platformAdmin: false, kafkaPrincipal: 'User:tributary-api.key-0123456789abcdef',
    },
  });
export type Me = z.infer<typeof MeSchema>;

/** One entry of the audit trail: which key asked for what, on which target, with what detail. */
export const AuditEventSchema = z
  .object({
    id: z.string().meta({ description: 'increasing with time of writing' }),
    at: TimestampSchema,
    keyId: z.string().meta({ description: 'the API key that asked' }),
    action: z.string().meta({ example: 'topic.create' }),
    targetType: z.string(),
    targetId: z.string(),
    generation: z.number().int(),
    detail: z.record(z.string(), z.unknown()).meta({ description: 'what was asked (never a secret: passwords and keys are not recorded)' }),
  })
  .meta({ id: 'AuditEvent' });
export const AuditEventListSchema = pageOf(AuditEventSchema, 'AuditEventList');
export const AuditEventListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: CursorSchema.optional(),
  targetId: z.string().min(1).max(600).optional().meta({ description: 'only the events of this target (an instance id, or `<instance id>/<name>` for what lives in one)' }),
  action: z.string().min(1).max(100).optional().meta({ description: 'only this action (`topic.create`), or a prefix ending in `*` (`messages.*`)' }),
  keyId: z.string().min(1).max(64).optional().meta({ description: 'only what this API key asked' }),
});
