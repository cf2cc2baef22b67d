import { ApiKey, type FindCoordinatorResponse } from '@tributary/protocol';
import type { TargetCluster } from '../support/target-cluster.ts';
import { until } from '../support/until.ts';
import type { RawClient } from './raw-client.ts';

/**
 * What a part of protocol-cluster.test.ts's scenario is given: the running cluster, connections
 * (closed by the scenario), every broker's address, and `record`, which stores an answer for the
 * comparison with its broker ids replaced by the roles `roles` names.
 */
export interface ClusterSteps {
  cluster: TargetCluster;
  connect(address: string): Promise<RawClient>;
  address: Map<number, string>;
  record(name: string, answer: unknown, roles: Map<number, string>): void;
}

/** What relabel() replaces besides strings: fields that name producer ids and partitions. */
export interface Relabelling {
  /** `producerId` fields (each broker hands out its own ids). */
  producers?: Map<bigint, string>;
  /** Partition indexes (`partitionIndex`, `index`, `partition`, lists under `partitions`) chosen by placement. */
  partitions?: Map<number, string>;
}
/** Fields that carry broker ids (Metadata, Produce/Fetch leader hints and endpoints, DescribeCluster). */
const NODE_FIELD = /^(leaderId|nodeId|brokerId|replicaNodes|isrNodes|offlineReplicas|eligibleLeaderReplicas|lastKnownElr)$/;

/** Replaces broker ids by roles; lists of ids and of brokers are sorted (their order follows the ids). */
export function roles(value: unknown, of: Map<number, string>, key = ''): unknown {
  const role = (id: number) => (id < 0 ? id : (of.get(id) ?? `unknown-broker-${id}`));
  if (typeof value === 'number' && NODE_FIELD.test(key)) return role(value);
  if (Array.isArray(value)) {
    if (NODE_FIELD.test(key)) return value.map((v) => role(v as number)).sort();
    const items = value.map((v) => roles(v, of, key));
    return items.every((i) => typeof i === 'object' && i !== null && 'nodeId' in i) ? items.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) : items;
  }
  if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value)) {
    // Kafka names a random live broker as Metadata's controller (clients cannot reach KRaft controllers).
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'controllerId' ? (typeof v === 'number' && of.has(v) ? 'a live broker' : v) : roles(v, of, k)]));
  }
  return value;
}

const PARTITION_FIELD = new Set(['partitionIndex', 'index', 'partition']);

/**
 * `value` with each string `labels` knows (member ids, transactional ids, group ids: chosen or
 * handed out per broker) replaced by its label, and the fields `more` names too, as plain JSON:
 * bigints become numbers (what normalise() makes of them, so broker-clock timestamps still become
 * '<now>'), Buffers `{ type, data }`. Record bytes must be decoded before (decodeBatches).
 */
export function relabel(value: unknown, labels: Map<string, string>, more: Relabelling = {}): unknown {
  const producers = more.producers ?? new Map<bigint, string>();
  const partitions = more.partitions ?? new Map<number, string>();
  return JSON.parse(JSON.stringify(value, (key, v: unknown) => {
    if (key === 'producerId' && typeof v === 'bigint' && producers.has(v)) return producers.get(v);
    if (PARTITION_FIELD.has(key) && typeof v === 'number' && partitions.has(v)) return partitions.get(v);
    if (key === 'partitions' && Array.isArray(v) && v.every((x) => typeof x === 'number')) return v.map((x: number) => partitions.get(x) ?? x);
    if (typeof v === 'bigint') return Number(v);
    return typeof v === 'string' && labels.has(v) ? labels.get(v) : v;
  })) as unknown;
}

/**
 * The first of 50 candidate keys (`${prefix}-0`, …) whose coordinator FindCoordinator v4 names
 * `nodeId` (keyType 0 group, 1 transaction). Kafka answers COORDINATOR_NOT_AVAILABLE while it creates the internal topic:
 * asked again until every key has a coordinator.
 */
export async function keyCoordinatedBy(c: RawClient, keyType: 0 | 1, prefix: string, nodeId: number, what: string): Promise<string> {
  let last: FindCoordinatorResponse | undefined;
  return until(async () => {
    const r = (last = await c.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 4, { keyType, coordinatorKeys: Array.from({ length: 50 }, (_, i) => `${prefix}-${i}`) }));
    if (r.coordinators.some((x) => x.errorCode !== 0)) return null;
    return r.coordinators.find((x) => x.nodeId === nodeId)?.key ?? null;
  }, what, 90_000, () => `last answer (node or error per key): ${last?.coordinators.map((x) => (x.errorCode ? `e${x.errorCode}` : x.nodeId)).join(' ')}`);
}

/** The broker FindCoordinator v4 names for `key` once it is not `notOn` (the killed one). */
export async function coordinatorOf(c: RawClient, keyType: 0 | 1, key: string, notOn: number, what: string): Promise<FindCoordinatorResponse> {
  return until(async () => {
    const r = await c.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 4, { keyType, coordinatorKeys: [key] });
    const found = r.coordinators[0];
    return found && found.errorCode === 0 && found.nodeId !== notOn ? r : null;
  }, what, 90_000);
}
