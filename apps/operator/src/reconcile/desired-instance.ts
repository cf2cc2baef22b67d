import type { RebalanceProgress } from './rebalance-progress.ts';
import type { CancelResult, RebalanceHold } from './rebalance-hold.ts';
import { createHash } from 'node:crypto';
import type { InstanceSecurityProtocol } from '@tributary/contracts';
import { LISTENER_LAYOUT } from '../runtimes/listeners.ts';
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
  /** The sold size (the Kubernetes runtime's CPU, memory and volumes; runtime.ts `size`). */
  size?: { bandwidthMBps: number; diskGiB: number };
  /** SCRAM users, ACLs and quotas the control plane holds for the instance (absent: leave the brokers' as they are). */
  access?: DesiredAccess;
  /** The generations data placement depends on (rebalance-hold.ts placementKey); a cancelled rebalance holds while they stay. */
  placementKey?: string;
  /** Open `rebalance.cancel` operations: cancel the moves in flight and hold (rebalance-hold.ts). */
  rebalanceCancels?: string[];
}

export interface DesiredUser {
  name: string;
  mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  iterations: number;
  /** base64; null for users recorded before the control plane kept them (cannot be applied). */
  salt: string | null;
  saltedPassword: string | null;
}

export interface DesiredAcl {
  resourceType: 'TOPIC' | 'GROUP' | 'CLUSTER' | 'TRANSACTIONAL_ID';
  resourceName: string;
  patternType: 'LITERAL' | 'PREFIXED';
  principal: string;
  host: string;
  operation: 'ALL' | 'READ' | 'WRITE' | 'CREATE' | 'DELETE' | 'ALTER' | 'DESCRIBE' | 'CLUSTER_ACTION' | 'DESCRIBE_CONFIGS' | 'ALTER_CONFIGS' | 'IDEMPOTENT_WRITE';
  permission: 'ALLOW' | 'DENY';
}

/** A quota entity as brokers see it: user and/or client id, or a consumer group; and its values by Kafka key. */
export interface DesiredQuota {
  entity: { user?: string | null; clientId?: string | null } | { group: string };
  values: Record<string, number>;
}

export interface DesiredAccess {
  users: DesiredUser[];
  acls: DesiredAcl[];
  quotas: DesiredQuota[];
  /**
   * SCRAM user names of the account's live API keys (`tributary-api.<key id>`): the API provisions
   * these itself (messages over HTTP), so they are kept; one whose key was revoked is removed.
   * Absent: every API principal is kept (nothing known about keys).
   */
  apiPrincipals?: string[];
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
  /** The internal listener's addresses (trusted; the operator's and the API's only). */
  internalBootstrapServers: string[];
  /** The client endpoint (SASL/SCRAM), the one the API shows. */
  clientBootstrapServers: string[];
  /** Its Kafka security.protocol; null until a runtime has reported it. */
  clientSecurityProtocol?: InstanceSecurityProtocol | null;
  brokers: BrokerStatus[];
  conditions: Condition[];
  /** Differences found between the cluster and the desired state and put right, for the event log. */
  events: string[];
  /** Data being moved between the brokers (rebalance-progress.ts); null or absent when none moves. */
  rebalance?: RebalanceProgress | null;
  /** A cancelled rebalance: no moves while the placement key is unchanged (rebalance-hold.ts). */
  rebalanceHold?: RebalanceHold | null;
  /** This pass's handling of `rebalanceCancels`, for the status write to settle their operations (not stored). */
  cancelled?: CancelResult;
}

/**
 * Everything whose change needs a broker restart, hashed: a stable key-order-independent digest.
 * The listener layout counts too, so brokers started with an earlier layout are rolled onto this one.
 */
export function configHash(brokerConfig: Record<string, string>, layout: string = LISTENER_LAYOUT): string {
  const canonical = JSON.stringify([layout, ...Object.entries(brokerConfig).sort(([a], [b]) => a.localeCompare(b))]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}
