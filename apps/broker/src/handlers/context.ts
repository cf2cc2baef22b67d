import type { DecodedRequest } from '@tributary/protocol';
import type { BrokerConfig } from '../config/broker-config.ts';
import type { Logger } from '../logger.ts';
import type { BrokerMetrics } from '../metrics/broker-metrics.ts';
import type { TopicRegistry } from '../topics/topic-registry.ts';
import type { AppendSignal } from '../log/append-signal.ts';
import type { GroupCoordinators } from '../group/group-coordinators.ts';
import type { ProducerIdAllocator } from '../txn/producer-id-allocator.ts';
import type { CredentialStore } from '../security/credential-store.ts';
import type { ListenerSecurity } from '../security/listener-security.ts';
import type { FailedLoginLimiter } from '../security/sasl-authenticator.ts';
import type { GroupConfigStore } from '../config/group-configs.ts';
import type { AclStore } from '../security/acl-store.ts';
import type { Authorizer } from '../security/authorizer.ts';
import type { ClientQuotas } from '../quota/client-quotas.ts';
import type { QuotaStore } from '../quota/quota-store.ts';
import type { ReplicationThrottle } from '../cluster/replication-throttle.ts';
import type { InstanceBandwidth, InstanceLimits } from '../quota/instance-limits.ts';
import type { PeerGroupCount } from '../quota/peer-group-count.ts';
import type { GroupCreations } from '../quota/group-creations.ts';
import type { ClusterMetadata } from '../cluster/cluster-metadata.ts';
import type { ReplicaManager } from '../cluster/replica-manager.ts';
import type { TransactionCoordinators } from '../txn/transaction-coordinators.ts';
import type { ReadBufferPool } from '../log/read-buffers.ts';

/** What every handler can reach: the broker's state, never the socket. */
export interface BrokerContext {
  config: BrokerConfig;
  topics: TopicRegistry;
  appends: AppendSignal;
  /** The group coordinators of the `__consumer_offsets` partitions this broker leads; calls naming a group go to its partition's. */
  groups: GroupCoordinators;
  producerIds: ProducerIdAllocator;
  metrics: BrokerMetrics;
  logger: Logger;
  clusterId: string;
  /** SCRAM credentials (salted hashes only) that SASL logins are checked against. */
  credentials: CredentialStore;
  /** Security of each listener by name (protocol, TLS, SASL mechanisms). */
  listenerSecurity: Map<string, ListenerSecurity>;
  failedLogins: FailedLoginLimiter;
  /** Key for the made-up salts unknown users get, so SCRAM replies do not reveal which users exist. */
  fakeSaltKey: Buffer;
  acls: AclStore;
  /** KIP-848 group configs (the GROUP config resource), stored and described. */
  groupConfigs: GroupConfigStore;
  /** KIP-714 client metrics subscriptions (the CLIENT_METRICS config resource), stored, described and listed. */
  clientMetricsConfigs: GroupConfigStore;
  /** Dynamic broker configs (the replication throttles) per broker id and '' for the cluster default. */
  brokerConfigs: GroupConfigStore;
  /** Holds back throttled replicas' data on follower fetches (cluster/replication-throttle.ts). */
  replicationThrottle: ReplicationThrottle;
  /** Read buffers fetches borrow and connections give back once the answer is written (log/read-buffers.ts); absent: fresh Buffers. */
  readBuffers?: ReadBufferPool;
  authorizer: Authorizer;
  clientQuotaStore: QuotaStore;
  /** Measures produce/fetch bytes and handler time per quota entity and says how long to throttle. */
  clientQuotas: ClientQuotas;
  limits: InstanceLimits;
  /** The consumer groups the cluster's other brokers coordinate, for the instance's group limit. */
  peerGroups: PeerGroupCount;
  /** Groups joins are creating on this broker right now, for the instance's group limit. */
  groupCreations: GroupCreations;
  bandwidth: InstanceBandwidth;
  /** Brokers, partition leaders and ISRs, the controller, and topic changes (controller only in a cluster). */
  cluster: ClusterMetadata;
  /** Leadership, high watermarks and acks=-1 waits of the partitions hosted here. */
  replicas: ReplicaManager;
  /** The transaction coordinators of the `__transaction_state` partitions this broker leads. */
  transactions: TransactionCoordinators;
}

/**
 * Who sent a request and through which listener. Authorization, quotas and audit logs key on it;
 * the connection builds it (the principal changes once, after SASL authentication).
 */
export interface RequestSession {
  /** Kafka principal string, e.g. `User:alice`; `User:ANONYMOUS` before or without authentication. */
  principal: string;
  clientId: string | null;
  /** Client address without port, as ACL host matching uses it. */
  host: string;
  /** Listener name the connection arrived on (e.g. PLAINTEXT). */
  listener: string;
}

export const ANONYMOUS = 'User:ANONYMOUS';

/** Returns the response body, or undefined when the request gets no response (Produce acks=0). */
export type Handler = (ctx: BrokerContext, request: DecodedRequest, session: RequestSession) => unknown | Promise<unknown>;

export interface HandlerEntry {
  minVersion: number;
  maxVersion: number;
  handle: Handler;
}
