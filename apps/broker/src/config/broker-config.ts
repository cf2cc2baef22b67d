import { readFileSync } from 'node:fs';
import { parsePerIpOverrides } from '../net/connection-limits.ts';
import { SETTINGS, type SettingName, type SettingSpec } from './settings.ts';

export interface Listener {
  name: string;
  host: string;
  port: number;
}

export interface BrokerConfig {
  nodeId: number;
  listeners: Listener[];
  advertisedListeners: Listener[];
  dataDir: string;
  metricsPort: number | null;
  settings: Record<SettingName, string>;
  /** Settings given in the config file or by --set (DescribeConfigs reports them as STATIC_BROKER_CONFIG). */
  explicit?: ReadonlySet<string>;
  /** etcd client URLs; empty for a standalone broker. */
  etcdEndpoints: string[];
  /** Names the cluster in etcd (and in Metadata); brokers of one cluster share it. */
  clusterId: string | null;
  rack: string | null;
}

/** Start-up configuration errors, with the offending key, so the message can say exactly what to fix. */
export class ConfigError extends Error {
  readonly key: string;
  constructor(key: string, message: string) {
    super(`${key}: ${message}`);
    this.name = 'ConfigError';
    this.key = key;
  }
}

export function parseListeners(key: string, text: string): Listener[] {
  return text.split(',').map((part) => {
    const m = /^([A-Z_]+):\/\/([^:]*|\[[^\]]+\]):(\d+)$/.exec(part.trim());
    if (!m) throw new ConfigError(key, `"${part}" is not NAME://host:port`);
    const port = Number(m[3]);
    if (port < 0 || port > 65535) throw new ConfigError(key, `port ${port} is out of range`);
    return { name: m[1]!, host: m[2]!.replace(/^\[|\]$/g, ''), port };
  });
}

/**
 * Kafka's per-listener connection limits (KIP-308, KIP-612): `listener.name.<listener>.` (the
 * listener's name in lower case) before max.connections or max.connection.creation.rate.
 */
export const LISTENER_SETTING = /^listener\.name\.([a-z0-9_]+)\.(max\.connections|max\.connection\.creation\.rate)$/;

/** A listener's own value of a per-listener setting, else undefined (the broker-wide one is not its default: Kafka's are unlimited). */
export function listenerSetting(config: BrokerConfig, listener: string, name: 'max.connections' | 'max.connection.creation.rate'): number | undefined {
  const value = (config.settings as Record<string, string>)[`listener.name.${listener.toLowerCase()}.${name}`];
  return value === undefined ? undefined : Number(value);
}

export function validateSetting(key: string, value: string): string {
  if (LISTENER_SETTING.test(key)) return validateSpec(key, value, { type: 'int', default: '2147483647', min: 0, doc: '' });
  if (!(key in SETTINGS)) throw new ConfigError(key, 'unknown setting (see apps/broker/README.md for the supported ones)');
  const v = validateSpec(key, value, SETTINGS[key as SettingName]);
  if (key === 'max.connections.per.ip.overrides') {
    const parsed = parsePerIpOverrides(v);
    if (!parsed.ok) throw new ConfigError(key, parsed.reason);
  }
  return v;
}

function validateSpec(key: string, value: string, spec: SettingSpec): string {
  const v = value.trim();
  if (spec.type === 'boolean') {
    if (v !== 'true' && v !== 'false') throw new ConfigError(key, `"${value}" is not true or false`);
  } else if (spec.type === 'int' || spec.type === 'long') {
    if (!/^-?\d+$/.test(v)) throw new ConfigError(key, `"${value}" is not an integer`);
    const n = Number(v);
    if (spec.type === 'int' && (n < -(2 ** 31) || n > 2 ** 31 - 1)) throw new ConfigError(key, `${value} does not fit a 32-bit int`);
    if (spec.min !== undefined && n < spec.min) throw new ConfigError(key, `${value} is below the minimum ${spec.min}`);
    if (spec.max !== undefined && n > spec.max) throw new ConfigError(key, `${value} is above the maximum ${spec.max}`);
  }
  return v;
}

/** Java-properties subset: key=value or key: value lines, # and ! comments. */
export function parseProperties(text: string): [string, string][] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'))
    .map((l) => {
      const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(l);
      if (!m) throw new ConfigError(l, 'not a key=value line');
      return [m[1]!, m[2]!];
    });
}

const FLAGS = ['--node-id', '--listeners', '--advertised-listeners', '--data-dir', '--config', '--set', '--metrics-port', '--etcd-endpoints', '--cluster-id', '--rack'] as const;

export function parseArgs(argv: string[]): BrokerConfig {
  const values = new Map<string, string>();
  const sets: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (!(FLAGS as readonly string[]).includes(flag)) throw new ConfigError(flag, `unknown flag; known flags: ${FLAGS.join(' ')}`);
    const value = argv[++i];
    if (value === undefined) throw new ConfigError(flag, 'needs a value');
    if (flag === '--set') sets.push(value);
    else values.set(flag, value);
  }
  const settings = Object.fromEntries(Object.entries(SETTINGS).map(([k, s]) => [k, s.default])) as Record<SettingName, string>;
  const file = values.get('--config');
  const explicit = new Set<string>();
  if (file) for (const [k, v] of parseProperties(readFileSync(file, 'utf8'))) {
    settings[k as SettingName] = validateSetting(k, v);
    explicit.add(k);
  }
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new ConfigError('--set', `"${s}" is not key=value`);
    settings[s.slice(0, eq) as SettingName] = validateSetting(s.slice(0, eq), s.slice(eq + 1));
    explicit.add(s.slice(0, eq));
  }
  const nodeIdText = values.get('--node-id') ?? '1';
  if (!/^\d+$/.test(nodeIdText)) throw new ConfigError('--node-id', `"${nodeIdText}" is not a non-negative integer`);
  const listeners = parseListeners('--listeners', values.get('--listeners') ?? 'PLAINTEXT://127.0.0.1:9092');
  const advertised = values.has('--advertised-listeners') ? parseListeners('--advertised-listeners', values.get('--advertised-listeners')!) : listeners;
  const dataDir = values.get('--data-dir');
  if (!dataDir) throw new ConfigError('--data-dir', 'is required');
  const metrics = values.get('--metrics-port');
  if (metrics !== undefined && !/^\d+$/.test(metrics)) throw new ConfigError('--metrics-port', `"${metrics}" is not a port`);
  const etcdEndpoints = (values.get('--etcd-endpoints') ?? '').split(',').map((e) => e.trim()).filter(Boolean);
  for (const e of etcdEndpoints) if (!/^https?:\/\/[^/]+$/.test(e)) throw new ConfigError('--etcd-endpoints', `"${e}" is not http(s)://host:port`);
  const clusterId = values.get('--cluster-id') ?? null;
  if (clusterId !== null && !/^[A-Za-z0-9._-]{1,64}$/.test(clusterId)) throw new ConfigError('--cluster-id', `"${clusterId}" must be 1-64 letters, digits, '.', '_' or '-'`);
  if (etcdEndpoints.length > 0 && clusterId === null) throw new ConfigError('--cluster-id', 'is required with --etcd-endpoints');
  const ibl = settings['inter.broker.listener.name'];
  if (ibl && !listeners.some((l) => l.name === ibl)) throw new ConfigError('inter.broker.listener.name', `"${ibl}" is not one of the listeners`);
  return { nodeId: Number(nodeIdText), listeners, advertisedListeners: advertised, dataDir, metricsPort: metrics === undefined ? null : Number(metrics), settings, explicit, etcdEndpoints, clusterId, rack: values.get('--rack') ?? null };
}

export function settingNumber(config: BrokerConfig, key: SettingName): number {
  return Number(config.settings[key]);
}

/**
 * The address this broker advertises to a client that arrived on `listenerName`: the advertised
 * listener of the same name, as Kafka does, so a SASL_SSL client is sent to SASL_SSL endpoints.
 */
export function advertisedFor(config: BrokerConfig, listenerName: string): Listener {
  return listenerFor(config.advertisedListeners, listenerName);
}

/** The listener brokers reach each other on: `inter.broker.listener.name`, else the first listener. */
export function interBrokerListenerName(config: BrokerConfig): string {
  return config.settings['inter.broker.listener.name'] || config.listeners[0]!.name;
}

/** Of a broker's advertised listeners, the one named like the client's (else the first). */
export function listenerFor(listeners: Listener[], listenerName: string): Listener {
  return listeners.find((l) => l.name === listenerName) ?? listeners[0]!;
}
