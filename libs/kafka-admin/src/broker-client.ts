import {
  AlterConfigOp,
  API_DEFINITIONS,
  ApiKey,
  ConfigResourceType,
  ConfigSource,
  ErrorCode,
  type AlterPartitionReassignmentsResponse,
  type ApiVersionsResponse,
  type ListPartitionReassignmentsResponse,
  type CreatePartitionsResponse,
  type CreateTopicsResponse,
  type DeleteGroupsResponse,
  type DeleteTopicsResponse,
  type DescribeConfigsResponse,
  type DescribeGroupsResponse,
  type FindCoordinatorResponse,
  type DescribeLogDirsResponse,
  type CreateAclsResponse,
  type AlterClientQuotasResponse,
  type DescribeClientQuotasResponse,
  type DeleteAclsResponse,
  type DescribeAclsResponse,
  type AlterUserScramCredentialsResponse,
  type DescribeUserScramCredentialsResponse,
  type SaslAuthenticateResponse,
  type SaslHandshakeResponse,
  type ScramMechanismName,
  saltedPassword,
  ScramClient,
  scramMechanismId,
  SCRAM_MECHANISM_IDS,
  type IncrementalAlterConfigsResponse,
  type ListGroupsResponse,
  type ListOffsetsResponse,
  type MetadataResponse,
  type OffsetCommitResponse,
  type OffsetFetchResponse,
  type FetchResponse,
  type ProduceResponse,
} from '@tributary/protocol';
import { randomBytes } from 'node:crypto';
import { BrokerConnection } from './connection.ts';
import { AclCodes, AdminError, type Acl, type AclFilter, type AclOperationName, type AdminConnectOptions, type FetchedPartition, type GroupDescription, type SaslCredentials, type TopicMetadata, type TopicSpec } from './admin-types.ts';


/**
 * The highest version this client's requests were written for, where the codecs (Kafka 4.4's
 * specs) know newer ones: OffsetCommit v10 and OffsetFetch v10 name topics by id, Metadata v13 and
 * the others change fields this client does not set or read yet. Raise an entry when the request
 * code fills the new version's fields; Apache Kafka 4.4 offers them all, so without this cap the
 * client would send them there.
 */
const WRITTEN_FOR: Partial<Record<number, number>> = {
  [ApiKey.Metadata]: 12,
  [ApiKey.ListOffsets]: 10,
  [ApiKey.OffsetCommit]: 9,
  [ApiKey.OffsetFetch]: 9,
  [ApiKey.DescribeGroups]: 5,
  [ApiKey.DeleteGroups]: 2,
  [ApiKey.DescribeLogDirs]: 4,
  [ApiKey.AlterPartitionReassignments]: 1,
};

const nameOf = <T extends Record<string, number>>(table: T, code: number): keyof T => Object.entries(table).find(([, c]) => c === code)![0] as keyof T;

/**
 * A Kafka admin connection to one broker: ApiVersions, the SASL login, and every admin request as
 * that broker answers it. It never decides which broker should answer: cluster-router.ts does, and
 * KafkaAdminClient (admin-client.ts) puts the two together.
 */
export class BrokerClient {
  readonly #conn: BrokerConnection;
  readonly #versions: Map<number, { min: number; max: number }>;
  /** host:port this client was opened to (the router's key for it). */
  readonly address: string;

  private constructor(conn: BrokerConnection, versions: Map<number, { min: number; max: number }>, address: string) {
    this.#conn = conn;
    this.#versions = versions;
    this.address = address;
  }

  static async connect(address: string, options: AdminConnectOptions = {}): Promise<BrokerClient> {
    const [host, port] = splitHostPort(address);
    const conn = await BrokerConnection.open(host, port, options.clientId ?? 'tributary-admin', options.timeoutMs, options.tls ?? null);
    try {
      const res = await conn.send<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName: 'tributary-admin', clientSoftwareVersion: '0.1.0' });
      if (res.errorCode !== 0) throw new AdminError(res.errorCode, 'ApiVersions');
      const client = new BrokerClient(conn, new Map(res.apiKeys.map((k) => [k.apiKey, { min: k.minVersion, max: k.maxVersion }])), address);
      if (options.sasl) await client.#login(options.sasl);
      return client;
    } catch (err) {
      conn.close();
      throw err;
    }
  }

  get closed(): boolean {
    return this.#conn.closed;
  }

  close(): void {
    this.#conn.close();
  }

  /** SaslHandshake v1 then SaslAuthenticate (KIP-152), SCRAM with the server's signature checked. */
  async #login(sasl: SaslCredentials): Promise<void> {
    const handshake = await this.#conn.send<SaslHandshakeResponse>(ApiKey.SaslHandshake, 1, { mechanism: sasl.mechanism });
    if (handshake.errorCode !== 0) throw new AdminError(handshake.errorCode, 'SaslHandshake', `broker offers ${handshake.mechanisms.join(', ')}`);
    const v = this.version(ApiKey.SaslAuthenticate);
    const step = async (authBytes: Buffer): Promise<Buffer> => {
      const res = await this.#conn.send<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, v, { authBytes });
      if (res.errorCode !== 0) throw new AdminError(res.errorCode, 'SaslAuthenticate', res.errorMessage);
      return res.authBytes;
    };
    if (sasl.mechanism === 'PLAIN') {
      await step(Buffer.from(`\u0000${sasl.username}\u0000${sasl.password}`));
      return;
    }
    const scram = new ScramClient(sasl.mechanism, sasl.username, sasl.password);
    const serverFirst = await step(scram.first());
    scram.verify(await step(scram.final(serverFirst)));
  }

  /** The highest version both sides speak; throws when the broker does not offer the API. */
  version(apiKey: number): number {
    const theirs = this.#versions.get(apiKey);
    const ours = API_DEFINITIONS.get(apiKey)!.request;
    if (!theirs) throw new AdminError(ErrorCode.UNSUPPORTED_VERSION, API_DEFINITIONS.get(apiKey)!.name, 'the broker does not offer this API');
    const v = Math.min(theirs.max, WRITTEN_FOR[apiKey] ?? ours.maxVersion);
    if (v < Math.max(theirs.min, ours.minVersion)) throw new AdminError(ErrorCode.UNSUPPORTED_VERSION, API_DEFINITIONS.get(apiKey)!.name, 'no common version');
    return v;
  }

  /** Sends one request at the negotiated version; `body` may depend on it. */
  async call<T>(apiKey: number, body: (v: number) => unknown): Promise<[T, number]> {
    const v = this.version(apiKey);
    return [await this.#conn.send<T>(apiKey, v, body(v)), v];
  }

  async metadata(topics: string[] | null = null): Promise<{ clusterId: string | null; controllerId: number; brokers: { nodeId: number; host: string; port: number; rack: string | null }[]; topics: TopicMetadata[] }> {
    const [res] = await this.call<MetadataResponse>(ApiKey.Metadata, (v) => ({
      topics: topics === null ? (v === 0 ? [] : null) : topics.map((name) => ({ name })),
      ...(v >= 4 ? { allowAutoTopicCreation: false } : {}),
    }));
    for (const t of res.topics) if (t.errorCode !== 0) throw new AdminError(t.errorCode, `topic ${t.name}`);
    return {
      clusterId: res.clusterId,
      controllerId: res.controllerId,
      brokers: res.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null })),
      topics: res.topics.map((t) => ({
        name: t.name ?? '',
        topicId: t.topicId,
        internal: t.isInternal,
        partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, replicas: p.replicaNodes, isr: p.isrNodes })).sort((a, b) => a.partition - b.partition),
      })),
    };
  }

  /** Creates topics (the broker must be the controller); resolves with one entry per topic: null on success, the AdminError otherwise. */
  async createTopics(specs: TopicSpec[], validateOnly = false): Promise<Map<string, AdminError | null>> {
    const [res] = await this.call<CreateTopicsResponse>(ApiKey.CreateTopics, (v) => ({
      topics: specs.map((s) => ({ name: s.name, numPartitions: s.partitions, replicationFactor: s.replicationFactor, assignments: [], configs: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })) })),
      timeoutMs: 30_000,
      ...(v >= 1 ? { validateOnly } : {}),
    }));
    return new Map(res.topics.map((t) => [t.name, t.errorCode === 0 ? null : new AdminError(t.errorCode, `topic ${t.name}`, t.errorMessage)]));
  }

  async deleteTopics(names: string[]): Promise<Map<string, AdminError | null>> {
    const [res] = await this.call<DeleteTopicsResponse>(ApiKey.DeleteTopics, (v) => (v >= 6 ? { topics: names.map((name) => ({ name })), timeoutMs: 30_000 } : { topicNames: names, timeoutMs: 30_000 }));
    return new Map(res.responses.map((r) => [r.name ?? '', r.errorCode === 0 ? null : new AdminError(r.errorCode, `topic ${r.name}`, r.errorMessage)]));
  }

  async createPartitions(topic: string, count: number): Promise<void> {
    const [res] = await this.call<CreatePartitionsResponse>(ApiKey.CreatePartitions, () => ({ topics: [{ name: topic, count, assignments: null }], timeoutMs: 30_000, validateOnly: false }));
    const r = res.results[0]!;
    if (r.errorCode !== 0) throw new AdminError(r.errorCode, `topic ${topic}`, r.errorMessage);
  }

  /** `allowReplicationFactorChange` false (v1, KIP-860): the controller refuses moves that change a replica count; a broker offering only v0 ignores it. */
  async alterPartitionReassignments(moves: { topic: string; partition: number; replicas: number[] | null }[], allowReplicationFactorChange = true): Promise<Map<string, AdminError | null>> {
    const topics = [...new Set(moves.map((m) => m.topic))].map((name) => ({ name, partitions: moves.filter((m) => m.topic === name).map((m) => ({ partitionIndex: m.partition, replicas: m.replicas })) }));
    const [res] = await this.call<AlterPartitionReassignmentsResponse>(ApiKey.AlterPartitionReassignments, () => ({ timeoutMs: 30_000, allowReplicationFactorChange, topics }));
    if (res.errorCode !== 0) return new Map(moves.map((m) => [`${m.topic}-${m.partition}`, new AdminError(res.errorCode, 'cluster', res.errorMessage)]));
    const out = new Map<string, AdminError | null>();
    for (const t of res.responses) for (const p of t.partitions) out.set(`${t.name}-${p.partitionIndex}`, p.errorCode === 0 ? null : new AdminError(p.errorCode, `partition ${t.name}-${p.partitionIndex}`, p.errorMessage));
    return out;
  }

  /** Partitions being reassigned: their moving replica set and the replicas being added and removed. */
  async listPartitionReassignments(): Promise<{ topic: string; partition: number; replicas: number[]; adding: number[]; removing: number[] }[]> {
    const [res] = await this.call<ListPartitionReassignmentsResponse>(ApiKey.ListPartitionReassignments, () => ({ timeoutMs: 30_000, topics: null }));
    if (res.errorCode !== 0) throw new AdminError(res.errorCode, 'cluster', res.errorMessage);
    return res.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas, adding: p.addingReplicas, removing: p.removingReplicas })));
  }

  /** Offsets per partition: 'earliest', 'latest', or the first offset at/after a timestamp (ms). */
  async listOffsets(topic: string, partitions: number[], at: 'earliest' | 'latest' | number): Promise<Map<number, bigint>> {
    const timestamp = at === 'earliest' ? -2n : at === 'latest' ? -1n : BigInt(at);
    const [res] = await this.call<ListOffsetsResponse>(ApiKey.ListOffsets, (v) => ({
      replicaId: -1,
      topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp, ...(v === 0 ? { maxNumOffsets: 1 } : {}) })) }],
    }));
    const out = new Map<number, bigint>();
    for (const p of res.topics[0]?.partitions ?? []) {
      if (p.errorCode !== 0) throw new AdminError(p.errorCode, `${topic}-${p.partitionIndex}`);
      out.set(p.partitionIndex, p.offset);
    }
    return out;
  }

  async fetch(topic: string, partitions: { partition: number; offset: bigint; maxBytes: number }[], options: { maxWaitMs?: number; isolationLevel?: 0 | 1 }): Promise<Map<number, FetchedPartition>> {
    // v12 is the last version that names topics (v13 carries topic ids only).
    const v = Math.min(this.version(ApiKey.Fetch), 12);
    const total = partitions.reduce((n, p) => n + p.maxBytes, 0);
    const res = await this.#conn.send<FetchResponse>(ApiKey.Fetch, v, {
      replicaId: -1, maxWaitMs: options.maxWaitMs ?? 0, minBytes: options.maxWaitMs ? 1 : 0, maxBytes: Math.min(total, 0x7fffffff), isolationLevel: options.isolationLevel ?? 0,
      sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, partitions: partitions.map((p) => ({ partition: p.partition, currentLeaderEpoch: -1, fetchOffset: p.offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: p.maxBytes })) }],
      forgottenTopicsData: [], rackId: '',
    });
    if (res.errorCode !== 0) throw new AdminError(res.errorCode, `fetch ${topic}`);
    const out = new Map<number, FetchedPartition>();
    for (const t of res.responses) {
      for (const p of t.partitions) {
        const records = p.records === null ? null : Array.isArray(p.records) ? Buffer.concat(p.records) : p.records;
        out.set(p.partitionIndex, { errorCode: p.errorCode, highWatermark: p.highWatermark, lastStableOffset: p.lastStableOffset, logStartOffset: p.logStartOffset, records });
      }
    }
    return out;
  }

  async produce(topic: string, partition: number, batch: Buffer, options: { acks?: -1 | 1; timeoutMs?: number }): Promise<{ baseOffset: bigint; logAppendTimeMs: bigint }> {
    // v11 and below name topics (v13 carries topic ids).
    const v = Math.min(this.version(ApiKey.Produce), 11);
    const res = await this.#conn.send<ProduceResponse>(ApiKey.Produce, v, {
      transactionalId: null, acks: options.acks ?? -1, timeoutMs: options.timeoutMs ?? 10_000,
      topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
    });
    const p = res.responses[0]?.partitionResponses[0];
    if (!p) throw new AdminError(ErrorCode.UNKNOWN_SERVER_ERROR, `${topic}-${partition}`, 'no partition in the produce response');
    if (p.errorCode !== 0) throw new AdminError(p.errorCode, `${topic}-${partition}`, p.errorMessage ?? p.recordErrors[0]?.batchIndexErrorMessage);
    return { baseOffset: p.baseOffset, logAppendTimeMs: p.logAppendTimeMs };
  }

  async listGroups(): Promise<{ groupId: string; protocolType: string; state: string | null }[]> {
    const [res, v] = await this.call<ListGroupsResponse>(ApiKey.ListGroups, () => ({}));
    if (res.errorCode !== 0) throw new AdminError(res.errorCode, 'ListGroups');
    return res.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, state: v >= 4 ? g.groupState : null }));
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    const [res] = await this.call<DescribeGroupsResponse>(ApiKey.DescribeGroups, () => ({ groups: [groupId] }));
    const g = res.groups[0]!;
    if (g.errorCode !== 0) throw new AdminError(g.errorCode, `group ${groupId}`);
    return { groupId, state: g.groupState, protocolType: g.protocolType, protocol: g.protocolData, members: g.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, host: m.clientHost, assignment: m.memberAssignment })) };
  }

  /** Committed offsets of a group (all its partitions when `topics` is omitted); -1 means none. */
  async committedOffsets(groupId: string, topics: { topic: string; partitions: number[] }[] | null = null): Promise<{ topic: string; partition: number; offset: bigint }[]> {
    const [res, v] = await this.call<OffsetFetchResponse>(ApiKey.OffsetFetch, (v) =>
      v >= 8
        ? { groups: [{ groupId, topics: topics?.map((t) => ({ name: t.topic, partitionIndexes: t.partitions })) ?? null }] }
        : { groupId, topics: topics?.map((t) => ({ name: t.topic, partitionIndexes: t.partitions })) ?? null },
    );
    if (v >= 8 && res.groups[0]!.errorCode !== 0) throw new AdminError(res.groups[0]!.errorCode, `group ${groupId}`);
    const groupTopics = v >= 8 ? res.groups[0]!.topics : res.topics;
    if (v >= 2 && v < 8 && res.errorCode !== 0) throw new AdminError(res.errorCode, `group ${groupId}`);
    return groupTopics.flatMap((t) =>
      t.partitions.map((p) => {
        if (p.errorCode !== 0) throw new AdminError(p.errorCode, `group ${groupId} ${t.name}-${p.partitionIndex}`);
        return { topic: t.name, partition: p.partitionIndex, offset: p.committedOffset };
      }),
    );
  }

  /**
   * Sets a group's committed offsets, as an offset reset does. Kafka accepts this only while the
   * group has no members; the broker answers UNKNOWN_MEMBER_ID otherwise.
   */
  async commitOffsets(groupId: string, offsets: { topic: string; partition: number; offset: bigint }[]): Promise<void> {
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: bigint }[]>();
    for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partitionIndex: o.partition, committedOffset: o.offset }]);
    const [res] = await this.call<OffsetCommitResponse>(ApiKey.OffsetCommit, (v) => ({
      groupId,
      ...(v >= 1 ? { generationIdOrMemberEpoch: -1, memberId: '' } : {}),
      topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
    }));
    for (const t of res.topics) for (const p of t.partitions) if (p.errorCode !== 0) throw new AdminError(p.errorCode, `group ${groupId} ${t.name}-${p.partitionIndex}`);
  }

  async deleteGroups(groupIds: string[]): Promise<Map<string, AdminError | null>> {
    const [res] = await this.call<DeleteGroupsResponse>(ApiKey.DeleteGroups, () => ({ groupsNames: groupIds }));
    return new Map(res.results.map((r) => [r.groupId, r.errorCode === 0 ? null : new AdminError(r.errorCode, `group ${r.groupId}`)]));
  }


  /** The broker coordinating a consumer group or a transactional id (FindCoordinator). */
  async findCoordinator(key: string, keyType: 'group' | 'transaction'): Promise<{ nodeId: number; host: string; port: number }> {
    const type = keyType === 'group' ? 0 : 1;
    const [res, v] = await this.call<FindCoordinatorResponse>(ApiKey.FindCoordinator, (v) => (v >= 4 ? { keyType: type, coordinatorKeys: [key] } : { key, ...(v >= 1 ? { keyType: type } : {}) }));
    const c = v >= 4 ? res.coordinators[0]! : { errorCode: res.errorCode, errorMessage: res.errorMessage, nodeId: res.nodeId, host: res.host, port: res.port };
    if (c.errorCode !== 0) throw new AdminError(c.errorCode, `${keyType} ${key}`, c.errorMessage);
    return { nodeId: c.nodeId, host: c.host, port: c.port };
  }

  /** A topic's effective configs: value and whether it is the broker default. */
  async describeTopicConfigs(topic: string): Promise<Record<string, { value: string | null; isDefault: boolean }>> {
    const [res, v] = await this.call<DescribeConfigsResponse>(ApiKey.DescribeConfigs, () => ({ resources: [{ resourceType: ConfigResourceType.TOPIC, resourceName: topic, configurationKeys: null }] }));
    const r = res.results[0]!;
    if (r.errorCode !== 0) throw new AdminError(r.errorCode, `topic ${topic}`, r.errorMessage);
    // DescribeConfigs v1+ reports a config source instead of isDefault.
    return Object.fromEntries(r.configs.map((c) => [c.name, { value: c.value, isDefault: v === 0 ? c.isDefault : c.configSource === ConfigSource.DEFAULT_CONFIG }]));
  }

  /** Sets (value) or removes (null) topic config overrides, leaving the others as they are. */
  async alterTopicConfigs(topic: string, changes: Record<string, string | null>): Promise<void> {
    const [res] = await this.call<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, () => ({
      resources: [{ resourceType: ConfigResourceType.TOPIC, resourceName: topic, configs: Object.entries(changes).map(([name, value]) => ({ name, configOperation: value === null ? AlterConfigOp.DELETE : AlterConfigOp.SET, value })) }],
      validateOnly: false,
    }));
    const r = res.responses[0]!;
    if (r.errorCode !== 0) throw new AdminError(r.errorCode, `topic ${topic}`, r.errorMessage);
  }

  async alterBrokerConfigs(broker: number | null, changes: Record<string, string | null>): Promise<void> {
    const resourceName = broker === null ? '' : String(broker);
    const [res] = await this.call<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, () => ({
      resources: [{ resourceType: ConfigResourceType.BROKER, resourceName, configs: Object.entries(changes).map(([name, value]) => ({ name, configOperation: value === null ? AlterConfigOp.DELETE : AlterConfigOp.SET, value })) }],
      validateOnly: false,
    }));
    const r = res.responses[0]!;
    if (r.errorCode !== 0) throw new AdminError(r.errorCode, `broker ${resourceName || 'default'}`, r.errorMessage);
  }

  async describeDynamicBrokerConfigs(broker: number | null): Promise<Record<string, string>> {
    const resourceName = broker === null ? '' : String(broker);
    const [res] = await this.call<DescribeConfigsResponse>(ApiKey.DescribeConfigs, () => ({ resources: [{ resourceType: ConfigResourceType.BROKER, resourceName, configurationKeys: null }] }));
    const r = res.results[0]!;
    if (r.errorCode !== 0) throw new AdminError(r.errorCode, `broker ${resourceName || 'default'}`, r.errorMessage);
    return Object.fromEntries(r.configs.filter((c) => (c.configSource === ConfigSource.DYNAMIC_BROKER_CONFIG || c.configSource === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG) && c.value !== null).map((c) => [c.name, c.value!]));
  }

  /**
   * Partition sizes in the connected broker's log directories (all topics when `topics` is null).
   * Sizes are per broker: with replication, ask each broker for its replicas.
   */
  async describeLogDirs(topics: { topic: string; partitions: number[] }[] | null = null): Promise<{ logDir: string; totalBytes: bigint; usableBytes: bigint; partitions: { topic: string; partition: number; sizeBytes: bigint }[] }[]> {
    const [res, v] = await this.call<DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, () => ({ topics }));
    if (v >= 3 && res.errorCode !== 0) throw new AdminError(res.errorCode, 'DescribeLogDirs');
    return res.results.map((r) => {
      if (r.errorCode !== 0) throw new AdminError(r.errorCode, `log dir ${r.logDir}`);
      return {
        logDir: r.logDir,
        totalBytes: v >= 4 ? r.totalBytes : -1n,
        usableBytes: v >= 4 ? r.usableBytes : -1n,
        partitions: r.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, sizeBytes: p.partitionSize }))),
      };
    });
  }

  /**
   * Creates or replaces users' SCRAM credentials (and deletes others). As Kafka's own admin client
   * does, the salt and salted password are computed here: the password never leaves this process.
   */
  async alterUserScramCredentials(
    upsertions: { user: string; mechanism: ScramMechanismName; password: string; iterations?: number }[],
    deletions: { user: string; mechanism: ScramMechanismName }[] = [],
  ): Promise<Map<string, AdminError | null>> {
    const [res] = await this.call<AlterUserScramCredentialsResponse>(ApiKey.AlterUserScramCredentials, () => ({
      deletions: deletions.map((d) => ({ name: d.user, mechanism: scramMechanismId(d.mechanism) })),
      upsertions: upsertions.map((u) => {
        const iterations = u.iterations ?? 8192;
        const salt = randomBytes(32);
        return { name: u.user, mechanism: scramMechanismId(u.mechanism), iterations, salt, saltedPassword: saltedPassword(u.mechanism, u.password, salt, iterations) };
      }),
    }));
    return new Map(res.results.map((r) => [r.user, r.errorCode === 0 ? null : new AdminError(r.errorCode, `user ${r.user}`, r.errorMessage)]));
  }

  /**
   * Applies credentials whose salt and salted password were computed elsewhere (the control plane
   * keeps them so that it can re-apply a user; the password itself is long gone).
   */
  async upsertScramCredentials(credentials: { user: string; mechanism: ScramMechanismName; iterations: number; salt: Buffer; saltedPassword: Buffer }[], deletions: { user: string; mechanism: ScramMechanismName }[] = []): Promise<Map<string, AdminError | null>> {
    const [res] = await this.call<AlterUserScramCredentialsResponse>(ApiKey.AlterUserScramCredentials, () => ({
      deletions: deletions.map((d) => ({ name: d.user, mechanism: scramMechanismId(d.mechanism) })),
      upsertions: credentials.map((c) => ({ name: c.user, mechanism: scramMechanismId(c.mechanism), iterations: c.iterations, salt: c.salt, saltedPassword: c.saltedPassword })),
    }));
    return new Map(res.results.map((r) => [r.user, r.errorCode === 0 ? null : new AdminError(r.errorCode, `user ${r.user}`, r.errorMessage)]));
  }

  /** Mechanisms and iterations of each user's credentials (all users when `users` is null). */
  async describeUserScramCredentials(users: string[] | null = null): Promise<Map<string, { mechanism: ScramMechanismName; iterations: number }[] | AdminError>> {
    const [res] = await this.call<DescribeUserScramCredentialsResponse>(ApiKey.DescribeUserScramCredentials, () => ({ users: users?.map((name) => ({ name })) ?? null }));
    if (res.errorCode !== 0) throw new AdminError(res.errorCode, 'DescribeUserScramCredentials', res.errorMessage);
    return new Map(
      res.results.map((r) => [r.user, r.errorCode === 0 ? r.credentialInfos.map((c) => ({ mechanism: SCRAM_MECHANISM_IDS[c.mechanism]!, iterations: c.iterations })) : new AdminError(r.errorCode, `user ${r.user}`, r.errorMessage)]),
    );
  }

  /** Creates ACLs; resolves with one entry per ACL in order: null on success, the AdminError otherwise. */
  async createAcls(acls: Acl[]): Promise<(AdminError | null)[]> {
    const [res] = await this.call<CreateAclsResponse>(ApiKey.CreateAcls, () => ({
      creations: acls.map((a) => ({ resourceType: AclCodes.resourceType[a.resourceType], resourceName: a.resourceName, resourcePatternType: AclCodes.patternType[a.patternType], principal: a.principal, host: a.host, operation: AclCodes.operation[a.operation], permissionType: AclCodes.permission[a.permission] })),
    }));
    return res.results.map((r, i) => (r.errorCode === 0 ? null : new AdminError(r.errorCode, `ACL ${i}`, r.errorMessage)));
  }

  async describeAcls(filter: AclFilter = {}): Promise<Acl[]> {
    const [res] = await this.call<DescribeAclsResponse>(ApiKey.DescribeAcls, () => wireFilter(filter));
    if (res.errorCode !== 0) throw new AdminError(res.errorCode, 'DescribeAcls', res.errorMessage);
    return res.resources.flatMap((r) =>
      r.acls.map((a) => ({ resourceType: nameOf(AclCodes.resourceType, r.resourceType) as Acl['resourceType'], resourceName: r.resourceName, patternType: nameOf(AclCodes.patternType, r.patternType) as Acl['patternType'], principal: a.principal, host: a.host, operation: nameOf(AclCodes.operation, a.operation) as AclOperationName, permission: nameOf(AclCodes.permission, a.permissionType) as Acl['permission'] })),
    );
  }

  /** Deletes every ACL each filter matches; resolves with how many each filter removed. */
  async deleteAcls(filters: AclFilter[]): Promise<number[]> {
    const [res] = await this.call<DeleteAclsResponse>(ApiKey.DeleteAcls, () => ({ filters: filters.map((f) => wireFilter(f)) }));
    return res.filterResults.map((r, i) => {
      if (r.errorCode !== 0) throw new AdminError(r.errorCode, `ACL filter ${i}`, r.errorMessage);
      return r.matchingAcls.length;
    });
  }

  /**
   * Sets (number) or removes (null) client-quota values of one entity: `{ user }`, `{ clientId }` or
   * both; a null name is Kafka's `<default>` entity of that type.
   */
  async alterClientQuotas(entity: { user?: string | null; clientId?: string | null } | { group: string }, values: Record<string, number | null>): Promise<void> {
    // `consumer-group` is Tributary's entity type for per-group quotas (CKafka's group throttle rules).
    const wire = 'group' in entity ? [{ entityType: 'consumer-group', entityName: entity.group }] : [...(entity.user !== undefined ? [{ entityType: 'user', entityName: entity.user }] : []), ...(entity.clientId !== undefined ? [{ entityType: 'client-id', entityName: entity.clientId }] : [])];
    const [res] = await this.call<AlterClientQuotasResponse>(ApiKey.AlterClientQuotas, () => ({
      entries: [{ entity: wire, ops: Object.entries(values).map(([key, value]) => ({ key, value: value ?? 0, remove: value === null })) }],
      validateOnly: false,
    }));
    const r = res.entries[0]!;
    if (r.errorCode !== 0) throw new AdminError(r.errorCode, 'client quota', r.errorMessage);
  }

  /**
   * Client-quota entities and their values (Kafka's `<default>` names come back as null); all of them
   * unless a filter is given. A filter component matches one entity type by exact name (a string),
   * the `<default>` entity (null) or any name (undefined); `strict` excludes entities with further types.
   */
  async describeClientQuotas(filter: { user?: string | null; clientId?: string | null; group?: string | null; strict?: boolean } = {}): Promise<{ entity: { user?: string | null; clientId?: string | null; group?: string | null }; values: Record<string, number> }[]> {
    const wireTypes = { user: 'user', clientId: 'client-id', group: 'consumer-group' } as const;
    const components = (Object.keys(wireTypes) as (keyof typeof wireTypes)[])
      .filter((k) => k in filter)
      .map((k) => {
        const match = filter[k];
        return { entityType: wireTypes[k], matchType: match === undefined ? 2 : match === null ? 1 : 0, match: match ?? null };
      });
    const [res] = await this.call<DescribeClientQuotasResponse>(ApiKey.DescribeClientQuotas, () => ({ components, strict: filter.strict ?? false }));
    if (res.errorCode !== 0) throw new AdminError(res.errorCode, 'DescribeClientQuotas', res.errorMessage);
    return (res.entries ?? []).map((e) => ({
      entity: Object.fromEntries(e.entity.map((p) => [p.entityType === 'user' ? 'user' : p.entityType === 'consumer-group' ? 'group' : 'clientId', p.entityName])),
      values: Object.fromEntries(e.values.map((v) => [v.key, v.value])),
    }));
  }
}

function splitHostPort(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  if (i <= 0) throw new Error(`"${address}" is not host:port`);
  return [address.slice(0, i).replace(/^\[|\]$/g, ''), Number(address.slice(i + 1))];
}

function wireFilter(f: AclFilter) {
  return {
    resourceTypeFilter: AclCodes.resourceType[f.resourceType ?? 'ANY'],
    resourceNameFilter: f.resourceName ?? null,
    patternTypeFilter: AclCodes.patternType[f.patternType ?? 'ANY'],
    principalFilter: f.principal ?? null,
    hostFilter: f.host ?? null,
    operation: AclCodes.operation[f.operation ?? 'ANY'],
    permissionType: AclCodes.permission[f.permission ?? 'ANY'],
  };
}
