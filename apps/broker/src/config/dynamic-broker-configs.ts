import { ErrorCode } from '@tributary/protocol';
import type { GroupConfigStore } from './group-configs.ts';

/**
 * The broker configs that change at runtime here: Kafka's replication throttles (KIP-73), which
 * kafka-reassign-partitions sets with --throttle and deletes after a --verify that finds the moves
 * done. Every other broker setting is static (set at start). They are kept per broker id and for
 * the cluster default ('') in a store shared by the cluster (etcd; a file when standalone), and are
 * validated, answered and described as Apache Kafka 4.4 does (test/conformance/protocol-throttles).
 */
export const THROTTLE_RATE_CONFIGS: ReadonlySet<string> = new Set(['leader.replication.throttled.rate', 'follower.replication.throttled.rate', 'replica.alter.log.dirs.io.max.bytes.per.second']);

/** Kafka's DescribeConfigs sources of a dynamic broker config. */
const DYNAMIC_BROKER_CONFIG = 2;
const DYNAMIC_DEFAULT_BROKER_CONFIG = 3;

const SET = 0;
const DELETE = 1;

/** A refusal with the code and message Kafka answers for this resource. */
export class DynamicConfigProblem extends Error {
  readonly errorCode: number;
  constructor(errorCode: number, message: string) {
    super(message);
    this.errorCode = errorCode;
  }
}

const LONG_MAX = 9223372036854775807n;

/** Kafka's check of a throttle rate (a LONG of at least 0); its messages, its INVALID_REQUEST. */
function checkRate(name: string, value: string | null): void {
  if (value === null) throw new DynamicConfigProblem(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${name}`);
  const trimmed = value.trim();
  if (!/^[-+]?\d+$/.test(trimmed) || BigInt(trimmed) > LONG_MAX || BigInt(trimmed) < -LONG_MAX - 1n) {
    throw new DynamicConfigProblem(ErrorCode.INVALID_REQUEST, `Invalid value ${value} for configuration ${name}: Not a number of type LONG`);
  }
  if (BigInt(trimmed) < 0n) throw new DynamicConfigProblem(ErrorCode.INVALID_REQUEST, `Invalid value ${value} for configuration ${name}: Value must be at least 0`);
}

export type BrokerConfigChange = { name: string; op: number; value: string | null };

/** True when every change is to a config this broker changes at runtime (the rest are static). */
export function onlyDynamic(changes: readonly BrokerConfigChange[]): boolean {
  return changes.length > 0 && changes.every((c) => THROTTLE_RATE_CONFIGS.has(c.name));
}

/**
 * Applies IncrementalAlterConfigs (`replace` false) or AlterConfigs (`replace`: the given set
 * replaces the resource's dynamic configs) on a broker resource: '' (the cluster default) or this
 * broker's id.
 */
export async function alterDynamicBrokerConfigs(store: GroupConfigStore, resourceName: string, changes: readonly BrokerConfigChange[], replace: boolean, validateOnly: boolean): Promise<void> {
  const next = replace ? {} : { ...store.get(resourceName) };
  for (const c of changes) {
    if (c.op === SET) {
      checkRate(c.name, c.value);
      next[c.name] = c.value!.trim();
    } else if (c.op === DELETE) delete next[c.name];
    // APPEND/SUBTRACT on a non-list broker config: Kafka's answer for these names.
    else throw new DynamicConfigProblem(ErrorCode.INVALID_CONFIG, `Unknown config name: ${c.name}`);
  }
  if (!validateOnly) await store.set(resourceName, next);
}

/** A set rate of `name` for broker `nodeId`: its own value, else the cluster default; null: unthrottled. */
export function dynamicRate(store: GroupConfigStore, nodeId: number, name: string): number | null {
  const value = store.get(String(nodeId))[name] ?? store.get('')[name];
  return value === undefined ? null : Number(value);
}

export interface DescribedDynamic {
  name: string;
  value: string;
  source: number;
  synonyms: { name: string; value: string; source: number }[];
}

/**
 * How Kafka describes the throttles of a broker resource: only those set, per broker
 * (DYNAMIC_BROKER_CONFIG) over the cluster default (DYNAMIC_DEFAULT_BROKER_CONFIG), with both as
 * synonyms; the cluster-default resource ('') shows the defaults alone.
 */
export function describeDynamic(store: GroupConfigStore, resourceName: string): DescribedDynamic[] {
  const own = resourceName === '' ? {} : store.get(resourceName);
  const cluster = store.get('');
  const out: DescribedDynamic[] = [];
  for (const name of THROTTLE_RATE_CONFIGS) {
    const synonyms = [
      ...(own[name] !== undefined ? [{ name, value: own[name], source: DYNAMIC_BROKER_CONFIG }] : []),
      ...(cluster[name] !== undefined ? [{ name, value: cluster[name], source: DYNAMIC_DEFAULT_BROKER_CONFIG }] : []),
    ];
    if (synonyms.length > 0) out.push({ name, value: synonyms[0]!.value, source: synonyms[0]!.source, synonyms });
  }
  return out;
}
