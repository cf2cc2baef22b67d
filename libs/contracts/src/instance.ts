import { z } from 'zod';
import { LabelsSchema, MetaFields, ResourceNameSchema, TimestampSchema, pageOf } from './common.ts';

export const MAX_BROKERS = 15;
export const BANDWIDTH_TIERS_MBPS = [20, 40, 100, 200, 400, 800, 1600] as const;
export const ZONES = ['zone-a', 'zone-b', 'zone-c'] as const;
/** Whether the API shows an instance's message content (InstanceSpec.messageBrowsing). */
export const MESSAGE_BROWSING = ['enabled', 'disabled'] as const;

/**
 * Broker settings a customer may override, each with its own value rule. Anything else (listeners,
 * log dirs, security) belongs to the operator and is refused.
 */
const positiveLongString = z.string().regex(/^[1-9][0-9]{0,18}$/);
const boolString = z.enum(['true', 'false']);
export const BROKER_CONFIG_RULES = {
  'auto.create.topics.enable': boolString,
  'default.replication.factor': z.string().regex(/^([1-9]|1[0-5])$/),
  'num.partitions': z.string().regex(/^[1-9][0-9]{0,3}$/),
  'log.retention.ms': z.string().regex(/^(-1|[1-9][0-9]{0,18})$/),
  'log.retention.bytes': z.string().regex(/^(-1|[1-9][0-9]{0,18})$/),
  'log.segment.bytes': positiveLongString,
  'message.max.bytes': z.string().regex(/^[1-9][0-9]{0,9}$/),
  'min.insync.replicas': z.string().regex(/^([1-9]|1[0-5])$/),
  'unclean.leader.election.enable': boolString,
  'compression.type': z.enum(['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd']),
  'offsets.retention.minutes': positiveLongString,
  'group.initial.rebalance.delay.ms': z.string().regex(/^[0-9]{1,9}$/),
} as const;
export type BrokerConfigName = keyof typeof BROKER_CONFIG_RULES;

export const BrokerConfigOverridesSchema = z
  .record(z.string(), z.string())
  .superRefine((cfg, ctx) => {
    for (const [key, value] of Object.entries(cfg)) {
      const rule = (BROKER_CONFIG_RULES as Record<string, z.ZodType>)[key];
      if (!rule) {
        ctx.addIssue({ code: 'custom', path: [key], message: `broker config "${key}" is not in the allow-list` });
      } else if (!rule.safeParse(value).success) {
        ctx.addIssue({ code: 'custom', path: [key], message: `invalid value for "${key}": ${JSON.stringify(value)}` });
      }
    }
  })
  .meta({ example: { 'auto.create.topics.enable': 'false' } });

export const BillingSpecSchema = z
  .strictObject({
    mode: z.enum(['postpaid', 'prepaid']),
    periodMonths: z.number().int().min(1).max(36).optional(),
    autoRenew: z.boolean().optional(),
  })
  .superRefine((b, ctx) => {
    if (b.mode === 'prepaid' && b.periodMonths === undefined) {
      ctx.addIssue({ code: 'custom', path: ['periodMonths'], message: 'prepaid billing needs periodMonths' });
    }
    if (b.mode === 'postpaid' && (b.periodMonths !== undefined || b.autoRenew !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['mode'], message: 'periodMonths and autoRenew apply to prepaid billing only' });
    }
  });

export const InstanceSpecSchema = z
  .strictObject({
    zone: z.enum(ZONES),
    brokers: z.number().int().min(1).max(MAX_BROKERS),
    bandwidthMBps: z
      .number()
      .int()
      .refine((v) => (BANDWIDTH_TIERS_MBPS as readonly number[]).includes(v), {
        message: `bandwidthMBps must be one of ${BANDWIDTH_TIERS_MBPS.join(', ')}`,
      }),
    diskGiB: z.number().int().min(100).max(64_000).multipleOf(100),
    partitionLimit: z.number().int().min(1).max(40_000),
    topicLimit: z.number().int().min(1).max(10_000),
    consumerGroupLimit: z.number().int().min(1).max(20_000),
    billing: BillingSpecSchema,
    brokerConfig: BrokerConfigOverridesSchema.default({}),
    // Optional rather than defaulted, so that specs written before it (files, clients, tests) stay
    // valid InstanceSpecs; the API always answers it.
    messageBrowsing: z.enum(MESSAGE_BROWSING).optional().meta({
      description: 'Messages over HTTP (default `enabled`; always present in answers): `disabled` turns reading, fetching, searching, tailing and exporting message content through the API off for this instance (403 message-browsing-disabled); sends stay governed by roles and ACLs. The brokers are not affected: Kafka clients read as their ACLs allow.',
    }),
  })
  .superRefine((s, ctx) => {
    if (s.topicLimit > s.partitionLimit) {
      ctx.addIssue({ code: 'custom', path: ['topicLimit'], message: 'topicLimit cannot exceed partitionLimit (every topic has a partition)' });
    }
  })
  .meta({
    id: 'InstanceSpec',
    example: {
      zone: 'zone-a', brokers: 3, bandwidthMBps: 40, diskGiB: 500, partitionLimit: 400, topicLimit: 100,
      consumerGroupLimit: 100, billing: { mode: 'postpaid' }, brokerConfig: {}, messageBrowsing: 'enabled',
    },
  });
export type InstanceSpec = z.infer<typeof InstanceSpecSchema>;

export const InstanceCreateSchema = z
  .strictObject({ name: ResourceNameSchema, labels: LabelsSchema.default({}), spec: InstanceSpecSchema })
  .meta({ id: 'InstanceCreate' });
export type InstanceCreate = z.infer<typeof InstanceCreateSchema>;

/** PUT replaces labels and spec; zone and billing mode are fixed at creation (checked by the API). */
export const InstanceUpdateSchema = z
  .strictObject({ labels: LabelsSchema.default({}), spec: InstanceSpecSchema })
  .meta({ id: 'InstanceUpdate' });
export type InstanceUpdate = z.infer<typeof InstanceUpdateSchema>;

/**
 * What an instance's client endpoint speaks. SASL is always required; SASL_SSL where the operator
 * has TLS for instances (apps/operator/README.md "Endpoints").
 */
export const INSTANCE_SECURITY_PROTOCOLS = ['SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type InstanceSecurityProtocol = (typeof INSTANCE_SECURITY_PROTOCOLS)[number];
/** SASL mechanisms every instance's client endpoint offers (users are SCRAM credentials). */
export const INSTANCE_SASL_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

export const INSTANCE_PHASES = ['Creating', 'Running', 'Updating', 'Suspended', 'Failed', 'Deleting'] as const;
export const InstancePhaseSchema = z.enum(INSTANCE_PHASES);
export const BillingStatusSchema = z.enum(['active', 'overdue', 'suspended']);

export const ConditionSchema = z.object({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: TimestampSchema,
});

/**
 * A prepaid instance's downgrade waiting for the renewal: the current period is paid at the spec's
 * levels, so a lower sold level (bandwidthMBps, or fewer brokers) is kept aside and applies when
 * the next period starts; the renewal is priced at it.
 */
export const PendingChangeSchema = z
  .object({
    spec: InstanceSpecSchema.meta({ description: 'The spec the instance will have once the change applies (the current spec with the lower levels)' }),
    requestedAt: TimestampSchema,
    appliesAt: TimestampSchema.nullable().meta({
      description: 'Null: it applies at the next renewal (at expiresAt when renewed or auto-renewed by then; at the renewal itself after an expiry). Set once a renewal priced at the lower size is paid: the boundary of the paid periods, where it applies (the generation changes and the operator rolls the new size out).',
    }),
  })
  .meta({ id: 'PendingChange' });
export type PendingChange = z.infer<typeof PendingChangeSchema>;

export const InstanceSchema = z
  .object({
    ...MetaFields,
    accountId: z.string(),
    name: z.string(),
    labels: z.record(z.string(), z.string()),
    generation: z.number().int(),
    spec: InstanceSpecSchema,
    status: z.object({
      phase: InstancePhaseSchema,
      observedGeneration: z.number().int(),
      brokers: z.number().int(),
      bootstrapServers: z.string().nullable().meta({ description: "The instance's client endpoint, its only one: clients log in with SASL (`securityProtocol`, one of `saslMechanisms`) as a user created under /users, and that user's ACLs apply. Null until the brokers run." }),
      securityProtocol: z.enum(INSTANCE_SECURITY_PROTOCOLS).nullable().meta({ description: 'Kafka security.protocol for bootstrapServers (null until the brokers run)' }),
      saslMechanisms: z.array(z.enum(INSTANCE_SASL_MECHANISMS)).meta({ description: 'Kafka sasl.mechanism values the client endpoint accepts' }),
      saslBootstrapServers: z.string().nullable().meta({ deprecated: true, description: 'The same endpoint as bootstrapServers (kept for clients written when instances also had an unauthenticated endpoint)' }),
      conditions: z.array(ConditionSchema),
    }),
    billingState: z.object({
      status: BillingStatusSchema,
      startedAt: TimestampSchema,
      expiresAt: TimestampSchema.nullable(),
      pendingChange: PendingChangeSchema.nullable().optional().meta({
        description: 'A prepaid downgrade waiting for the next renewal (always present in answers; null when there is none). `spec` runs until then; cancel with DELETE /v1/instances/{id}/pending-change (refused once a renewal at the lower size is paid).',
      }),
    }),
  })
  .meta({ id: 'Instance' });
export type Instance = z.infer<typeof InstanceSchema>;
export const InstanceListSchema = pageOf(InstanceSchema, 'InstanceList');

/** Fields of a new spec that cannot change after creation (fewer brokers can: the operator drains them first). */
export function immutableSpecChanges(before: InstanceSpec, after: InstanceSpec): string[] {
  const changed: string[] = [];
  if (before.zone !== after.zone) changed.push('zone');
  if (before.billing.mode !== after.billing.mode) changed.push('billing/mode');
  if (after.diskGiB < before.diskGiB) changed.push('diskGiB');
  return changed;
}
