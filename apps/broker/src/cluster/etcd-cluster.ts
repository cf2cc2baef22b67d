import { ApiKey, ErrorCode, type CreateTopicsResponse } from '@tributary/protocol';
import { BrokerConnection } from '@tributary/kafka-admin';
import type { IKeyValue } from 'etcd3';
import { listenerFor, type Listener } from '../config/broker-config.ts';
import type { Logger } from '../logger.ts';
import { TopicError, type TopicRegistry, type TopicState } from '../topics/topic-registry.ts';
import { BrokerRegistration } from './broker-registration.ts';
import type { BrokerInfo, ClusterMetadata, NewTopic, OngoingMove, PartitionInfo, PartitionMove, PartitionResult } from './cluster-metadata.ts';
import { CATCH_UP_PREFIX, keys, type ClusterView, type PartitionRecord } from './cluster-view.ts';
import { Controller } from './controller.ts';
import { effectiveMinIsr } from './controller-plan.ts';
import { GuardedWriteBatch } from './guarded-write-batch.ts';
import { askVoterProgress, describeMetadataQuorum, type MetadataQuorum, type VoterProgress } from './metadata-quorum.ts';
import { finalizedLevels, planFeatureUpdates, type FeatureLevels, type FeatureUpdate, type FinalizedFeatures } from './features.ts';
import { EtcdMetadataStore } from './metadata-store.ts';
import { withElr } from './partition-change.ts';
import type { IsrWriteResult } from './replica-manager.ts';

export interface EtcdClusterOptions {
  endpoints: string[];
  clusterId: string;
  nodeId: number;
  rack: string | null;
  advertised: Listener[];
  /** Listener name brokers use to reach each other (forwarded requests). */
  interBrokerListener: string;
  /** The broker's lease: it is dead to the cluster this long after it stops renewing. */
  sessionTimeoutMs: number;
  topics: TopicRegistry;
  logger: Logger;
  uncleanLeaderElection: boolean;
  /** The broker default min.insync.replicas (the ELR's bound, KIP-966). */
  minInsyncReplicas: number;
  /** The previous run of this broker was killed (no clean stop): its first registration says so (KIP-966). */
  uncleanShutdown: boolean;
  /** How often the controller moves leadership back to preferred replicas; 0 disables it. */
  leaderRebalanceIntervalMs: number;
  /** Called (coalesced) after the view changed: the broker re-applies roles. */
  onChange: () => void;
  /** Declare a peer dead as soon as its port refuses connections (peer-probe.ts), not only when its lease expires. */
  probePeers: boolean;
  /** The finalized feature levels while UpdateFeatures has changed none (features.ts). */
  defaultFeatures: FeatureLevels;
}

/**
 * A broker of a cluster coordinated through etcd, the role ZooKeeper plays for classic Kafka. Three
 * parts, along Kafka's own seams: the metadata store (metadata-store.ts: the watched view and
 * writes), this broker's registration and the peers' liveness (broker-registration.ts), and the
 * controller (controller.ts). This class puts them together, mirrors the view into the local topic
 * registry, and answers handlers through ClusterMetadata.
 */
export class EtcdCluster implements ClusterMetadata {
  readonly clustered = true;
  readonly store: EtcdMetadataStore;
  readonly #o: EtcdClusterOptions;
  readonly #registration: BrokerRegistration;
  readonly #controller: Controller;
  #changeQueued = false;
  #stopped = false;
  readonly #isrWrites: GuardedWriteBatch;
  /** Until the view is loaded and watched, changes are only collected. */
  #started = false;
  /** When each other voter was last seen caught up by a DescribeQuorum here (Kafka's leader keeps a follower's). */
  readonly #voterCaughtUp = new Map<number, number>();

  constructor(options: EtcdClusterOptions) {
    this.#o = options;
    this.store = new EtcdMetadataStore(options.endpoints, options.clusterId, options.logger);
    this.#isrWrites = new GuardedWriteBatch(this.store.ns);
    this.#registration = new BrokerRegistration({
      ns: this.store.ns,
      nodeId: options.nodeId,
      rack: options.rack,
      advertised: options.advertised,
      sessionTimeoutMs: options.sessionTimeoutMs,
      logger: options.logger,
      probePeers: options.probePeers,
      interBrokerListener: options.interBrokerListener,
      uncleanShutdown: options.uncleanShutdown,
      onRegistered: () => this.#controller.campaign(),
      onLeaseLost: () => this.#controller.leaseLost(),
    });
    this.#controller = new Controller({
      store: this.store,
      registration: this.#registration,
      nodeId: options.nodeId,
      topics: options.topics,
      logger: options.logger,
      uncleanLeaderElection: options.uncleanLeaderElection,
      minInsyncReplicas: options.minInsyncReplicas,
      leaderRebalanceIntervalMs: options.leaderRebalanceIntervalMs,
    });
  }

  get view(): ClusterView {
    return this.store.view;
  }

  /** etcd's revision of the last change this broker applied: the cluster's metadata version. */
  metadataVersion(): bigint {
    return this.view.revision;
  }

  get isController(): boolean {
    return this.#controller.isController;
  }

  async start(): Promise<void> {
    // Registered before anything else: a broker must not fetch as a follower (and be taken into
    // ISRs) while the controller does not know it yet, or the controller takes it out again.
    await this.#registration.register();
    await this.store.load((key, kv, deleted) => this.#onKey(key, kv, deleted));
    this.#started = true;
    this.#controller.viewLoaded();
    // The controller may have gone between our campaign and the load: then nobody would notice.
    if (!this.view.controller) await this.#controller.campaign();
    this.#changed();
  }

  #onKey(key: string, kv: IKeyValue, deleted: boolean): void {
    // A catch-up marker changes nothing the broker derives; its waiter only needs the changes before
    // it applied, which they are unless a re-application is still queued (that one tells the waiter).
    if (key.startsWith(CATCH_UP_PREFIX)) {
      if (!this.#changeQueued) this.store.viewChanged();
      return;
    }
    this.#registration.noteBrokerKey(key, kv, deleted);
    if (key === keys.controller) this.#controller.noteControllerKey(deleted);
    this.#changed();
  }

  /**
   * Coalesces a burst of watch events into one re-application: every event of one watch message
   * (a transaction's keys come together) and of the messages read in the same turn of the event loop.
   */
  #changed(): void {
    if (this.#changeQueued || !this.#started) return;
    this.#changeQueued = true;
    setImmediate(() => {
      this.#changeQueued = false;
      if (this.#stopped) return;
      this.#syncTopics();
      this.#registration.peersChanged(this.brokers());
      this.#o.onChange();
      this.store.viewChanged();
      if (this.isController) void this.#controller.run(false);
    });
  }

  /**
   * Mirrors the cluster's topics into the local registry; logs exist for hosted partitions only.
   * A new partition's log is made at once, its directory syncs in the background
   * (LogManager.getOrCreate), so a broker learning of hundreds of partitions does not stall.
   */
  #syncTopics(): void {
    this.#o.topics.sync(
      [...this.view.topics].map(([name, t]) => ({
        state: { name, topicId: t.value.topicId, partitions: t.value.replicas.length, configs: t.value.configs },
        hosted: t.value.replicas.map((r, p) => (r.includes(this.#o.nodeId) ? p : -1)).filter((p) => p >= 0),
      })),
    );
  }

  // ------------------------------------------------------------------ ClusterMetadata

  controllerId(): number {
    return this.view.controller?.nodeId ?? -1;
  }

  brokers(): BrokerInfo[] {
    return [...this.view.brokers.values()].sort((a, b) => a.nodeId - b.nodeId).map(({ nodeId, rack, listeners }) => ({ nodeId, rack, listeners }));
  }

  partition(topic: string, partition: number): PartitionInfo | undefined {
    return this.view.partition(topic, partition);
  }

  async createTopic(topic: NewTopic, validateOnly: boolean, forward = false): Promise<TopicState> {
    if (forward && !this.isController) return this.#forwardCreate(topic);
    return this.#controller.createTopic(topic, validateOnly);
  }

  /** KIP-590 style forwarding of a topic creation (auto-creation) to the controller. */
  async #forwardCreate(topic: NewTopic): Promise<TopicState> {
    const controller = this.view.brokers.get(this.controllerId());
    const listener = controller && listenerFor(controller.listeners, this.#o.interBrokerListener);
    if (!listener) throw new TopicError(ErrorCode.LEADER_NOT_AVAILABLE, 'no controller is elected yet');
    let conn: BrokerConnection | null = null;
    try {
      conn = await BrokerConnection.open(listener.host, listener.port, `tributary-broker-${this.#o.nodeId}`, 10_000);
      const res = await conn.send<CreateTopicsResponse>(ApiKey.CreateTopics, 5, {
        topics: [{ name: topic.name, numPartitions: topic.partitions, replicationFactor: topic.replicationFactor, assignments: [], configs: Object.entries(topic.configs).map(([name, value]) => ({ name, value })) }],
        timeoutMs: 10_000,
        validateOnly: false,
      });
      const r = res.topics[0];
      if (r && r.errorCode !== 0 && r.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) throw new TopicError(r.errorCode, r.errorMessage ?? `the controller refused to create ${topic.name}`);
    } catch (err) {
      if (err instanceof TopicError) throw err;
      throw new TopicError(ErrorCode.LEADER_NOT_AVAILABLE, `the controller could not be reached: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      conn?.close();
    }
    await this.store.waitForView(() => this.#o.topics.get(topic.name) !== undefined, 5000);
    const state = this.#o.topics.get(topic.name);
    if (!state) throw new TopicError(ErrorCode.LEADER_NOT_AVAILABLE, `topic "${topic.name}" is being created`);
    return state;
  }

  async deleteTopic(name: string): Promise<void> {
    return this.#controller.deleteTopic(name);
  }

  async addPartitions(name: string, count: number, validateOnly: boolean, assignment?: number[][]): Promise<void> {
    return this.#controller.addPartitions(name, count, validateOnly, assignment);
  }

  /** Brings this broker's view up to the cluster's latest write (EtcdMetadataStore.catchUp). */
  catchUp(): Promise<void> {
    return this.store.catchUp(keys.catchUp(this.#o.nodeId));
  }

  /** Topic configs are not a controller decision: any broker writes them, guarded by the topic's revision. */
  async setTopicConfigs(name: string, configs: Record<string, string>): Promise<void> {
    const t = this.view.topics.get(name);
    if (!t) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist`);
    const res = await this.store.ns.if(keys.topic(name), 'Mod', '==', t.modRevision).then(this.store.ns.put(keys.topic(name)).value(JSON.stringify({ ...t.value, configs }))).commit();
    if (!res.succeeded) throw new TopicError(ErrorCode.CONCURRENT_TRANSACTIONS, `topic "${name}" changed meanwhile; retry`);
    await this.store.waitForView(() => JSON.stringify(this.#o.topics.get(name)?.configs) === JSON.stringify(configs));
  }

  /**
   * The leader's ISR change, refused when the partition moved on (new epoch or another write).
   * Changes asked for in the same turn of the event loop (the periodic check shrinks every ISR a
   * dead follower is in at once) go to etcd together (IsrWriteBatch). The ELR moves with it as
   * Kafka's controller moves it on an AlterPartition (partition-change.ts): a shrink below
   * min.insync.replicas puts the dropped followers in, a member that rejoins leaves it.
   */
  async writeIsr(topic: string, partition: number, leaderEpoch: number, isr: number[]): Promise<IsrWriteResult> {
    const current = this.view.partitions.get(`${topic}/${partition}`);
    if (!current || current.value.leader !== this.#o.nodeId || current.value.leaderEpoch !== leaderEpoch) return null;
    const t = this.view.topics.get(topic)?.value;
    const minIsr = effectiveMinIsr(t?.configs ?? {}, t?.replicas[partition]?.length ?? isr.length, this.#o.minInsyncReplicas);
    const next: PartitionRecord = withElr(current.value, { leader: current.value.leader, isr }, minIsr, false, this.view.uncleanlyReturned(current), this.view.elrEnabled());
    const revision = await this.#isrWrites.write(keys.partition(topic, partition), current.modRevision, JSON.stringify(next));
    if (revision === null) return null;
    this.#o.logger.log('info', 'isr changed', { topic, partition, leaderEpoch, from: current.value.isr, to: isr, elr: next.elr ?? [] });
    return { revision: BigInt(revision) };
  }

  /** Reserves `size` producer ids from the cluster-wide counter. */
  allocateProducerIds(size: bigint): Promise<bigint> {
    return this.store.allocateProducerIds(size);
  }

  reassignments(): OngoingMove[] {
    return this.#controller.reassignments();
  }

  alterReassignments(moves: PartitionMove[], allowReplicationFactorChange = true): Promise<PartitionResult[]> {
    return this.#controller.alterReassignments(moves, allowReplicationFactorChange);
  }

  electLeaders(electionType: number, partitions: { topic: string; partition: number }[] | null): Promise<PartitionResult[]> {
    return this.#controller.electLeaders(electionType, partitions);
  }

  /**
   * The metadata quorum as metadata-quorum.ts maps it: etcd's committed revision first, then every
   * other voter asked (in parallel, bounded) how far its view has got.
   */
  async describeQuorum(ownOnly: boolean): Promise<MetadataQuorum | null> {
    const controller = this.view.controller;
    if (!controller) return null;
    const self = this.#o.nodeId;
    const own = (): VoterProgress => ({ revision: this.view.revision, atMs: Date.now() });
    const registered = this.brokers();
    if (ownOnly) {
      const me = registered.find((b) => b.nodeId === self);
      return describeMetadataQuorum({ leaderId: controller.nodeId, leaderEpoch: BigInt(controller.epoch), committed: this.view.revision, voters: [{ nodeId: self, listeners: me?.listeners ?? this.#o.advertised, progress: own() }], nowMs: Date.now() });
    }
    const committed = await this.store.committedRevision().catch(() => this.view.revision);
    // A KRaft voter stays one when its broker is unregistered: so does the controller here.
    const voters = registered.some((b) => b.nodeId === controller.nodeId) ? registered : [...registered, { nodeId: controller.nodeId, rack: null, listeners: [] }];
    const progress = await Promise.all(
      voters.map((b) => {
        if (b.nodeId === self) return own();
        if (b.listeners.length === 0) return null;
        return askVoterProgress(listenerFor(b.listeners, this.#o.interBrokerListener), b.nodeId, self, 2000);
      }),
    );
    const quorum = describeMetadataQuorum({
      leaderId: controller.nodeId,
      leaderEpoch: BigInt(controller.epoch),
      committed,
      voters: voters.map((b, i) => ({ nodeId: b.nodeId, listeners: b.listeners, progress: progress[i]!, lastCaughtUpMs: this.#voterCaughtUp.get(b.nodeId) })),
      nowMs: Date.now(),
    });
    for (const v of quorum.voters) if (v.lastCaughtUpTimestamp > 0n) this.#voterCaughtUp.set(v.nodeId, Number(v.lastCaughtUpTimestamp));
    return quorum;
  }

  /**
   * Removes a broker's registration (`brokers/<id>`, a live broker's) and its lasting record
   * (`broker-ids/<id>`, which outlives a dead broker's lease as Kafka keeps a fenced broker's
   * registration), as Kafka's controller does on UnregisterBroker. A live broker's lease is left
   * alone: it keeps running (and the controller role, if it holds it) but is no longer registered,
   * so the controller takes it out of every ISR and moves its leaderships away, as Kafka's does; it
   * registers again when it restarts (or loses its lease).
   */
  async unregisterBroker(nodeId: number): Promise<boolean> {
    const deleted = await Promise.all([keys.broker(nodeId), keys.brokerId(nodeId)].map((k) => this.store.ns.delete().key(k).exec()));
    if (deleted.every((d) => d.deleted === '0')) return false;
    await this.store.waitForView(() => !this.view.brokers.has(nodeId), 5000).catch(() => undefined);
    this.#o.logger.log('warn', 'broker unregistered', { broker: nodeId });
    return true;
  }

  /** The levels in etcd over the defaults; the epoch is the view's revision (Kafka's: its metadata offset), so it grows with every change. */
  finalizedFeatures(): FinalizedFeatures {
    return { levels: finalizedLevels(this.view.features?.value, this.#o.defaultFeatures), epoch: this.view.revision };
  }

  /**
   * Any broker writes the levels (as Kafka's brokers forward UpdateFeatures to the controller):
   * checked against its view caught up with etcd, written guarded by the key's revision (a
   * concurrent update: FEATURE_UPDATE_FAILED, retriable), answered once the view shows them. The
   * controller's next pass plans with them (an ELR change clears the ELR only of partitions it touches).
   */
  async updateFeatures(updates: FeatureUpdate[], validateOnly: boolean): Promise<{ errorCode: number; message: string | null }> {
    await this.catchUp();
    const stored = this.view.features;
    const plan = planFeatureUpdates(this.finalizedFeatures().levels, updates, this.controllerId());
    if (!plan.ok) return { errorCode: plan.errorCode, message: plan.message };
    if (validateOnly || updates.length === 0) return { errorCode: 0, message: null };
    const value = JSON.stringify(plan.levels);
    const res = await this.store.ns.if(keys.features, 'Mod', '==', stored?.modRevision ?? '0').then(this.store.ns.put(keys.features).value(value)).commit();
    if (!res.succeeded) return { errorCode: ErrorCode.FEATURE_UPDATE_FAILED, message: 'The finalized features changed meanwhile; retry.' };
    await this.store.waitForView(() => JSON.stringify(this.view.features?.value) === value);
    return { errorCode: 0, message: null };
  }

  // ------------------------------------------------------------------ shutdown

  /**
   * Controlled shutdown: announce it, give up the controller role, and wait (bounded) until the
   * controller has moved every partition's leadership away from this broker.
   */
  async controlledShutdown(ledPartitions: () => number, timeoutMs: number): Promise<void> {
    if (this.#stopped || !this.#registration.leaseId) return;
    const started = Date.now();
    this.#o.logger.log('info', 'controlled shutdown: moving leadership away', { leads: ledPartitions() });
    try {
      await this.#registration.announceShutdown();
      await this.#controller.resign();
      await this.store.waitForView(() => ledPartitions() === 0 || this.#leadsNothingMovable(), timeoutMs);
      this.#o.logger.log('info', 'controlled shutdown: done', { stillLeads: ledPartitions(), ms: Date.now() - started });
    } catch (err) {
      this.#o.logger.log('warn', 'controlled shutdown incomplete', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  /** True when every partition this broker still leads has no other live ISR member to take over. */
  #leadsNothingMovable(): boolean {
    const live = this.view.liveBrokers();
    for (const [k, p] of this.view.partitions) {
      if (p.value.leader !== this.#o.nodeId) continue;
      if (p.value.isr.some((id) => id !== this.#o.nodeId && live.has(id))) return false;
      void k;
    }
    return true;
  }

  /** The broker is about to close its listeners: peers will see it go; losing the lease now is expected. */
  beginStop(): void {
    this.#registration.beginStop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#controller.stop();
    await this.#registration.stop();
    await this.store.stopWatching();
    this.store.close();
  }
}
