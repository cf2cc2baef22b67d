import { ErrorCode } from '@tributary/protocol';
import { settingNumber, type BrokerConfig } from '../config/broker-config.ts';
import type { TopicLogConfig } from '../log/log-manager.ts';
import { TopicError } from './topic-error.ts';

/**
 * Topic-level configs this broker accepts, their validation, and the broker setting that supplies
 * the default when a topic does not override it (as Kafka's topic configs fall back to log.* settings).
 */
interface TopicConfigSpec {
  validate: (value: string) => string | null;
  defaultFrom: (config: BrokerConfig) => string;
}

const longAtLeast = (min: number) => (v: string) => (/^-?\d+$/.test(v) && Number(v) >= min ? null : `must be an integer >= ${min}`);
const oneOf = (...allowed: string[]) => (v: string) => (allowed.includes(v) ? null : `must be one of ${allowed.join(', ')}`);

export const TOPIC_CONFIGS: Record<string, TopicConfigSpec> = {
  'retention.ms': { validate: longAtLeast(-1), defaultFrom: (c) => c.settings['log.retention.ms'] },
  'retention.bytes': { validate: longAtLeast(-1), defaultFrom: (c) => c.settings['log.retention.bytes'] },
  'segment.bytes': { validate: longAtLeast(1024), defaultFrom: (c) => c.settings['log.segment.bytes'] },
  'segment.ms': { validate: longAtLeast(1), defaultFrom: (c) => c.settings['log.roll.ms'] },
  'max.message.bytes': { validate: longAtLeast(0), defaultFrom: (c) => c.settings['message.max.bytes'] },
  'delete.retention.ms': { validate: longAtLeast(0), defaultFrom: (c) => c.settings['log.cleaner.delete.retention.ms'] },
  'cleanup.policy': { validate: oneOf('delete', 'compact', 'delete,compact', 'compact,delete'), defaultFrom: () => 'delete' },
  'min.insync.replicas': { validate: longAtLeast(1), defaultFrom: (c) => c.settings['min.insync.replicas'] },
  'unclean.leader.election.enable': { validate: oneOf('true', 'false'), defaultFrom: (c) => c.settings['unclean.leader.election.enable'] },
  'message.timestamp.type': { validate: oneOf('CreateTime', 'LogAppendTime'), defaultFrom: () => 'CreateTime' },
  'compression.type': { validate: oneOf('producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'), defaultFrom: () => 'producer' },
  'message.timestamp.before.max.ms': { validate: longAtLeast(0), defaultFrom: (c) => c.settings['log.message.timestamp.before.max.ms'] },
  'message.timestamp.after.max.ms': { validate: longAtLeast(0), defaultFrom: (c) => c.settings['log.message.timestamp.after.max.ms'] },
};

/**
 * How far a CreateTime record timestamp may lie before / after the broker's clock (KIP-937;
 * Kafka 4's defaults: unlimited before, one hour after). INVALID_TIMESTAMP outside.
 */
export function topicTimestampBounds(config: BrokerConfig, overrides: Record<string, string>): { timestampBeforeMaxMs: number; timestampAfterMaxMs: number } {
  return { timestampBeforeMaxMs: Number(effective(config, overrides, 'message.timestamp.before.max.ms')), timestampAfterMaxMs: Number(effective(config, overrides, 'message.timestamp.after.max.ms')) };
}

/** Throws INVALID_CONFIG with a message naming the config when a name or value is not acceptable. */
export function validateTopicConfig(name: string, value: string | null): void {
  const spec = TOPIC_CONFIGS[name];
  if (!spec) throw new TopicError(ErrorCode.INVALID_CONFIG, `unknown topic config ${name}`);
  if (value === null) return;
  const problem = spec.validate(value);
  if (problem) throw new TopicError(ErrorCode.INVALID_CONFIG, `${name}=${value}: ${problem}`);
}

export function effectiveTopicConfigs(config: BrokerConfig, overrides: Record<string, string>): { name: string; value: string; isDefault: boolean }[] {
  return Object.entries(TOPIC_CONFIGS).map(([name, spec]) => (name in overrides ? { name, value: overrides[name]!, isDefault: false } : { name, value: spec.defaultFrom(config), isDefault: true }));
}

export function topicNumber(config: BrokerConfig, overrides: Record<string, string>, name: 'retention.ms' | 'retention.bytes' | 'max.message.bytes' | 'min.insync.replicas'): number {
  if (name in overrides) return Number(overrides[name]);
  const setting = { 'retention.ms': 'log.retention.ms', 'retention.bytes': 'log.retention.bytes', 'max.message.bytes': 'message.max.bytes', 'min.insync.replicas': 'min.insync.replicas' } as const;
  return settingNumber(config, setting[name]);
}

/** A topic config's effective value: the topic's override, else the broker default Kafka would use. */
function effective(config: BrokerConfig, overrides: Record<string, string>, name: string): string {
  return overrides[name] ?? TOPIC_CONFIGS[name]!.defaultFrom(config);
}

/**
 * The storage settings of one partition log of a topic. Internal topics (`__`-prefixed, committed
 * offsets) are written by code that answers synchronously, so they fsync inline (no group commit),
 * and use `offsets.topic.segment.bytes` unless overridden, so compaction has closed segments to clean.
 */
export function topicLogConfig(config: BrokerConfig, topic: string, overrides: Record<string, string>): TopicLogConfig {
  const internal = topic.startsWith('__');
  const segmentBytes = overrides['segment.bytes'] ?? (internal ? config.settings['offsets.topic.segment.bytes'] : config.settings['log.segment.bytes']);
  return {
    segmentBytes: Number(segmentBytes),
    segmentMs: Number(effective(config, overrides, 'segment.ms')),
    flushIntervalMessages: settingNumber(config, 'log.flush.interval.messages'),
    maxMessageBytes: Number(effective(config, overrides, 'max.message.bytes')),
    timestampType: effective(config, overrides, 'message.timestamp.type') as 'CreateTime' | 'LogAppendTime',
    groupCommit: !internal,
    cleanupPolicy: effective(config, overrides, 'cleanup.policy'),
    retentionMs: Number(effective(config, overrides, 'retention.ms')),
    retentionBytes: Number(effective(config, overrides, 'retention.bytes')),
    deleteRetentionMs: Number(effective(config, overrides, 'delete.retention.ms')),
  };
}
