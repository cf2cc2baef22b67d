import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@tributary/protocol';
import { Group, type CommittedOffset, type JoinResult, type Member, type SyncResult } from './group.ts';
import type { OffsetStore } from './offset-store.ts';

export interface CoordinatorSettings {
  initialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  maxGroupSize: number;
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
  }

  close(): void {
    clearInterval(this.#sweeper);
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
    for (const m of notJoined) g.members.delete(m.memberId);
    g.pendingMembers.clear();
    g.generationId++;
    if (g.members.size === 0) {
      g.state = 'Empty';
      g.protocolName = null;
      g.leaderId = null;
      return;
    }
    const members = [...g.members.values()];
    g.protocolName = chooseProtocol(members);
    if (!g.leaderId || !g.members.has(g.leaderId)) g.leaderId = members[0]!.memberId;
    g.state = 'CompletingRebalance';
    const everyone = members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.protocols.find((p) => p.name === g.protocolName)!.metadata }));
    for (const m of members) {
      const answer = m.awaitingJoin!;
      m.awaitingJoin = null;
      m.lastHeartbeat = this.#now();
      answer({ errorCode: 0, generationId: g.generationId, protocolType: g.protocolType, protocolName: g.protocolName, leader: g.leaderId, memberId: m.memberId, members: m.memberId === g.leaderId ? everyone : [] });
    }
  }

  sync(groupId: string, memberId: string, generationId: number, assignments: { memberId: string; assignment: Buffer }[]): Promise<SyncResult> {
    const g = this.#groups.get(groupId);
    const m = g?.members.get(memberId);
    if (!g || !m) return Promise.resolve(syncFail(ErrorCode.UNKNOWN_MEMBER_ID));
    if (generationId !== g.generationId) return Promise.resolve(syncFail(ErrorCode.ILLEGAL_GENERATION));
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

  heartbeat(groupId: string, memberId: string, generationId: number): number {
    const g = this.#groups.get(groupId);
    const m = g?.members.get(memberId);
    if (!g || !m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    m.lastHeartbeat = this.#now();
    return g.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : 0;
  }

  leave(groupId: string, memberId: string): number {
    const g = this.#groups.get(groupId);
    const m = g?.members.get(memberId);
    if (!g || !m) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.#remove(g, m);
    return 0;
  }

  #remove(g: Group, m: Member): void {
    g.members.delete(m.memberId);
    m.awaitingJoin?.(fail(ErrorCode.UNKNOWN_MEMBER_ID, m.memberId));
    m.awaitingSync?.(syncFail(ErrorCode.UNKNOWN_MEMBER_ID));
    if (g.state === 'PreparingRebalance') this.#maybeCompleteJoin(g);
    else if (g.members.size === 0) {
      g.state = 'Empty';
      g.generationId++;
      g.leaderId = null;
      g.protocolName = null;
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

  commit(groupId: string, memberId: string, generationId: number, offsets: { topic: string; partition: number; value: CommittedOffset }[]): number {
    const g = this.#group(groupId);
    if (generationId >= 0 || g.members.size > 0) {
      // Group members commit within their generation; standalone consumers (generation -1) only to groups without members.
      const m = g.members.get(memberId);
      if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
      if (g.state === 'PreparingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
      m.lastHeartbeat = this.#now();
    }
    this.#store.append(offsets.map((o) => ({ group: groupId, topic: o.topic, partition: o.partition, value: o.value })));
    for (const o of offsets) g.offsets.set(Group.offsetKey(o.topic, o.partition), o.value);
    return 0;
  }

  committed(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.#groups.get(groupId)?.offsets.get(Group.offsetKey(topic, partition));
  }

  /** Deletes an empty group and its offsets. */
  deleteGroup(groupId: string): number {
    const g = this.#groups.get(groupId);
    if (!g || (g.members.size === 0 && g.offsets.size === 0)) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (g.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
    this.#store.append([...g.offsets.keys()].map((k) => {
      const [topic, partition] = k.split('\u0000');
      return { group: groupId, topic: topic!, partition: Number(partition), value: null };
    }));
    this.#groups.delete(groupId);
    return 0;
  }
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
