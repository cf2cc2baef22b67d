import { z } from 'zod';
import { LabelsSchema, MetaFields, QueryTimestampSchema, TimestampSchema, pageOf } from './common.ts';
import { TopicNameSchema } from './topic.ts';

/** SCRAM user: the password is accepted once on create/rotate and never returned or stored. */
/**
 * Labels of users, ACLs and quotas: ownership and filtering (`?label=k=v`), e.g. the CLI's
 * `tributary.dev/stack`; the brokers never see them. Given on create, changed with PATCH (the
 * labels alone) or with a quota's PUT (kept when the PUT leaves them out).
 */
const ObjectLabels = LabelsSchema.optional().meta({ description: 'labels (default none); never sent to the brokers' });
const LabelsOut = z.record(z.string(), z.string());

export const KafkaUserCreateSchema = z
  .strictObject({
    // Names under `tributary-api.` are the API keys' own principals (messages over HTTP).
    name: z.string().min(1).max(64).regex(/^[a-zA-Z0-9._-]+$/).refine((n) => !n.startsWith('tributary-api.'), 'names starting with tributary-api. are reserved for API keys\' principals'),
    password: z.string().min(12).max(256),
    mechanism: z.enum(['SCRAM-SHA-256', 'SCRAM-SHA-512']).default('SCRAM-SHA-512'),
    iterations: z.number().int().min(4096).max(65536).default(8192),
    labels: ObjectLabels,
  })
  .meta({ id: 'KafkaUserCreate', example: { name: 'orders-service', password: 'correct horse battery staple', mechanism: 'SCRAM-SHA-512' } });
export const KafkaUserUpdateSchema = z
  .strictObject({ password: z.string().min(12).max(256) })
  .meta({ id: 'KafkaUserUpdate' });
export const KafkaUserSchema = z
  .object({ ...MetaFields, instanceId: z.string(), name: z.string(), mechanism: z.string(), iterations: z.number().int(), labels: LabelsOut })
  .meta({ id: 'KafkaUser' });
export const KafkaUserListSchema = pageOf(KafkaUserSchema, 'KafkaUserList');

/** Kafka ACL binding (resource pattern + access control entry). */
export const AclCreateSchema = z
  .strictObject({
    resourceType: z.enum(['TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID']),
    resourceName: z.string().min(1).max(249),
    patternType: z.enum(['LITERAL', 'PREFIXED']).default('LITERAL'),
    principal: z.string().regex(/^User:(\*|[a-zA-Z0-9._-]+)$/, 'User:<name> or User:*'),
    host: z.string().default('*'),
    operation: z.enum(['ALL', 'READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE']),
    permissionType: z.enum(['ALLOW', 'DENY']).default('ALLOW'),
    labels: ObjectLabels,
  })
  .superRefine((a, ctx) => {
    if (a.resourceType === 'CLUSTER' && a.resourceName !== 'kafka-cluster') {
      ctx.addIssue({ code: 'custom', path: ['resourceName'], message: 'CLUSTER ACLs use resourceName "kafka-cluster"' });
    }
  })
  .meta({ id: 'AclCreate', example: { resourceType: 'TOPIC', resourceName: 'orders.', patternType: 'PREFIXED', principal: 'User:orders-service', operation: 'WRITE' } });
export const AclSchema = z
  .object({
    ...MetaFields, instanceId: z.string(), resourceType: z.string(), resourceName: z.string(), patternType: z.string(),
    principal: z.string(), host: z.string(), operation: z.string(), permissionType: z.string(), labels: LabelsOut,
  })
  .meta({ id: 'Acl' });
export const AclListSchema = pageOf(AclSchema, 'AclList');

/** Kafka client quota for a user and/or client-id (at least one entity). */
export const ClientQuotaCreateSchema = z
  .strictObject({
    user: z.string().min(1).max(64).optional(),
    clientId: z.string().min(1).max(255).optional(),
    producerByteRate: z.number().int().min(1024).optional(),
    consumerByteRate: z.number().int().min(1024).optional(),
    requestPercentage: z.number().min(1).max(10_000).optional(),
    labels: ObjectLabels,
  })
  .superRefine((q, ctx) => {
    if (q.user === undefined && q.clientId === undefined) ctx.addIssue({ code: 'custom', path: ['user'], message: 'name a user, a clientId or both' });
    if (q.producerByteRate === undefined && q.consumerByteRate === undefined && q.requestPercentage === undefined) {
      ctx.addIssue({ code: 'custom', path: ['producerByteRate'], message: 'set at least one of producerByteRate, consumerByteRate, requestPercentage' });
    }
  })
  .meta({ id: 'ClientQuotaCreate', example: { user: 'orders-service', producerByteRate: 10485760 } });
/** PUT of a client quota replaces its rates; the entity (user, clientId) is what the quota is, and stays. */
export const ClientQuotaUpdateSchema = z
  .strictObject({
    producerByteRate: z.number().int().min(1024).optional(),
    consumerByteRate: z.number().int().min(1024).optional(),
    requestPercentage: z.number().min(1).max(10_000).optional(),
    labels: ObjectLabels,
  })
  .superRefine((q, ctx) => {
    if (q.producerByteRate === undefined && q.consumerByteRate === undefined && q.requestPercentage === undefined) {
      ctx.addIssue({ code: 'custom', path: ['producerByteRate'], message: 'set at least one of producerByteRate, consumerByteRate, requestPercentage' });
    }
  })
  .meta({ id: 'ClientQuotaUpdate', example: { producerByteRate: 20971520 } });
export const ClientQuotaSchema = z
  .object({
    ...MetaFields, instanceId: z.string(), user: z.string().nullable(), clientId: z.string().nullable(),
    producerByteRate: z.number().nullable(), consumerByteRate: z.number().nullable(), requestPercentage: z.number().nullable(), labels: LabelsOut,
  })
  .meta({ id: 'ClientQuota' });
export const ClientQuotaListSchema = pageOf(ClientQuotaSchema, 'ClientQuotaList');

/** Per-consumer-group quota; the number of quotas counts against consumerGroupLimit. */
export const ConsumerGroupQuotaCreateSchema = z
  .strictObject({
    group: z.string().min(1).max(249),
    maxMembers: z.number().int().min(1).max(10_000).optional(),
    consumerByteRate: z.number().int().min(1024).optional(),
    labels: ObjectLabels,
  })
  .meta({ id: 'ConsumerGroupQuotaCreate', example: { group: 'billing-workers', maxMembers: 20 } });
/** PUT of a consumer-group quota replaces its limits; the group stays. */
export const ConsumerGroupQuotaUpdateSchema = z
  .strictObject({ maxMembers: z.number().int().min(1).max(10_000).optional(), consumerByteRate: z.number().int().min(1024).optional(), labels: ObjectLabels })
  .meta({ id: 'ConsumerGroupQuotaUpdate', example: { maxMembers: 40 } });
export const ConsumerGroupQuotaSchema = z
  .object({ ...MetaFields, instanceId: z.string(), group: z.string(), maxMembers: z.number().nullable(), consumerByteRate: z.number().nullable(), labels: LabelsOut })
  .meta({ id: 'ConsumerGroupQuota' });
export const ConsumerGroupQuotaListSchema = pageOf(ConsumerGroupQuotaSchema, 'ConsumerGroupQuotaList');

/** PATCH of a user, ACL or quota: its labels, replaced whole (`{}` removes them all). */
export const ObjectLabelsUpdateSchema = z
  .strictObject({ labels: LabelsSchema })
  .meta({ id: 'ObjectLabelsUpdate', example: { labels: { 'tributary.dev/stack': 'payments' } } });

/** Live consumer-group views (read through the broker). */
export const ConsumerGroupSchema = z
  .object({
    group: z.string(),
    state: z.enum(['Empty', 'Stable', 'PreparingRebalance', 'CompletingRebalance', 'Dead', 'Unknown']),
    members: z.array(z.object({ memberId: z.string(), clientId: z.string(), host: z.string(), assignment: z.array(z.object({ topic: TopicNameSchema, partitions: z.array(z.number().int()) })) })),
    offsets: z.array(z.object({ topic: z.string(), partition: z.number().int(), committed: z.number().int(), end: z.number().int(), lag: z.number().int() })),
  })
  .meta({ id: 'ConsumerGroup' });
export const OffsetResetSchema = z
  .strictObject({
    topic: TopicNameSchema,
    to: z.discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('earliest') }),
      z.strictObject({ kind: z.literal('latest') }),
      z.strictObject({ kind: z.literal('timestamp'), timestamp: z.number().int().min(0) }),
      z.strictObject({ kind: z.literal('exact'), offsets: z.record(z.string().regex(/^[0-9]+$/), z.number().int().min(0)) }),
    ]),
  })
  .meta({ id: 'OffsetReset', example: { topic: 'orders.v1', to: { kind: 'earliest' } } });

/** GET …/consumer-groups/{group}/lag-history: the group's lag per topic over time (sampled by the API). */
export const LagHistoryQuerySchema = z.strictObject({
  from: QueryTimestampSchema.optional().meta({ description: 'start (ISO 8601); default one hour before `to`' }),
  to: QueryTimestampSchema.optional().meta({ description: 'end (ISO 8601); default now' }),
});
export const LagHistorySchema = z
  .object({
    group: z.string(),
    intervalSeconds: z.number().int().meta({ description: 'how often lag is sampled: one point per topic and interval' }),
    retentionHours: z.number().meta({ description: 'how long points are kept' }),
    from: TimestampSchema,
    to: TimestampSchema,
    series: z.array(z.object({ topic: z.string(), points: z.array(z.object({ at: TimestampSchema, lag: z.number().int() })) })),
  })
  .meta({
    id: 'LagHistory',
    example: { group: 'orders-app', intervalSeconds: 60, retentionHours: 168, from: '2026-12-01T17:00:00.000Z', to: '2026-12-01T18:00:00.000Z', series: [{ topic: 'orders', points: [{ at: '2026-12-01T17:01:00.000Z', lag: 42 }] }] },
  });
