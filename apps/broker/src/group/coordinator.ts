import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@tributary/protocol';
import { Group, type CommittedOffset, type GroupState, type JoinResult, type Member, type SyncResult } from './group.ts';
import type { GroupLogRecord, GroupMetadata } from './group-records.ts';
import type { OffsetStore } from './offset-store.ts';
import { OffsetManager, splitOffsetKey, type OffsetDeleteResult } from './offset-manager.ts';
import { ConsumerGroupJournal, ConsumerGroupLoader } from './consumer-group-journal.ts';
import { ConsumerGroupCoordinator, type ConsumerGroupSettings, type HeartbeatRequest, type HeartbeatResult, type TopicLookup } from './consumer-coordinator.ts';
import { uniformAssignor } from './assignors/uniform.ts';
import { rangeAssignor } from './assignors/range.ts';
import type { ServerAssignor } from './assignors/assignor.ts';
import { classicMembersFromConsumer, consumerGroupFromClassic } from './group-conversion.ts';

/** The server assignors a consumer group may name (group.consumer.assignors picks and orders them). */
export const SERVER_ASSIGNORS: readonly ServerAssignor[] = [uniformAssignor, rangeAssignor];

/** group.consumer.assignors: names from SERVER_ASSIGNORS, comma-separated, in order; unknown names are refused at start-up. */
export function consumerAssignors(setting: string): ServerAssignor[] {
  const names = setting.split(',').map((n) => n.trim()).filter((n) => n !== '');
  const out = names.map((n) => {
    const a = SERVER_ASSIGNORS.find((x) => x.name === n);
    if (!a) throw new Error(`group.consumer.assignors: unknown assignor "${n}" (known: ${SERVER_ASSIGNORS.map((x) => x.name).join(', ')})`);
    return a;
  });
  return out.length > 0 ? out : [...SERVER_ASSIGNORS];
}

/** group.consumer.migration.policy, case-insensitive as in Kafka; an unknown value is refused at start-up. */
export function migrationPolicy(setting: string): 'disabled' | 'upgrade' | 'downgrade' | 'bidirectional' {
  const v = setting.trim().toLowerCase();
  if (v === 'disabled' || v === 'upgrade' || v === 'downgrade' || v === 'bidirectional') return v;
  throw new Error(`group.consumer.migration.policy: "${setting}" is not one of disabled, upgrade, downgrade, bidirectional`);
}

export interface CoordinatorSettings {
  initialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  maxGroupSize: number;
  /** offsets.retention.minutes in ms: committed offsets of an empty group live this long. */
  offsetsRetentionMs: number;
  /** How often expired offsets are looked for (offsets.retention.check.interval.ms). */
  offsetsRetentionCheckIntervalMs: number;
  /** KIP-848 consumer groups (group.consumer.*); Kafka's defaults when absent. */
  consumer?: Partial<ConsumerGroupSettings>;
  /** group.consumer.migration.policy: which online conversions between classic and consumer groups are allowed (Kafka's default bidirectional). */
  migrationPolicy?: 'disabled' | 'upgrade' | 'downgrade' | 'bidirectional';
}

export interface JoinRequest {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
  /** JoinGroup v4+ requires a member id issued by the coordinator first (KIP-394). */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+ understands skipAssignment (a static leader replaced without a rebalance). */
  supportsSkipAssignment: boolean;
  /** Whether the member's principal may DESCRIBE a topic (a classic join to a consumer group may trigger a refresh of its regular expressions, resolved with it). */
  canDescribeTopic?: (topic: string) => boolean;
}

/** Who sends a request on behalf of a member: its member id and, for static members, its instance id. */
export interface MemberRef {
  memberId: string;
  groupInstanceId: string | null;
}

export interface SyncRequest {
  generationId: number;
  /** SyncGroup v5+: checked against the group's (INCONSISTENT_GROUP_PROTOCOL); null when not sent. */
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface LeaveResult {
  /** Group-level error (the group is unknown or dead); 0 otherwise. */
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

const fail = (errorCode: number, memberId = ''): JoinResult => ({ errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] });
const syncFail = (errorCode: number): SyncResult => ({ errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) });

/**
 * The classic group protocol (JoinGroup/SyncGroup/Heartbeat/LeaveGroup) and committed offsets for
 * every group on this broker, following the state machine of Kafka's classic group coordinator
 * (Empty → PreparingRebalance → CompletingRebalance → Stable; Dead once deleted or unloaded):
 * which request each state accepts and which error each state, generation or member-id mismatch
 * answers. Group metadata (members, their subscriptions and assignments, leader, protocol,
 * generation) and committed offsets persist in `__consumer_offsets` in Kafka's format and are loaded
 * back when this broker becomes the coordinator. Time comes from `now` so that tests can drive it.
 */
export class GroupCoordinator {
  readonly #groups = new Map<string, Group>();
  readonly #offsets: OffsetManager;
  readonly #settings: CoordinatorSettings;
  readonly #store: OffsetStore;
  /** Closed (its partition's leadership went): answers of writes still replicating are dropped, their requests answered by close(). */
  #closed = false;
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout;
  readonly #offsetExpiry: NodeJS.Timeout;
  readonly #consumerGroups: ConsumerGroupCoordinator;
  /** What has been written of each consumer group, so that a change appends only its records. */
  readonly #journal = new ConsumerGroupJournal();
  /** Regular-expression refreshes to apply after the request that triggered them (one per group). */
  readonly #regexRefreshes = new Map<string, NodeJS.Immediate>();

  constructor(settings: CoordinatorSettings, store: OffsetStore, now: () => number = Date.now) {
    this.#settings = settings;
    this.#store = store;
    this.#now = now;
    this.#consumerGroups = new ConsumerGroupCoordinator(
      { get: (groupId) => this.#groups.get(groupId), create: (groupId) => this.#group(groupId), now, upgrade: (g, topics) => this.#upgrade(g, topics), mayDowngrade: (members) => this.#mayDowngrade(members), downgrade: (g, leaving, topics, rebalance) => this.#downgrade(g, leaving, topics, rebalance ?? true) },
      { sessionTimeoutMs: 45_000, heartbeatIntervalMs: 5_000, assignors: [...SERVER_ASSIGNORS], maxSize: 2 ** 31 - 1, ...settings.consumer },
    );
    this.#offsets = new OffsetManager(store, settings, now, {
      get: (groupId) => this.#groups.get(groupId),
      all: () => [...this.#groups.values()],
      create: (groupId) => this.#group(groupId),
      validateMember: (g, who) => this.#validateMember(g, who),
      drop: (g) => this.#dropGroup(g),
    });
    this.#load();
    this.#sweeper = setInterval(() => this.expireSessions(), 250);
    this.#sweeper.unref();
    this.#offsetExpiry = setInterval(() => this.expireOffsets(), Math.min(settings.offsetsRetentionCheckIntervalMs, 2 ** 31 - 1)); // Node runs a longer interval every 1 ms (timer-delay.ts)
    this.#offsetExpiry.unref();
  }

  /**
   * The partition's leadership went (or its coordinator is reloaded): as Kafka's onGroupUnloaded,
   * every JoinGroup and SyncGroup still waiting is answered NOT_COORDINATOR, so its client finds the
   * new coordinator at once. Unanswered, a join waited out the client's request timeout (a Kafka
   * Streams application restarted after a preferred-leader move of its group's partition resumed
   * only after max.poll.interval.ms, 5 minutes).
   */
  close(): void {
    this.#closed = true;
    clearInterval(this.#sweeper);
    clearInterval(this.#offsetExpiry);
    for (const handle of this.#regexRefreshes.values()) clearImmediate(handle);
    this.#regexRefreshes.clear();
    for (const g of this.#groups.values()) {
      if (g.rebalanceTimer) clearTimeout(g.rebalanceTimer);
      if (g.syncTimer) clearTimeout(g.syncTimer);
      for (const m of g.members.values()) {
        m.awaitingJoin?.(fail(ErrorCode.NOT_COORDINATOR, m.memberId));
        m.awaitingSync?.(syncFail(ErrorCode.NOT_COORDINATOR));
        m.awaitingJoin = null;
        m.awaitingSync = null;
      }
    }
  }

  /**
   * Replays `__consumer_offsets`: committed offsets, and each classic group as its last metadata
   * record left it (Stable with its members, or Empty), as Kafka's coordinator does on load. Offset
   * records of the JSON form earlier versions wrote are converted: the live ones are written again
   * in Kafka's form and their JSON keys tombstoned, so compaction removes the old form.
   */
  #load(): void {
    const { records, legacyKeys } = this.#store.replay();
    const consumerGroups = new ConsumerGroupLoader();
    for (const r of records) {
      if (r.kind === 'marker') this.#offsets.completeTransaction(r.producerId, r.commit);
      else if (r.kind !== 'offset' && r.kind !== 'group') consumerGroups.add(r);
      else if (r.kind === 'offset' && r.producerId !== undefined) this.#offsets.addPending(r.producerId, r.group, r.topic, r.partition, r.value);
      else if (r.kind === 'offset') {
        const g = this.#group(r.group);
        if (r.value === null) g.offsets.delete(Group.offsetKey(r.topic, r.partition));
        else g.offsets.set(Group.offsetKey(r.topic, r.partition), r.value);
      } else this.#replayGroup(r.group, r.value);
    }
    // KIP-848 consumer groups: members come back with a fresh session, their epochs and assignments.
    for (const [groupId, cg] of consumerGroups.groups(this.#now(), this.#settings.consumer?.sessionTimeoutMs ?? 45_000)) {
      const g = this.#group(groupId);
      g.consumer = cg;
      g.protocolType = 'consumer';
      g.state = cg.members.size > 0 ? 'Stable' : 'Empty';
      this.#journal.seed(groupId, cg);
    }
    for (const g of [...this.#groups.values()]) if (g.members.size === 0 && g.offsets.size === 0 && g.generationId === 0 && g.protocolType === null) this.#groups.delete(g.groupId);
    if (legacyKeys.length === 0) return;
    const live: GroupLogRecord[] = [];
    for (const g of this.#groups.values()) for (const [key, value] of g.offsets) live.push({ kind: 'offset', group: g.groupId, ...splitOffsetKey(key), value });
    // Tombstones first: a JSON tombstone replays as the deletion of its offset, so the rewritten
    // records must come after it.
    this.#store.tombstoneLegacy(legacyKeys);
    this.#store.append(live);
  }

  #replayGroup(groupId: string, value: GroupMetadata | null): void {
    const existing = this.#groups.get(groupId);
    if (value === null) {
      // A tombstone removes the group; offsets are tombstoned by their own records.
      if (existing) {
        const fresh = new Group(groupId);
        for (const [k, o] of existing.offsets) fresh.offsets.set(k, o);
        this.#groups.set(groupId, fresh);
      }
      return;
    }
    const g = new Group(groupId);
    for (const [k, o] of existing?.offsets ?? []) g.offsets.set(k, o);
    g.generationId = value.generation;
    g.protocolType = value.protocolType === '' ? null : value.protocolType;
    g.protocolName = value.protocol;
    g.leaderId = value.leader;
    g.currentStateTimestamp = value.currentStateTimestamp === -1 ? null : value.currentStateTimestamp;
    const now = this.#now();
    for (const m of value.members) {
      g.members.set(m.memberId, {
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        sessionTimeoutMs: m.sessionTimeoutMs,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        protocolType: value.protocolType,
        protocols: [{ name: value.protocol ?? '', metadata: m.subscription }],
        assignment: m.assignment,
        // Members of a loaded group get a fresh session: those that are gone time out and rebalance.
        lastHeartbeat: now,
        awaitingJoin: null,
        awaitingSync: null,
      });
      if (m.groupInstanceId !== null) g.staticMembers.set(m.groupInstanceId, m.memberId);
    }
    g.state = g.members.size > 0 ? 'Stable' : 'Empty';
    g.emptySince = g.members.size > 0 ? null : g.currentStateTimestamp;
    this.#groups.set(groupId, g);
  }

  #group(groupId: string): Group {
    let g = this.#groups.get(groupId);
    if (!g) this.#groups.set(groupId, (g = new Group(groupId)));
    return g;
  }

  /** Every group Kafka would list: any that exists and is not Dead (an Empty group stays until its offsets expire). */
  groups(): Group[] {
    return [...this.#groups.values()].filter((g) => g.state !== 'Dead');
  }

  /** Groups with a member from this client id and host (how fetches, which name no group, are attributed). */
  groupsOfClient(clientId: string, clientHost: string): string[] {
    const out: string[] = [];
    for (const g of this.#groups.values()) for (const m of g.members.values()) if (m.clientId === clientId && m.clientHost === clientHost) { out.push(g.groupId); break; }
    return out;
  }

  get(groupId: string): Group | undefined {
    return this.#groups.get(groupId);
  }

  #transition(g: Group, state: GroupState): void {
    g.state = state;
    g.currentStateTimestamp = this.#now();
  }

  /** The group's state as Kafka's GroupMetadataValue records it. */
  #metadata(g: Group): GroupMetadata {
    return {
      protocolType: g.protocolType ?? '',
      generation: g.generationId,
      protocol: g.protocolName,
      leader: g.leaderId,
      currentStateTimestamp: g.currentStateTimestamp ?? -1,
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? Buffer.alloc(0),
        assignment: m.assignment,
      })),
    };
  }

  /** Writes the group's metadata record, as Kafka does when a generation completes, an assignment is stored or a static member is replaced. */
  #persist(g: Group): void {
    this.#store.append([{ kind: 'group', group: g.groupId, value: this.#metadata(g) }]);
  }

  // ---- ConsumerGroupHeartbeat (KIP-848, consumer-coordinator.ts) ----

  /**
   * Answered once the group's records (and every write before them on the partition) are
   * replicated, as Kafka's coordinator runtime completes its write operations; a refusal (Kafka
   * throws it, so nothing waits) is answered at once. A write that is not replicated in time, or
   * whose partition's leadership went, is COORDINATOR_NOT_AVAILABLE or NOT_COORDINATOR without a
   * message (Kafka's CoordinatorOperationExceptionHelper); the state stays, as Kafka's does for a
   * write that reached its log.
   */
  consumerGroupHeartbeat(req: HeartbeatRequest, topics: TopicLookup): Promise<HeartbeatResult> {
    const result = this.#consumerGroups.heartbeat(req, topics);
    const g = this.#groups.get(req.groupId);
    if (g) {
      this.#persistConsumerGroup(g);
      this.#scheduleRegexRefresh(g);
    }
    if (result.errorCode !== 0) return Promise.resolve(result);
    return this.#whenCommitted(result, (errorCode) => ({ errorCode, errorMessage: null, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null }));
  }

  /**
   * KIP-848 online upgrade (Kafka's validateOnlineUpgrade and convertToConsumerGroup): a member of
   * the consumer protocol joins a classic group with members. Allowed by
   * group.consumer.migration.policy (upgrade, bidirectional) for a group of the "consumer" protocol
   * type within group.consumer.max.size; the classic members stay, as members of the classic
   * protocol in the consumer group, and whoever waits in JoinGroup or SyncGroup is told
   * REBALANCE_IN_PROGRESS (they rejoin, now to the consumer group). Returns Kafka's reason when
   * the group may not be upgraded.
   */
  #upgrade(g: Group, topics: TopicLookup): string | null {
    const cannot = (why: string) => `Cannot upgrade classic group ${g.groupId} to consumer group because ${why}.`;
    const policy = this.#settings.migrationPolicy ?? 'bidirectional';
    if (policy !== 'upgrade' && policy !== 'bidirectional') return cannot('online upgrade is disabled');
    if (g.protocolType !== 'consumer') return cannot('the group does not use the consumer embedded protocol');
    if (g.members.size > (this.#settings.consumer?.maxSize ?? 2 ** 31 - 1)) return cannot('the group size exceeds the consumer group maximum size');
    const cg = consumerGroupFromClassic(g, topics, this.#now());
    if (!cg) return cannot('the embedded consumer protocol is malformed');
    for (const m of g.members.values()) {
      m.awaitingJoin?.(fail(ErrorCode.REBALANCE_IN_PROGRESS, m.memberId));
      m.awaitingSync?.(syncFail(ErrorCode.REBALANCE_IN_PROGRESS));
      m.awaitingJoin = null;
      m.awaitingSync = null;
    }
    if (g.rebalanceTimer) clearTimeout(g.rebalanceTimer);
    g.rebalanceTimer = null;
    this.#cancelSyncExpiry(g);
    // The classic group's record goes; the consumer group's records follow with the heartbeat.
    this.#store.append([{ kind: 'group', group: g.groupId, value: null }]);
    g.members.clear();
    g.staticMembers.clear();
    g.pendingMembers.clear();
    g.consumer = cg;
    g.protocolType = 'consumer';
    g.protocolName = null;
    g.generationId = 0;
    g.leaderId = null;
    return null;
  }

  /**
   * KIP-848 online downgrade (Kafka's validateOnlineDowngrade and convertToClassicGroup): the last
   * member of the consumer protocol left a consumer group whose other members use the classic
   * protocol, or (no leaving member) was replaced by a classic member with its instance id.
   * Allowed by group.consumer.migration.policy (downgrade, bidirectional) within group.max.size:
   * the group becomes a classic group at the group epoch as its generation (not bumped for the
   * leaving member), its members with their target partitions as their assignment (Kafka 4.4's
   * ClassicGroup.fromConsumerGroup), and rebalances (its members are told REBALANCE_IN_PROGRESS
   * and rejoin, now to the classic group) unless `rebalance` is false (a replacement with the
   * replaced member's subscription: the group stays Stable).
   */
  #downgrade(g: Group, leavingMemberId: string | null, topics: TopicLookup, rebalance: boolean): boolean {
    const cg = g.consumer;
    if (!cg || !this.#mayDowngrade(cg.members.size - (leavingMemberId === null ? 0 : 1))) return false;
    const members = classicMembersFromConsumer(cg, topics, this.#now()).filter((m) => m.memberId !== leavingMemberId);
    // The consumer group's records go (the journal writes their tombstones); the classic group's record follows.
    this.#store.append(this.#journal.changes(g.groupId, null));
    g.consumer = null;
    g.protocolType = 'consumer';
    g.generationId = cg.groupEpoch;
    for (const m of members) {
      g.members.set(m.memberId, m);
      if (m.groupInstanceId !== null) g.staticMembers.set(m.groupInstanceId, m.memberId);
    }
    g.protocolName = chooseProtocol(members);
    g.leaderId = members[0]!.memberId;
    g.emptySince = null;
    this.#transition(g, 'Stable');
    this.#persist(g);
    if (rebalance) this.#prepareRebalance(g);
    return true;
  }

  /** Kafka's downgrade checks: group.consumer.migration.policy allows it, and the classic group would have at most group.max.size members. */
  #mayDowngrade(members: number): boolean {
    const policy = this.#settings.migrationPolicy ?? 'bidirectional';
    return (policy === 'downgrade' || policy === 'bidirectional') && members <= this.#settings.maxGroupSize;
  }

  /**
   * A request triggered a refresh of the group's regular expressions: it is applied right after
   * the request (Kafka resolves off the request path and applies the result in a write of its own),
   * and its records written. Cancelled when the coordinator is unloaded.
   */
  #scheduleRegexRefresh(g: Group): void {
    if (!g.consumer?.pendingRegexRefresh || this.#regexRefreshes.has(g.groupId)) return;
    const handle = setImmediate(() => {
      this.#regexRefreshes.delete(g.groupId);
      if (this.#closed || this.#groups.get(g.groupId) !== g) return;
      if (this.#consumerGroups.applyRegexRefresh(g)) this.#persistConsumerGroup(g);
    });
    this.#regexRefreshes.set(g.groupId, handle);
  }

  /** Appends the records of what changed in a consumer group (tombstones once it is gone or no longer one). */
  #persistConsumerGroup(g: Group): void {
    this.#store.append(this.#journal.changes(g.groupId, g.state === 'Dead' ? null : g.consumer));
  }

  /** The server assignor a consumer group uses now (the one most members ask for, else the default). */
  consumerAssignorName(g: Group): string {
    return g.consumer ? this.#consumerGroups.assignorName(g.consumer) : '';
  }

  // ---- JoinGroup ----

  join(req: JoinRequest, topics?: TopicLookup): Promise<JoinResult> {
    if (!req.groupId) return Promise.resolve(fail(ErrorCode.INVALID_GROUP_ID, req.memberId));
    if (req.sessionTimeoutMs < this.#settings.minSessionTimeoutMs || req.sessionTimeoutMs > this.#settings.maxSessionTimeoutMs) {
      return Promise.resolve(fail(ErrorCode.INVALID_SESSION_TIMEOUT, req.memberId));
    }
    const isUnknownMember = req.memberId === '';
    let g = this.#groups.get(req.groupId);
    // Only a member without an id creates a group; a known id for an unknown group is stale.
    if (!g && !isUnknownMember) return Promise.resolve(fail(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId));
    if (g?.state === 'Dead') return Promise.resolve(fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, req.memberId));
    if (g?.consumer) {
      // A classic member joins a consumer group that has members as a member of the classic
      // protocol (KIP-848 online migration); an empty consumer group becomes a classic one, as in Kafka.
      if (g.consumer.members.size > 0) return this.#afterReplication(this.#classicJoinToConsumerGroup(g, req, topics), (code) => fail(code, req.memberId));
      g.consumer = null;
      g.protocolType = null;
      this.#persistConsumerGroup(g);
    }
    if (!this.#supportsProtocols(g, req)) return Promise.resolve(fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId));
    g ??= this.#group(req.groupId);
    if (!this.#acceptJoiningMember(g, req.memberId)) return Promise.resolve(fail(ErrorCode.GROUP_MAX_SIZE_REACHED, req.memberId));
    return isUnknownMember ? this.#joinNewMember(g, req) : this.#joinExistingMember(g, req);
  }

  #classicJoinToConsumerGroup(g: Group, req: JoinRequest, topics: TopicLookup | undefined): JoinResult {
    // Kafka 4.4's throwIfClassicMemberCannotJoinConsumerGroup: with migration disabled no classic member joins (or rejoins) a consumer group.
    if ((this.#settings.migrationPolicy ?? 'bidirectional') === 'disabled') return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId);
    const r = this.#consumerGroups.classicJoin(g, req, topics);
    this.#persistConsumerGroup(g);
    this.#scheduleRegexRefresh(g);
    if (r.errorCode !== 0) return fail(r.errorCode, r.memberId);
    return { errorCode: 0, generationId: r.generationId, protocolType: 'consumer', protocolName: r.protocolName, leader: '', memberId: r.memberId, members: [], skipAssignment: false };
  }

  /** Kafka's supportsProtocols: an empty group takes any non-empty protocol list; otherwise the type must match and one protocol must be supported by every member. */
  #supportsProtocols(g: Group | undefined, req: JoinRequest): boolean {
    if (!req.protocolType || req.protocols.length === 0) return false;
    if (!g || g.state === 'Empty') return true;
    if (g.protocolType !== req.protocolType) return false;
    return req.protocols.some((p) => [...g.members.values()].every((m) => m.protocols.some((mp) => mp.name === p.name)));
  }

  /** group.max.size: waiting members count while preparing a rebalance, members otherwise. */
  #acceptJoiningMember(g: Group, memberId: string): boolean {
    const max = this.#settings.maxGroupSize;
    switch (g.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance': {
        const awaiting = [...g.members.values()].filter((m) => m.awaitingJoin !== null).length;
        return (g.members.get(memberId)?.awaitingJoin ?? null) !== null || awaiting < max;
      }
      default:
        return g.members.has(memberId) || g.members.size < max;
    }
  }

  #joinNewMember(g: Group, req: JoinRequest): Promise<JoinResult> {
    const memberId = `${req.groupInstanceId ?? req.clientId}-${randomUUID()}`;
    if (req.groupInstanceId !== null) {
      const existing = g.staticMembers.get(req.groupInstanceId);
      return existing !== undefined && g.members.has(existing) ? this.#replaceStaticMember(g, req, existing, memberId) : this.#addMember(g, memberId, req);
    }
    if (req.requireKnownMemberId) {
      // KIP-394: the member must come back with this id, so that a retried join adds no ghost member.
      g.pendingMembers.set(memberId, this.#now() + req.sessionTimeoutMs);
      return Promise.resolve(fail(ErrorCode.MEMBER_ID_REQUIRED, memberId));
    }
    return this.#addMember(g, memberId, req);
  }

  #joinExistingMember(g: Group, req: JoinRequest): Promise<JoinResult> {
    const memberId = req.memberId;
    if (g.pendingMembers.has(memberId) && req.groupInstanceId === null) {
      g.pendingMembers.delete(memberId);
      return this.#addMember(g, memberId, req);
    }
    const error = this.#validateMember(g, { memberId, groupInstanceId: req.groupInstanceId });
    if (error !== 0) return Promise.resolve(fail(error, memberId));
    const m = g.members.get(memberId)!;
    switch (g.state) {
      case 'PreparingRebalance':
        return this.#updateMemberAndRebalance(g, m, req);
      case 'CompletingRebalance':
        // The same metadata again (the join response was lost): the current generation, unchanged.
        if (sameProtocols(m, req)) return Promise.resolve(this.#currentGeneration(g, memberId, memberId === g.leaderId));
        return this.#updateMemberAndRebalance(g, m, req);
      case 'Stable':
        // The leader rejoining asks for a new assignment (e.g. topic metadata changed); a follower
        // only rebalances the group when its metadata changed. The comparison is made against the
        // stored metadata before it is replaced.
        if (memberId === g.leaderId || !sameProtocols(m, req)) return this.#updateMemberAndRebalance(g, m, req);
        m.lastHeartbeat = this.#now();
        return Promise.resolve(this.#currentGeneration(g, memberId, false));
      default:
        return Promise.resolve(fail(ErrorCode.UNKNOWN_MEMBER_ID, memberId));
    }
  }

  #currentGeneration(g: Group, memberId: string, withMembers: boolean): JoinResult {
    return { errorCode: 0, generationId: g.generationId, protocolType: g.protocolType, protocolName: g.protocolName, leader: g.leaderId ?? '', memberId, members: withMembers ? this.#memberList(g) : [], skipAssignment: false };
  }

  #addMember(g: Group, memberId: string, req: JoinRequest): Promise<JoinResult> {
    const member: Member = {
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols,
      assignment: Buffer.alloc(0),
      lastHeartbeat: this.#now(),
      awaitingJoin: null,
      awaitingSync: null,
    };
    if (g.members.size === 0) g.protocolType = req.protocolType;
    // A member joining the initial rebalance extends its delay once more (Kafka's newMemberAdded).
    if (g.state === 'PreparingRebalance' && g.initialRebalance) g.newMemberAdded = true;
    g.members.set(memberId, member);
    if (req.groupInstanceId !== null) g.staticMembers.set(req.groupInstanceId, memberId);
    g.emptySince = null;
    const result = new Promise<JoinResult>((resolve) => (member.awaitingJoin = resolve));
    this.#maybePrepareRebalanceOrCompleteJoin(g);
    return result;
  }

  #updateMemberAndRebalance(g: Group, m: Member, req: JoinRequest): Promise<JoinResult> {
    m.protocols = req.protocols;
    m.sessionTimeoutMs = req.sessionTimeoutMs;
    m.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    m.lastHeartbeat = this.#now();
    const result = new Promise<JoinResult>((resolve) => (m.awaitingJoin = resolve));
    this.#maybePrepareRebalanceOrCompleteJoin(g);
    return result;
  }

  /**
   * KIP-345: a static member joining without a member id replaces its previous incarnation, which
   * is fenced. In a Stable group this costs no rebalance unless the group's protocol would change:
   * the member gets the current generation back. A leader replaced this way gets its own id as
   * leader with skipAssignment on JoinGroup v9+ (KIP-814); older versions are told the old leader
   * id, so the new incarnation acts as a follower and the group stays stable.
   */
  #replaceStaticMember(g: Group, req: JoinRequest, oldMemberId: string, newMemberId: string): Promise<JoinResult> {
    const old = g.members.get(oldMemberId)!;
    const currentLeader = g.leaderId;
    old.awaitingJoin?.(fail(ErrorCode.FENCED_INSTANCE_ID, oldMemberId));
    old.awaitingSync?.(syncFail(ErrorCode.FENCED_INSTANCE_ID));
    g.members.delete(oldMemberId);
    const replacement: Member = {
      ...old,
      memberId: newMemberId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      protocols: req.protocols,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      lastHeartbeat: this.#now(),
      awaitingJoin: null,
      awaitingSync: null,
    };
    g.members.set(newMemberId, replacement);
    g.staticMembers.set(req.groupInstanceId!, newMemberId);
    // The new incarnation owes the SyncGroup the old one owed.
    if (g.pendingSync.delete(oldMemberId)) g.pendingSync.add(newMemberId);
    if (currentLeader === oldMemberId) g.leaderId = newMemberId;
    const result = new Promise<JoinResult>((resolve) => (replacement.awaitingJoin = resolve));
    if (g.state === 'Stable') {
      if (g.protocolName === chooseProtocol([...g.members.values()])) {
        replacement.awaitingJoin = null;
        this.#persist(g);
        // As Kafka's updateStaticMemberThenRebalanceOrCompleteJoin: answered once the group record
        // naming the new member id is replicated; if that write fails, the old member is restored.
        return this.#committed().then((code) => {
          if (code !== 0) return this.#revertStaticReplacement(g, old, replacement, currentLeader, code);
          const isLeader = g.leaderId === newMemberId;
          if (req.supportsSkipAssignment) {
            return { errorCode: 0, generationId: g.generationId, protocolType: g.protocolType, protocolName: g.protocolName, leader: g.leaderId ?? '', memberId: newMemberId, members: isLeader ? this.#memberList(g) : [], skipAssignment: isLeader };
          }
          return { errorCode: 0, generationId: g.generationId, protocolType: g.protocolType, protocolName: g.protocolName, leader: currentLeader ?? '', memberId: newMemberId, members: [], skipAssignment: false };
        });
      }
      this.#maybePrepareRebalanceOrCompleteJoin(g);
    } else if (g.state === 'CompletingRebalance') {
      // The leader may already have assigned to the old member id: a new rebalance is needed.
      this.#prepareRebalance(g);
    } else this.#maybeCompleteJoinPhase(g);
    return result;
  }

  /**
   * The group record of a static member's replacement could not be written (Kafka's appendFuture
   * failing in updateStaticMemberThenRebalanceOrCompleteJoin): the old member id holds the instance
   * again, with its protocols, timeouts and leadership, and a fresh session; the newcomer is told
   * the error without a member id. Nothing is restored when the group moved on meanwhile (the new
   * member left or was replaced again) or the coordinator was unloaded.
   */
  #revertStaticReplacement(g: Group, old: Member, replacement: Member, previousLeader: string | null, errorCode: number): JoinResult {
    const instanceId = replacement.groupInstanceId!;
    if (!this.#closed && g.members.get(replacement.memberId) === replacement && g.staticMembers.get(instanceId) === replacement.memberId) {
      g.members.delete(replacement.memberId);
      old.lastHeartbeat = this.#now();
      g.members.set(old.memberId, old);
      g.staticMembers.set(instanceId, old.memberId);
      if (g.pendingSync.delete(replacement.memberId)) g.pendingSync.add(old.memberId);
      if (g.leaderId === replacement.memberId) g.leaderId = old.memberId;
    }
    return { errorCode, generationId: g.generationId, protocolType: g.protocolType, protocolName: g.protocolName, leader: previousLeader ?? '', memberId: '', members: [], skipAssignment: false };
  }

  #memberList(g: Group): JoinResult['members'] {
    return [...g.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? Buffer.alloc(0) }));
  }

  /** Kafka's maybePrepareRebalanceOrCompleteJoin: a group that can rebalance does; one preparing a rebalance may complete its join phase. */
  #maybePrepareRebalanceOrCompleteJoin(g: Group): void {
    if (g.state === 'Stable' || g.state === 'CompletingRebalance' || g.state === 'Empty') this.#prepareRebalance(g);
    else this.#maybeCompleteJoinPhase(g);
  }

  /** Kafka's maybeCompleteJoinPhase: a join completes the phase once everyone has joined, except in the initial rebalance (its timer does). */
  #maybeCompleteJoinPhase(g: Group): void {
    if (g.state === 'PreparingRebalance' && !g.initialRebalance && this.#hasAllMembersJoined(g)) this.#completeJoin(g);
  }

  /** Every member is waiting in JoinGroup and no member id handed out with MEMBER_ID_REQUIRED is still to join. */
  #hasAllMembersJoined(g: Group): boolean {
    return g.pendingMembers.size === 0 && [...g.members.values()].every((m) => m.awaitingJoin !== null);
  }

  /** The group's rebalance timeout: the longest of its members' (0 without members). */
  #rebalanceTimeout(g: Group): number {
    return Math.max(0, ...[...g.members.values()].map((m) => m.rebalanceTimeoutMs));
  }

  #prepareRebalance(g: Group): void {
    if (g.state === 'PreparingRebalance' || g.state === 'Dead') return;
    // Members waiting for their assignment must rejoin; assignments of the old generation are void.
    if (g.state === 'CompletingRebalance') {
      for (const m of g.members.values()) {
        m.assignment = Buffer.alloc(0);
        m.awaitingSync?.(syncFail(ErrorCode.REBALANCE_IN_PROGRESS));
        m.awaitingSync = null;
      }
    }
    this.#cancelSyncExpiry(g);
    const initial = g.state === 'Empty';
    this.#transition(g, 'PreparingRebalance');
    g.initialRebalance = initial;
    if (initial) {
      // A new group waits group.initial.rebalance.delay.ms for more members, extended while members
      // keep joining (up to the rebalance timeout), so that a starting fleet causes one rebalance.
      g.newMemberAdded = false;
      const delay = this.#settings.initialRebalanceDelayMs;
      const remaining = Math.max(this.#rebalanceTimeout(g) - delay, 0);
      this.#scheduleJoin(g, delay, () => this.#tryCompleteInitialRebalance(g, delay, remaining));
    } else if (this.#hasAllMembersJoined(g)) {
      this.#completeJoin(g);
    } else {
      // Members that have not rejoined within the rebalance timeout are removed then.
      this.#scheduleJoin(g, this.#rebalanceTimeout(g), () => this.#completeJoin(g));
    }
  }

  /** Kafka's tryCompleteInitialRebalanceElseSchedule. */
  #tryCompleteInitialRebalance(g: Group, delay: number, remaining: number): void {
    if (g.newMemberAdded && remaining !== 0) {
      g.newMemberAdded = false;
      const next = Math.min(this.#settings.initialRebalanceDelayMs, remaining);
      this.#scheduleJoin(g, next, () => this.#tryCompleteInitialRebalance(g, next, Math.max(remaining - delay, 0)));
    } else this.#completeJoin(g);
  }

  #scheduleJoin(g: Group, delayMs: number, then: () => void): void {
    if (g.rebalanceTimer) clearTimeout(g.rebalanceTimer);
    g.rebalanceTimer = setTimeout(() => {
      g.rebalanceTimer = null;
      then();
    }, delayMs);
    g.rebalanceTimer.unref();
  }

  /**
   * Ends PreparingRebalance (Kafka's completeClassicGroupJoin): dynamic members that did not rejoin
   * are removed (static ones stay, and may still sync), the leader is one that rejoined, the next
   * generation gets its protocol, and every waiting JoinGroup is answered. Member ids still pending
   * (MEMBER_ID_REQUIRED) stay valid: they join the next generation when they come. Every member must
   * then send SyncGroup within the rebalance timeout.
   */
  #completeJoin(g: Group): void {
    if (g.state !== 'PreparingRebalance') return;
    if (g.rebalanceTimer) clearTimeout(g.rebalanceTimer);
    g.rebalanceTimer = null;
    for (const m of [...g.members.values()]) if (m.awaitingJoin === null && m.groupInstanceId === null) this.#forget(g, m);
    const joined = [...g.members.values()].filter((m) => m.awaitingJoin !== null);
    if (g.members.size > 0 && joined.length === 0) {
      // Only static members that have not rejoined are left: wait for them (or their session timeout) once more.
      this.#scheduleJoin(g, this.#rebalanceTimeout(g), () => this.#completeJoin(g));
      return;
    }
    g.generationId++;
    g.initialRebalance = false;
    if (g.members.size === 0) {
      this.#becomeEmpty(g);
      this.#persist(g);
      return;
    }
    const members = [...g.members.values()];
    g.protocolName = chooseProtocol(members);
    const leader = g.leaderId === null ? undefined : g.members.get(g.leaderId);
    if (leader?.awaitingJoin == null) g.leaderId = joined[0]!.memberId;
    this.#transition(g, 'CompletingRebalance');
    const everyone = this.#memberList(g);
    for (const m of members) {
      const answer = m.awaitingJoin;
      m.awaitingJoin = null;
      m.lastHeartbeat = this.#now();
      g.pendingSync.add(m.memberId);
      answer?.({ errorCode: 0, generationId: g.generationId, protocolType: g.protocolType, protocolName: g.protocolName, leader: g.leaderId!, memberId: m.memberId, members: m.memberId === g.leaderId ? everyone : [], skipAssignment: false });
    }
    const generation = g.generationId;
    g.syncTimer = setTimeout(() => this.#expirePendingSync(g, generation), this.#rebalanceTimeout(g));
    g.syncTimer.unref();
  }

  /**
   * Kafka's expirePendingSync: members of this generation that have not sent SyncGroup within the
   * rebalance timeout are removed and the group rebalances, so that a leader that never assigns (or a
   * member that vanished between JoinGroup and SyncGroup) cannot hold the others forever.
   */
  #expirePendingSync(g: Group, generation: number): void {
    g.syncTimer = null;
    if (generation !== g.generationId || (g.state !== 'CompletingRebalance' && g.state !== 'Stable') || g.pendingSync.size === 0) return;
    for (const memberId of [...g.pendingSync]) {
      const m = g.members.get(memberId);
      if (m) this.#removeMember(g, m);
    }
    g.pendingSync.clear();
    this.#prepareRebalance(g);
  }

  #cancelSyncExpiry(g: Group): void {
    g.pendingSync.clear();
    if (g.syncTimer) clearTimeout(g.syncTimer);
    g.syncTimer = null;
  }

  /** A member sent SyncGroup: it is no longer awaited; once nobody is, the sync timer is moot. */
  #synced(g: Group, memberId: string): void {
    g.pendingSync.delete(memberId);
    if (g.pendingSync.size === 0 && g.syncTimer) {
      clearTimeout(g.syncTimer);
      g.syncTimer = null;
    }
  }

  /**
   * Kafka's validateMember: with an instance id, it must be known (UNKNOWN_MEMBER_ID) and held by
   * this member id (FENCED_INSTANCE_ID, checked before anything else); then the member id must be
   * in the group.
   */
  #validateMember(g: Group, who: MemberRef): number {
    if (who.groupInstanceId !== null) {
      const holder = g.staticMembers.get(who.groupInstanceId);
      if (holder === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (holder !== who.memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    return g.members.has(who.memberId) ? 0 : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  // ---- SyncGroup ----

  sync(groupId: string, who: MemberRef, req: SyncRequest, topics?: TopicLookup): Promise<SyncResult> {
    if (!groupId) return Promise.resolve(syncFail(ErrorCode.INVALID_GROUP_ID));
    const g = this.#groups.get(groupId);
    if (!g || g.state === 'Empty') return Promise.resolve(syncFail(ErrorCode.UNKNOWN_MEMBER_ID));
    if (g.state === 'Dead') return Promise.resolve(syncFail(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (g.consumer) {
      const r = this.#consumerGroups.classicSync(g, who, req, topics);
      this.#persistConsumerGroup(g);
      return this.#afterReplication(r, syncFail);
    }
    const error = this.#validateMember(g, who);
    if (error !== 0) return Promise.resolve(syncFail(error));
    if (req.generationId !== g.generationId) return Promise.resolve(syncFail(ErrorCode.ILLEGAL_GENERATION));
    if (inconsistent(req.protocolType, g.protocolType) || inconsistent(req.protocolName, g.protocolName)) return Promise.resolve(syncFail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    const m = g.members.get(who.memberId)!;
    m.lastHeartbeat = this.#now();
    if (g.state === 'PreparingRebalance') return Promise.resolve(syncFail(ErrorCode.REBALANCE_IN_PROGRESS));
    this.#synced(g, m.memberId);
    if (g.state === 'Stable') return Promise.resolve({ errorCode: 0, protocolType: g.protocolType, protocolName: g.protocolName, assignment: m.assignment });
    // CompletingRebalance: wait for the leader's assignment.
    const result = new Promise<SyncResult>((resolve) => (m.awaitingSync = resolve));
    if (m.memberId === g.leaderId) {
      // Members the leader left out get an empty assignment, as in Kafka.
      for (const member of g.members.values()) member.assignment = req.assignments.find((a) => a.memberId === member.memberId)?.assignment ?? Buffer.alloc(0);
      this.#persist(g);
      // As Kafka's classicGroupSyncToClassicGroup: the assignment is given (and the group Stable) once
      // the group record is replicated, if the group is still completing this generation's rebalance.
      const replicated = this.#store.whenReplicated();
      if (replicated === null) this.#completeSync(g);
      else {
        const generation = g.generationId;
        void replicated.then((code) => {
          if (this.#closed || g.state !== 'CompletingRebalance' || g.generationId !== generation) return;
          if (code === 0) this.#completeSync(g);
          else this.#failSync(g, appendErrorToResponseError(code));
        });
      }
    }
    return result;
  }

  /** The leader's assignment stored: the group is Stable and every member waiting in SyncGroup gets its part. */
  #completeSync(g: Group): void {
    this.#transition(g, 'Stable');
    for (const member of g.members.values()) {
      if (!member.awaitingSync) continue;
      member.awaitingSync({ errorCode: 0, protocolType: g.protocolType, protocolName: g.protocolName, assignment: member.assignment });
      member.awaitingSync = null;
      // Its session runs from its assignment: it may have waited for the leader longer than that.
      member.lastHeartbeat = this.#now();
    }
  }

  /**
   * The group record could not be replicated (Kafka's resetAndPropagateAssignmentWithError, then
   * maybePrepareRebalanceOrCompleteJoin): the assignments are dropped, every member waiting in
   * SyncGroup gets the error, and the group rebalances.
   */
  #failSync(g: Group, errorCode: number): void {
    for (const member of g.members.values()) {
      member.assignment = Buffer.alloc(0);
      member.awaitingSync?.(syncFail(errorCode));
      member.awaitingSync = null;
    }
    this.#prepareRebalance(g);
  }

  /**
   * A classic member's JoinGroup or SyncGroup in a consumer group is answered once the group's
   * records are replicated, as Kafka's coordinator runtime completes those writes (so a coordinator
   * that loses the partition meanwhile answers NOT_COORDINATOR, as Kafka's failed writes do).
   */
  #afterReplication<T extends { errorCode: number }>(result: T, failWith: (code: number) => T): Promise<T> {
    if (result.errorCode !== 0) return Promise.resolve(result);
    return this.#whenCommitted(result, failWith);
  }

  /**
   * Kafka's CoordinatorRuntime for a write operation: its answer is given once the partition's
   * writes so far are committed (its own records, or, for an operation that wrote none, the
   * pending writes before it: at once when there are none); otherwise the error the failed write
   * maps to (appendErrorToResponseError).
   */
  #whenCommitted<T>(result: T, failWith: (code: number) => T): Promise<T> {
    return this.#committed().then((code) => (code === 0 ? result : failWith(code)));
  }

  /**
   * Waits for the partition's writes so far: 0 once committed, else the error to answer. A
   * coordinator unloaded meanwhile answers NOT_COORDINATOR whatever became of the write (Kafka's
   * unload fails every deferred answer with NotCoordinatorException): its state is no longer the
   * group's, the new coordinator's is.
   */
  #committed(): Promise<number> {
    const replicated = this.#store.whenReplicated() ?? Promise.resolve(0);
    return replicated.then((code) => (this.#closed ? ErrorCode.NOT_COORDINATOR : appendErrorToResponseError(code)));
  }

  // ---- Heartbeat ----

  /**
   * Kafka's classicGroupHeartbeat is a write operation without records: its answer (success or
   * REBALANCE_IN_PROGRESS) waits for the partition's pending writes to be committed, so a member is
   * not told its generation stands before the record of it is replicated; its refusals (thrown in
   * Kafka) are answered at once.
   */
  heartbeat(groupId: string, who: MemberRef, generationId: number): Promise<number> {
    const code = this.#heartbeat(groupId, who, generationId);
    if (code !== 0 && code !== ErrorCode.REBALANCE_IN_PROGRESS) return Promise.resolve(code);
    return this.#whenCommitted(code, (error) => error);
  }

  #heartbeat(groupId: string, who: MemberRef, generationId: number): number {
    if (!groupId) return ErrorCode.INVALID_GROUP_ID;
    const g = this.#groups.get(groupId);
    if (!g) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (g.state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (g.consumer) return this.#consumerGroups.classicHeartbeat(g, who, generationId);
    const error = this.#validateMember(g, who);
    if (error !== 0) return error;
    if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (g.state === 'Empty') return ErrorCode.UNKNOWN_MEMBER_ID;
    g.members.get(who.memberId)!.lastHeartbeat = this.#now();
    // Heartbeats during CompletingRebalance are ordinary: members may send them before SyncGroup.
    return g.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : 0;
  }

  // ---- LeaveGroup ----

  /**
   * LeaveGroup for a batch of members (v3+; older versions send one). A member may be named by
   * group.instance.id alone (member id empty), which is how an operator removes a static member
   * that will not come back; a pending member (MEMBER_ID_REQUIRED, not joined yet) may leave too.
   */
  /**
   * Answered once the partition's writes are committed (the group record of a group left empty,
   * or the pending writes before it), as Kafka's classicGroupLeave, a write operation; a failed
   * write answers its error for the whole request, without members. Refusals of the request
   * (unknown or dead group) are answered at once.
   */
  leave(groupId: string, members: MemberRef[]): Promise<LeaveResult> {
    if (!groupId) return Promise.resolve({ errorCode: ErrorCode.INVALID_GROUP_ID, members: [] });
    const g = this.#groups.get(groupId);
    // Kafka 4.4's GroupCoordinatorService: an unknown group is UNKNOWN_MEMBER_ID for each member named (LeaveGroup v3+; the request's error below v3).
    if (!g) return Promise.resolve({ errorCode: 0, members: members.map((m) => ({ ...m, errorCode: ErrorCode.UNKNOWN_MEMBER_ID })) });
    if (g.state === 'Dead') return Promise.resolve({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] });
    const result = this.#leave(g, members);
    return this.#whenCommitted(result, (errorCode) => ({ errorCode, members: [] }));
  }

  #leave(g: Group, members: MemberRef[]): LeaveResult {
    if (g.consumer) {
      const left = this.#consumerGroups.classicLeave(g, members);
      this.#persistConsumerGroup(g);
      return { errorCode: 0, members: left };
    }
    const out: LeaveResult['members'] = [];
    let removed = false;
    let pendingLeft = false;
    for (const who of members) {
      let errorCode = 0;
      if (who.memberId === '') {
        const holder = who.groupInstanceId === null ? undefined : g.staticMembers.get(who.groupInstanceId);
        if (holder !== undefined && g.members.has(holder)) this.#removeMember(g, g.members.get(holder)!);
        else errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
      } else if (g.pendingMembers.has(who.memberId)) {
        g.pendingMembers.delete(who.memberId);
        pendingLeft = true;
        out.push({ memberId: who.memberId, groupInstanceId: who.groupInstanceId, errorCode });
        continue;
      } else {
        errorCode = this.#validateMember(g, who);
        if (errorCode === 0) this.#removeMember(g, g.members.get(who.memberId)!);
      }
      if (errorCode === 0) removed = true;
      out.push({ memberId: who.memberId, groupInstanceId: who.groupInstanceId, errorCode });
    }
    if (removed) this.#afterRemoval(g);
    else if (pendingLeft) this.#afterPendingRemoval(g);
    return { errorCode: 0, members: out };
  }

  /** Drops a member from the group's books (and its static instance id, if it still holds it). */
  #forget(g: Group, m: Member): void {
    g.members.delete(m.memberId);
    g.pendingSync.delete(m.memberId);
    if (m.groupInstanceId !== null && g.staticMembers.get(m.groupInstanceId) === m.memberId) g.staticMembers.delete(m.groupInstanceId);
  }

  #becomeEmpty(g: Group): void {
    this.#transition(g, 'Empty');
    g.leaderId = null;
    g.protocolName = null;
    g.emptySince = this.#now();
  }

  /** Removes a member; whatever it waits for ends with UNKNOWN_MEMBER_ID. */
  #removeMember(g: Group, m: Member): void {
    this.#forget(g, m);
    m.awaitingJoin?.(fail(ErrorCode.UNKNOWN_MEMBER_ID, m.memberId));
    m.awaitingSync?.(syncFail(ErrorCode.UNKNOWN_MEMBER_ID));
    m.awaitingJoin = null;
    m.awaitingSync = null;
  }

  /**
   * After members left (Kafka's removeMemberAndUpdateClassicGroup): a Stable or CompletingRebalance
   * group rebalances; a preparing one completes its join phase once everyone left has joined, even
   * in the initial rebalance.
   */
  #afterRemoval(g: Group): void {
    if (g.state === 'Stable' || g.state === 'CompletingRebalance') this.#prepareRebalance(g);
    else if (g.state === 'PreparingRebalance' && this.#hasAllMembersJoined(g)) this.#completeJoin(g);
  }

  /** A pending member id left or expired (Kafka's removePendingMemberAndUpdateClassicGroup): no rebalance, but a join phase that waited for it may complete. */
  #afterPendingRemoval(g: Group): void {
    if (g.state === 'PreparingRebalance' && this.#hasAllMembersJoined(g)) this.#completeJoin(g);
  }

  /**
   * Members silent for longer than their session timeout leave; the rest rebalance. A pending
   * member that does not join within its session timeout is forgotten, so that a rebalance does not
   * wait for it.
   */
  expireSessions(): void {
    for (const g of this.#consumerGroups.expire(this.#groups.values())) this.#persistConsumerGroup(g);
    const now = this.#now();
    for (const g of this.#groups.values()) {
      let pendingLeft = false;
      for (const [memberId, deadline] of g.pendingMembers) {
        if (now > deadline) {
          g.pendingMembers.delete(memberId);
          pendingLeft = true;
        }
      }
      if (pendingLeft) this.#afterPendingRemoval(g);
      for (const m of [...g.members.values()]) {
        // A member waiting in JoinGroup is covered by the rebalance timeout, one waiting in SyncGroup by the leader.
        if (m.awaitingJoin === null && m.awaitingSync === null && now - m.lastHeartbeat > m.sessionTimeoutMs) {
          this.#removeMember(g, m);
          this.#afterRemoval(g);
        }
      }
    }
  }

  // ---- Offsets (offset-manager.ts) ----

  /** `topicIds` names the committed topics' ids (a consumer group checks the epoch each partition was assigned at). */
  commit(groupId: string, who: MemberRef, generationId: number, offsets: { topic: string; partition: number; value: CommittedOffset }[], apiVersion = 8, topicIds?: Map<string, string>): number {
    return this.#offsets.commit(groupId, who, generationId, offsets, apiVersion, topicIds);
  }

  /**
   * OffsetCommit as Kafka's coordinator runtime runs it (a write operation): a refusal (thrown in
   * Kafka) is answered at once; an accepted commit once the partition's writes so far are committed:
   * its own records, or, when it writes none (every partition refused OFFSET_METADATA_TOO_LARGE),
   * the writes pending before it (at once when none are). A write not replicated in time is
   * COORDINATOR_NOT_AVAILABLE, leadership gone NOT_COORDINATOR (CoordinatorOperationExceptionHelper).
   */
  commitOffsets(groupId: string, who: MemberRef, generationId: number, offsets: { topic: string; partition: number; value: CommittedOffset }[], apiVersion = 8, topicIds?: Map<string, string>): Promise<number> {
    const code = this.#offsets.commit(groupId, who, generationId, offsets, apiVersion, topicIds);
    if (code !== 0) return Promise.resolve(code);
    return this.#whenCommitted(0, (error) => error);
  }

  validateOffsetFetch(groupId: string, memberId: string | null, memberEpoch: number): number {
    return this.#offsets.validateOffsetFetch(groupId, memberId, memberEpoch);
  }

  committed(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.#offsets.committed(groupId, topic, partition);
  }

  /** OffsetFetch (a read operation in Kafka): the group's offsets at the partition's last committed offset. */
  committedOffsets(groupId: string): ReadonlyMap<string, CommittedOffset> {
    return this.#offsets.committedOffsets(groupId);
  }

  /** OffsetFetch with require_stable (a write operation in Kafka): the offsets as written, read before `writesCommitted`. */
  latestOffsets(groupId: string): ReadonlyMap<string, CommittedOffset> {
    return this.#offsets.latestOffsets(groupId);
  }

  /**
   * Waits for the partition's writes so far (Kafka's write operation without records): 0 once they
   * are committed, else the error a failed write maps to (COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR).
   */
  writesCommitted(): Promise<number> {
    return this.#committed();
  }

  txnCommit(groupId: string, producerId: bigint, producerEpoch: number, who: MemberRef, generationId: number, offsets: { topic: string; partition: number; value: CommittedOffset }[]): number {
    return this.#offsets.txnCommit(groupId, producerId, producerEpoch, who, generationId, offsets);
  }

  /**
   * TxnOffsetCommit as a write operation (Kafka's scheduleTransactionalWriteOperation): a refusal at
   * once; otherwise answered once the partition's writes so far are committed, its own transactional
   * batch or, writing none (every partition's metadata too long), the writes pending before it.
   */
  txnCommitOffsets(groupId: string, producerId: bigint, producerEpoch: number, who: MemberRef, generationId: number, offsets: { topic: string; partition: number; value: CommittedOffset }[]): Promise<number> {
    const code = this.#offsets.txnCommit(groupId, producerId, producerEpoch, who, generationId, offsets);
    if (code !== 0) return Promise.resolve(code);
    return this.#whenCommitted(0, (error) => error);
  }

  /** A transaction marker was written to `__consumer_offsets`: the producer's pending offsets are committed or dropped. */
  completeTransaction(producerId: bigint, commit: boolean): void {
    this.#offsets.completeTransaction(producerId, commit);
  }

  hasPendingOffset(groupId: string, topic: string, partition: number): boolean {
    return this.#offsets.hasPending(groupId, topic, partition);
  }

  deleteOffsets(groupId: string, partitions: { topic: string; partition: number }[]): OffsetDeleteResult {
    return this.#offsets.deleteOffsets(groupId, partitions);
  }

  /**
   * OffsetDelete as Kafka's write operation: a refusal of the group (GROUP_ID_NOT_FOUND,
   * NON_EMPTY_GROUP: thrown in Kafka) at once; otherwise answered once its tombstones (or the
   * partition's pending writes, when it deleted nothing) are committed; a failed write is the
   * request's error (COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR), as handleOperationException maps it.
   */
  async deleteOffsetsCommitted(groupId: string, partitions: { topic: string; partition: number }[]): Promise<OffsetDeleteResult> {
    const result = this.#offsets.deleteOffsets(groupId, partitions);
    if (result.errorCode !== 0) return result;
    const code = await this.#committed();
    return code === 0 ? result : { errorCode: code, partitions: new Map() };
  }

  expireOffsets(): number {
    return this.#offsets.expireOffsets();
  }

  /** Deletes a group: its offsets and its metadata are tombstoned, and it is Dead to whoever still holds it. */
  #dropGroup(g: Group): void {
    if (g.rebalanceTimer) clearTimeout(g.rebalanceTimer);
    this.#cancelSyncExpiry(g);
    const tombstones: GroupLogRecord[] = [...g.offsets.keys()].map((k) => ({ kind: 'offset', group: g.groupId, ...splitOffsetKey(k), value: null }));
    tombstones.push({ kind: 'group', group: g.groupId, value: null });
    if (g.consumer) tombstones.push(...this.#journal.changes(g.groupId, null));
    this.#store.append(tombstones);
    this.#offsets.recordChange(g.groupId, g.offsets, g.offsets.keys());
    g.offsets.clear();
    this.#transition(g, 'Dead');
    this.#groups.delete(g.groupId);
  }

  /**
   * DeleteGroups for the groups of this partition, as Kafka's one write operation per partition:
   * each group's answer (its refusal among them) once the partition's writes so far are committed;
   * a failed write answers every group of the partition with its error.
   */
  async deleteGroups(groupIds: string[]): Promise<number[]> {
    const results = groupIds.map((id) => this.deleteGroup(id));
    const code = await this.#committed();
    return code === 0 ? results : groupIds.map(() => code);
  }

  /** DeleteGroups: only an Empty group can be deleted (NON_EMPTY_GROUP otherwise). */
  deleteGroup(groupId: string): number {
    const g = this.#groups.get(groupId);
    if (!g || g.state === 'Dead') return ErrorCode.GROUP_ID_NOT_FOUND;
    if (g.state !== 'Empty') return ErrorCode.NON_EMPTY_GROUP;
    this.#dropGroup(g);
    return 0;
  }
}

function inconsistent(requested: string | null, current: string | null): boolean {
  return requested !== null && current !== null && requested !== current;
}

/** Kafka's ClassicGroupMember.matches: the same protocols, in the same order, with the same metadata. */
function sameProtocols(m: Member, req: JoinRequest): boolean {
  return m.protocols.length === req.protocols.length && m.protocols.every((p, i) => p.name === req.protocols[i]!.name && p.metadata.equals(req.protocols[i]!.metadata));
}

/** Kafka's rule: among protocols every member supports, the one most members list first-most. */
function chooseProtocol(members: Member[]): string {
  const candidates = members[0]!.protocols.map((p) => p.name).filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
  const votes = new Map<string, number>();
  for (const m of members) {
    const pick = m.protocols.find((p) => candidates.includes(p.name))!.name;
    votes.set(pick, (votes.get(pick) ?? 0) + 1);
  }
  return [...votes.entries()].sort((a, b) => b[1] - a[1])[0]![0];
}

/**
 * Kafka's appendGroupMetadataErrorToResponseError: how a failed write of the group record reaches
 * the members (NOT_COORDINATOR once the partition's leadership went; COORDINATOR_NOT_AVAILABLE when
 * it could not be replicated in time or to enough replicas).
 */
export function appendErrorToResponseError(code: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}
