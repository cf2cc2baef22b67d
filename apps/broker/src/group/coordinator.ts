import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@tributary/protocol';
import { Group, type CommittedOffset, type JoinResult, type Member, type SyncResult } from './group.ts';
import { subscribedTopics } from './consumer-protocol.ts';
import type { OffsetStore } from './offset-store.ts';

export interface CoordinatorSettings {
  initialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  maxGroupSize: number;
  /** offsets.retention.minutes in ms: committed offsets of an empty group live this long. */
  offsetsRetentionMs: number;
  /** How often expired offsets are looked for (offsets.retention.check.interval.ms). */
  offsetsRetentionCheckIntervalMs: number;
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
}

/** Who sends a request on behalf of a member: its member id and, for static members, its instance id. */
export interface MemberRef {
  memberId: string;
  groupInstanceId: string | null;
}

export interface OffsetDeleteResult {
  errorCode: number;
  /** Per partition (keyed by Group.offsetKey): 0 or GROUP_SUBSCRIBED_TO_TOPIC. */
  partitions: Map<string, number>;
}

const fail = (errorCode: number, memberId = ''): JoinResult => ({ errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] });
const syncFail = (errorCode: number): SyncResult => ({ errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) });

/**
 * The classic group protocol (JoinGroup/SyncGroup/Heartbeat/LeaveGroup) and committed offsets for
 * every group on this broker. Time comes from `now` so that tests can drive it.
 */
export class GroupCoordinator {
  readonly #groups = new Map<string, Group>();
  readonly #settings: CoordinatorSettings;
  readonly #store: OffsetStore;
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout;
  readonly #offsetExpiry: NodeJS.Timeout;

  constructor(settings: CoordinatorSettings, store: OffsetStore, now: () => number = Date.now) {
    this.#settings = settings;
    this.#store = store;
    this.#now = now;
    for (const r of store.replay()) {
      const g = this.#group(r.group);
      if (r.value === null) g.offsets.delete(Group.offsetKey(r.topic, r.partition));
      else g.offsets.set(Group.offsetKey(r.topic, r.partition), r.value);
    }
    this.#sweeper = setInterval(() => this.expireSessions(), 250);
    this.#sweeper.unref();
    this.#offsetExpiry = setInterval(() => this.expireOffsets(), settings.offsetsRetentionCheckIntervalMs);
    this.#offsetExpiry.unref();
  }

  close(): void {
    clearInterval(this.#sweeper);
    clearInterval(this.#offsetExpiry);
    for (const g of this.#groups.values()) if (g.rebalanceTimer) clearTimeout(g.rebalanceTimer);
  }

  #group(groupId: string): Group {
    let g = this.#groups.get(groupId);
    if (!g) this.#groups.set(groupId, (g = new Group(groupId)));
    return g;
  }

  groups(): Group[] {
    return [...this.#groups.values()].filter((g) => g.state !== 'Dead' && (g.members.size > 0 || g.offsets.size > 0));
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

  join(req: JoinRequest): Promise<JoinResult> {
    if (!req.groupId) return Promise.resolve(fail(ErrorCode.INVALID_GROUP_ID));
    if (req.sessionTimeoutMs < this.#settings.minSessionTimeoutMs || req.sessionTimeoutMs > this.#settings.maxSessionTimeoutMs) {
      return Promise.resolve(fail(ErrorCode.INVALID_SESSION_TIMEOUT, req.memberId));
    }
    if (!req.protocolType || req.protocols.length === 0) return Promise.resolve(fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId));
    const g = this.#group(req.groupId);
    if (g.state === 'Dead') return Promise.resolve(fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, req.memberId));
    if (g.members.size > 0 && (g.protocolType !== req.protocolType || !req.protocols.some((p) => this.#everyMemberSupports(g, p.name, req.memberId)))) {
      return Promise.resolve(fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId));
    }
    if (req.groupInstanceId !== null) return this.#joinStatic(g, req, req.groupInstanceId);
    let memberId = req.memberId;
    if (memberId === '') {
      if (g.members.size + g.pendingMembers.size >= this.#settings.maxGroupSize) return Promise.resolve(fail(ErrorCode.GROUP_MAX_SIZE_REACHED));
      memberId = `${req.clientId || 'member'}-${randomUUID()}`;
      if (req.requireKnownMemberId) {
        g.pendingMembers.add(memberId);
        return Promise.resolve(fail(ErrorCode.MEMBER_ID_REQUIRED, memberId));
      }
    } else if (!g.members.has(memberId) && !g.pendingMembers.has(memberId)) {
      return Promise.resolve(fail(ErrorCode.UNKNOWN_MEMBER_ID, memberId));
    }
    g.pendingMembers.delete(memberId);
    return this.#joinMember(g, memberId, req);
  }

  /**
   * KIP-345: a member with a group.instance.id needs no MEMBER_ID_REQUIRED round trip; rejoining
   * with an unknown member id replaces its previous incarnation (which is fenced) and, when its
   * subscription is unchanged in a stable group, keeps its assignment without a rebalance.
   */
  #joinStatic(g: Group, req: JoinRequest, instanceId: string): Promise<JoinResult> {
    const holder = g.staticMembers.get(instanceId);
    if (req.memberId !== '') {
      if (holder !== undefined && holder !== req.memberId) return Promise.resolve(fail(ErrorCode.FENCED_INSTANCE_ID, req.memberId));
      if (!g.members.has(req.memberId)) return Promise.resolve(fail(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId));
      return this.#joinMember(g, req.memberId, req);
    }
    const memberId = `${instanceId}-${randomUUID()}`;
    const old = holder === undefined ? undefined : g.members.get(holder);
    if (!old) {
      if (g.members.size + g.pendingMembers.size >= this.#settings.maxGroupSize) return Promise.resolve(fail(ErrorCode.GROUP_MAX_SIZE_REACHED));
      g.staticMembers.set(instanceId, memberId);
      return this.#joinMember(g, memberId, req);
    }
    // The old incarnation is fenced: whatever it still waits for ends with FENCED_INSTANCE_ID.
    g.members.delete(old.memberId);
    old.awaitingJoin?.(fail(ErrorCode.FENCED_INSTANCE_ID, old.memberId));
    old.awaitingSync?.(syncFail(ErrorCode.FENCED_INSTANCE_ID));
    old.awaitingJoin = null;
    old.awaitingSync = null;
    const wasLeader = g.leaderId === old.memberId;
    const replacement: Member = { ...old, memberId, clientId: req.clientId, clientHost: req.clientHost };
    g.members.set(memberId, replacement);
    g.staticMembers.set(instanceId, memberId);
    if (wasLeader) g.leaderId = memberId;
    if (g.state !== 'Stable' || !sameProtocols(old, req) || (wasLeader && !req.supportsSkipAssignment)) {
      // Anything else is an ordinary rejoin of the (renamed) member, which rebalances.
      return this.#joinMember(g, memberId, req);
    }
    replacement.sessionTimeoutMs = req.sessionTimeoutMs;
    replacement.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    replacement.lastHeartbeat = this.#now();
    const members = wasLeader ? this.#memberList(g) : [];
    return Promise.resolve({ errorCode: 0, generationId: g.generationId, protocolType: g.protocolType, protocolName: g.protocolName, leader: g.leaderId ?? '', memberId, members, skipAssignment: wasLeader });
  }

  #joinMember(g: Group, memberId: string, req: JoinRequest): Promise<JoinResult> {
    const existing = g.members.get(memberId);
    if (!existing && g.members.size >= this.#settings.maxGroupSize) return Promise.resolve(fail(ErrorCode.GROUP_MAX_SIZE_REACHED, memberId));
    const member: Member = existing ?? {
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
    member.protocols = req.protocols;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.lastHeartbeat = this.#now();
    g.members.set(memberId, member);
    g.protocolType = req.protocolType;
    g.emptySince = null;
    const result = new Promise<JoinResult>((resolve) => (member.awaitingJoin = resolve));
    if (g.state === 'Stable' && existing && g.leaderId !== memberId && sameProtocols(existing, req)) {
      // A follower rejoining with unchanged metadata while stable gets the current generation back.
      member.awaitingJoin = null;
      return Promise.resolve({ errorCode: 0, generationId: g.generationId, protocolType: g.protocolType, protocolName: g.protocolName, leader: g.leaderId ?? '', memberId, members: [] });
    }
    this.#prepareRebalance(g);
    this.#maybeCompleteJoin(g);
    return result;
  }

  #memberList(g: Group): JoinResult['members'] {
    return [...g.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? Buffer.alloc(0) }));
  }

  #everyMemberSupports(g: Group, protocol: string, except: string): boolean {
    for (const m of g.members.values()) if (m.memberId !== except && !m.protocols.some((p) => p.name === protocol)) return false;
    return true;
  }

  #prepareRebalance(g: Group): void {
    if (g.state === 'PreparingRebalance') return;
    // Members waiting in SyncGroup must rejoin.
    for (const m of g.members.values()) {
      m.awaitingSync?.(syncFail(ErrorCode.REBALANCE_IN_PROGRESS));
      m.awaitingSync = null;
    }
    const wasEmpty = g.state === 'Empty';
    g.state = 'PreparingRebalance';
    const rebalanceTimeout = Math.max(0, ...[...g.members.values()].map((m) => m.rebalanceTimeoutMs));
    const now = this.#now();
    g.rebalanceDeadline = now + rebalanceTimeout;
    // A new group waits a little for more members, so that a starting fleet causes one rebalance.
    const delay = wasEmpty ? Math.min(this.#settings.initialRebalanceDelayMs, rebalanceTimeout) : rebalanceTimeout;
    g.initialDelay = wasEmpty && delay > 0;
    this.#armRebalanceTimer(g, delay, wasEmpty);
  }

  #armRebalanceTimer(g: Group, delay: number, initial: boolean): void {
    if (g.rebalanceTimer) clearTimeout(g.rebalanceTimer);
    g.rebalanceTimer = setTimeout(() => {
      g.rebalanceTimer = null;
      g.initialDelay = false;
      this.#completeJoin(g, !initial);
    }, delay);
    g.rebalanceTimer.unref();
  }

  #maybeCompleteJoin(g: Group): void {
    if (g.state !== 'PreparingRebalance') return;
    const allJoined = [...g.members.values()].every((m) => m.awaitingJoin !== null);
    // During the initial delay the timer completes the join, so that late members are included.
    if (allJoined && g.pendingMembers.size === 0 && !g.initialDelay) {
      if (g.rebalanceTimer) clearTimeout(g.rebalanceTimer);
      g.rebalanceTimer = null;
      this.#completeJoin(g, true);
    }
  }

  /** Ends PreparingRebalance: drops members that did not rejoin, picks protocol and leader, answers joins. */
  #completeJoin(g: Group, evictLaggards: boolean): void {
    if (g.state !== 'PreparingRebalance') return;
    const notJoined = [...g.members.values()].filter((m) => m.awaitingJoin === null);
    if (notJoined.length > 0 && !evictLaggards && this.#now() < g.rebalanceDeadline) {
      // Initial delay is over but known members have not rejoined: wait for them up to the rebalance timeout.
      this.#armRebalanceTimer(g, g.rebalanceDeadline - this.#now(), false);
      return;
    }
    for (const m of notJoined) this.#forget(g, m);
    g.pendingMembers.clear();
    g.generationId++;
    if (g.members.size === 0) {
      this.#becomeEmpty(g);
      return;
    }
    const members = [...g.members.values()];
    g.protocolName = chooseProtocol(members);
    if (!g.leaderId || !g.members.has(g.leaderId)) g.leaderId = members[0]!.memberId;
    g.state = 'CompletingRebalance';
    const everyone = this.#memberList(g);
    for (const m of members) {
      const answer = m.awaitingJoin!;
      m.awaitingJoin = null;
      m.lastHeartbeat = this.#now();
      answer({ errorCode: 0, generationId: g.generationId, protocolType: g.protocolType, protocolName: g.protocolName, leader: g.leaderId, memberId: m.memberId, members: m.memberId === g.leaderId ? everyone : [] });
    }
  }

  /** Kafka's order: a stale incarnation of a static member is fenced before anything else is checked. */
  #checkMember(g: Group | undefined, who: MemberRef): number {
    if (!g) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (who.groupInstanceId !== null) {
      const holder = g.staticMembers.get(who.groupInstanceId);
      if (holder !== undefined && holder !== who.memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    return g.members.has(who.memberId) ? 0 : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  sync(groupId: string, who: MemberRef, generationId: number, assignments: { memberId: string; assignment: Buffer }[]): Promise<SyncResult> {
    const g = this.#groups.get(groupId);
    const error = this.#checkMember(g, who);
    if (error !== 0) return Promise.resolve(syncFail(error));
    const m = g!.members.get(who.memberId)!;
    if (generationId !== g!.generationId) return Promise.resolve(syncFail(ErrorCode.ILLEGAL_GENERATION));
    return this.#syncMember(g!, m, assignments);
  }

  #syncMember(g: Group, m: Member, assignments: { memberId: string; assignment: Buffer }[]): Promise<SyncResult> {
    const memberId = m.memberId;
    m.lastHeartbeat = this.#now();
    if (g.state === 'PreparingRebalance') return Promise.resolve(syncFail(ErrorCode.REBALANCE_IN_PROGRESS));
    if (g.state === 'Stable') return Promise.resolve({ errorCode: 0, protocolType: g.protocolType, protocolName: g.protocolName, assignment: m.assignment });
    const result = new Promise<SyncResult>((resolve) => (m.awaitingSync = resolve));
    if (memberId === g.leaderId) {
      for (const member of g.members.values()) member.assignment = assignments.find((a) => a.memberId === member.memberId)?.assignment ?? Buffer.alloc(0);
      g.state = 'Stable';
      for (const member of g.members.values()) {
        member.awaitingSync?.({ errorCode: 0, protocolType: g.protocolType, protocolName: g.protocolName, assignment: member.assignment });
        member.awaitingSync = null;
      }
    }
    return result;
  }

  heartbeat(groupId: string, who: MemberRef, generationId: number): number {
    const g = this.#groups.get(groupId);
    const error = this.#checkMember(g, who);
    if (error !== 0) return error;
    if (generationId !== g!.generationId) return ErrorCode.ILLEGAL_GENERATION;
    g!.members.get(who.memberId)!.lastHeartbeat = this.#now();
    return g!.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : 0;
  }

  /**
   * LeaveGroup. From v3 members may be named by group.instance.id alone (member id empty), which
   * is how an operator removes a static member that will not come back.
   */
  leave(groupId: string, who: MemberRef): number {
    const g = this.#groups.get(groupId);
    if (!g) return ErrorCode.UNKNOWN_MEMBER_ID;
    let memberId = who.memberId;
    if (who.groupInstanceId !== null) {
      const holder = g.staticMembers.get(who.groupInstanceId);
      if (holder === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (memberId !== '' && memberId !== holder) return ErrorCode.FENCED_INSTANCE_ID;
      memberId = holder;
    }
    const m = g.members.get(memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.#remove(g, m);
    return 0;
  }

  /** Drops a member from the group's books (and its static instance id, if it still holds it). */
  #forget(g: Group, m: Member): void {
    g.members.delete(m.memberId);
    if (m.groupInstanceId !== null && g.staticMembers.get(m.groupInstanceId) === m.memberId) g.staticMembers.delete(m.groupInstanceId);
  }

  #becomeEmpty(g: Group): void {
    g.state = 'Empty';
    g.leaderId = null;
    g.protocolName = null;
    g.emptySince = this.#now();
  }

  #remove(g: Group, m: Member): void {
    this.#forget(g, m);
    m.awaitingJoin?.(fail(ErrorCode.UNKNOWN_MEMBER_ID, m.memberId));
    m.awaitingSync?.(syncFail(ErrorCode.UNKNOWN_MEMBER_ID));
    if (g.state === 'PreparingRebalance') this.#maybeCompleteJoin(g);
    else if (g.members.size === 0) {
      g.generationId++;
      this.#becomeEmpty(g);
    } else this.#prepareRebalance(g);
  }

  /** Members silent for longer than their session timeout leave; the rest rebalance. */
  expireSessions(): void {
    const now = this.#now();
    for (const g of this.#groups.values()) {
      for (const m of [...g.members.values()]) {
        // A member waiting in JoinGroup is covered by the rebalance timeout instead.
        if (m.awaitingJoin === null && now - m.lastHeartbeat > m.sessionTimeoutMs) this.#remove(g, m);
      }
    }
  }

  commit(groupId: string, who: MemberRef, generationId: number, offsets: { topic: string; partition: number; value: CommittedOffset }[]): number {
    const g = this.#group(groupId);
    if (generationId >= 0 || g.members.size > 0) {
      // Group members commit within their generation; standalone consumers (generation -1) only to groups without members.
      const error = this.#checkMember(g, who);
      if (error !== 0) return error;
      if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
      if (g.state === 'PreparingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
      g.members.get(who.memberId)!.lastHeartbeat = this.#now();
    }
    this.#store.append(offsets.map((o) => ({ group: groupId, topic: o.topic, partition: o.partition, value: o.value })));
    for (const o of offsets) g.offsets.set(Group.offsetKey(o.topic, o.partition), o.value);
    return 0;
  }

  committed(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.#groups.get(groupId)?.offsets.get(Group.offsetKey(topic, partition));
  }

  /**
   * OffsetDelete (KIP-496): removes committed offsets of an empty group, or of topics no member of
   * a consumer group subscribes to (GROUP_SUBSCRIBED_TO_TOPIC for the others). Groups of another
   * protocol type can only lose offsets while empty (NON_EMPTY_GROUP).
   */
  deleteOffsets(groupId: string, partitions: { topic: string; partition: number }[]): OffsetDeleteResult {
    const result: OffsetDeleteResult = { errorCode: 0, partitions: new Map() };
    if (!groupId) return { ...result, errorCode: ErrorCode.INVALID_GROUP_ID };
    const g = this.#groups.get(groupId);
    if (!g || g.state === 'Dead' || (g.members.size === 0 && g.offsets.size === 0)) return { ...result, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
    let subscribed: Set<string> | null = new Set();
    if (g.members.size > 0) {
      if (g.protocolType !== 'consumer') return { ...result, errorCode: ErrorCode.NON_EMPTY_GROUP };
      subscribed = this.#subscriptions(g);
    }
    const deleted: { topic: string; partition: number }[] = [];
    for (const p of partitions) {
      const key = Group.offsetKey(p.topic, p.partition);
      if (subscribed === null || subscribed.has(p.topic)) {
        result.partitions.set(key, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
        continue;
      }
      result.partitions.set(key, 0);
      if (g.offsets.has(key)) deleted.push(p);
    }
    this.#deleteOffsetKeys(g, deleted);
    return result;
  }

  /** Topics the members subscribe to; null when a subscription cannot be read (then: all of them). */
  #subscriptions(g: Group): Set<string> | null {
    const topics = new Set<string>();
    for (const m of g.members.values()) {
      const metadata = (m.protocols.find((p) => p.name === g.protocolName) ?? m.protocols[0])?.metadata;
      const subscribed = metadata ? subscribedTopics(metadata) : null;
      if (subscribed === null) return null;
      for (const t of subscribed) topics.add(t);
    }
    return topics;
  }

  #deleteOffsetKeys(g: Group, deleted: { topic: string; partition: number }[]): void {
    // Tombstones first: an offset is gone from memory only once its deletion is in the log.
    this.#store.append(deleted.map((p) => ({ group: g.groupId, topic: p.topic, partition: p.partition, value: null })));
    for (const p of deleted) g.offsets.delete(Group.offsetKey(p.topic, p.partition));
  }

  /**
   * offsets.retention.minutes, as Kafka applies it since KIP-211: an empty group's offsets expire
   * that long after the group became empty (after the commit, for groups whose start we did not
   * see: standalone committers and groups replayed after a restart); a stable consumer group loses
   * only offsets of topics it no longer subscribes to, counted from their commit. Expiry writes
   * tombstones to __consumer_offsets; a group left with neither members nor offsets is removed.
   */
  expireOffsets(): number {
    const now = this.#now();
    const retention = this.#settings.offsetsRetentionMs;
    let expired = 0;
    for (const g of [...this.#groups.values()]) {
      let candidates: { topic: string; partition: number }[] = [];
      if (g.members.size === 0) {
        candidates = [...g.offsets].filter(([, o]) => (g.emptySince ?? o.commitTimestamp) + retention <= now).map(([key]) => splitOffsetKey(key));
      } else if (g.state === 'Stable' && g.protocolType === 'consumer') {
        const subscribed = this.#subscriptions(g);
        if (subscribed === null) continue;
        candidates = [...g.offsets].filter(([key, o]) => !subscribed.has(splitOffsetKey(key).topic) && o.commitTimestamp + retention <= now).map(([key]) => splitOffsetKey(key));
      }
      if (candidates.length > 0) {
        this.#deleteOffsetKeys(g, candidates);
        expired += candidates.length;
      }
      if (g.members.size === 0 && g.pendingMembers.size === 0 && g.offsets.size === 0 && g.state === 'Empty') {
        if (g.rebalanceTimer) clearTimeout(g.rebalanceTimer);
        g.state = 'Dead';
        this.#groups.delete(g.groupId);
      }
    }
    return expired;
  }

  /** Deletes an empty group and its offsets. */
  deleteGroup(groupId: string): number {
    const g = this.#groups.get(groupId);
    if (!g || (g.members.size === 0 && g.offsets.size === 0)) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (g.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
    this.#store.append([...g.offsets.keys()].map((k) => ({ group: groupId, ...splitOffsetKey(k), value: null })));
    this.#groups.delete(groupId);
    return 0;
  }
}

function splitOffsetKey(key: string): { topic: string; partition: number } {
  const cut = key.lastIndexOf('\u0000');
  return { topic: key.slice(0, cut), partition: Number(key.slice(cut + 1)) };
}

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
