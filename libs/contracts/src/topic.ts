import { z } from 'zod';
import { MetaFields, TimestampSchema, pageOf } from './common.ts';

/** Kafka's own topic-name rule (kafka.common.internals.Topic): 1–249 of [a-zA-Z0-9._-], not "." or "..". */
export const TopicNameSchema = z
  .string()
  .min(1)
  .max(249)
  .regex(/^[a-zA-Z0-9._-]+$/, 'topic names use only a-z, A-Z, 0-9, ".", "_" and "-"')
  .refine((n) => n !== '.' && n !== '..', { message: 'topic name cannot be "." or ".."' })
  .meta({ example: 'orders.v1' });

const INT64_MAX = 2n ** 63n - 1n;
/**
 * A Java long as a string. One refinement, not regex + refine: zod runs every check of a string even
 * after one failed, and BigInt("1.5") throws — that used to escape as a 400 instead of a field error.
 */
const longString = (min: number) =>
  z.string().refine((v) => /^-?[0-9]{1,19}$/.test(v) && BigInt(v) >= BigInt(min) && BigInt(v) <= INT64_MAX, { message: `an integer from ${min} to ${INT64_MAX}` });

/** Topic-level configs users may set, each with Kafka's validation of its value. */
export const TOPIC_CONFIG_RULES = {
  'retention.ms': longString(-1),
  'retention.bytes': longString(-1),
  'cleanup.policy': z.enum(['delete', 'compact', 'compact,delete', 'delete,compact']),
  'min.insync.replicas': z.string().regex(/^([1-9]|1[0-5])$/, 'between 1 and 15'),
  'max.message.bytes': z.string().regex(/^[0-9]{1,10}$/).refine((v) => Number(v) >= 0 && Number(v) <= 2 ** 31 - 1, 'an int32 ≥ 0'),
  'segment.bytes': z.string().regex(/^[0-9]{1,10}$/).refine((v) => Number(v) >= 14 && Number(v) <= 2 ** 31 - 1, 'an int32 ≥ 14'),
  'segment.ms': longString(1),
  'compression.type': z.enum(['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd']),
  'message.timestamp.type': z.enum(['CreateTime', 'LogAppendTime']),
  'delete.retention.ms': longString(0),
  'min.compaction.lag.ms': longString(0),
  'unclean.leader.election.enable': z.enum(['true', 'false']),
} as const;
export type TopicConfigName = keyof typeof TOPIC_CONFIG_RULES;

export const TopicConfigsSchema = z
  .record(z.string(), z.string())
  .superRefine((cfg, ctx) => {
    for (const [key, value] of Object.entries(cfg)) {
      const rule = (TOPIC_CONFIG_RULES as Record<string, z.ZodType>)[key];
      if (!rule) {
        ctx.addIssue({ code: 'custom', path: [key], message: `topic config "${key}" is not in the allow-list` });
        continue;
      }
      const r = rule.safeParse(value);
      if (!r.success) {
        ctx.addIssue({ code: 'custom', path: [key], message: `invalid value for "${key}": ${r.error.issues[0]?.message ?? 'invalid'}` });
      }
    }
  })
  .meta({ example: { 'retention.ms': '604800000', 'cleanup.policy': 'delete' } });

export const TopicCreateSchema = z
  .strictObject({
    name: TopicNameSchema,
    partitions: z.number().int().min(1).max(10_000),
    replicationFactor: z.number().int().min(1).max(15),
    configs: TopicConfigsSchema.default({}),
    labels: z.record(z.string(), z.string().max(63)).default({}),
  })
  .meta({ id: 'TopicCreate', example: { name: 'orders.v1', partitions: 6, replicationFactor: 3, configs: { 'retention.ms': '604800000' } } });
export type TopicCreate = z.infer<typeof TopicCreateSchema>;

/** PUT/PATCH of a topic changes configs and labels; partitions only grow through /partitions. */
export const TopicUpdateSchema = z
  .strictObject({
    configs: TopicConfigsSchema.optional(),
    labels: z.record(z.string(), z.string().max(63)).optional(),
    replicationFactor: z.number().int().min(1).max(15).optional().meta({ description: 'changed in place: the operator adds or removes replicas while the topic stays in use (at most the instance\'s brokers)' }),
  })
  .meta({ id: 'TopicUpdate' });
export type TopicUpdate = z.infer<typeof TopicUpdateSchema>;

export const PartitionIncreaseSchema = z
  .strictObject({ partitions: z.number().int().min(1).max(10_000) })
  .meta({ id: 'PartitionIncrease', example: { partitions: 12 } });

export const TopicSchema = z
  .object({
    ...MetaFields,
    instanceId: z.string(),
    name: z.string(),
    partitions: z.number().int(),
    replicationFactor: z.number().int(),
    configs: z.record(z.string(), z.string()),
    labels: z.record(z.string(), z.string()),
    generation: z.number().int(),
    status: z.object({ phase: z.enum(['Creating', 'Updating', 'Ready', 'Failed', 'Deleting']), observedGeneration: z.number().int() }),
  })
  .meta({ id: 'Topic' });
export type Topic = z.infer<typeof TopicSchema>;
export const TopicStatsSchema = z
  .object({
    sizeBytes: z.number().int().meta({ description: 'bytes on disk, summed over the partitions as their leaders hold them (replicas not counted again)' }),
    messagesPerSecond: z.number().nullable().meta({ description: 'messages appended per second between the last two samples; null until there are two' }),
    sampledAt: TimestampSchema.meta({ description: 'when the newest sample was taken (the API samples every instance\'s topics each minute)' }),
  })
  .meta({ id: 'TopicStats' });
/** A topic in the list, with what the API last sampled of its data (null: not sampled yet). */
export const TopicListItemSchema = TopicSchema.extend({ stats: TopicStatsSchema.nullable() }).meta({ id: 'TopicListItem' });
export const TopicListSchema = pageOf(TopicListItemSchema, 'TopicList');

export type TopicRuleViolation =
  | { code: 'replication-factor-too-high'; path: string; message: string }
  | { code: 'replication-factor-too-low'; path: string; message: string }
  | { code: 'validation-failed'; path: string; message: string };

/**
 * Rules that depend on the instance a topic lives on (the schema alone cannot know them).
 * Returns every violation so the client sees them all at once.
 */
export function topicRulesAgainstInstance(
  topic: { replicationFactor: number; configs: Record<string, string> },
  brokers: number,
): TopicRuleViolation[] {
  const out: TopicRuleViolation[] = [];
  if (topic.replicationFactor > brokers) {
    out.push({ code: 'replication-factor-too-high', path: '/replicationFactor', message: `replicationFactor ${topic.replicationFactor} exceeds the instance's ${brokers} brokers` });
  }
  if (brokers >= 2 && topic.replicationFactor < 2) {
    out.push({ code: 'replication-factor-too-low', path: '/replicationFactor', message: 'replicationFactor must be at least 2 on an instance with 2 or more brokers' });
  }
  const minIsr = topic.configs['min.insync.replicas'];
  if (minIsr !== undefined && Number(minIsr) > topic.replicationFactor) {
    out.push({ code: 'validation-failed', path: '/configs/min.insync.replicas', message: `min.insync.replicas ${minIsr} exceeds replicationFactor ${topic.replicationFactor}` });
  }
  return out;
}

/** Live state of a topic's partitions, read from the instance's brokers at request time. */
export const PartitionStateSchema = z
  .object({
    partition: z.number().int(),
    leader: z.number().int().meta({ description: 'broker id of the leader; -1 when the partition has none' }),
    replicas: z.array(z.number().int()),
    isr: z.array(z.number().int()).meta({ description: 'in-sync replicas' }),
    underReplicated: z.boolean(),
    startOffset: z.number().int(),
    endOffset: z.number().int(),
    sizeBytes: z.number().int().meta({ description: "bytes on the leader's disk; -1 when the leader did not report it" }),
  })
  .meta({ id: 'PartitionState' });
export const PartitionStateListSchema = z.object({ topic: TopicNameSchema, partitions: z.array(PartitionStateSchema) }).meta({ id: 'PartitionStateList' });
