import { createHash } from 'node:crypto';
import type { Condition } from '../status/conditions.ts';

/**
 * What the reconciler needs from the control plane's desired state of one instance. The API's
 * Instance and Topic rows map onto this (the job payload carries only ids; the worker reads rows).
 */
export interface DesiredTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
}

export interface DesiredInstance {
  id: string;
  generation: number;
  brokers: number;
  /** Broker settings by Kafka name; a change rolls the brokers one at a time. */
  brokerConfig: Record<string, string>;
  topics: DesiredTopic[];
  /** Topics the control plane deleted and that must go from the cluster. */
  deletedTopics: string[];
  deleting: boolean;
}

export interface BrokerStatus {
  nodeId: number;
  address: string;
  ready: boolean;
  restarts: number;
}

export interface InstanceStatus {
  phase: 'Creating' | 'Running' | 'Updating' | 'Failed' | 'Deleting' | 'Deleted';
  observedGeneration: number;
  bootstrapServers: string[];
  brokers: BrokerStatus[];
  conditions: Condition[];
  /** Differences found between the cluster and the desired state and put right, for the event log. */
  events: string[];
}

/** Everything whose change needs a broker restart, hashed: a stable key-order-independent digest. */
export function configHash(brokerConfig: Record<string, string>): string {
  const canonical = JSON.stringify(Object.entries(brokerConfig).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}
