import { randomUUID } from 'node:crypto';
import { Etcd3, type Lease, type Namespace, type IKeyValue, type Watcher } from 'etcd3';
import { ApiKey, ErrorCode, type CreateTopicsResponse } from '@tributary/protocol';
import { BrokerConnection } from '@tributary/kafka-admin';
import { listenerFor, type Listener } from '../config/broker-config.ts';
import type { Logger } from '../logger.ts';
import { TopicError, topicNameProblem, type TopicRegistry, type TopicState } from '../topics/topic-registry.ts';
import type { BrokerInfo, ClusterMetadata, NewTopic, OngoingMove, PartitionInfo, PartitionMove, PartitionResult } from './cluster-metadata.ts';
import { ClusterView, clusterPrefix, keys, type BrokerRecord, type PartitionRecord, type TopicRecord } from './cluster-view.ts';
import { planPartitionChanges } from './controller-plan.ts';
import { electFor, ElectionType } from './elect-leaders.ts';
import { completion, parseReassignmentKey, planRequest, REASSIGNMENTS_PREFIX, reassignmentKey, validateTarget, type ReassignmentRecord } from './reassignment.ts';
import { assignReplicas } from './replica-assignment.ts';
import { PeerProbe } from './peer-probe.ts';

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
  /** How often the controller moves leadership back to preferred replicas; 0 disables it. */
  leaderRebalanceIntervalMs: number;
  /** Internal topics the controller creates once enough brokers are registered. */
  internalTopics: { name: string; partitions: number; replicationFactor: number; configs: Record<string, string> }[];
  /** Called (coalesced) after the view changed: the broker re-applies roles. */
  onChange: () => void;
  /** Declare a peer dead as soon as its port refuses connections (peer-probe.ts), not only when its lease expires. */
  probePeers: boolean;
}

const OPS_PER_TXN = 100; // etcd's default --max-txn-ops is 128

/**
 * Coordination through etcd, the role ZooKeeper plays for classic Kafka: this broker's
 * registration under a lease, the cluster view (loaded, then watched), controller election (a
 * leased key created only if absent; its create revision is the controller epoch, and every
 * controller write is guarded by it), and the controller's work: topic creation and deletion,
 * partition growth, leader elections after brokers fail or shut down.
 */
export class EtcdCluster implements ClusterMetadata {
  readonly clustered = true;
  readonly view = new ClusterView();
  readonly #o: EtcdClusterOptions;
  readonly #client: Etcd3;
  readonly #ns: Namespace;
  #lease: Lease | null = null;
  #leaseId = '';
  #watcher: Watcher | null = null;
  #controllerEpoch: string | null = null;
  #changeQueued = false;
  #controllerRunning = false;
  #controllerDirty = false;
  #rebalanceTimer: NodeJS.Timeout | null = null;
  #stopped = false;
  /** Until the view is loaded and watched, changes are only collected. */
  #started = false;
  #shuttingDown = false;
  readonly #viewListeners = new Set<() => void>();
  /** Lease of each broker's registration: revoking it removes a broker the probe found dead. */
  readonly #brokerLeases = new Map<number, string>();
  readonly #probe: PeerProbe | null;

  constructor(options: EtcdClusterOptions) {
    this.#o = options;
    this.#client = new Etcd3({ hosts: options.endpoints, dialTimeout: 5000 });
    this.#ns = this.#client.namespace(clusterPrefix(options.clusterId));
    this.#probe = options.probePeers ? new PeerProbe({ nodeId: options.nodeId, listenerName: options.interBrokerListener, onDead: (id) => void this.#revokeDead(id) }) : null;
  }

  /** A peer's process is gone: revoke its lease now, which removes its registration for everyone. */
  async #revokeDead(nodeId: number): Promise<void> {
    const lease = this.#brokerLeases.get(nodeId);
    if (!lease || this.#stopped) return;
    this.#o.logger.log('warn', 'peer refuses connections; revoking its registration', { peer: nodeId });
    try {
      await this.#ns.leaseClient.leaseRevoke({ ID: lease });
    } catch {
      // Already revoked (by another broker, or it expired): nothing to do.
    }
  }

  get isController(): boolean {
    return this.#controllerEpoch !== null && this.view.controller?.nodeId === this.#o.nodeId;
  }

  async start(): Promise<void> {
    // Registered before anything else: a broker must not fetch as a follower (and be taken into
    // ISRs) while the controller does not know it yet, or the controller takes it out again.
    await this.#register();
    const loaded = await this.#ns.getAll().prefix('').exec();
    for (const kv of loaded.kvs) this.#applyKv(kv, false);
    const watcher = await this.#ns.watch().prefix('').startRevision(String(BigInt(loaded.header.revision) + 1n)).create();
    watcher.on('put', (kv) => this.#applyKv(kv, false));
    watcher.on('delete', (kv) => this.#applyKv(kv, true));
    watcher.on('error', (err) => this.#o.logger.log('warn', 'etcd watch error', { error: err.message }));
    this.#watcher = watcher;
    this.#started = true;
    // The controller may have gone between our campaign and the load: then nobody would notice.
    if (!this.view.controller) await this.#campaign();
    if (this.#o.leaderRebalanceIntervalMs > 0) {
      this.#rebalanceTimer = setInterval(() => void this.#runController(true), this.#o.leaderRebalanceIntervalMs);
      this.#rebalanceTimer.unref();
    }
    this.#changed();
  }

  /** Lease, registration and a controller campaign; again after the lease is lost (e.g. a long pause). */
  async #register(): Promise<void> {
    const lease = this.#ns.lease(Math.max(1, Math.ceil(this.#o.sessionTimeoutMs / 1000)), { autoKeepAlive: true });
    this.#lease = lease;
    this.#leaseId = await lease.grant();
    lease.on('lost', (err) => {
      if (this.#stopped || this.#shuttingDown || lease !== this.#lease) return;
      this.#o.logger.log('warn', 'etcd lease lost; registering again', { error: err.message });
      this.#controllerEpoch = null;
      void this.#register().catch((e: unknown) => this.#o.logger.log('error', 'etcd registration failed', { error: String(e) }));
    });
    await this.#putRegistration();
    await this.#campaign();
  }

  async #putRegistration(): Promise<void> {
    const record: BrokerRecord = { nodeId: this.#o.nodeId, rack: this.#o.rack, listeners: this.#o.advertised, ...(this.#shuttingDown ? { shuttingDown: true } : {}) };
    await this.#ns.put(keys.broker(this.#o.nodeId)).value(JSON.stringify(record)).lease(this.#leaseId);
  }

  async #campaign(): Promise<void> {
    if (this.#stopped || this.#shuttingDown) return;
    const res = await this.#ns
      .if(keys.controller, 'Create', '==', 0)
      .then(this.#ns.put(keys.controller).value(JSON.stringify({ nodeId: this.#o.nodeId })).lease(this.#leaseId))
      .commit();
    if (res.succeeded) {
      this.#controllerEpoch = res.header.revision;
      this.#o.logger.log('info', 'elected controller', { controllerEpoch: this.#controllerEpoch });
      void this.#runController(false);
    }
  }

  #applyKv(kv: IKeyValue, deleted: boolean): void {
    const key = kv.key.toString();
    this.view.apply(key, deleted ? null : kv.value.toString(), kv.mod_revision, kv.create_revision);
    if (key.startsWith('brokers/')) {
      const id = Number(key.slice('brokers/'.length));
      if (deleted) this.#brokerLeases.delete(id);
      else if (kv.lease && kv.lease !== '0') this.#brokerLeases.set(id, kv.lease);
    }
    if (key === keys.controller) {
      // Another broker's key (or none): whatever we believed, we are not the controller of that epoch.
      if (this.view.controller?.epoch !== this.#controllerEpoch) this.#controllerEpoch = null;
      if (deleted && this.#leaseId) void this.#campaign().catch(() => undefined);
    }
    this.#changed();
  }

  /** Coalesces a burst of watch events into one re-application. */
  #changed(): void {
    if (this.#changeQueued || !this.#started) return;
    this.#changeQueued = true;
    queueMicrotask(() => {
      this.#changeQueued = false;
      if (this.#stopped) return;
      this.#syncTopics();
      this.#probe?.update(this.brokers());
      this.#o.onChange();
      for (const l of this.#viewListeners) l();
      if (this.isController) void this.#runController(false);
    });
  }

  /** Mirrors the cluster's topics into the local registry; logs exist for hosted partitions only. */
  #syncTopics(): void {
    for (const [name, t] of this.view.topics) {
      const hosted = t.value.replicas.map((r, p) => (r.includes(this.#o.nodeId) ? p : -1)).filter((p) => p >= 0);
      this.#o.topics.apply({ name, topicId: t.value.topicId, partitions: t.value.replicas.length, configs: t.value.configs }, hosted);
    }
    for (const t of this.#o.topics.list()) if (!this.view.topics.has(t.name)) this.#o.topics.forget(t.name);
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

  #requireController(): string {
    if (!this.isController || this.#controllerEpoch === null) throw new TopicError(ErrorCode.NOT_CONTROLLER, `broker ${this.#o.nodeId} is not the controller (controller: ${this.controllerId()})`);
    return this.#controllerEpoch;
  }

  async createTopic(topic: NewTopic, validateOnly: boolean, forward = false): Promise<TopicState> {
    if (forward && !this.isController) return this.#forwardCreate(topic);
    const epoch = this.#requireController();
    const problem = topicNameProblem(topic.name);
    if (problem) throw new TopicError(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
    if (this.view.topics.has(topic.name)) throw new TopicError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic "${topic.name}" already exists`);
    const live = [...this.view.brokers.values()].filter((b) => !b.shuttingDown).map((b) => ({ id: b.nodeId, rack: b.rack }));
    const assignment = topic.assignment ? { ok: true as const, replicas: topic.assignment } : assignReplicas(live, topic.partitions, topic.replicationFactor);
    if (!assignment.ok) {
      const code = assignment.error.code === 'INVALID_PARTITIONS' ? ErrorCode.INVALID_PARTITIONS : ErrorCode.INVALID_REPLICATION_FACTOR;
      throw new TopicError(code, assignment.error.code === 'INVALID_REPLICATION_FACTOR' && topic.replicationFactor > live.length ? `replication factor ${topic.replicationFactor} is larger than the ${live.length} available brokers` : assignment.error.message);
    }
    const record: TopicRecord = { name: topic.name, topicId: randomUUID(), configs: topic.configs, replicas: assignment.replicas.map((r) => [...r]) };
    const state = { name: record.name, topicId: record.topicId, partitions: record.replicas.length, configs: record.configs };
    if (validateOnly) return state;
    await this.#writePartitions(epoch, topic.name, record.replicas, 0);
    const res = await this.#guarded(epoch).and(keys.topic(topic.name), 'Version', '==', 0).then(this.#ns.put(keys.topic(topic.name)).value(JSON.stringify(record))).commit();
    if (!res.succeeded) throw new TopicError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic "${topic.name}" already exists or the controller moved`);
    await this.#waitForView(() => this.#o.topics.get(topic.name)?.topicId === record.topicId);
    this.#o.logger.log('info', 'topic created', { topic: topic.name, partitions: state.partitions, replicationFactor: topic.replicationFactor });
    return state;
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
    await this.#waitForView(() => this.#o.topics.get(topic.name) !== undefined, 5000);
    const state = this.#o.topics.get(topic.name);
    if (!state) throw new TopicError(ErrorCode.LEADER_NOT_AVAILABLE, `topic "${topic.name}" is being created`);
    return state;
  }

  async #writePartitions(epoch: string, name: string, replicas: number[][], first: number): Promise<void> {
    const live = this.view.liveBrokers();
    for (let start = first; start < replicas.length; start += OPS_PER_TXN) {
      const ops = replicas.slice(start, start + OPS_PER_TXN).map((r, i) => {
        const leader = r.find((id) => live.has(id)) ?? -1;
        const value: PartitionRecord = { leader, leaderEpoch: 0, isr: [...r] };
        return this.#ns.put(keys.partition(name, start + i)).value(JSON.stringify(value));
      });
      const res = await this.#guarded(epoch).then(...ops).commit();
      if (!res.succeeded) throw new TopicError(ErrorCode.NOT_CONTROLLER, 'this broker stopped being the controller');
    }
  }

  async deleteTopic(name: string): Promise<void> {
    const epoch = this.#requireController();
    if (!this.view.topics.has(name)) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist`);
    if (name.startsWith('__')) throw new TopicError(ErrorCode.INVALID_TOPIC_EXCEPTION, `internal topic "${name}" cannot be deleted`);
    const res = await this.#guarded(epoch).then(this.#ns.delete().key(keys.topic(name)), this.#ns.delete().prefix(keys.partitions(name)), this.#ns.delete().prefix(`${REASSIGNMENTS_PREFIX}${name}/`)).commit();
    if (!res.succeeded) throw new TopicError(ErrorCode.NOT_CONTROLLER, 'this broker stopped being the controller');
    await this.#waitForView(() => !this.#o.topics.get(name));
  }

  async addPartitions(name: string, count: number, validateOnly: boolean, assignment?: number[][]): Promise<void> {
    const epoch = this.#requireController();
    const t = this.view.topics.get(name);
    if (!t) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist`);
    const current = t.value.replicas.length;
    if (count <= current) throw new TopicError(ErrorCode.INVALID_PARTITIONS, `topic "${name}" has ${current} partitions; the new count ${count} must be larger`);
    const live = [...this.view.brokers.values()].filter((b) => !b.shuttingDown).map((b) => ({ id: b.nodeId, rack: b.rack }));
    const added = assignment ? { ok: true as const, replicas: assignment } : assignReplicas(live, count - current, t.value.replicas[0]!.length, current);
    if (!added.ok) throw new TopicError(added.error.code === 'INVALID_PARTITIONS' ? ErrorCode.INVALID_PARTITIONS : ErrorCode.INVALID_REPLICATION_FACTOR, added.error.message);
    if (validateOnly) return;
    const replicas = [...t.value.replicas, ...added.replicas.map((r) => [...r])];
    await this.#writePartitions(epoch, name, replicas, current);
    const res = await this.#guarded(epoch).and(keys.topic(name), 'Mod', '==', t.modRevision).then(this.#ns.put(keys.topic(name)).value(JSON.stringify({ ...t.value, replicas }))).commit();
    if (!res.succeeded) throw new TopicError(ErrorCode.REASSIGNMENT_IN_PROGRESS, `topic "${name}" changed meanwhile; retry`);
    await this.#waitForView(() => this.#o.topics.get(name)?.partitions === count);
  }

  /** Topic configs are not a controller decision: any broker writes them, guarded by the topic's revision. */
  async setTopicConfigs(name: string, configs: Record<string, string>): Promise<void> {
    const t = this.view.topics.get(name);
    if (!t) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist`);
    const res = await this.#ns.if(keys.topic(name), 'Mod', '==', t.modRevision).then(this.#ns.put(keys.topic(name)).value(JSON.stringify({ ...t.value, configs }))).commit();
    if (!res.succeeded) throw new TopicError(ErrorCode.CONCURRENT_TRANSACTIONS, `topic "${name}" changed meanwhile; retry`);
    await this.#waitForView(() => JSON.stringify(this.#o.topics.get(name)?.configs) === JSON.stringify(configs));
  }

  /** The leader's ISR change, refused when the partition moved on (new epoch or another write). */
  async writeIsr(topic: string, partition: number, leaderEpoch: number, isr: number[]): Promise<boolean> {
    const current = this.view.partitions.get(`${topic}/${partition}`);
    if (!current || current.value.leader !== this.#o.nodeId || current.value.leaderEpoch !== leaderEpoch) return false;
    const next: PartitionRecord = { ...current.value, isr };
    const res = await this.#ns.if(keys.partition(topic, partition), 'Mod', '==', current.modRevision).then(this.#ns.put(keys.partition(topic, partition)).value(JSON.stringify(next))).commit();
    if (res.succeeded) this.#o.logger.log('info', 'isr changed', { topic, partition, leaderEpoch, from: current.value.isr, to: isr });
    return res.succeeded;
  }

  /** Reserves `size` producer ids from the cluster-wide counter (compare-and-swap, retried on races). */
  async allocateProducerIds(size: bigint): Promise<bigint> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const current = await this.#ns.get(keys.producerIds).exec();
      const kv = current.kvs[0];
      const start = kv ? BigInt(kv.value.toString()) : 0n;
      const guard = kv ? this.#ns.if(keys.producerIds, 'Mod', '==', kv.mod_revision) : this.#ns.if(keys.producerIds, 'Version', '==', 0);
      const res = await guard.then(this.#ns.put(keys.producerIds).value(String(start + size))).commit();
      if (res.succeeded) return start;
    }
    throw new Error('could not reserve producer ids: too much contention');
  }

  /**
   * Writes (value) or deletes (null) keys in one transaction, then waits until this broker's view
   * shows them, so that the next request here reads its own write.
   */
  async writeKeys(changes: [string, string | null][]): Promise<void> {
    for (let i = 0; i < changes.length; i += OPS_PER_TXN) {
      const chunk = changes.slice(i, i + OPS_PER_TXN);
      await this.#ns
        .if(keys.controller, 'Version', '>', -1) // always true: etcd3's builder needs a comparison to run a transaction
        .then(...chunk.map(([k, v]) => (v === null ? this.#ns.delete().key(k) : this.#ns.put(k).value(v))))
        .commit();
    }
    await this.#waitForView(() => changes.every(([k, v]) => (this.view.raw.get(k) ?? null) === v), 5000);
  }

  #guarded(epoch: string) {
    return this.#ns.if(keys.controller, 'Create', '==', epoch);
  }

  #waitForView(done: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return;
        finish();
      };
      const finish = () => {
        clearTimeout(timer);
        this.#viewListeners.delete(check);
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.#viewListeners.add(check);
    });
  }

  // ------------------------------------------------------------------ controller

  /** One controller pass; passes never overlap, and a change during a pass triggers another. */
  async #runController(preferredLeaders: boolean): Promise<void> {
    // Elected during start() before the view is loaded: decisions wait for the loaded view (start() runs us then).
    if (!this.isController || this.#stopped || !this.#started) return;
    if (this.#controllerRunning) {
      this.#controllerDirty = true;
      return;
    }
    this.#controllerRunning = true;
    try {
      do {
        this.#controllerDirty = false;
        const epoch = this.#controllerEpoch;
        if (!epoch || !this.isController) return;
        await this.#ensureInternalTopics();
        const changes = planPartitionChanges(this.view, { uncleanLeaderElection: this.#o.uncleanLeaderElection, preferredLeaders });
        preferredLeaders = false;
        await this.#progressReassignments(epoch);
        await Promise.all(
          changes.map(async (c) => {
            const res = await this.#guarded(epoch).and(keys.partition(c.topic, c.partition), 'Mod', '==', c.modRevision).then(this.#ns.put(keys.partition(c.topic, c.partition)).value(JSON.stringify(c.next))).commit();
            if (res.succeeded) this.#o.logger.log('info', 'partition state changed', { topic: c.topic, partition: c.partition, reason: c.reason, leader: c.next.leader, leaderEpoch: c.next.leaderEpoch, isr: c.next.isr });
            else this.#controllerDirty = true; // the key moved (an ISR write): plan again from the new view
          }),
        );
        if (this.#controllerDirty) await new Promise((r) => setTimeout(r, 20));
      } while (this.#controllerDirty && !this.#stopped);
    } catch (err) {
      this.#o.logger.log('warn', 'controller pass failed', { error: err instanceof Error ? err.message : String(err) });
      if (!this.#stopped) setTimeout(() => void this.#runController(false), 500).unref();
    } finally {
      this.#controllerRunning = false;
    }
  }

  async #ensureInternalTopics(): Promise<void> {
    for (const t of this.#o.internalTopics) {
      if (this.view.topics.has(t.name)) continue;
      if (this.view.liveBrokers().size < t.replicationFactor) continue;
      try {
        await this.#createInternal(t);
      } catch (err) {
        this.#o.logger.log('warn', 'internal topic not created yet', { topic: t.name, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  async #createInternal(t: EtcdClusterOptions['internalTopics'][number]): Promise<void> {
    const epoch = this.#requireController();
    const live = [...this.view.brokers.values()].filter((b) => !b.shuttingDown).map((b) => ({ id: b.nodeId, rack: b.rack }));
    const assignment = assignReplicas(live, t.partitions, t.replicationFactor);
    if (!assignment.ok) throw new Error(assignment.error.message);
    const record: TopicRecord = { name: t.name, topicId: randomUUID(), configs: t.configs, replicas: assignment.replicas.map((r) => [...r]) };
    await this.#writePartitions(epoch, t.name, record.replicas, 0);
    await this.#guarded(epoch).and(keys.topic(t.name), 'Version', '==', 0).then(this.#ns.put(keys.topic(t.name)).value(JSON.stringify(record))).commit();
  }

  // ------------------------------------------------------------------ reassignment and elections

  reassignments(): OngoingMove[] {
    const out: OngoingMove[] = [];
    for (const [rest, value] of this.view.under(REASSIGNMENTS_PREFIX)) {
      const at = parseReassignmentKey(rest);
      if (at) out.push({ ...at, ...(JSON.parse(value) as ReassignmentRecord) });
    }
    return out;
  }

  #ongoing(topic: string, partition: number): ReassignmentRecord | undefined {
    const raw = this.view.raw.get(reassignmentKey(topic, partition));
    return raw === undefined ? undefined : (JSON.parse(raw) as ReassignmentRecord);
  }

  /**
   * Starts, replaces or cancels reassignments (reassignment.ts): per topic one transaction that
   * writes the moving replica sets into the topic record and the reassignment records beside it,
   * guarded by the controller epoch and the revisions it was planned from (re-planned on a race).
   */
  async alterReassignments(moves: PartitionMove[]): Promise<PartitionResult[]> {
    const epoch = this.#requireController();
    const results: PartitionResult[] = [];
    const byTopic = new Map<string, PartitionMove[]>();
    for (const m of moves) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
    for (const [topic, topicMoves] of byTopic) {
      for (let attempt = 0; ; attempt++) {
        const t = this.view.topics.get(topic);
        const planned: { move: PartitionMove; result: PartitionResult }[] = [];
        const registered = new Set(this.view.brokers.keys());
        const live = this.view.liveBrokers();
        const replicas = t ? t.value.replicas.map((r) => [...r]) : [];
        const ops = [];
        let guard = this.#guarded(epoch);
        for (const m of topicMoves) {
          const result: PartitionResult = { topic, partition: m.partition, errorCode: 0, message: null };
          planned.push({ move: m, result });
          const current = replicas[m.partition];
          const p = this.view.partitions.get(`${topic}/${m.partition}`);
          if (!t || !current || !p) {
            Object.assign(result, { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `Unable to find partition ${topic}-${m.partition}.` });
            continue;
          }
          const refusal = m.replicas ? validateTarget(m.replicas, registered) : null;
          const outcome = refusal ? { kind: 'refused' as const, refusal } : planRequest(current, this.#ongoing(topic, m.partition), m.replicas, p.value, live);
          if (outcome.kind === 'refused') {
            Object.assign(result, { errorCode: outcome.refusal.errorCode, message: outcome.refusal.message });
            continue;
          }
          replicas[m.partition] = outcome.replicas;
          const rKey = reassignmentKey(topic, m.partition);
          ops.push(outcome.record ? this.#ns.put(rKey).value(JSON.stringify(outcome.record)) : this.#ns.delete().key(rKey));
          if (outcome.partition) {
            guard = guard.and(keys.partition(topic, m.partition), 'Mod', '==', p.modRevision);
            ops.push(this.#ns.put(keys.partition(topic, m.partition)).value(JSON.stringify(outcome.partition)));
          }
        }
        if (t && ops.length > 0) {
          const res = await guard.and(keys.topic(topic), 'Mod', '==', t.modRevision).then(this.#ns.put(keys.topic(topic)).value(JSON.stringify({ ...t.value, replicas })), ...ops).commit();
          if (!res.succeeded) {
            if (!this.isController) throw new TopicError(ErrorCode.NOT_CONTROLLER, 'this broker stopped being the controller');
            if (attempt < 20) {
              await new Promise((r) => setTimeout(r, 50));
              continue;
            }
            for (const x of planned) if (x.result.errorCode === 0) Object.assign(x.result, { errorCode: ErrorCode.REASSIGNMENT_IN_PROGRESS, message: `topic "${topic}" kept changing; retry` });
          } else {
            await this.#waitForView(() => JSON.stringify(this.view.topics.get(topic)?.value.replicas) === JSON.stringify(replicas), 5000);
            this.#o.logger.log('info', 'reassignment requested', { topic, moves: planned.filter((x) => x.result.errorCode === 0).map((x) => ({ partition: x.move.partition, replicas: x.move.replicas })) });
          }
        }
        results.push(...planned.map((x) => x.result));
        break;
      }
    }
    return results;
  }

  /**
   * The controller's part of every ongoing reassignment: once all target replicas are in the ISR,
   * the target set takes over (replicas, ISR, leader if it moves) and the record goes, in one
   * guarded transaction per topic.
   */
  async #progressReassignments(epoch: string): Promise<void> {
    const live = this.view.liveBrokers();
    const done = new Map<string, { partition: number; replicas: number[]; next: PartitionRecord | undefined; modRevision: string }[]>();
    for (const r of this.reassignments()) {
      const p = this.view.partitions.get(`${r.topic}/${r.partition}`);
      if (!p) continue;
      const step = completion(r, p.value, live);
      if (step) done.set(r.topic, [...(done.get(r.topic) ?? []), { partition: r.partition, replicas: step.replicas, next: step.partition, modRevision: p.modRevision }]);
    }
    for (const [topic, steps] of done) {
      const t = this.view.topics.get(topic);
      if (!t) continue;
      const replicas = t.value.replicas.map((r) => [...r]);
      let guard = this.#guarded(epoch).and(keys.topic(topic), 'Mod', '==', t.modRevision);
      const ops = [];
      for (const s of steps) {
        replicas[s.partition] = s.replicas;
        ops.push(this.#ns.delete().key(reassignmentKey(topic, s.partition)));
        if (s.next) {
          guard = guard.and(keys.partition(topic, s.partition), 'Mod', '==', s.modRevision);
          ops.push(this.#ns.put(keys.partition(topic, s.partition)).value(JSON.stringify(s.next)));
        }
      }
      const res = await guard.then(this.#ns.put(keys.topic(topic)).value(JSON.stringify({ ...t.value, replicas })), ...ops).commit();
      if (res.succeeded) this.#o.logger.log('info', 'reassignment completed', { topic, partitions: steps.map((s) => ({ partition: s.partition, replicas: s.replicas, leader: s.next?.leader })) });
      else this.#controllerDirty = true; // an ISR or config write came between: plan again from the new view
    }
  }

  async electLeaders(electionType: number, partitions: { topic: string; partition: number }[] | null): Promise<PartitionResult[]> {
    const epoch = this.#requireController();
    const all = partitions === null;
    const targets = partitions ?? [...this.view.topics.values()].flatMap((t) => t.value.replicas.map((_, partition) => ({ topic: t.value.name, partition })));
    const results: PartitionResult[] = [];
    const written: [string, number][] = [];
    await Promise.all(
      targets.map(async ({ topic, partition }) => {
        for (let attempt = 0; ; attempt++) {
          const replicas = this.view.topics.get(topic)?.value.replicas[partition];
          const p = this.view.partitions.get(`${topic}/${partition}`);
          if (!replicas || !p) {
            results.push({ topic, partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `No such partition ${topic}-${partition}.` });
            return;
          }
          const outcome = electFor(electionType, replicas, p.value, this.view.liveBrokers());
          if (!outcome.ok) {
            // Electing everything, Kafka answers only for the partitions that needed an election.
            if (!(all && outcome.errorCode === ErrorCode.ELECTION_NOT_NEEDED)) results.push({ topic, partition, errorCode: outcome.errorCode, message: outcome.message });
            return;
          }
          const res = await this.#guarded(epoch).and(keys.partition(topic, partition), 'Mod', '==', p.modRevision).then(this.#ns.put(keys.partition(topic, partition)).value(JSON.stringify(outcome.next))).commit();
          if (res.succeeded) {
            this.#o.logger.log('info', 'partition state changed', { topic, partition, reason: electionType === ElectionType.UNCLEAN ? 'unclean-election' : 'preferred-election', leader: outcome.next.leader, leaderEpoch: outcome.next.leaderEpoch, isr: outcome.next.isr });
            results.push({ topic, partition, errorCode: 0, message: null });
            written.push([`${topic}/${partition}`, outcome.next.leaderEpoch]);
            return;
          }
          if (!this.isController) throw new TopicError(ErrorCode.NOT_CONTROLLER, 'this broker stopped being the controller');
          if (attempt >= 20) {
            results.push({ topic, partition, errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, message: 'the partition kept changing during the election; retry' });
            return;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      }),
    );
    // Answered once this broker's view shows the new leaders, so a metadata request here reads them.
    await this.#waitForView(() => written.every(([k, e]) => (this.view.partitions.get(k)?.value.leaderEpoch ?? -1) >= e), 5000);
    return results;
  }

  // ------------------------------------------------------------------ shutdown

  /**
   * Controlled shutdown: announce it, give up the controller role, and wait (bounded) until the
   * controller has moved every partition's leadership away from this broker.
   */
  async controlledShutdown(ledPartitions: () => number, timeoutMs: number): Promise<void> {
    if (this.#stopped || !this.#leaseId) return;
    this.#shuttingDown = true;
    const started = Date.now();
    this.#o.logger.log('info', 'controlled shutdown: moving leadership away', { leads: ledPartitions() });
    try {
      await this.#putRegistration();
      if (this.isController) {
        this.#controllerEpoch = null;
        await this.#ns.if(keys.controller, 'Lease', '==', this.#leaseId).then(this.#ns.delete().key(keys.controller)).commit();
      }
      await this.#waitForView(() => ledPartitions() === 0 || this.#leadsNothingMovable(), timeoutMs);
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
    this.#shuttingDown = true;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#probe?.stop();
    if (this.#rebalanceTimer) clearInterval(this.#rebalanceTimer);
    try {
      await this.#watcher?.cancel();
      // Revoking deletes the registration and the controller key at once, so others need not wait for the TTL.
      await this.#lease?.revoke();
    } catch {
      // etcd unreachable: the lease simply expires
    }
    this.#client.close();
  }
}
