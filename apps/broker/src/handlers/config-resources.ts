import { ConfigResourceType, ConfigSource, ErrorCode } from '@tributary/protocol';
import { SETTINGS, type SettingSpec } from '../config/settings.ts';
import { LISTENER_SETTING } from '../config/broker-config.ts';
import { appendToList, subtractFromList } from '../config/config-validation.ts';
import { GROUP_CONFIG_DEFS, GroupConfigError, validateGroupConfigs } from '../config/group-configs.ts';
import { CLIENT_METRICS_CONFIG_DEFS, ClientMetricsConfigError, validateClientMetricsConfigs } from '../config/client-metrics-configs.ts';
import { alterDynamicBrokerConfigs, describeDynamic, DynamicConfigProblem, onlyDynamic } from '../config/dynamic-broker-configs.ts';
import { KAFKA_BROKER_CONFIGS, type KafkaConfigDef } from '../generated/kafka-configs.ts';
import { CONFIG_SOURCE, effectiveTopicConfigs, TOPIC_CONFIG_DEFS, validateTopicConfigSet } from '../topics/topic-configs.ts';
import { TopicError } from '../topics/topic-registry.ts';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed, allowedOnCluster } from '../security/request-guards.ts';
import type { BrokerContext, RequestSession } from './context.ts';


/**
 * DescribeConfigs, AlterConfigs and IncrementalAlterConfigs for the four config resources this
 * broker has: TOPIC (every Kafka topic config), BROKER (every Kafka broker config and this broker's
 * own settings, read-only: they are static, but for the replication throttles set at runtime,
 * config/dynamic-broker-configs.ts), GROUP (KIP-848 group configs) and CLIENT_METRICS (KIP-714
 * client metrics subscriptions). Answers carry what Kafka's do: source, synonyms, type and
 * documentation.
 */

// ConfigResource types on the wire.
const { TOPIC, BROKER, GROUP, CLIENT_METRICS } = ConfigResourceType;

// DescribeConfigs config sources (Kafka's ConfigSource).
export const SOURCE = { ...CONFIG_SOURCE, group: ConfigSource.GROUP_CONFIG, clientMetrics: ConfigSource.CLIENT_METRICS_CONFIG } as const;

// DescribeConfigs config types (Kafka's ConfigType).
export const TYPE: Record<KafkaConfigDef['type'] | 'UNKNOWN', number> = { UNKNOWN: 0, BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7, CLASS: 8, PASSWORD: 9 };

interface Described {
  name: string;
  value: string | null;
  source: number;
  readOnly: boolean;
  sensitive: boolean;
  type: KafkaConfigDef['type'] | 'UNKNOWN';
  documentation: string | null;
  synonyms: { name: string; value: string | null; source: number }[];
}

export class ConfigProblem extends Error {
  readonly errorCode: number;
  constructor(errorCode: number, message: string) {
    super(message);
    this.errorCode = errorCode;
  }
}

function settingType(name: string, spec: SettingSpec): KafkaConfigDef['type'] {
  if (name.endsWith('.password')) return 'PASSWORD';
  return ({ int: 'INT', long: 'LONG', boolean: 'BOOLEAN', string: 'STRING' } as const)[spec.type];
}

function describeTopic(ctx: BrokerContext, name: string): Described[] {
  const topic = ctx.topics.get(name);
  if (!topic) throw new ConfigProblem(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
  return effectiveTopicConfigs(ctx.config, topic.configs).map((e) => ({
    name: e.name,
    value: e.value,
    source: SOURCE[e.source],
    readOnly: false,
    sensitive: false,
    type: e.def.type,
    documentation: e.def.documentation,
    synonyms: e.synonyms.map((s) => ({ name: s.name, value: s.value, source: SOURCE[s.source] })),
  }));
}

/** Settings of Kafka's authorizer, outside its ConfigDef: Kafka describes them, when set, with an unknown type and as sensitive. */
const AUTHORIZER_SETTINGS = new Set(['super.users', 'allow.everyone.if.no.acl.found']);

/** Kafka's internal configs (ConfigDef.defineInternal): read from the settings, never described. */
const KAFKA_INTERNAL_SETTINGS = new Set(['group.consumer.regex.refresh.interval.ms']);

/**
 * The broker resource, as Kafka describes its own: every broker config of Kafka's ConfigDef (with
 * Kafka's type and documentation), then Tributary's own settings (tributary.* and the few Kafka does
 * not have). A config this broker has a setting for shows this broker's value: STATIC_BROKER_CONFIG
 * when it was given at start, else its default; where Kafka's default is null (it derives the value
 * from another name, e.g. log.retention.ms from log.retention.hours, or it is unset) an unset
 * setting is described as null, as Kafka does. A Kafka config this broker has no setting for shows
 * Kafka's default. Every broker config is read-only here: settings are static (AlterConfigs on a
 * broker is refused), where Kafka marks the ones it can change at runtime writable.
 */
function describeBroker(ctx: BrokerContext): Described[] {
  const settings: Record<string, string> = ctx.config.settings;
  const explicitly = (name: string) => name in settings && (ctx.config.explicit?.has(name) ?? false);
  const entry = (name: string, value: string | null, defaultValue: string | null, type: Described['type'], documentation: string | null, sensitive = type === 'PASSWORD'): Described => {
    const explicit = explicitly(name);
    const synonyms = [...(explicit ? [{ name, value, source: SOURCE.broker }] : []), ...(defaultValue !== null ? [{ name, value: defaultValue, source: SOURCE.default }] : [])];
    return { name, value, source: explicit ? SOURCE.broker : SOURCE.default, readOnly: true, sensitive, type, documentation, synonyms };
  };
  // What this broker was started with under Kafka's names (node id, listeners, data directory, rack).
  const listeners = (ls: { name: string; host: string; port: number }[]) => ls.map((l) => `${l.name}://${l.host}:${l.port}`).join(',');
  const startedWith: Record<string, string | null> = {
    'node.id': String(ctx.config.nodeId),
    'broker.id': String(ctx.config.nodeId),
    listeners: listeners(ctx.config.listeners),
    'advertised.listeners': listeners(ctx.config.advertisedListeners),
    'log.dirs': ctx.config.dataDir,
    'broker.rack': ctx.config.rack,
  };
  const described: Described[] = [];
  for (const [name, def] of Object.entries(KAFKA_BROKER_CONFIGS)) {
    const given = startedWith[name];
    if (given !== undefined && given !== null) {
      described.push({ ...entry(name, given, def.default, def.type, def.documentation), source: SOURCE.broker, synonyms: [{ name, value: given, source: SOURCE.broker }, ...(def.default !== null ? [{ name, value: def.default, source: SOURCE.default }] : [])] });
      continue;
    }
    if (!(name in settings)) {
      described.push(entry(name, def.default, def.default, def.type, def.documentation));
      continue;
    }
    const own = (SETTINGS as Record<string, SettingSpec>)[name]!.default;
    const defaultValue = def.default === null ? null : own;
    described.push(entry(name, explicitly(name) ? settings[name]! : defaultValue, defaultValue, def.type, def.documentation));
  }
  for (const [name, value] of Object.entries(settings)) {
    if (name in KAFKA_BROKER_CONFIGS || KAFKA_INTERNAL_SETTINGS.has(name)) continue;
    const perListener = LISTENER_SETTING.exec(name);
    if (perListener) {
      // As Kafka describes a listener-prefixed setting from its start-up configuration: the
      // type of the setting it overrides, no documentation, and that setting as its synonym.
      const base = KAFKA_BROKER_CONFIGS[perListener[2]!]!;
      described.push({ name, value, source: SOURCE.broker, readOnly: true, sensitive: false, type: base.type, documentation: null, synonyms: [{ name, value, source: SOURCE.broker }, { name: perListener[2]!, value: base.default, source: SOURCE.default }] });
      continue;
    }
    const spec: SettingSpec = SETTINGS[name as keyof typeof SETTINGS];
    if (AUTHORIZER_SETTINGS.has(name)) {
      if (explicitly(name)) described.push({ ...entry(name, null, null, 'UNKNOWN', null, true), synonyms: [{ name, value: null, source: SOURCE.broker }] });
      continue;
    }
    described.push(entry(name, value, spec.default, settingType(name, spec), spec.doc));
  }
  return described;
}

function describeGroup(ctx: BrokerContext, group: string): Described[] {
  const overrides = ctx.groupConfigs.get(group);
  return Object.entries(GROUP_CONFIG_DEFS).map(([name, def]) => {
    // As Kafka 4.4 lists them: the broker setting a config defaults to, or (one without such a
    // setting: share.isolation.level, errors.deadletterqueue.*) the config's own name. A config
    // without a default of its own (streams.assignor.name) shows the broker setting's default.
    const fallback = def.default ?? KAFKA_BROKER_CONFIGS[def.synonyms[0] ?? '']?.default ?? null;
    const defaults = (def.synonyms.length > 0 ? def.synonyms : [name]).map((s) => ({ name: s, value: fallback, source: SOURCE.default }));
    const synonyms = name in overrides ? [{ name, value: overrides[name]!, source: SOURCE.group }, ...defaults] : defaults;
    return { name, value: overrides[name] ?? fallback, source: name in overrides ? SOURCE.group : SOURCE.default, readOnly: false, sensitive: false, type: def.type, documentation: def.documentation, synonyms };
  });
}

/** A subscription's configs as Kafka describes them: every one, the subscription's value or the default. */
function describeClientMetrics(ctx: BrokerContext, name: string): Described[] {
  const set = ctx.clientMetricsConfigs.get(name);
  return Object.entries(CLIENT_METRICS_CONFIG_DEFS).map(([key, def]) => {
    const own = key in set;
    return { name: key, value: own ? set[key]! : def.default, source: own ? SOURCE.clientMetrics : SOURCE.default, readOnly: false, sensitive: false, type: def.type, documentation: def.documentation, synonyms: own ? [{ name: key, value: set[key]!, source: SOURCE.clientMetrics }] : [] };
  });
}

/** Kafka's rule: topic configs need the operation on the topic, group configs on the group, broker settings and client metrics subscriptions on the cluster. */
function accessDenied(ctx: BrokerContext, session: RequestSession, resourceType: number, name: string, op: typeof Op.DESCRIBE_CONFIGS | typeof Op.ALTER_CONFIGS): ConfigProblem | null {
  if (resourceType === TOPIC) return allowed(ctx, session, op, ResourceType.TOPIC, name) ? null : new ConfigProblem(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `${session.principal} may not access the configs of topic ${name}`);
  if (resourceType === GROUP) return allowed(ctx, session, op, ResourceType.GROUP, name) ? null : new ConfigProblem(ErrorCode.GROUP_AUTHORIZATION_FAILED, `${session.principal} may not access the configs of group ${name}`);
  if (resourceType === BROKER) return allowedOnCluster(ctx, session, op) ? null : new ConfigProblem(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `${session.principal} may not access broker configs`);
  if (resourceType === CLIENT_METRICS) return allowedOnCluster(ctx, session, op) ? null : new ConfigProblem(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `${session.principal} may not access client metrics subscriptions`);
  return null;
}

export function describeResource(ctx: BrokerContext, session: RequestSession, resourceType: number, name: string): Described[] {
  const denied = accessDenied(ctx, session, resourceType, name, Op.DESCRIBE_CONFIGS);
  if (denied) throw denied;
  if (resourceType === TOPIC) return describeTopic(ctx, name);
  if (resourceType === GROUP) {
    if (name === '') throw new ConfigProblem(ErrorCode.INVALID_REQUEST, 'Group name must not be empty');
    return describeGroup(ctx, name);
  }
  if (resourceType === CLIENT_METRICS) {
    if (name === '') throw new ConfigProblem(ErrorCode.INVALID_REQUEST, 'Client metrics subscription name must not be empty');
    return describeClientMetrics(ctx, name);
  }
  if (resourceType === BROKER) {
    brokerName(ctx, name);
    // The replication throttles set at runtime come first, as Kafka lists its dynamic configs.
    const dynamic: Described[] = describeDynamic(ctx.brokerConfigs, name).map((d) => ({ ...d, readOnly: false, sensitive: false, type: 'LONG', documentation: null }));
    return [...dynamic, ...describeBroker(ctx)];
  }
  throw new ConfigProblem(ErrorCode.INVALID_REQUEST, `resource type ${resourceType} (${name}) has no configs on this broker`);
}

/** A broker resource names this broker or, empty, the cluster default. */
function brokerName(ctx: BrokerContext, name: string): void {
  if (name !== '' && name !== String(ctx.config.nodeId)) throw new ConfigProblem(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${ctx.config.nodeId} or empty string, but received ${name}`);
}

type Change = { name: string; op: number; value: string | null };

type ConfigKind = 'topic' | 'group' | 'client metrics';

const DEFS: Record<ConfigKind, Record<string, KafkaConfigDef>> = { topic: TOPIC_CONFIG_DEFS, group: GROUP_CONFIG_DEFS, 'client metrics': CLIENT_METRICS_CONFIG_DEFS };

export const SET = 0;

const DELETE = 1;

const APPEND = 2;

const SUBTRACT = 3;

/** Applies IncrementalAlterConfigs operations to a resource's overrides as Kafka does. */
function applyChanges(current: Record<string, string>, changes: Change[], kind: ConfigKind, effectiveDefault: (name: string) => string | null): Record<string, string> {
  const next = { ...current };
  for (const c of changes) {
    const def = DEFS[kind][c.name];
    if (!def) {
      // A subscription refuses an unknown name as an invalid request (Kafka's ClientMetricsConfigs.validate).
      if (kind === 'client metrics') throw new ConfigProblem(ErrorCode.INVALID_REQUEST, `Unknown client metrics configuration: ${c.name}`);
      throw new ConfigProblem(ErrorCode.INVALID_CONFIG, `Unknown ${kind} config name: ${c.name}`);
    }
    if (c.op === SET) {
      if (c.value === null) throw new ConfigProblem(ErrorCode.INVALID_CONFIG, `Null value not supported for : ${c.name}`);
      next[c.name] = c.value;
    } else if (c.op === DELETE) delete next[c.name];
    else if (c.op === APPEND || c.op === SUBTRACT) {
      const opName = c.op === APPEND ? 'APPEND' : 'SUBTRACT';
      // Kafka's controller knows list types only of topic and broker configs (KafkaConfigSchema): a
      // subscription's lists cannot be appended to or subtracted from, only set.
      if (def.type !== 'LIST' || kind === 'client metrics') throw new ConfigProblem(ErrorCode.INVALID_CONFIG, `Can't ${opName} to key ${c.name} because its type is not LIST.`);
      const base = next[c.name] ?? effectiveDefault(c.name) ?? '';
      next[c.name] = c.op === APPEND ? appendToList(base, c.value ?? '') : subtractFromList(base, c.value ?? '');
    } else throw new ConfigProblem(ErrorCode.INVALID_REQUEST, `Unknown config operation ${c.op} for ${c.name}`);
  }
  return next;
}

async function alterResource(ctx: BrokerContext, resourceType: number, name: string, next: (current: Record<string, string>, kind: ConfigKind, defaults: (n: string) => string | null) => Record<string, string>, validateOnly: boolean): Promise<void> {
  if (resourceType === TOPIC) {
    const topic = ctx.topics.get(name);
    if (!topic) throw new ConfigProblem(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
    const effective = new Map(effectiveTopicConfigs(ctx.config, {}).map((e) => [e.name, e.value]));
    const configs = next({ ...topic.configs }, 'topic', (n) => effective.get(n) ?? TOPIC_CONFIG_DEFS[n]?.default ?? null);
    try {
      validateTopicConfigSet(configs);
    } catch (err) {
      if (err instanceof TopicError) throw new ConfigProblem(err.errorCode, err.message);
      throw err;
    }
    if (validateOnly) return;
    await ctx.cluster.setTopicConfigs(name, configs);
    ctx.logger.log('info', 'topic configs changed', { topic: name, configs });
    return;
  }
  if (resourceType === GROUP) {
    if (name === '') throw new ConfigProblem(ErrorCode.INVALID_REQUEST, 'Group name must not be empty');
    const configs = next(ctx.groupConfigs.get(name), 'group', (n) => GROUP_CONFIG_DEFS[n]?.default ?? null);
    try {
      validateGroupConfigs(configs);
    } catch (err) {
      if (err instanceof GroupConfigError) throw new ConfigProblem(ErrorCode.INVALID_CONFIG, err.message);
      throw err;
    }
    if (validateOnly) return;
    await ctx.groupConfigs.set(name, configs);
    ctx.logger.log('info', 'group configs changed', { group: name, configs });
    return;
  }
  if (resourceType === CLIENT_METRICS) {
    // Unknown names are INVALID_REQUEST for a subscription (Kafka's ClientMetricsConfigs.validate), checked before the changes apply.
    const configs = next(ctx.clientMetricsConfigs.get(name), 'client metrics', (n) => CLIENT_METRICS_CONFIG_DEFS[n]?.default ?? null);
    try {
      validateClientMetricsConfigs(name, configs);
    } catch (err) {
      if (err instanceof ClientMetricsConfigError) throw new ConfigProblem(err.kind === 'request' ? ErrorCode.INVALID_REQUEST : ErrorCode.INVALID_CONFIG, err.message);
      throw err;
    }
    if (validateOnly) return;
    await ctx.clientMetricsConfigs.set(name, configs);
    ctx.logger.log('info', 'client metrics subscription changed', { subscription: name, configs });
    return;
  }
  if (resourceType === BROKER) throw new ConfigProblem(ErrorCode.INVALID_REQUEST, 'broker settings are static on this broker: set them in its configuration and restart it');
  throw new ConfigProblem(ErrorCode.INVALID_REQUEST, `resource type ${resourceType} (${name}) has no configs on this broker`);
}

type AlterResource = { resourceType: number; resourceName: string };

/**
 * What Kafka 4.4's ConfigAdminManager.preprocess refuses in a resource's changes before it looks at
 * authorization or the resource: a config named twice, then values missing (null) for anything but
 * a DELETE, all named at once. INVALID_REQUEST.
 */
function changesProblem(changes: Change[]): ConfigProblem | null {
  const names = changes.map((c) => c.name);
  if (new Set(names).size !== names.length) return new ConfigProblem(ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys');
  const missing = changes.filter((c) => c.op !== DELETE && c.value === null).map((c) => c.name);
  return missing.length > 0 ? new ConfigProblem(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${missing.join(', ')}`) : null;
}

/** IncrementalAlterConfigs naming one resource twice: both are refused, as Kafka does. */
function repeatedResources(resources: AlterResource[]): Set<string> {
  const key = (r: AlterResource) => `${r.resourceType}:${r.resourceName}`;
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const r of resources) (seen.has(key(r)) ? repeated : seen).add(key(r));
  return repeated;
}

export async function alterAll<R extends AlterResource>(ctx: BrokerContext, session: RequestSession, resources: R[], validateOnly: boolean, changes: (r: R) => Change[], replace: boolean) {
  const responses = [];
  // (The legacy AlterConfigs, `replace`, cannot name a resource twice: Kafka closes the connection.)
  const repeated = replace ? new Set<string>() : repeatedResources(resources);
  for (const r of resources) {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    try {
      if (repeated.has(`${r.resourceType}:${r.resourceName}`)) throw new ConfigProblem(ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.');
      const problem = changesProblem(changes(r));
      if (problem) throw problem;
      const denied = accessDenied(ctx, session, r.resourceType, r.resourceName, Op.ALTER_CONFIGS);
      if (denied) throw denied;
      // The replication throttles are the broker configs that change at runtime; the rest are static.
      if (r.resourceType === BROKER && onlyDynamic(changes(r))) {
        if (r.resourceName !== '' && r.resourceName !== String(ctx.config.nodeId)) throw new ConfigProblem(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${ctx.config.nodeId}, but received ${r.resourceName}`);
        await alterDynamicBrokerConfigs(ctx.brokerConfigs, r.resourceName, changes(r), replace, validateOnly);
        if (!validateOnly) ctx.logger.log('info', 'dynamic broker configs changed', { resource: r.resourceName, configs: ctx.brokerConfigs.get(r.resourceName) });
        responses.push({ ...base, errorCode: 0, errorMessage: null });
        continue;
      }
      await alterResource(ctx, r.resourceType, r.resourceName, (current, kind, defaults) => applyChanges(replace ? {} : current, changes(r), kind, defaults), validateOnly);
      responses.push({ ...base, errorCode: 0, errorMessage: null });
    } catch (err) {
      if (err instanceof ConfigProblem || err instanceof DynamicConfigProblem) responses.push({ ...base, errorCode: err.errorCode, errorMessage: err.message });
      else throw err;
    }
  }
  return { throttleTimeMs: 0, responses };
}
