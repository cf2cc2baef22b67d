import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configValueProblem } from './config-validation.ts';
import { KAFKA_GROUP_CONFIGS, type KafkaConfigDef } from '../generated/kafka-configs.ts';

/**
 * Group configs (KIP-848 `GROUP` config resource: consumer.session.timeout.ms, share.*, streams.*):
 * Kafka's names, types, defaults and validation, including the bounds Kafka's group coordinator sets
 * through its broker settings (group.consumer.min/max.session.timeout.ms …, at Kafka's defaults
 * here). They govern KIP-848/KIP-932/KIP-1071 groups, which this broker does not run: they are
 * stored (cluster-wide in a cluster) and described, and change nothing for classic groups (as in Kafka).
 */
export const GROUP_CONFIG_DEFS: Record<string, KafkaConfigDef> = KAFKA_GROUP_CONFIGS;

/** Bounds Kafka's GroupConfig.validate applies, from its GroupCoordinatorConfig/ShareGroupConfig defaults. */
const GROUP_BOUNDS: Record<string, [number, number]> = {
  'consumer.session.timeout.ms': [45_000, 60_000],
  'consumer.heartbeat.interval.ms': [5_000, 15_000],
  'share.session.timeout.ms': [45_000, 60_000],
  'share.heartbeat.interval.ms': [5_000, 15_000],
  'share.record.lock.duration.ms': [15_000, 60_000],
  'share.delivery.count.limit': [2, 10],
  'streams.session.timeout.ms': [45_000, 60_000],
  'streams.heartbeat.interval.ms': [5_000, 15_000],
  'streams.num.standby.replicas': [0, 2],
};

export class GroupConfigError extends Error {}

/** Throws GroupConfigError with Kafka's message for an unknown name or a bad value. */
export function validateGroupConfigs(configs: Record<string, string>): void {
  for (const [name, value] of Object.entries(configs)) {
    const def = GROUP_CONFIG_DEFS[name];
    if (!def) throw new GroupConfigError(`Unknown group config name: ${name}`);
    const problem = configValueProblem(name, def, value);
    if (problem) throw new GroupConfigError(problem);
    const bounds = GROUP_BOUNDS[name];
    if (bounds && (Number(value) < bounds[0] || Number(value) > bounds[1])) throw new GroupConfigError(`${name} must be in the range ${bounds[0]} to ${bounds[1]} inclusive.`);
  }
}

/**
 * Per-group overrides (and, the same way, per-subscription client metrics configs): a standalone
 * broker keeps them in a file, a cluster in etcd (cluster/etcd-stores.ts).
 */
export interface GroupConfigStore {
  get(group: string): Record<string, string>;
  /** Replaces the group's overrides (none: the group's entry goes). */
  set(group: string, configs: Record<string, string>): Promise<void>;
  /** Every name that has overrides (ListConfigResources). */
  names(): string[];
}

/** A standalone broker's group overrides, persisted in DATA_DIR/group-configs.json (write-then-rename). */
export class FileGroupConfigStore implements GroupConfigStore {
  readonly #file: string;
  readonly #groups: Map<string, Record<string, string>>;

  /** `fileName`: other files hold the dynamic broker configs (dynamic-broker-configs.ts) and the client metrics subscriptions the same way. */
  constructor(dataDir: string, fileName = 'group-configs.json') {
    this.#file = join(dataDir, fileName);
    this.#groups = new Map(existsSync(this.#file) ? Object.entries(JSON.parse(readFileSync(this.#file, 'utf8')) as Record<string, Record<string, string>>) : []);
  }

  get(group: string): Record<string, string> {
    return { ...this.#groups.get(group) };
  }

  names(): string[] {
    return [...this.#groups.keys()];
  }

  async set(group: string, configs: Record<string, string>): Promise<void> {
    if (Object.keys(configs).length === 0) this.#groups.delete(group);
    else this.#groups.set(group, { ...configs });
    writeFileSync(`${this.#file}.tmp`, JSON.stringify(Object.fromEntries(this.#groups), null, 2));
    renameSync(`${this.#file}.tmp`, this.#file);
  }
}
