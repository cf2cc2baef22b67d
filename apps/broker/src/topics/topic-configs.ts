import { ConfigSource, ErrorCode } from '@tributary/protocol';
import { settingNumber, type BrokerConfig } from '../config/broker-config.ts';
import type { SettingName } from '../config/settings.ts';
import { configValueProblem } from '../config/config-validation.ts';
import { KAFKA_BROKER_CONFIGS, KAFKA_TOPIC_CONFIGS, type KafkaConfigDef } from '../generated/kafka-configs.ts';
import type { TopicLogConfig } from '../log/log-manager.ts';
import { TopicError } from './topic-error.ts';

/**
 * Topic configs: every one Kafka knows (its LogConfig, generated/kafka-configs.ts) is accepted and
 * validated as Kafka validates it, whether or not it changes anything here (the README lists which
 * do); a topic's effective value is its override, else this broker's setting where it has one, else
 * Kafka's default.
 */

/** Topic configs of Kafka 3.x that Kafka 4 removed; clients written for 3.x still set them. No-ops here. */
const KAFKA_3_TOPIC_CONFIGS: Record<string, KafkaConfigDef> = {
  'message.format.version': { type: 'STRING', default: '3.0-IV1', validator: null, documentation: 'Removed in Kafka 4 (message formats v0 and v1 are gone); accepted and ignored.', synonyms: ['log.message.format.version'] },
  'message.downconversion.enable': { type: 'BOOLEAN', default: 'true', validator: null, documentation: 'Removed in Kafka 4; accepted and ignored (this broker always down-converts for old fetch versions).', synonyms: ['log.message.downconversion.enable'] },
  'message.timestamp.difference.max.ms': { type: 'LONG', default: '9223372036854775807', validator: '[0,...]', documentation: 'Removed in Kafka 4 (see message.timestamp.before.max.ms / after.max.ms); accepted and ignored.', synonyms: ['log.message.timestamp.difference.max.ms'] },
};

export const TOPIC_CONFIG_DEFS: Record<string, KafkaConfigDef> = {
  ...KAFKA_TOPIC_CONFIGS,
  // Kafka 4 raised the minimum to 1 MiB (smaller only through an internal setting); this broker keeps
  // 1 KiB so small instances and tests can roll and compact small segments.
  'segment.bytes': { ...KAFKA_TOPIC_CONFIGS['segment.bytes']!, validator: '[1024,...]' },
  ...KAFKA_3_TOPIC_CONFIGS,
};

/** The broker setting of this broker that supplies a topic config's default (Kafka's synonym). */
const BROKER_SETTING: Partial<Record<string, SettingName>> = {
  'retention.ms': 'log.retention.ms',
  'retention.bytes': 'log.retention.bytes',
  'segment.bytes': 'log.segment.bytes',
  'segment.ms': 'log.roll.ms',
  'max.message.bytes': 'message.max.bytes',
  'delete.retention.ms': 'log.cleaner.delete.retention.ms',
  'min.insync.replicas': 'min.insync.replicas',
  'unclean.leader.election.enable': 'unclean.leader.election.enable',
  'flush.messages': 'log.flush.interval.messages',
  'message.timestamp.before.max.ms': 'log.message.timestamp.before.max.ms',
  'message.timestamp.after.max.ms': 'log.message.timestamp.after.max.ms',
};

/** Topic configs that change this broker's behaviour; every other one is stored and described only. */
export const EFFECTIVE_TOPIC_CONFIGS = ['cleanup.policy', 'delete.retention.ms', 'flush.messages', 'max.message.bytes', 'message.timestamp.after.max.ms', 'message.timestamp.before.max.ms', 'message.timestamp.type', 'min.insync.replicas', 'retention.bytes', 'retention.ms', 'segment.bytes', 'segment.ms', 'unclean.leader.election.enable'] as const;

/** Throws INVALID_CONFIG with Kafka's message when a name or value is not acceptable. */
export function validateTopicConfig(name: string, value: string | null): void {
  const def = TOPIC_CONFIG_DEFS[name];
  if (!def) throw new TopicError(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${name}`);
  if (value === null) return;
  const problem = configValueProblem(name, def, value);
  if (problem) throw new TopicError(ErrorCode.INVALID_CONFIG, problem);
}

/** Checks between configs that Kafka makes after each value is valid on its own. */
export function validateTopicConfigSet(configs: Record<string, string>): void {
  for (const [name, value] of Object.entries(configs)) validateTopicConfig(name, value);
  if (configs['remote.storage.enable']?.trim().toLowerCase() === 'true') {
    throw new TopicError(ErrorCode.INVALID_CONFIG, 'Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.');
  }
  const min = Number(configs['min.compaction.lag.ms'] ?? 0);
  const max = Number(configs['max.compaction.lag.ms'] ?? Number.MAX_VALUE);
  if (min > max) throw new TopicError(ErrorCode.INVALID_CONFIG, `conflict topic config setting min.compaction.lag.ms (${min}) > max.compaction.lag.ms (${max})`);
}

/** Kafka's ConfigSource ids (DescribeConfigs, CreateTopics) of the sources a topic config can have here. */
export const CONFIG_SOURCE = { topic: ConfigSource.DYNAMIC_TOPIC_CONFIG, broker: ConfigSource.STATIC_BROKER_CONFIG, default: ConfigSource.DEFAULT_CONFIG } as const;

export interface TopicConfigEntry {
  name: string;
  value: string | null;
  /** Where the value comes from: the topic's override, a broker setting given at start, or the default. */
  source: 'topic' | 'broker' | 'default';
  def: KafkaConfigDef;
  /** Kafka's synonyms, most specific first: the override, the broker setting, the default. */
  synonyms: { name: string; value: string | null; source: 'topic' | 'broker' | 'default' }[];
}

/**
 * Broker settings whose Kafka default is null (Kafka derives them from *.hours/*.minutes:
 * log.retention.ms, log.roll.ms, log.roll.jitter.ms, log.flush.interval.ms): Kafka lists no default
 * synonym for them.
 */
const NULL_DEFAULT_SETTINGS = new Set(Object.entries(KAFKA_BROKER_CONFIGS).filter(([, d]) => d.default === null).map(([name]) => name));

/** The broker-level value a topic config falls back to, and whether the broker was given it explicitly. */
function brokerDefault(config: BrokerConfig, name: string): { setting: string | null; value: string | null; explicit: boolean } {
  const setting = BROKER_SETTING[name];
  const def = TOPIC_CONFIG_DEFS[name]!;
  if (setting) return { setting, value: config.settings[setting], explicit: config.explicit?.has(setting) ?? false };
  return { setting: def.synonyms[0] ?? null, value: def.default, explicit: false };
}

export function effectiveTopicConfigs(config: BrokerConfig, overrides: Record<string, string>): TopicConfigEntry[] {
  return Object.keys(TOPIC_CONFIG_DEFS).filter((name) => !(name in KAFKA_3_TOPIC_CONFIGS) || name in overrides).sort().map((name) => {
    const def = TOPIC_CONFIG_DEFS[name]!;
    const fallback = brokerDefault(config, name);
    const synonyms: TopicConfigEntry['synonyms'] = [];
    if (name in overrides) synonyms.push({ name, value: overrides[name]!, source: 'topic' });
    if (fallback.setting && fallback.explicit) synonyms.push({ name: fallback.setting, value: fallback.value, source: 'broker' });
    if (fallback.setting && !NULL_DEFAULT_SETTINGS.has(fallback.setting)) synonyms.push({ name: fallback.setting, value: BROKER_SETTING[name] ? fallback.value : def.default, source: 'default' });
    const top = synonyms[0] ?? { value: def.default, source: 'default' as const };
    return { name, value: top.value, source: top.source, def, synonyms };
  });
}

export function topicNumber(config: BrokerConfig, overrides: Record<string, string>, name: 'retention.ms' | 'retention.bytes' | 'max.message.bytes' | 'min.insync.replicas'): number {
  if (name in overrides) return Number(overrides[name]);
  const setting = { 'retention.ms': 'log.retention.ms', 'retention.bytes': 'log.retention.bytes', 'max.message.bytes': 'message.max.bytes', 'min.insync.replicas': 'min.insync.replicas' } as const;
  return settingNumber(config, setting[name]);
}

/** A topic config's effective value: the topic's override, else the broker default Kafka would use. */
function effective(config: BrokerConfig, overrides: Record<string, string>, name: string): string {
  const override = overrides[name];
  if (override !== undefined) return override.trim();
  const setting = BROKER_SETTING[name];
  return setting ? config.settings[setting] : TOPIC_CONFIG_DEFS[name]!.default!;
}

/**
 * How far a CreateTime record timestamp may lie before / after the broker's clock (KIP-937;
 * Kafka 4's defaults: unlimited before, one hour after). INVALID_TIMESTAMP outside.
 */
export function topicTimestampBounds(config: BrokerConfig, overrides: Record<string, string>): { timestampBeforeMaxMs: number; timestampAfterMaxMs: number } {
  return { timestampBeforeMaxMs: Number(effective(config, overrides, 'message.timestamp.before.max.ms')), timestampAfterMaxMs: Number(effective(config, overrides, 'message.timestamp.after.max.ms')) };
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
    flushIntervalMessages: Number(effective(config, overrides, 'flush.messages')),
    maxMessageBytes: Number(effective(config, overrides, 'max.message.bytes')),
    timestampType: effective(config, overrides, 'message.timestamp.type') as 'CreateTime' | 'LogAppendTime',
    groupCommit: !internal,
    // Kafka's list form ("delete, compact") normalised to what the log manager compares against.
    cleanupPolicy: effective(config, overrides, 'cleanup.policy').split(',').map((s) => s.trim()).join(','),
    retentionMs: Number(effective(config, overrides, 'retention.ms')),
    retentionBytes: Number(effective(config, overrides, 'retention.bytes')),
    deleteRetentionMs: Number(effective(config, overrides, 'delete.retention.ms')),
  };
}
