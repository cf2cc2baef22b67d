import type { Listener } from '../config/broker-config.ts';
import type { TopicState } from '../topics/topic-registry.ts';
import type { MetadataQuorum } from './metadata-quorum.ts';
import type { FeatureUpdate, FinalizedFeatures } from './features.ts';

/** A broker as the cluster knows it (registered in etcd, or this broker alone). */
export interface BrokerInfo {
  nodeId: number;
  rack: string | null;
  /** Advertised listeners by name; a client is answered with the listener it arrived on. */
  listeners: Listener[];
}

/** One partition's replication state: who leads in which epoch, who holds copies, who is in sync. */
export interface PartitionInfo {
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  /** KIP-966 eligible leader replicas and LastKnownElr (cluster/partition-change.ts); absent or empty when none. */
  elr?: number[];
  lastKnownElr?: number[];
  /**
   * The revision of the partition's state where the cluster keeps it (etcd's mod revision), so a
   * leader can tell a view older than its own ISR write; absent for a standalone broker.
   */
  revision?: bigint;
}

/** One partition of an AlterPartitionReassignments request: the target replicas, or null to cancel. */
export interface PartitionMove {
  topic: string;
  partition: number;
  replicas: number[] | null;
}

/** A partition's answer to a reassignment or an election request (errorCode 0: done). */
export interface PartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
  message: string | null;
}

/** A partition being reassigned (cluster/reassignment.ts). */
export interface OngoingMove {
  topic: string;
  partition: number;
  target: number[];
  original: number[];
}

export interface NewTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
  /** Replicas of each partition chosen by the client (already validated); else the broker assigns them. */
  assignment?: number[][];
}

/**
 * What handlers ask about the cluster and how they change its topics. Two implementations: a
 * standalone broker (it is the whole cluster) and a broker coordinated through etcd, where only
 * the controller changes topics and everyone else answers NOT_CONTROLLER (thrown as TopicError).
 */
export interface ClusterMetadata {
  /** True when brokers coordinate through etcd (replication, controller, leader election). */
  readonly clustered: boolean;
  controllerId(): number;
  brokers(): BrokerInfo[];
  partition(topic: string, partition: number): PartitionInfo | undefined;
  /** `forward`: a non-controller passes the request on to the controller instead of refusing it. */
  createTopic(topic: NewTopic, validateOnly: boolean, forward?: boolean): Promise<TopicState>;
  deleteTopic(name: string): Promise<void>;
  /** `assignment`: the client's replica lists for the added partitions (already validated). */
  addPartitions(name: string, count: number, validateOnly: boolean, assignment?: number[][]): Promise<void>;
  setTopicConfigs(name: string, configs: Record<string, string>): Promise<void>;
  /**
   * Resolves once this broker's copy of the cluster's metadata holds every change committed before
   * the call (by any broker): admin APIs call it first so that they read, and modify, the latest.
   */
  catchUp(): Promise<void>;
  /**
   * A version of the cluster metadata this broker holds, growing with its changes (where Kafka has
   * its metadata image's offset, written into a KIP-848 group's resolved regular expressions):
   * etcd's revision of the last change applied in a cluster; on a standalone broker the count of
   * topic changes since it started (it keeps no metadata log).
   */
  metadataVersion(): bigint;
  /** Partitions being reassigned now. */
  reassignments(): OngoingMove[];
  /** Starts, replaces or cancels reassignments (controller only: NOT_CONTROLLER elsewhere, thrown as TopicError). */
  alterReassignments(moves: PartitionMove[], allowReplicationFactorChange?: boolean): Promise<PartitionResult[]>;
  /**
   * ElectLeaders (controller only). `partitions` null means every partition; then, as Kafka, the
   * answer leaves out those that already had the leader asked for.
   */
  electLeaders(electionType: number, partitions: { topic: string; partition: number }[] | null): Promise<PartitionResult[]>;
  /**
   * DescribeQuorum's picture of the metadata quorum (metadata-quorum.ts); null while no controller
   * is elected. `ownOnly`: asked by another broker, only this broker's own progress (no asking around).
   */
  describeQuorum(ownOnly: boolean): Promise<MetadataQuorum | null>;
  /**
   * UnregisterBroker: removes the broker's registration, live or not (Kafka's controller removes a
   * fenced and a live broker alike). False when no broker of that id is registered.
   */
  unregisterBroker(nodeId: number): Promise<boolean>;
  /** The finalized feature levels (KIP-584) and their epoch, as ApiVersions answers them. */
  finalizedFeatures(): FinalizedFeatures;
  /**
   * UpdateFeatures: Kafka's checks (features.ts), then, unless `validateOnly`, the new levels kept
   * where the cluster keeps its metadata; answered once this broker's view shows them.
   */
  updateFeatures(updates: FeatureUpdate[], validateOnly: boolean): Promise<{ errorCode: number; message: string | null }>;
}
