import type { InstanceSecurityProtocol } from '@tributary/contracts';

/**
 * What a runtime (local processes, Kubernetes) is asked to do for one instance. The reconciler owns
 * the decisions; a runtime only brings the world in line with this shape and reports what it sees.
 */
export interface BrokerClusterSpec {
  instanceId: string;
  /** Number of brokers; node ids are 1..brokers. */
  brokers: number;
  /** Kafka broker settings by their Kafka names (already validated by the control plane). */
  brokerConfig: Record<string, string>;
  /** A hash of everything whose change needs a broker restart; a change triggers a rolling restart. */
  configHash: string;
  /**
   * How the brokers form one replicated cluster: through etcd, with the instance id as cluster id.
   * Null: standalone brokers (only a 1-broker instance can run that way).
   */
  cluster?: { etcdEndpoints: string; clusterId: string } | null;
  /**
   * What the instance was sold (its spec): the Kubernetes runtime sizes pods and volumes from it; the
   * local runtime has nothing to size. Absent: the runtime's own default.
   */
  size?: { bandwidthMBps: number; diskGiB: number };
}

export interface BrokerObservation {
  nodeId: number;
  /** host:port of the broker's internal listener (trusted: the operator's and the API's, never a client's). */
  address: string;
  /** host:port of the broker's HTTP metrics (/metrics), where billing is metered; absent if the runtime has none. */
  metricsAddress?: string;
  /** Process or pod exists. */
  running: boolean;
  /** Accepts Kafka connections. */
  ready: boolean;
  /** The configHash the broker was started with. */
  configHash: string | null;
  restarts: number;
}

export interface ClusterObservation {
  instanceId: string;
  brokers: BrokerObservation[];
  /**
   * The internal listener (PLAINTEXT on an internal address; the broker trusts every connection on
   * it): for the operator, the API and replication only, never shown to clients (runtimes/listeners.ts).
   */
  internalBootstrapServers: string[];
  /** The client endpoint, the only one clients get: users log in with SASL/SCRAM and their ACLs apply. */
  clientBootstrapServers: string[];
  /** What the client endpoint speaks: SASL_SSL where the runtime has TLS for instances. */
  clientSecurityProtocol: InstanceSecurityProtocol;
}

export interface BrokerRuntime {
  readonly name: 'local' | 'kubernetes';
  /**
   * The listener layout this runtime starts brokers with (runtimes/listeners.ts); part of every
   * broker's config hash, so a change (a new layout, TLS turned on) rolls the brokers onto it.
   */
  readonly listenerLayout: string;
  /** Starts missing brokers and stops surplus ones; leaves running brokers with a stale config alone. */
  ensureBrokers(spec: BrokerClusterSpec): Promise<ClusterObservation>;
  /** Restarts one broker with the spec's current config (rolling restarts call this broker by broker). */
  restartBroker(spec: BrokerClusterSpec, nodeId: number): Promise<void>;
  observe(instanceId: string): Promise<ClusterObservation | null>;
  /** Stops every broker and removes the instance's data. Idempotent. */
  deleteCluster(instanceId: string): Promise<void>;
}
