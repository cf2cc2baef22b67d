import {
  API_DEFINITIONS,
  ApiKey,
  errorInfo,
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
  type ScramSecret,
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
import type { ConnectionOptions } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { BrokerConnection, ConnectionError } from './connection.ts';

/** One ACL as Kafka's admin API names its parts (numbers are Kafka's wire codes; see AclCodes). */
export interface Acl {
  resourceType: 'TOPIC' | 'GROUP' | 'CLUSTER' | 'TRANSACTIONAL_ID';
  resourceName: string;
  patternType: 'LITERAL' | 'PREFIXED';
  principal: string;
  host: string;
  operation: AclOperationName;
  permission: 'ALLOW' | 'DENY';
}
export type AclOperationName = 'ALL' | 'READ' | 'WRITE' | 'CREATE' | 'DELETE' | 'ALTER' | 'DESCRIBE' | 'CLUSTER_ACTION' | 'DESCRIBE_CONFIGS' | 'ALTER_CONFIGS' | 'IDEMPOTENT_WRITE';
/** A filter: null or 'ANY' matches everything; patternType 'MATCH' finds every ACL that applies to a name. */
export interface AclFilter {
  resourceType?: Acl['resourceType'] | 'ANY';
  resourceName?: string | null;
  patternType?: Acl['patternType'] | 'ANY' | 'MATCH';
  principal?: string | null;
  host?: string | null;
  operation?: AclOperationName | 'ANY';
  permission?: Acl['permission'] | 'ANY';
}
export const AclCodes = {
  resourceType: { ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5 },
  patternType: { ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 },
  operation: { ANY: 1, ALL: 2, READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8, CLUSTER_ACTION: 9, DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12 },
  permission: { ANY: 1, DENY: 2, ALLOW: 3 },
} as const;
const nameOf = <T extends Record<string, number>>(table: T, code: number): keyof T => Object.entries(table).find(([, c]) => c === code)![0] as keyof T;

/**
 * How the admin client logs in on a SASL listener. `password` may be, for SCRAM, the user's salted
 * password with its salt and iteration count instead of the password (ScramSecret): the API logs in
 * as a user that way, from the salted password it keeps sealed.
 */
export type SaslCredentials = { mechanism: ScramMechanismName; username: string; password: ScramSecret } | { mechanism: 'PLAIN'; username: string; password: string };

export interface AdminConnectOptions {
  clientId?: string;
  timeoutMs?: number;
  tls?: ConnectionOptions;
  sasl?: SaslCredentials;
}

/**
 * Kafka errors that mean "ask another broker" (or the same one a moment later): the request went to
 * a broker that is not, or no longer, the controller / the group's coordinator / the leader.
 */
const ROUTING_ERRORS = new Set<number>([ErrorCode.NOT_CONTROLLER, ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.BROKER_NOT_AVAILABLE]);
/** Bounded: 8 attempts with backoff 200 ms … 2 s ride out a controller or leader election (≈ 10 s). */
const ROUTE_ATTEMPTS = 8;
const backoffMs = (attempt: number) => Math.min(100 * 2 ** attempt, 2_000);

/** A Kafka error code returned for one resource, as data: stable name, retriable flag, broker message. */
export class AdminError extends Error {
  readonly code: number;
  readonly errorName: string;
  readonly retriable: boolean;
  readonly resource: string;
  constructor(code: number, resource: string, message?: string | null) {
    const info = errorInfo(code);
    super(`${resource}: ${info.name}${message ? `: ${message}` : ''}`);
    this.name = 'AdminError';
    this.code = code;
    this.errorName = info.name;
    this.retriable = info.retriable;
    this.resource = resource;
  }
}

/** One partition's part of a Fetch answer: records as the broker sent them (whole batches, maybe a partial one last). */
export interface FetchedPartition {
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  records: Buffer | null;
}

export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  configs?: Record<string, string>;
}

export interface TopicMetadata {
  name: string;
  topicId: string;
  internal: boolean;
  partitions: { partition: number; leader: number; replicas: number[]; isr: number[] }[];
}

export interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: { memberId: string; clientId: string; host: string; assignment: Buffer }[];
}

const TOPIC_RESOURCE = 2;
const BROKER_RESOURCE = 4;

/**
 * A small Kafka admin client on @tributary/protocol, for the operator and the API's live reads.
 * It talks to one bootstrap broker (enough for a single broker or any broker that answers admin
 * requests for the cluster) and negotiates each API's version from the broker's ApiVersions.
 */
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
  [ApiKey.AlterPartitionReassignments]: 0,
};

export class KafkaAdminClient {
  readonly #conn: BrokerConnection;
  readonly #versions: Map<number, { min: number; max: number }>;
  readonly #address: string;
  readonly #options: AdminConnectOptions;
  /** Connections to the cluster's other brokers (controller, coordinators, leaders) by host:port, opened on first use. */
  readonly #peers = new Map<string, Promise<KafkaAdminClient>>();

  private constructor(conn: BrokerConnection, versions: Map<number, { min: number; max: number }>, address: string, options: AdminConnectOptions) {
    this.#conn = conn;
    this.#versions = versions;
    this.#address = address;
    this.#options = options;
  }

  static async connect(bootstrap: string, options: AdminConnectOptions = {}): Promise<KafkaAdminClient> {
    const [host, port] = splitHostPort(bootstrap);
    const conn = await BrokerConnection.open(host, port, options.clientId ?? 'tributary-admin', options.timeoutMs, options.tls ?? null);
    try {
      const res = await conn.send<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName: 'tributary-admin', clientSoftwareVersion: '0.1.0' });
      if (res.errorCode !== 0) throw new AdminError(res.errorCode, 'ApiVersions');
      const client = new KafkaAdminClient(conn, new Map(res.apiKeys.map((k) => [k.apiKey, { min: k.minVersion, max: k.maxVersion }])), bootstrap, options);
      if (options.sasl) await client.#login(options.sasl);
      return client;
    } catch (err) {
      conn.close();
      throw err;
    }
  }

  close(): void {
    this.#conn.close();
    for (const peer of this.#peers.values()) void peer.then((c) => c.close(), () => undefined);
    this.#peers.clear();
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

  async #call<T>(apiKey: number, body: (v: number) => unknown): Promise<[T, number]> {
    const v = this.version(apiKey);
    return [await this.#conn.send<T>(apiKey, v, body(v)), v];
  }

  async metadata(topics: string[] | null = null): Promise<{ clusterId: string | null; controllerId: number; brokers: { nodeId: number; host: string; port: number; rack: string | null }[]; topics: TopicMetadata[] }> {
    const [res] = await this.#call<MetadataResponse>(ApiKey.Metadata, (v) => ({
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

  // ---- Routing: which broker of the cluster answers which request -------------------------------
  // Topic creation, deletion and partition growth go to the controller (Metadata's controllerId),
  // group calls to the group's coordinator (FindCoordinator), offsets to each partition's leader;
  // a NOT_CONTROLLER / NOT_COORDINATOR / NOT_LEADER_OR_FOLLOWER answer refreshes the routing and
  // retries, bounded. Against a single broker every route leads back to the bootstrap connection.

  /** The client for a broker address: this one for the bootstrap broker, a cached peer otherwise. */
  #clientAt(address: string): Promise<KafkaAdminClient> {
    if (address === this.#address) return Promise.resolve(this);
    let peer = this.#peers.get(address);
    if (!peer) {
      peer = KafkaAdminClient.connect(address, this.#options);
      this.#peers.set(address, peer);
      peer.catch(() => this.#peers.delete(address));
    }
    return peer;
  }

  async #clientFor(nodeId: number, brokers?: { nodeId: number; host: string; port: number }[]): Promise<KafkaAdminClient> {
    const known = brokers ?? (await this.metadata([])).brokers;
    const b = known.find((x) => x.nodeId === nodeId);
    if (!b) throw new AdminError(ErrorCode.BROKER_NOT_AVAILABLE, `broker ${nodeId}`, 'not in the cluster metadata');
    return this.#clientAt(`${b.host}:${b.port}`);
  }

  async #controllerClient(): Promise<KafkaAdminClient> {
    const md = await this.metadata([]);
    if (md.controllerId < 0) throw new AdminError(ErrorCode.NOT_CONTROLLER, 'cluster', 'no controller elected yet');
    return this.#clientFor(md.controllerId, md.brokers);
  }

  async #coordinatorClient(groupId: string): Promise<KafkaAdminClient> {
    const c = await this.findCoordinator(groupId, 'group');
    return this.#clientAt(`${c.host}:${c.port}`);
  }

  /** Drops a peer whose connection failed so that the next attempt reconnects. */
  #forget(client: KafkaAdminClient | null): void {
    if (!client || client === this) return;
    this.#peers.delete(client.#address);
    client.close();
  }

  /** Whether a failure means "route again": a routing error, or a lost connection to a peer. */
  #shouldReroute(err: unknown, client: KafkaAdminClient | null): boolean {
    if (err instanceof AdminError) return ROUTING_ERRORS.has(err.code);
    // The bootstrap connection itself gone: nothing to reroute through.
    return err instanceof ConnectionError && !this.#conn.closed && client !== this;
  }

  /** Runs `call` on the broker `target` picks, re-picking after routing errors; bounded. */
  async #routed<T>(target: () => Promise<KafkaAdminClient>, call: (client: KafkaAdminClient) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let client: KafkaAdminClient | null = null;
      try {
        client = await target();
        return await call(client);
      } catch (err) {
        if (attempt + 1 >= ROUTE_ATTEMPTS || !this.#shouldReroute(err, client)) throw err;
        if (err instanceof ConnectionError) this.#forget(client);
        await sleep(backoffMs(attempt));
      }
    }
  }

  /**
   * Sends per-resource controller requests, re-sending only the resources that came back
   * NOT_CONTROLLER (the others are done: re-sending a creation would answer TOPIC_ALREADY_EXISTS).
   */
  async #onController<K>(items: K[], keyOf: (item: K) => string, send: (client: KafkaAdminClient, items: K[]) => Promise<Map<string, AdminError | null>>): Promise<Map<string, AdminError | null>> {
    const out = new Map<string, AdminError | null>();
    let pending = items;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const results = await this.#routed(() => this.#controllerClient(), (c) => send(c, pending));
      const last = attempt + 1 >= ROUTE_ATTEMPTS;
      for (const [key, err] of results) if (last || err?.code !== ErrorCode.NOT_CONTROLLER) out.set(key, err);
      pending = pending.filter((item) => !out.has(keyOf(item)));
      if (pending.length > 0) await sleep(backoffMs(attempt));
    }
    return out;
  }

  /** Creates topics on the controller; resolves with one entry per topic: null on success, the AdminError otherwise. */
  async createTopics(specs: TopicSpec[], validateOnly = false): Promise<Map<string, AdminError | null>> {
    return this.#onController(specs, (s) => s.name, (c, pending) => c.#createTopicsHere(pending, validateOnly));
  }

  /** Deletes topics on the controller; one entry per topic: null on success, the AdminError otherwise. */
  async deleteTopics(names: string[]): Promise<Map<string, AdminError | null>> {
    return this.#onController(names, (n) => n, (c, pending) => c.#deleteTopicsHere(pending));
  }

  /** Grows a topic to `count` partitions, on the controller. */
  async createPartitions(topic: string, count: number): Promise<void> {
    await this.#routed(() => this.#controllerClient(), (c) => c.#createPartitionsHere(topic, count));
  }

  /**
   * Starts (replicas) or cancels (null) partition reassignments on the controller (KIP-455); one
   * entry per `topic-partition`: null when accepted, the AdminError otherwise.
   */
  async alterPartitionReassignments(moves: { topic: string; partition: number; replicas: number[] | null }[]): Promise<Map<string, AdminError | null>> {
    return this.#onController(moves, (m) => `${m.topic}-${m.partition}`, (c, pending) => c.#alterReassignmentsHere(pending));
  }

  async #alterReassignmentsHere(moves: { topic: string; partition: number; replicas: number[] | null }[]): Promise<Map<string, AdminError | null>> {
    const topics = [...new Set(moves.map((m) => m.topic))].map((name) => ({ name, partitions: moves.filter((m) => m.topic === name).map((m) => ({ partitionIndex: m.partition, replicas: m.replicas })) }));
    const [res] = await this.#call<AlterPartitionReassignmentsResponse>(ApiKey.AlterPartitionReassignments, () => ({ timeoutMs: 30_000, topics }));
    if (res.errorCode !== 0) return new Map(moves.map((m) => [`${m.topic}-${m.partition}`, new AdminError(res.errorCode, 'cluster', res.errorMessage)]));
    const out = new Map<string, AdminError | null>();
    for (const t of res.responses) for (const p of t.partitions) out.set(`${t.name}-${p.partitionIndex}`, p.errorCode === 0 ? null : new AdminError(p.errorCode, `partition ${t.name}-${p.partitionIndex}`, p.errorMessage));
    return out;
  }

  /** Partitions being reassigned: their moving replica set and the replicas being added and removed. */
  async listPartitionReassignments(): Promise<{ topic: string; partition: number; replicas: number[]; adding: number[]; removing: number[] }[]> {
    const [res] = await this.#call<ListPartitionReassignmentsResponse>(ApiKey.ListPartitionReassignments, () => ({ timeoutMs: 30_000, topics: null }));
    if (res.errorCode !== 0) throw new AdminError(res.errorCode, 'cluster', res.errorMessage);
    return res.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas, adding: p.addingReplicas, removing: p.removingReplicas })));
  }

  /** Leader of every partition of a topic (-1 while none). */
  async #leaders(topic: string): Promise<{ leaders: Map<number, number>; brokers: { nodeId: number; host: string; port: number }[] }> {
    const md = await this.metadata([topic]);
    return { leaders: new Map((md.topics[0]?.partitions ?? []).map((p) => [p.partition, p.leader])), brokers: md.brokers };
  }

  /** Offsets per partition, each asked of the partition's leader: 'earliest', 'latest', or the first offset at/after a timestamp (ms). */
  async listOffsets(topic: string, partitions: number[], at: 'earliest' | 'latest' | number): Promise<Map<number, bigint>> {
    const out = new Map<number, bigint>();
    let pending = partitions;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await sleep(backoffMs(attempt - 1));
      const { leaders, brokers } = await this.#leaders(topic);
      const byLeader = new Map<number, number[]>();
      for (const p of pending) byLeader.set(leaders.get(p) ?? -1, [...(byLeader.get(leaders.get(p) ?? -1) ?? []), p]);
      const retry: number[] = [];
      await Promise.all(
        [...byLeader].map(async ([leader, ps]) => {
          let client: KafkaAdminClient | null = null;
          try {
            if (leader < 0) throw new AdminError(ErrorCode.LEADER_NOT_AVAILABLE, `${topic}-${ps[0]}`);
            client = await this.#clientFor(leader, brokers);
            for (const [p, offset] of await client.#listOffsetsHere(topic, ps, at)) out.set(p, offset);
          } catch (err) {
            if (attempt + 1 >= ROUTE_ATTEMPTS || !this.#shouldReroute(err, client)) throw err;
            if (err instanceof ConnectionError) this.#forget(client);
            retry.push(...ps);
          }
        }),
      );
      pending = retry;
    }
    return out;
  }

  // ---- Records: Fetch and Produce for clients that read or write a few partitions directly ----
  // (the API's message browser). No consumer group, no assignment: exact offsets, bounded bytes.

  /**
   * Fetches from each partition's leader, in one Fetch per leader. `maxBytes` bounds each
   * partition's answer (KIP-74: the first batch comes whole even when larger, as Kafka does).
   * Per-partition Kafka errors come back as data (`errorCode`); leadership errors are re-routed.
   */
  async fetchRecords(topic: string, partitions: { partition: number; offset: bigint; maxBytes: number }[], options: { maxWaitMs?: number; isolationLevel?: 0 | 1 } = {}): Promise<Map<number, FetchedPartition>> {
    const out = new Map<number, FetchedPartition>();
    let pending = partitions;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await sleep(backoffMs(attempt - 1));
      const { leaders, brokers } = await this.#leaders(topic);
      const byLeader = new Map<number, typeof partitions>();
      for (const p of pending) {
        const leader = leaders.get(p.partition);
        if (leader === undefined) {
          out.set(p.partition, { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, records: null });
          continue;
        }
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
      }
      const retry: typeof partitions = [];
      const last = attempt + 1 >= ROUTE_ATTEMPTS;
      await Promise.all([...byLeader].map(async ([leader, ps]) => {
        let client: KafkaAdminClient | null = null;
        try {
          if (leader < 0) throw new AdminError(ErrorCode.LEADER_NOT_AVAILABLE, `${topic}-${ps[0]!.partition}`);
          client = await this.#clientFor(leader, brokers);
          for (const [p, data] of await client.#fetchHere(topic, ps, options)) {
            if (!last && ROUTING_ERRORS.has(data.errorCode)) retry.push(ps.find((x) => x.partition === p)!);
            else out.set(p, data);
          }
        } catch (err) {
          if (last || !this.#shouldReroute(err, client)) throw err;
          if (err instanceof ConnectionError) this.#forget(client);
          retry.push(...ps);
        }
      }));
      pending = retry;
    }
    return out;
  }

  async #fetchHere(topic: string, partitions: { partition: number; offset: bigint; maxBytes: number }[], options: { maxWaitMs?: number; isolationLevel?: 0 | 1 }): Promise<Map<number, FetchedPartition>> {
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

  /**
   * Writes one record batch to a partition's leader. Only a batch of an idempotent producer
   * (producerId ≥ 0) is re-sent after a lost connection: its sequence makes a second copy a
   * duplicate the broker answers with the first offset; any other batch is sent once.
   */
  async produceBatch(topic: string, partition: number, batch: Buffer, options: { acks?: -1 | 1; timeoutMs?: number; idempotent?: boolean } = {}): Promise<{ baseOffset: bigint; logAppendTimeMs: bigint }> {
    for (let attempt = 0; ; attempt++) {
      let client: KafkaAdminClient | null = null;
      try {
        const { leaders, brokers } = await this.#leaders(topic);
        const leader = leaders.get(partition);
        if (leader === undefined) throw new AdminError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${partition}`);
        if (leader < 0) throw new AdminError(ErrorCode.LEADER_NOT_AVAILABLE, `${topic}-${partition}`);
        client = await this.#clientFor(leader, brokers);
        return await client.#produceHere(topic, partition, batch, options);
      } catch (err) {
        const reroute = err instanceof AdminError ? ROUTING_ERRORS.has(err.code) : options.idempotent === true && this.#shouldReroute(err, client);
        if (attempt + 1 >= ROUTE_ATTEMPTS || !reroute) throw err;
        if (err instanceof ConnectionError) this.#forget(client);
        await sleep(backoffMs(attempt));
      }
    }
  }

  async #produceHere(topic: string, partition: number, batch: Buffer, options: { acks?: -1 | 1; timeoutMs?: number }): Promise<{ baseOffset: bigint; logAppendTimeMs: bigint }> {
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

  /** Groups of the whole cluster: each broker lists the groups it coordinates. */
  async listGroups(): Promise<{ groupId: string; protocolType: string; state: string | null }[]> {
    const { brokers } = await this.metadata([]);
    const lists = await Promise.all(brokers.map(async (b) => (await this.#clientFor(b.nodeId, brokers)).#listGroupsHere()));
    const byId = new Map(lists.flat().map((g) => [g.groupId, g]));
    return [...byId.values()];
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    return this.#routed(() => this.#coordinatorClient(groupId), (c) => c.#describeGroupHere(groupId));
  }

  /** Committed offsets of a group, from its coordinator (all its partitions when `topics` is omitted); -1 means none. */
  async committedOffsets(groupId: string, topics: { topic: string; partitions: number[] }[] | null = null): Promise<{ topic: string; partition: number; offset: bigint }[]> {
    return this.#routed(() => this.#coordinatorClient(groupId), (c) => c.#committedOffsetsHere(groupId, topics));
  }

  /**
   * Sets a group's committed offsets on its coordinator, as an offset reset does. Kafka accepts this
   * only while the group has no members; the broker answers UNKNOWN_MEMBER_ID otherwise.
   */
  async commitOffsets(groupId: string, offsets: { topic: string; partition: number; offset: bigint }[]): Promise<void> {
    await this.#routed(() => this.#coordinatorClient(groupId), (c) => c.#commitOffsetsHere(groupId, offsets));
  }

  /** Deletes groups, each on its coordinator; one entry per group: null on success, the AdminError otherwise. */
  async deleteGroups(groupIds: string[]): Promise<Map<string, AdminError | null>> {
    const out = new Map<string, AdminError | null>();
    for (const groupId of groupIds) {
      const result = await this.#routed(
        () => this.#coordinatorClient(groupId),
        async (c) => {
          const err = (await c.#deleteGroupsHere([groupId])).get(groupId) ?? null;
          if (err && ROUTING_ERRORS.has(err.code)) throw err;
          return err;
        },
      ).catch((err: unknown) => {
        if (err instanceof AdminError) return err;
        throw err;
      });
      out.set(groupId, result);
    }
    return out;
  }

  /** DescribeLogDirs of every broker of the cluster, by node id (a replica's size is on each broker that holds it). */
  async describeLogDirsByBroker(topics: { topic: string; partitions: number[] }[] | null = null): Promise<Map<number, Awaited<ReturnType<KafkaAdminClient['describeLogDirs']>>>> {
    const { brokers } = await this.metadata([]);
    const entries = await Promise.all(brokers.map(async (b) => [b.nodeId, await (await this.#clientFor(b.nodeId, brokers)).describeLogDirs(topics)] as const));
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
    const md = await this.metadata(null);
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
    await Promise.all([...byLeader].map(async ([leader, topics]) => {
      const client = await this.#clientFor(leader, md.brokers);
      const [[offsets], dirs] = await Promise.all([
        client.#call<ListOffsetsResponse>(ApiKey.ListOffsets, (v) => ({
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
    }));
    return out;
  }

  /** Size of each partition of a topic as its leader holds it (-1 for a partition without a leader). */
  async partitionSizes(topic: string): Promise<Map<number, bigint>> {
    const { leaders, brokers } = await this.#leaders(topic);
    const byLeader = new Map<number, number[]>();
    for (const [p, leader] of leaders) byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
    const out = new Map<number, bigint>();
    await Promise.all(
      [...byLeader].map(async ([leader, ps]) => {
        if (leader < 0) return ps.forEach((p) => out.set(p, -1n));
        const dirs = await (await this.#clientFor(leader, brokers)).describeLogDirs([{ topic, partitions: ps }]);
        for (const d of dirs) for (const p of d.partitions) if (p.topic === topic && ps.includes(p.partition)) out.set(p.partition, p.sizeBytes);
      }),
    );
    return out;
  }

  /** Partitions (internal topics included) whose ISR is smaller than their replica set, or that have no leader. */
  async underReplicatedPartitions(): Promise<{ topic: string; partition: number; leader: number; replicas: number[]; isr: number[] }[]> {
    const md = await this.metadata(null);
    return md.topics.flatMap((t) => t.partitions.filter((p) => p.leader < 0 || p.isr.length < p.replicas.length).map((p) => ({ topic: t.name, ...p })));
  }

  /** Creates topics on this broker; resolves with one entry per topic: null on success, the AdminError otherwise. */
  async #createTopicsHere(specs: TopicSpec[], validateOnly = false): Promise<Map<string, AdminError | null>> {
    const [res] = await this.#call<CreateTopicsResponse>(ApiKey.CreateTopics, (v) => ({
      topics: specs.map((s) => ({ name: s.name, numPartitions: s.partitions, replicationFactor: s.replicationFactor, assignments: [], configs: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })) })),
      timeoutMs: 30_000,
      ...(v >= 1 ? { validateOnly } : {}),
    }));
    return new Map(res.topics.map((t) => [t.name, t.errorCode === 0 ? null : new AdminError(t.errorCode, `topic ${t.name}`, t.errorMessage)]));
  }

  async #deleteTopicsHere(names: string[]): Promise<Map<string, AdminError | null>> {
    const [res] = await this.#call<DeleteTopicsResponse>(ApiKey.DeleteTopics, (v) => (v >= 6 ? { topics: names.map((name) => ({ name })), timeoutMs: 30_000 } : { topicNames: names, timeoutMs: 30_000 }));
    return new Map(res.responses.map((r) => [r.name ?? '', r.errorCode === 0 ? null : new AdminError(r.errorCode, `topic ${r.name}`, r.errorMessage)]));
  }

  async #createPartitionsHere(topic: string, count: number): Promise<void> {
    const [res] = await this.#call<CreatePartitionsResponse>(ApiKey.CreatePartitions, () => ({ topics: [{ name: topic, count, assignments: null }], timeoutMs: 30_000, validateOnly: false }));
    const r = res.results[0]!;
    if (r.errorCode !== 0) throw new AdminError(r.errorCode, `topic ${topic}`, r.errorMessage);
  }

  /** A topic's effective configs: value and whether it is the broker default. */
  async describeTopicConfigs(topic: string): Promise<Record<string, { value: string | null; isDefault: boolean }>> {
    const [res, v] = await this.#call<DescribeConfigsResponse>(ApiKey.DescribeConfigs, () => ({ resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configurationKeys: null }] }));
    const r = res.results[0]!;
    if (r.errorCode !== 0) throw new AdminError(r.errorCode, `topic ${topic}`, r.errorMessage);
    // DescribeConfigs v1+ reports a config source instead of isDefault; 5 is DEFAULT_CONFIG.
    return Object.fromEntries(r.configs.map((c) => [c.name, { value: c.value, isDefault: v === 0 ? c.isDefault : c.configSource === 5 }]));
  }

  /** Sets (value) or removes (null) topic config overrides, leaving the others as they are. */
  async alterTopicConfigs(topic: string, changes: Record<string, string | null>): Promise<void> {
    const [res] = await this.#call<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, () => ({
      resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configs: Object.entries(changes).map(([name, value]) => ({ name, configOperation: value === null ? 1 : 0, value })) }],
      validateOnly: false,
    }));
    const r = res.responses[0]!;
    if (r.errorCode !== 0) throw new AdminError(r.errorCode, `topic ${topic}`, r.errorMessage);
  }

  /**
   * Sets (value) or removes (null) dynamic configs of one broker (its id) or of the cluster default
   * (null), e.g. the replication throttle rates (KIP-73) a reassignment runs under.
   */
  async alterBrokerConfigs(broker: number | null, changes: Record<string, string | null>): Promise<void> {
    // As in Kafka, one broker's configs are that broker's to change (the default: any broker's).
    if (broker !== null) return (await this.#clientFor(broker)).#alterBrokerConfigsHere(broker, changes);
    return this.#alterBrokerConfigsHere(null, changes);
  }

  async #alterBrokerConfigsHere(broker: number | null, changes: Record<string, string | null>): Promise<void> {
    const resourceName = broker === null ? '' : String(broker);
    const [res] = await this.#call<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, () => ({
      resources: [{ resourceType: BROKER_RESOURCE, resourceName, configs: Object.entries(changes).map(([name, value]) => ({ name, configOperation: value === null ? 1 : 0, value })) }],
      validateOnly: false,
    }));
    const r = res.responses[0]!;
    if (r.errorCode !== 0) throw new AdminError(r.errorCode, `broker ${resourceName || 'default'}`, r.errorMessage);
  }

  /**
   * The dynamic configs in effect on one broker (its id: its own, else the cluster default's) or the
   * cluster default (null): name → value.
   */
  async describeDynamicBrokerConfigs(broker: number | null): Promise<Record<string, string>> {
    if (broker !== null) return (await this.#clientFor(broker)).#describeDynamicBrokerConfigsHere(broker);
    return this.#describeDynamicBrokerConfigsHere(null);
  }

  async #describeDynamicBrokerConfigsHere(broker: number | null): Promise<Record<string, string>> {
    const resourceName = broker === null ? '' : String(broker);
    const [res] = await this.#call<DescribeConfigsResponse>(ApiKey.DescribeConfigs, () => ({ resources: [{ resourceType: BROKER_RESOURCE, resourceName, configurationKeys: null }] }));
    const r = res.results[0]!;
    if (r.errorCode !== 0) throw new AdminError(r.errorCode, `broker ${resourceName || 'default'}`, r.errorMessage);
    // Sources 2 (DYNAMIC_BROKER_CONFIG) and 3 (DYNAMIC_DEFAULT_BROKER_CONFIG) of DescribeConfigs v1+.
    return Object.fromEntries(r.configs.filter((c) => (c.configSource === 2 || c.configSource === 3) && c.value !== null).map((c) => [c.name, c.value!]));
  }

  /** Offsets per partition: 'earliest', 'latest', or the first offset at/after a timestamp (ms). */
  async #listOffsetsHere(topic: string, partitions: number[], at: 'earliest' | 'latest' | number): Promise<Map<number, bigint>> {
    const timestamp = at === 'earliest' ? -2n : at === 'latest' ? -1n : BigInt(at);
    const [res] = await this.#call<ListOffsetsResponse>(ApiKey.ListOffsets, (v) => ({
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

  async #listGroupsHere(): Promise<{ groupId: string; protocolType: string; state: string | null }[]> {
    const [res, v] = await this.#call<ListGroupsResponse>(ApiKey.ListGroups, () => ({}));
    if (res.errorCode !== 0) throw new AdminError(res.errorCode, 'ListGroups');
    return res.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, state: v >= 4 ? g.groupState : null }));
  }

  async #describeGroupHere(groupId: string): Promise<GroupDescription> {
    const [res] = await this.#call<DescribeGroupsResponse>(ApiKey.DescribeGroups, () => ({ groups: [groupId] }));
    const g = res.groups[0]!;
    if (g.errorCode !== 0) throw new AdminError(g.errorCode, `group ${groupId}`);
    return { groupId, state: g.groupState, protocolType: g.protocolType, protocol: g.protocolData, members: g.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, host: m.clientHost, assignment: m.memberAssignment })) };
  }

  /** Committed offsets of a group (all its partitions when `topics` is omitted); -1 means none. */
  async #committedOffsetsHere(groupId: string, topics: { topic: string; partitions: number[] }[] | null = null): Promise<{ topic: string; partition: number; offset: bigint }[]> {
    const [res, v] = await this.#call<OffsetFetchResponse>(ApiKey.OffsetFetch, (v) =>
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
  async #commitOffsetsHere(groupId: string, offsets: { topic: string; partition: number; offset: bigint }[]): Promise<void> {
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: bigint }[]>();
    for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partitionIndex: o.partition, committedOffset: o.offset }]);
    const [res] = await this.#call<OffsetCommitResponse>(ApiKey.OffsetCommit, (v) => ({
      groupId,
      ...(v >= 1 ? { generationIdOrMemberEpoch: -1, memberId: '' } : {}),
      topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
    }));
    for (const t of res.topics) for (const p of t.partitions) if (p.errorCode !== 0) throw new AdminError(p.errorCode, `group ${groupId} ${t.name}-${p.partitionIndex}`);
  }

  /**
   * Partition sizes in the connected broker's log directories (all topics when `topics` is null).
   * Sizes are per broker: with replication, ask each broker for its replicas.
   */
  async describeLogDirs(topics: { topic: string; partitions: number[] }[] | null = null): Promise<{ logDir: string; totalBytes: bigint; usableBytes: bigint; partitions: { topic: string; partition: number; sizeBytes: bigint }[] }[]> {
    const [res, v] = await this.#call<DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, () => ({ topics }));
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
    const [res] = await this.#call<AlterUserScramCredentialsResponse>(ApiKey.AlterUserScramCredentials, () => ({
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
    const [res] = await this.#call<AlterUserScramCredentialsResponse>(ApiKey.AlterUserScramCredentials, () => ({
      deletions: deletions.map((d) => ({ name: d.user, mechanism: scramMechanismId(d.mechanism) })),
      upsertions: credentials.map((c) => ({ name: c.user, mechanism: scramMechanismId(c.mechanism), iterations: c.iterations, salt: c.salt, saltedPassword: c.saltedPassword })),
    }));
    return new Map(res.results.map((r) => [r.user, r.errorCode === 0 ? null : new AdminError(r.errorCode, `user ${r.user}`, r.errorMessage)]));
  }

  /** Mechanisms and iterations of each user's credentials (all users when `users` is null). */
  async describeUserScramCredentials(users: string[] | null = null): Promise<Map<string, { mechanism: ScramMechanismName; iterations: number }[] | AdminError>> {
    const [res] = await this.#call<DescribeUserScramCredentialsResponse>(ApiKey.DescribeUserScramCredentials, () => ({ users: users?.map((name) => ({ name })) ?? null }));
    if (res.errorCode !== 0) throw new AdminError(res.errorCode, 'DescribeUserScramCredentials', res.errorMessage);
    return new Map(
      res.results.map((r) => [r.user, r.errorCode === 0 ? r.credentialInfos.map((c) => ({ mechanism: SCRAM_MECHANISM_IDS[c.mechanism]!, iterations: c.iterations })) : new AdminError(r.errorCode, `user ${r.user}`, r.errorMessage)]),
    );
  }

  /** Creates ACLs; resolves with one entry per ACL in order: null on success, the AdminError otherwise. */
  async createAcls(acls: Acl[]): Promise<(AdminError | null)[]> {
    const [res] = await this.#call<CreateAclsResponse>(ApiKey.CreateAcls, () => ({
      creations: acls.map((a) => ({ resourceType: AclCodes.resourceType[a.resourceType], resourceName: a.resourceName, resourcePatternType: AclCodes.patternType[a.patternType], principal: a.principal, host: a.host, operation: AclCodes.operation[a.operation], permissionType: AclCodes.permission[a.permission] })),
    }));
    return res.results.map((r, i) => (r.errorCode === 0 ? null : new AdminError(r.errorCode, `ACL ${i}`, r.errorMessage)));
  }

  async describeAcls(filter: AclFilter = {}): Promise<Acl[]> {
    const [res] = await this.#call<DescribeAclsResponse>(ApiKey.DescribeAcls, () => wireFilter(filter));
    if (res.errorCode !== 0) throw new AdminError(res.errorCode, 'DescribeAcls', res.errorMessage);
    return res.resources.flatMap((r) =>
      r.acls.map((a) => ({ resourceType: nameOf(AclCodes.resourceType, r.resourceType) as Acl['resourceType'], resourceName: r.resourceName, patternType: nameOf(AclCodes.patternType, r.patternType) as Acl['patternType'], principal: a.principal, host: a.host, operation: nameOf(AclCodes.operation, a.operation) as AclOperationName, permission: nameOf(AclCodes.permission, a.permissionType) as Acl['permission'] })),
    );
  }

  /** Deletes every ACL each filter matches; resolves with how many each filter removed. */
  async deleteAcls(filters: AclFilter[]): Promise<number[]> {
    const [res] = await this.#call<DeleteAclsResponse>(ApiKey.DeleteAcls, () => ({ filters: filters.map((f) => wireFilter(f)) }));
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
    const [res] = await this.#call<AlterClientQuotasResponse>(ApiKey.AlterClientQuotas, () => ({
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
    const [res] = await this.#call<DescribeClientQuotasResponse>(ApiKey.DescribeClientQuotas, () => ({ components, strict: filter.strict ?? false }));
    if (res.errorCode !== 0) throw new AdminError(res.errorCode, 'DescribeClientQuotas', res.errorMessage);
    return (res.entries ?? []).map((e) => ({
      entity: Object.fromEntries(e.entity.map((p) => [p.entityType === 'user' ? 'user' : p.entityType === 'consumer-group' ? 'group' : 'clientId', p.entityName])),
      values: Object.fromEntries(e.values.map((v) => [v.key, v.value])),
    }));
  }

  /** The broker coordinating a consumer group or a transactional id (FindCoordinator). */
  async findCoordinator(key: string, keyType: 'group' | 'transaction'): Promise<{ nodeId: number; host: string; port: number }> {
    const type = keyType === 'group' ? 0 : 1;
    const [res, v] = await this.#call<FindCoordinatorResponse>(ApiKey.FindCoordinator, (v) => (v >= 4 ? { keyType: type, coordinatorKeys: [key] } : { key, ...(v >= 1 ? { keyType: type } : {}) }));
    const c = v >= 4 ? res.coordinators[0]! : { errorCode: res.errorCode, errorMessage: res.errorMessage, nodeId: res.nodeId, host: res.host, port: res.port };
    if (c.errorCode !== 0) throw new AdminError(c.errorCode, `${keyType} ${key}`, c.errorMessage);
    return { nodeId: c.nodeId, host: c.host, port: c.port };
  }

  async #deleteGroupsHere(groupIds: string[]): Promise<Map<string, AdminError | null>> {
    const [res] = await this.#call<DeleteGroupsResponse>(ApiKey.DeleteGroups, () => ({ groupsNames: groupIds }));
    return new Map(res.results.map((r) => [r.groupId, r.errorCode === 0 ? null : new AdminError(r.errorCode, `group ${r.groupId}`)]));
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
