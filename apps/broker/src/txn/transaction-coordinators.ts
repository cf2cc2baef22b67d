import { ErrorCode } from '@tributary/protocol';
import type { ClusterMetadata } from '../cluster/cluster-metadata.ts';
import type { ReplicaManager } from '../cluster/replica-manager.ts';
import type { Logger } from '../logger.ts';
import { coordinatorPartitionFor, transactionStateTopicConfigs } from '../topics/internal-topics.ts';
import { InternalTopicCreator } from '../topics/internal-topic-creator.ts';
import type { TopicRegistry } from '../topics/topic-registry.ts';
import { TransactionCoordinator, type MarkerRequest, type MarkersAbandoned } from './transaction-coordinator.ts';
import { TRANSACTION_STATE_TOPIC, TransactionStateStore } from './transaction-state-store.ts';

export interface TransactionCoordinatorsOptions {
  topics: TopicRegistry;
  cluster: ClusterMetadata;
  replicas: ReplicaManager;
  newProducerId: () => Promise<bigint>;
  /**
   * Writes the markers of one transaction end on the partitions' leaders (this broker's own logs,
   * or through WriteTxnMarkers elsewhere); rejects when one cannot be written yet (retried).
   */
  writeMarkers: (markers: MarkerRequest, coordinatorEpoch: number) => Promise<MarkersAbandoned | void>;
  /** After an append to `__transaction_state` (high watermark, followers). */
  appended: (partition: number) => void;
  /** A topic's min.insync.replicas (its override, else the broker's): `__transaction_state`'s here. */
  minInsyncReplicas: (topic: string) => number;
  logger: Logger;
  /** transaction.state.log.num.partitions, transaction.state.log.replication.factor. */
  numPartitions: number;
  replicationFactor: number;
  /** The broker's settings: the topic configs `__transaction_state` is created with. */
  settings: Readonly<Record<string, string>>;
  /** transaction.max.timeout.ms; transaction.abort.timed.out.transaction.cleanup.interval.ms. */
  maxTimeoutMs: number;
  abortIntervalMs: number;
  /** transactional.id.expiration.ms; transaction.remove.expired.transaction.cleanup.interval.ms. */
  idExpirationMs: number;
  expireIntervalMs: number;
}

export type CoordinatorLookup = { ok: true; coordinator: TransactionCoordinator } | { ok: false; errorCode: number };

/**
 * The transaction coordinators of this broker: one TransactionCoordinator per `__transaction_state`
 * partition it leads, loaded from that partition's log when leadership arrives (or on first use)
 * and replaced when the leader epoch changes; a transactional id is served by the coordinator of
 * its partition, elsewhere NOT_COORDINATOR. The topic is created on the first transactional
 * request, as Kafka creates it. A timer aborts transactions past their timeout.
 */
export class TransactionCoordinators {
  readonly #o: TransactionCoordinatorsOptions;
  readonly #loaded = new Map<number, { coordinator: TransactionCoordinator; leaderEpoch: number }>();
  readonly #timer: NodeJS.Timeout;
  readonly #expireTimer: NodeJS.Timeout;
  readonly #topicCreator: InternalTopicCreator;

  constructor(options: TransactionCoordinatorsOptions) {
    this.#o = options;
    this.#topicCreator = new InternalTopicCreator(options.cluster, { name: TRANSACTION_STATE_TOPIC, partitions: options.numPartitions, replicationFactor: options.replicationFactor, configs: (rf) => transactionStateTopicConfigs(options.settings, rf) }, options.logger);
    this.#timer = setInterval(() => {
      for (const { coordinator } of this.#loaded.values()) coordinator.abortTimedOut();
    }, options.abortIntervalMs);
    this.#timer.unref();
    this.#expireTimer = setInterval(() => {
      for (const [partition, { coordinator }] of this.#loaded) {
        const expired = coordinator.expireIdle(options.idExpirationMs);
        if (expired > 0) this.#o.logger.log('info', 'expired idle transactional ids', { partition, expired });
      }
    }, options.expireIntervalMs);
    this.#expireTimer.unref();
  }

  partitionFor(transactionalId: string): number {
    return coordinatorPartitionFor(transactionalId, this.#partitionCount());
  }

  #partitionCount(): number {
    return this.#o.topics.get(TRANSACTION_STATE_TOPIC)?.partitions ?? this.#o.numPartitions;
  }

  /**
   * Makes sure `__transaction_state` exists (created through the controller in a cluster). False
   * while it cannot be created yet (too few brokers, no controller): COORDINATOR_NOT_AVAILABLE.
   */
  async ensureTopic(): Promise<boolean> {
    return this.#topicCreator.ensure();
  }

  /** The broker coordinating the id's transactions, -1 while its partition has no leader. */
  coordinatorNode(transactionalId: string): number {
    const info = this.#o.cluster.partition(TRANSACTION_STATE_TOPIC, this.partitionFor(transactionalId));
    return info && info.leader >= 0 ? info.leader : -1;
  }

  /**
   * The coordinator of the id on this broker, or NOT_COORDINATOR (Kafka's answer whenever this
   * broker does not own the id's partition, also before `__transaction_state` exists): the client
   * asks FindCoordinator, which creates the topic.
   */
  lookup(transactionalId: string): CoordinatorLookup {
    if (!this.#o.topics.get(TRANSACTION_STATE_TOPIC)) return { ok: false, errorCode: ErrorCode.NOT_COORDINATOR };
    return this.#load(this.partitionFor(transactionalId));
  }

  /** Loads the coordinators of every `__transaction_state` partition this broker leads (start-up; leadership gained). */
  loadLed(): void {
    const topic = this.#o.topics.get(TRANSACTION_STATE_TOPIC);
    if (!topic) return;
    for (let p = 0; p < topic.partitions; p++) this.#load(p);
  }

  /** The coordinators of every `__transaction_state` partition this broker leads (ListTransactions). */
  led(): TransactionCoordinator[] {
    this.loadLed();
    return [...this.#loaded.values()].map((l) => l.coordinator);
  }

  /** Leadership of a `__transaction_state` partition moved away: its coordinator stops. */
  resign(partition: number): void {
    const loaded = this.#loaded.get(partition);
    if (!loaded) return;
    loaded.coordinator.close();
    this.#loaded.delete(partition);
    this.#o.logger.log('info', 'no longer coordinating transactions', { partition });
  }

  #load(partition: number): CoordinatorLookup {
    const lead = this.#o.replicas.leaderFor(TRANSACTION_STATE_TOPIC, partition);
    if (!lead.ok) {
      this.resign(partition);
      return { ok: false, errorCode: ErrorCode.NOT_COORDINATOR };
    }
    const loaded = this.#loaded.get(partition);
    if (loaded && loaded.leaderEpoch === lead.leaderEpoch) return { ok: true, coordinator: loaded.coordinator };
    loaded?.coordinator.close();
    const epoch = lead.leaderEpoch;
    const store = new TransactionStateStore(lead.log, () => epoch, () => this.#o.appended(partition));
    const coordinator = new TransactionCoordinator(store, this.#o.newProducerId, (m) => this.#markersOnceDecided(partition, m, epoch), { maxTimeoutMs: this.#o.maxTimeoutMs, markerRetryMs: 200 });
    this.#loaded.set(partition, { coordinator, leaderEpoch: epoch });
    this.#o.logger.log('info', 'coordinating transactions', { partition, leaderEpoch: epoch });
    return { ok: true, coordinator };
  }

  /**
   * Markers go out only once the decision (the Prepare record just appended) is on the in-sync
   * replicas of the `__transaction_state` partition, as Kafka writes them from the append's
   * callback. A coordinator that lost its partition without knowing yet (a paused broker resumed)
   * cannot get that far: without this, its timer aborted, on the partitions' leaders, a transaction
   * that the new coordinator had committed (a committed transaction lost whole, seen once in
   * test/cluster/transactions-anomalies). A rejection is retried by the coordinator until it is
   * closed on losing the partition.
   */
  async #markersOnceDecided(partition: number, m: MarkerRequest, coordinatorEpoch: number): Promise<MarkersAbandoned | void> {
    const log = this.#o.topics.log(TRANSACTION_STATE_TOPIC, partition);
    if (!log) throw new Error(`${TRANSACTION_STATE_TOPIC}-${partition} is not here`);
    const code = await this.#o.replicas.waitForReplication(TRANSACTION_STATE_TOPIC, partition, log.logEndOffset, this.#o.minInsyncReplicas(TRANSACTION_STATE_TOPIC), 10_000);
    if (code !== 0) throw new Error(`${TRANSACTION_STATE_TOPIC}-${partition} did not reach its in-sync replicas (error ${code})`);
    return this.#o.writeMarkers(m, coordinatorEpoch);
  }

  close(): void {
    clearInterval(this.#timer);
    clearInterval(this.#expireTimer);
    for (const { coordinator } of this.#loaded.values()) coordinator.close();
    this.#loaded.clear();
  }
}
