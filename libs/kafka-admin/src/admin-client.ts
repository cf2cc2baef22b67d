import { ApiKey, ErrorCode, type ListOffsetsResponse, type ScramMechanismName } from '@tributary/protocol';
import { AdminError, type Acl, type AclFilter, type AdminConnectOptions, type FetchedPartition, type GroupDescription, type TopicMetadata, type TopicSpec } from './admin-types.ts';
import { BrokerClient } from './broker-client.ts';
import { ClusterRouter, ROUTING_ERRORS } from './cluster-router.ts';

type LogDirs = Awaited<ReturnType<BrokerClient['describeLogDirs']>>;

/**
 * A small Kafka admin client on @tributary/protocol, for the operator and the API's live reads.
 * It connects to one bootstrap broker and reaches the rest of the cluster through ClusterRouter
 * (the controller, coordinators and leaders, README's routing table); each request itself is
 * BrokerClient's, which negotiates its version from that broker's ApiVersions.
 */
export class KafkaAdminClient {
  readonly #router: ClusterRouter;

  private constructor(router: ClusterRouter) {
    this.#router = router;
  }

  static async connect(bootstrap: string, options: AdminConnectOptions = {}): Promise<KafkaAdminClient> {
    return new KafkaAdminClient(new ClusterRouter(await BrokerClient.connect(bootstrap, options), options));
  }

  close(): void {
    this.#router.close();
  }

  /** The bootstrap broker: requests any broker answers for the whole cluster go there. */
  get #here(): BrokerClient {
    return this.#router.bootstrap;
  }

  /** The highest version of an API both this client and the bootstrap broker speak. */
  version(apiKey: number): number {
    return this.#here.version(apiKey);
  }

  async metadata(topics: string[] | null = null): Promise<{ clusterId: string | null; controllerId: number; brokers: { nodeId: number; host: string; port: number; rack: string | null }[]; topics: TopicMetadata[] }> {
    return this.#here.metadata(topics);
  }

  // ---- On the controller ------------------------------------------------------------------------

  /** Creates topics on the controller; resolves with one entry per topic: null on success, the AdminError otherwise. */
  async createTopics(specs: TopicSpec[], validateOnly = false): Promise<Map<string, AdminError | null>> {
    return this.#router.onController(specs, (s) => s.name, (c, pending) => c.createTopics(pending, validateOnly));
  }

  /** Deletes topics on the controller; one entry per topic: null on success, the AdminError otherwise. */
  async deleteTopics(names: string[]): Promise<Map<string, AdminError | null>> {
    return this.#router.onController(names, (n) => n, (c, pending) => c.deleteTopics(pending));
  }

  /** Grows a topic to `count` partitions, on the controller. */
  async createPartitions(topic: string, count: number): Promise<void> {
    await this.#router.routed(() => this.#router.controller(), (c) => c.createPartitions(topic, count));
  }

  /**
   * Starts (replicas) or cancels (null) partition reassignments on the controller (KIP-455); one
   * entry per `topic-partition`: null when accepted, the AdminError otherwise.
   */
  /**
   * Starts or cancels (null replicas) reassignments on the controller. `allowReplicationFactorChange`
   * false (v1, KIP-860) has the controller refuse a move that would change a partition's replica
   * count with INVALID_REPLICATION_FACTOR.
   */
  async alterPartitionReassignments(moves: { topic: string; partition: number; replicas: number[] | null }[], options: { allowReplicationFactorChange?: boolean } = {}): Promise<Map<string, AdminError | null>> {
    const allow = options.allowReplicationFactorChange ?? true;
    return this.#router.onController(moves, (m) => `${m.topic}-${m.partition}`, (c, pending) => c.alterPartitionReassignments(pending, allow));
  }

  /** Partitions being reassigned: their moving replica set and the replicas being added and removed. */
  async listPartitionReassignments(): Promise<{ topic: string; partition: number; replicas: number[]; adding: number[]; removing: number[] }[]> {
    return this.#here.listPartitionReassignments();
  }

  // ---- On each partition's leader ---------------------------------------------------------------

  /** Offsets per partition, each asked of the partition's leader: 'earliest', 'latest', or the first offset at/after a timestamp (ms). */
  async listOffsets(topic: string, partitions: number[], at: 'earliest' | 'latest' | number): Promise<Map<number, bigint>> {
    const out = new Map<number, bigint>();
    await this.#router.onLeaders(topic, partitions, (p) => p, async (c, ps) => {
      for (const [p, offset] of await c.listOffsets(topic, ps, at)) out.set(p, offset);
      return [];
    });
    return out;
  }

  // Records: Fetch and Produce for clients that read or write a few partitions directly (the API's
  // message browser). No consumer group, no assignment: exact offsets, bounded bytes.

  /**
   * Fetches from each partition's leader, in one Fetch per leader. `maxBytes` bounds each
   * partition's answer (KIP-74: the first batch comes whole even when larger, as Kafka does).
   * Per-partition Kafka errors come back as data (`errorCode`); leadership errors are re-routed.
   */
  async fetchRecords(topic: string, partitions: { partition: number; offset: bigint; maxBytes: number }[], options: { maxWaitMs?: number; isolationLevel?: 0 | 1 } = {}): Promise<Map<number, FetchedPartition>> {
    const out = new Map<number, FetchedPartition>();
    await this.#router.onLeaders(
      topic,
      partitions,
      (p) => p.partition,
      async (c, ps, last) => {
        const again: typeof partitions = [];
        for (const [p, data] of await c.fetch(topic, ps, options)) {
          if (!last && ROUTING_ERRORS.has(data.errorCode)) again.push(ps.find((x) => x.partition === p)!);
          else out.set(p, data);
        }
        return again;
      },
      (p) => out.set(p.partition, { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, records: null }),
    );
    return out;
  }

  /**
   * Writes one record batch to a partition's leader. Only a batch of an idempotent producer
   * (producerId ≥ 0) is re-sent after a lost connection: its sequence makes a second copy a
   * duplicate the broker answers with the first offset; any other batch is sent once.
   */
  async produceBatch(topic: string, partition: number, batch: Buffer, options: { acks?: -1 | 1; timeoutMs?: number; idempotent?: boolean } = {}): Promise<{ baseOffset: bigint; logAppendTimeMs: bigint }> {
    const leader = async () => {
      const { leaders, brokers } = await this.#router.leaders(topic);
      const id = leaders.get(partition);
      if (id === undefined) throw new AdminError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${partition}`);
      if (id < 0) throw new AdminError(ErrorCode.LEADER_NOT_AVAILABLE, `${topic}-${partition}`);
      return this.#router.clientFor(id, brokers);
    };
    return this.#router.routed(leader, (c) => c.produce(topic, partition, batch, options), (err, c) => (err instanceof AdminError ? ROUTING_ERRORS.has(err.code) : options.idempotent === true && this.#router.shouldReroute(err, c)));
  }

  /** Size of each partition of a topic as its leader holds it (-1 for a partition without a leader). */
  async partitionSizes(topic: string): Promise<Map<number, bigint>> {
    const { leaders, brokers } = await this.#router.leaders(topic);
    const byLeader = new Map<number, number[]>();
    for (const [p, leader] of leaders) byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
    const out = new Map<number, bigint>();
    await Promise.all(
      [...byLeader].map(async ([leader, ps]) => {
        if (leader < 0) return ps.forEach((p) => out.set(p, -1n));
        const dirs = await (await this.#router.clientFor(leader, brokers)).describeLogDirs([{ topic, partitions: ps }]);
        for (const d of dirs) for (const p of d.partitions) if (p.topic === topic && ps.includes(p.partition)) out.set(p.partition, p.sizeBytes);
      }),
    );
    return out;
  }

  // ---- On the group's coordinator ---------------------------------------------------------------

  async describeGroup(groupId: string): Promise<GroupDescription> {
    return this.#router.routed(() => this.#router.coordinator(groupId), (c) => c.describeGroup(groupId));
  }

  /** Committed offsets of a group, from its coordinator (all its partitions when `topics` is omitted); -1 means none. */
  async committedOffsets(groupId: string, topics: { topic: string; partitions: number[] }[] | null = null): Promise<{ topic: string; partition: number; offset: bigint }[]> {
    return this.#router.routed(() => this.#router.coordinator(groupId), (c) => c.committedOffsets(groupId, topics));
  }

  /**
   * Sets a group's committed offsets on its coordinator, as an offset reset does. Kafka accepts this
   * only while the group has no members; the broker answers UNKNOWN_MEMBER_ID otherwise.
   */
  async commitOffsets(groupId: string, offsets: { topic: string; partition: number; offset: bigint }[]): Promise<void> {
    await this.#router.routed(() => this.#router.coordinator(groupId), (c) => c.commitOffsets(groupId, offsets));
  }

  /** Deletes groups, each on its coordinator; one entry per group: null on success, the AdminError otherwise. */
  async deleteGroups(groupIds: string[]): Promise<Map<string, AdminError | null>> {
    const out = new Map<string, AdminError | null>();
    for (const groupId of groupIds) {
      const result = await this.#router
        .routed(
          () => this.#router.coordinator(groupId),
          async (c) => {
            const err = (await c.deleteGroups([groupId])).get(groupId) ?? null;
            if (err && ROUTING_ERRORS.has(err.code)) throw err;
            return err;
          },
        )
        .catch((err: unknown) => {
          if (err instanceof AdminError) return err;
          throw err;
        });
      out.set(groupId, result);
    }
    return out;
  }

  // ---- On every broker --------------------------------------------------------------------------

  /** Groups of the whole cluster: each broker lists the groups it coordinates. */
  async listGroups(): Promise<{ groupId: string; protocolType: string; state: string | null }[]> {
    const { brokers } = await this.#here.metadata([]);
    const lists = await Promise.all(brokers.map(async (b) => (await this.#router.clientFor(b.nodeId, brokers)).listGroups()));
    const byId = new Map(lists.flat().map((g) => [g.groupId, g]));
    return [...byId.values()];
  }

  /** DescribeLogDirs of every broker of the cluster, by node id (a replica's size is on each broker that holds it). */
  async describeLogDirsByBroker(topics: { topic: string; partitions: number[] }[] | null = null): Promise<Map<number, LogDirs>> {
    const { brokers } = await this.#here.metadata([]);
    const entries = await Promise.all(brokers.map(async (b) => [b.nodeId, await (await this.#router.clientFor(b.nodeId, brokers)).describeLogDirs(topics)] as const));
    return new Map(entries);
  }

  /**
   * Every partition of the cluster (internal topics included) with its leader, latest offset and the
   * leader's log size: one Metadata, then one ListOffsets and one DescribeLogDirs per leader, however
   * many topics there are (a sampler reading a thousand topics asks each broker twice, not a thousand
   * times). A partition without a leader, or one its leader refuses (moving meanwhile), is left out:
   * this is a snapshot for statistics, not a read that must be whole.
   */
  async partitionSnapshot(): Promise<{ topic: string; partition: number; leader: number; endOffset: bigint; sizeBytes: bigint }[]> {
    const md = await this.#here.metadata(null);
    const byLeader = new Map<number, { topic: string; partitions: number[] }[]>();
    for (const t of md.topics) {
      for (const p of t.partitions) {
        if (p.leader < 0) continue;
        const list = byLeader.get(p.leader) ?? [];
        const entry = list.find((e) => e.topic === t.name) ?? (list.push({ topic: t.name, partitions: [] }), list[list.length - 1]!);
        entry.partitions.push(p.partition);
        byLeader.set(p.leader, list);
      }
    }
    const out: { topic: string; partition: number; leader: number; endOffset: bigint; sizeBytes: bigint }[] = [];
    await Promise.all(
      [...byLeader].map(async ([leader, topics]) => {
        const client = await this.#router.clientFor(leader, md.brokers);
        const [[offsets], dirs] = await Promise.all([
          client.call<ListOffsetsResponse>(ApiKey.ListOffsets, (v) => ({
            replicaId: -1,
            topics: topics.map((t) => ({ name: t.topic, partitions: t.partitions.map((partitionIndex) => ({ partitionIndex, timestamp: -1n, ...(v === 0 ? { maxNumOffsets: 1 } : {}) })) })),
          })),
          client.describeLogDirs(topics),
        ]);
        const sizes = new Map<string, bigint>();
        for (const d of dirs) for (const p of d.partitions) sizes.set(`${p.topic}\u0000${p.partition}`, p.sizeBytes);
        for (const t of offsets.topics) {
          for (const p of t.partitions) {
            const size = sizes.get(`${t.name}\u0000${p.partitionIndex}`);
            if (p.errorCode === 0 && size !== undefined) out.push({ topic: t.name, partition: p.partitionIndex, leader, endOffset: p.offset, sizeBytes: size });
          }
        }
      }),
    );
    return out;
  }

  /** Partitions (internal topics included) whose ISR is smaller than their replica set, or that have no leader. */
  async underReplicatedPartitions(): Promise<{ topic: string; partition: number; leader: number; replicas: number[]; isr: number[] }[]> {
    const md = await this.#here.metadata(null);
    return md.topics.flatMap((t) => t.partitions.filter((p) => p.leader < 0 || p.isr.length < p.replicas.length).map((p) => ({ topic: t.name, ...p })));
  }

  // ---- Configs ----------------------------------------------------------------------------------

  /** A topic's effective configs: value and whether it is the broker default. */
  async describeTopicConfigs(topic: string): Promise<Record<string, { value: string | null; isDefault: boolean }>> {
    return this.#here.describeTopicConfigs(topic);
  }

  /** Sets (value) or removes (null) topic config overrides, leaving the others as they are. */
  async alterTopicConfigs(topic: string, changes: Record<string, string | null>): Promise<void> {
    return this.#here.alterTopicConfigs(topic, changes);
  }

  /**
   * Sets (value) or removes (null) dynamic configs of one broker (its id) or of the cluster default
   * (null), e.g. the replication throttle rates (KIP-73) a reassignment runs under.
   */
  async alterBrokerConfigs(broker: number | null, changes: Record<string, string | null>): Promise<void> {
    // As in Kafka, one broker's configs are that broker's to change (the default: any broker's).
    return (broker === null ? this.#here : await this.#router.clientFor(broker)).alterBrokerConfigs(broker, changes);
  }

  /**
   * The dynamic configs in effect on one broker (its id: its own, else the cluster default's) or the
   * cluster default (null): name → value.
   */
  async describeDynamicBrokerConfigs(broker: number | null): Promise<Record<string, string>> {
    return (broker === null ? this.#here : await this.#router.clientFor(broker)).describeDynamicBrokerConfigs(broker);
  }

  /**
   * Partition sizes in the bootstrap broker's log directories (all topics when `topics` is null).
   * Sizes are per broker: with replication, ask each broker for its replicas (describeLogDirsByBroker).
   */
  async describeLogDirs(topics: { topic: string; partitions: number[] }[] | null = null): Promise<LogDirs> {
    return this.#here.describeLogDirs(topics);
  }

  // ---- Security and quotas (any broker answers for the cluster) ---------------------------------

  /**
   * Creates or replaces users' SCRAM credentials (and deletes others). As Kafka's own admin client
   * does, the salt and salted password are computed here: the password never leaves this process.
   */
  async alterUserScramCredentials(upsertions: { user: string; mechanism: ScramMechanismName; password: string; iterations?: number }[], deletions: { user: string; mechanism: ScramMechanismName }[] = []): Promise<Map<string, AdminError | null>> {
    return this.#here.alterUserScramCredentials(upsertions, deletions);
  }

  /**
   * Applies credentials whose salt and salted password were computed elsewhere (the control plane
   * keeps them so that it can re-apply a user; the password itself is long gone).
   */
  async upsertScramCredentials(credentials: { user: string; mechanism: ScramMechanismName; iterations: number; salt: Buffer; saltedPassword: Buffer }[], deletions: { user: string; mechanism: ScramMechanismName }[] = []): Promise<Map<string, AdminError | null>> {
    return this.#here.upsertScramCredentials(credentials, deletions);
  }

  /** Mechanisms and iterations of each user's credentials (all users when `users` is null). */
  async describeUserScramCredentials(users: string[] | null = null): Promise<Map<string, { mechanism: ScramMechanismName; iterations: number }[] | AdminError>> {
    return this.#here.describeUserScramCredentials(users);
  }

  /** Creates ACLs; resolves with one entry per ACL in order: null on success, the AdminError otherwise. */
  async createAcls(acls: Acl[]): Promise<(AdminError | null)[]> {
    return this.#here.createAcls(acls);
  }

  async describeAcls(filter: AclFilter = {}): Promise<Acl[]> {
    return this.#here.describeAcls(filter);
  }

  /** Deletes every ACL each filter matches; resolves with how many each filter removed. */
  async deleteAcls(filters: AclFilter[]): Promise<number[]> {
    return this.#here.deleteAcls(filters);
  }

  /**
   * Sets (number) or removes (null) client-quota values of one entity: `{ user }`, `{ clientId }` or
   * both, or `{ group }`; a null name is Kafka's `<default>` entity of that type.
   */
  async alterClientQuotas(entity: { user?: string | null; clientId?: string | null } | { group: string }, values: Record<string, number | null>): Promise<void> {
    return this.#here.alterClientQuotas(entity, values);
  }

  /** Client-quota entities and their values (BrokerClient.describeClientQuotas has the filter rules). */
  async describeClientQuotas(filter: { user?: string | null; clientId?: string | null; group?: string | null; strict?: boolean } = {}): Promise<{ entity: { user?: string | null; clientId?: string | null; group?: string | null }; values: Record<string, number> }[]> {
    return this.#here.describeClientQuotas(filter);
  }

  /** The broker coordinating a consumer group or a transactional id (FindCoordinator). */
  async findCoordinator(key: string, keyType: 'group' | 'transaction'): Promise<{ nodeId: number; host: string; port: number }> {
    return this.#here.findCoordinator(key, keyType);
  }
}
