import { randomBytes } from 'node:crypto';
import { ErrorCode } from '@tributary/protocol';
import { sameAssignment, type Assignment, type AssignorMember, type ServerAssignor } from './assignors/assignor.ts';
import { ConsumerGroupState } from './consumer-group.ts';
import type { ConsumerMember } from './consumer-member.ts';
import type { Group } from './group.ts';
import { reconcile, type OwnedPartitions } from './reconciliation.ts';
import { compileTopicRegex, invalidRegexMessage } from './topic-regex.ts';

export interface ConsumerGroupSettings {
  /** group.consumer.session.timeout.ms: a member not heard from for this long is fenced. */
  sessionTimeoutMs: number;
  /** group.consumer.heartbeat.interval.ms, answered to every member. */
  heartbeatIntervalMs: number;
  /** group.consumer.assignors, the first being the default. */
  assignors: ServerAssignor[];
  /** group.consumer.max.size. */
  maxSize: number;
}

/** The subscribed topics as the coordinator sees them (the topic registry of the broker). */
export interface TopicLookup {
  byName(name: string): { topicId: string; partitions: number } | undefined;
  /** Every topic name (for regular-expression subscriptions). */
  names(): string[];
}

export interface HeartbeatRequest {
  apiVersion: number;
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  topicPartitions: OwnedPartitions;
  clientId: string;
  clientHost: string;
  /**
   * Whether the member's principal may DESCRIBE a topic: a regular expression resolves to those
   * topics only (Kafka's filterTopicDescribeAuthorizedTopics). Absent: every topic.
   */
  canDescribeTopic?: (topic: string) => boolean;
  /** The group's own consumer.session.timeout.ms and consumer.heartbeat.interval.ms (GROUP configs, KIP-848), when set. */
  groupSessionTimeoutMs?: number;
  groupHeartbeatIntervalMs?: number;
}

export interface HeartbeatResult {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: { topicPartitions: { topicId: string; partitions: number[] }[] } | null;
}

/** What the consumer-group side needs of the coordinator's group table. */
export interface ConsumerGroupBook {
  get(groupId: string): Group | undefined;
  create(groupId: string): Group;
  now(): number;
}

/** A refusal with Kafka's error code and message (errors as data: caught into the heartbeat's answer). */
class HeartbeatError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

const LEAVE = -1;
const STATIC_LEAVE = -2;

/** A Kafka Uuid as its base64url form (what Kafka 4 generates for v0 members without an id). */
function newMemberId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * ConsumerGroupHeartbeat (KIP-848): the whole membership protocol of a "consumer" group in one
 * request. Follows Kafka 4.4's GroupMetadataManager: request validation and its messages, members
 * joining with epoch 0 (v1: the client names itself; v0: the coordinator does), epoch validation
 * (FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID), static members (UNRELEASED_INSTANCE_ID,
 * FENCED_INSTANCE_ID, leaving with epoch -2 and coming back as another member id), the group epoch
 * bumped by membership, subscription, assignor and topic changes, the target assignment computed
 * by the server assignor when the group epoch passes it, and each member reconciled towards it
 * (reconciliation.ts). Sessions and revocations time out through `expire()`.
 *
 * Unlike Kafka 4.4 by default, the target assignment is computed on the heartbeat that bumps the
 * group epoch (Kafka batches it: group.consumer.assignment.interval.ms, 1 s, computed off the
 * request path); Kafka with that interval at 0 and group.consumer.assignor.offload.enable=false
 * answers the same epochs.
 */
export class ConsumerGroupCoordinator {
  readonly #book: ConsumerGroupBook;
  readonly #settings: ConsumerGroupSettings;
  /** The topic registry, as the last heartbeat brought it (a live view): members fenced by the session timer need it too. */
  #topics: TopicLookup | null = null;

  constructor(book: ConsumerGroupBook, settings: ConsumerGroupSettings) {
    this.#book = book;
    this.#settings = settings;
  }

  heartbeat(req: HeartbeatRequest, topics: TopicLookup): HeartbeatResult {
    this.#topics = topics;
    try {
      this.#validate(req);
      if (req.memberEpoch === LEAVE || req.memberEpoch === STATIC_LEAVE) return this.#leave(req);
      return this.#heartbeat(req, topics);
    } catch (err) {
      if (!(err instanceof HeartbeatError)) throw err;
      return { errorCode: err.code, errorMessage: err.message, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
    }
  }

  /** Kafka's throwIfConsumerGroupHeartbeatRequestIsInvalid, with its messages. */
  #validate(req: HeartbeatRequest): void {
    const invalid = (message: string) => new HeartbeatError(ErrorCode.INVALID_REQUEST, message);
    if (req.groupId === '') throw invalid("GroupId can't be empty.");
    if (req.instanceId !== null && req.instanceId === '') throw invalid("InstanceId can't be empty.");
    if (req.rackId !== null && req.rackId === '') throw invalid("RackId can't be empty.");
    if (req.apiVersion >= 1 || req.memberEpoch !== 0) {
      if (req.memberId === '') throw invalid("MemberId can't be empty.");
    }
    if (req.memberEpoch === 0) {
      if (req.rebalanceTimeoutMs === -1) throw invalid('RebalanceTimeoutMs must be provided in first request.');
      if (req.topicPartitions === null || req.topicPartitions.length > 0) throw invalid('TopicPartitions must be empty when (re-)joining.');
      if (req.subscribedTopicNames === null && req.subscribedTopicRegex === null) throw invalid('Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.');
    } else if (req.memberEpoch === STATIC_LEAVE) {
      if (req.instanceId === null) throw invalid("InstanceId can't be null.");
    } else if (req.memberEpoch < STATIC_LEAVE) {
      throw invalid('MemberEpoch is invalid.');
    }
    const invalidRegex = req.subscribedTopicRegex !== null && req.subscribedTopicRegex !== '' ? invalidRegexMessage(req.subscribedTopicRegex) : null;
    if (invalidRegex !== null) throw new HeartbeatError(ErrorCode.INVALID_REGULAR_EXPRESSION, invalidRegex);
    if (req.serverAssignor !== null && !this.#settings.assignors.some((a) => a.name === req.serverAssignor)) {
      throw new HeartbeatError(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${req.serverAssignor} is not supported. Supported assignors: ${this.#settings.assignors.map((a) => a.name).join(', ')}.`);
    }
  }

  /** The consumer group, created (or converted from an empty classic group) when a member joins. */
  #group(groupId: string, create: boolean): { g: Group; cg: ConsumerGroupState } {
    let g = this.#book.get(groupId);
    if (g?.consumer) return { g, cg: g.consumer };
    if (g && (g.state !== 'Empty' || g.members.size > 0)) throw new HeartbeatError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`);
    if (!create) throw new HeartbeatError(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${groupId} not found.`);
    g ??= this.#book.create(groupId);
    // An empty classic group becomes a consumer group (its committed offsets stay).
    g.consumer = new ConsumerGroupState();
    g.protocolType = 'consumer';
    g.protocolName = null;
    g.generationId = 0;
    g.leaderId = null;
    return { g, cg: g.consumer };
  }

  #heartbeat(req: HeartbeatRequest, topics: TopicLookup): HeartbeatResult {
    const now = this.#book.now();
    const joining = req.memberEpoch === 0;
    const { g, cg } = this.#group(req.groupId, joining);
    const memberId = req.memberId === '' ? newMemberId() : req.memberId;
    const existing = req.instanceId === null ? this.#dynamicMember(req, cg, memberId) : this.#staticMember(req, cg, memberId);
    if (!existing && cg.members.size >= this.#settings.maxSize) throw new HeartbeatError(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${this.#settings.maxSize} members.`);
    const before: ConsumerMember = existing ?? {
      memberId, instanceId: req.instanceId, rackId: null, clientId: req.clientId, clientHost: req.clientHost, rebalanceTimeoutMs: -1, serverAssignor: null,
      subscribedTopicNames: [], subscribedTopicRegex: null, memberEpoch: 0, previousMemberEpoch: 0, state: 'stable',
      assigned: new Map(), assignmentEpochs: new Map(), pendingRevocation: new Map(), lastHeartbeat: now, revocationDeadline: null, sessionTimeoutMs: this.#settings.sessionTimeoutMs,
    };
    let member: ConsumerMember = {
      ...before,
      instanceId: req.instanceId ?? before.instanceId,
      rackId: req.rackId ?? before.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs === -1 ? before.rebalanceTimeoutMs : req.rebalanceTimeoutMs,
      serverAssignor: req.serverAssignor ?? before.serverAssignor,
      subscribedTopicNames: req.subscribedTopicNames ?? before.subscribedTopicNames,
      subscribedTopicRegex: req.subscribedTopicRegex ?? before.subscribedTopicRegex,
      clientId: req.clientId,
      clientHost: req.clientHost,
      lastHeartbeat: now,
      sessionTimeoutMs: req.groupSessionTimeoutMs ?? this.#settings.sessionTimeoutMs,
    };
    // A new group starts at epoch 1 (Kafka 4.4 records the group at its creation, then bumps it for the first member).
    if (cg.groupEpoch === 0) cg.groupEpoch = 1;
    // Regular expressions members subscribed to before this request are resolved now (Kafka
    // resolves them off the request path: a member sees their topics from its next heartbeat on).
    for (const m of cg.members.values()) if (m.subscribedTopicRegex) cg.resolvedRegexes.add(m.subscribedTopicRegex);
    // An expression resolves to the topics the principal of the member heartbeating with it may describe.
    if (member.subscribedTopicRegex && req.canDescribeTopic) cg.regexTopicFilters.set(member.subscribedTopicRegex, req.canDescribeTopic);
    // A changed subscription bumps the group epoch: its topic names, its assignor, or an expression
    // the group has resolved already (a new one bumps it once resolved, through the topics it adds).
    const regexChanged = before.subscribedTopicRegex !== member.subscribedTopicRegex && (member.subscribedTopicRegex === null || member.subscribedTopicRegex === '' || cg.resolvedRegexes.has(member.subscribedTopicRegex));
    let bump = !sameStrings(before.subscribedTopicNames, member.subscribedTopicNames) || regexChanged || before.serverAssignor !== member.serverAssignor;
    cg.updateMember(member);
    // The subscribed topics' ids and partition counts: a topic created or grown changes the assignment.
    const metadata = this.#subscriptionMetadata(cg, topics);
    if (cg.subscriptionMetadata === null) cg.subscriptionMetadata = metadata;
    else if (metadata !== cg.subscriptionMetadata) {
      cg.subscriptionMetadata = metadata;
      bump = true;
    }
    if (bump) cg.groupEpoch++;
    if (cg.groupEpoch > cg.assignmentEpoch) this.#computeTargetAssignment(cg, topics);
    const subscribed = new Set(this.#subscribedTopics(cg, member, topics).map((t) => t.topicId));
    const reconciled = reconcile(member, {
      targetEpoch: cg.assignmentEpoch,
      target: cg.targetAssignment.get(member.memberId) ?? new Map(),
      subscribedTopicIds: subscribed,
      partitionEpoch: (t, p) => cg.partitionEpoch(t, p),
      owned: req.topicPartitions,
    });
    if (reconciled !== member) {
      // Its rebalance timeout runs from the moment it is asked to revoke partitions.
      const asked = reconciled.state === 'unrevoked-partitions' && (member.state !== 'unrevoked-partitions' || member.memberEpoch !== reconciled.memberEpoch);
      member = { ...reconciled, revocationDeadline: reconciled.state !== 'unrevoked-partitions' ? null : asked ? now + Math.max(0, member.rebalanceTimeoutMs) : member.revocationDeadline };
      cg.updateMember(member);
    }
    this.#syncGroupState(g, cg, now);
    const full = req.memberEpoch === 0 || (req.rebalanceTimeoutMs !== -1 && (req.subscribedTopicNames !== null || req.subscribedTopicRegex !== null) && req.topicPartitions !== null);
    const changed = !sameAssignment(before.assigned, member.assigned) || !existing;
    return {
      errorCode: 0,
      errorMessage: null,
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: req.groupHeartbeatIntervalMs ?? this.#settings.heartbeatIntervalMs,
      assignment: full || changed ? { topicPartitions: toTopicPartitions(member.assigned) } : null,
    };
  }

  #dynamicMember(req: HeartbeatRequest, cg: ConsumerGroupState, memberId: string): ConsumerMember | undefined {
    const m = cg.members.get(memberId);
    if (!m) {
      if (req.memberEpoch === 0) return undefined;
      throw new HeartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${req.groupId}.`);
    }
    if (req.memberEpoch !== 0) checkEpoch(m, req.memberEpoch, req.topicPartitions);
    return m;
  }

  /**
   * Static members (Kafka's getOrMaybeSubscribeStaticConsumerGroupMember): joining with an instance
   * id held by a member that has not left (-2) is UNRELEASED_INSTANCE_ID; once it has, the new
   * member id takes its place, with its assignment (so a restarted static member gets its
   * partitions back without a rebalance). Otherwise the instance id must be known and held by this
   * member id.
   */
  #staticMember(req: HeartbeatRequest, cg: ConsumerGroupState, memberId: string): ConsumerMember | undefined {
    const instanceId = req.instanceId!;
    const holderId = cg.staticMembers.get(instanceId);
    const holder = holderId === undefined ? undefined : cg.members.get(holderId);
    if (req.memberEpoch === 0) {
      if (!holder) return cg.members.get(memberId);
      if (holder.memberEpoch !== STATIC_LEAVE) throw new HeartbeatError(ErrorCode.UNRELEASED_INSTANCE_ID, `Static member ${memberId} with instance id ${instanceId} cannot join the group because the instance id is owned by ${holder.memberId} member.`);
      // The new member id takes the old one's place and target assignment.
      const target = cg.targetAssignment.get(holder.memberId);
      cg.removeMember(holder.memberId);
      const replacement: ConsumerMember = { ...holder, memberId, memberEpoch: 0, previousMemberEpoch: 0, state: 'stable', pendingRevocation: new Map(), revocationDeadline: null };
      cg.updateMember(replacement);
      if (target) cg.targetAssignment.set(memberId, target);
      return replacement;
    }
    if (!holder) throw new HeartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${instanceId} is unknown.`);
    if (holder.memberId !== memberId) throw new HeartbeatError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${memberId} with instance id ${instanceId} was fenced by member ${holder.memberId}.`);
    checkEpoch(holder, req.memberEpoch, req.topicPartitions);
    return holder;
  }

  /** memberEpoch -1 (leave) or -2 (a static member leaves for now and keeps its place and partitions). */
  #leave(req: HeartbeatRequest): HeartbeatResult {
    const { g, cg } = this.#group(req.groupId, false);
    let m: ConsumerMember | undefined;
    if (req.instanceId === null) {
      m = cg.members.get(req.memberId);
      if (!m) throw new HeartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
    } else {
      const holderId = cg.staticMembers.get(req.instanceId);
      m = holderId === undefined ? undefined : cg.members.get(holderId);
      if (!m) throw new HeartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${req.instanceId} is unknown.`);
      if (m.memberId !== req.memberId) throw new HeartbeatError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${req.memberId} with instance id ${req.instanceId} was fenced by member ${m.memberId}.`);
    }
    const now = this.#book.now();
    if (req.memberEpoch === STATIC_LEAVE) cg.updateMember({ ...m, memberEpoch: STATIC_LEAVE, lastHeartbeat: now, revocationDeadline: null });
    else this.#remove(g, cg, m.memberId, now);
    return { errorCode: 0, errorMessage: null, memberId: req.memberId, memberEpoch: req.memberEpoch, heartbeatIntervalMs: 0, assignment: null };
  }

  /**
   * A member leaves or is fenced: its partitions become free, the group epoch moves on and the
   * remaining members' target assignment is computed at once (as Kafka 4.4 does; they reconcile
   * towards it at their next heartbeat).
   */
  #remove(g: Group, cg: ConsumerGroupState, memberId: string, now: number): void {
    cg.removeMember(memberId);
    cg.groupEpoch++;
    if (this.#topics) {
      // The subscribed topics without the member's (one bump covers both, as in Kafka; left stale,
      // the next heartbeat would bump the epoch once more).
      cg.subscriptionMetadata = this.#subscriptionMetadata(cg, this.#topics);
      this.#computeTargetAssignment(cg, this.#topics);
    }
    this.#syncGroupState(g, cg, now);
  }

  /** Members whose session ran out, or that did not revoke partitions within their rebalance timeout, are fenced; returns the groups that changed. */
  expire(groups: Iterable<Group>): Group[] {
    const now = this.#book.now();
    const changed: Group[] = [];
    for (const g of groups) {
      const cg = g.consumer;
      if (!cg) continue;
      for (const m of [...cg.members.values()]) {
        const sessionOver = now - m.lastHeartbeat > m.sessionTimeoutMs;
        const revocationOver = m.revocationDeadline !== null && now > m.revocationDeadline;
        if (sessionOver || revocationOver) {
          this.#remove(g, cg, m.memberId, now);
          if (!changed.includes(g)) changed.push(g);
        }
      }
    }
    return changed;
  }

  /** The classic view of the group other code reads: Empty (offsets may expire from then on) or not. */
  #syncGroupState(g: Group, cg: ConsumerGroupState, now: number): void {
    const empty = cg.members.size === 0;
    if (empty && g.state !== 'Empty') {
      g.state = 'Empty';
      g.currentStateTimestamp = now;
      g.emptySince = now;
    } else if (!empty && g.state !== 'Stable') {
      g.state = 'Stable';
      g.currentStateTimestamp = now;
      g.emptySince = null;
    }
  }

  /** The topics a member subscribes to that exist: its names, and the topics its expression matches once the group has resolved it. */
  #subscribedTopics(cg: ConsumerGroupState, m: ConsumerMember, topics: TopicLookup): { name: string; topicId: string; partitions: number }[] {
    const names = new Set(m.subscribedTopicNames);
    const re = m.subscribedTopicRegex && cg.resolvedRegexes.has(m.subscribedTopicRegex) ? compileTopicRegex(m.subscribedTopicRegex) : null;
    const describable = m.subscribedTopicRegex ? cg.regexTopicFilters.get(m.subscribedTopicRegex) : undefined;
    // Every topic, internal ones included: Kafka 4.4 matches the whole metadata image (a member may get __consumer_offsets).
    if (re?.ok) for (const name of topics.names()) if (re.matches(name) && (describable?.(name) ?? true)) names.add(name);
    const out: { name: string; topicId: string; partitions: number }[] = [];
    for (const name of [...names].sort()) {
      const t = topics.byName(name);
      if (t) out.push({ name, ...t });
    }
    return out;
  }

  #subscriptionMetadata(cg: ConsumerGroupState, topics: TopicLookup): string {
    const seen = new Map<string, string>();
    for (const m of cg.members.values()) for (const t of this.#subscribedTopics(cg, m, topics)) seen.set(t.name, `${t.name}:${t.topicId}:${t.partitions}`);
    cg.matchedTopicNames = new Set(seen.keys());
    return [...seen.keys()].sort().map((k) => seen.get(k)).join(',');
  }

  /** The assignor the group uses now (ConsumerGroupDescribe's assignorName): with no member asking for one, the default. */
  assignorName(cg: ConsumerGroupState): string {
    return this.#assignor(cg).name;
  }

  /** The group's assignor: the one most members ask for, else the first of group.consumer.assignors. */
  #assignor(cg: ConsumerGroupState): ServerAssignor {
    const votes = new Map<string, number>();
    for (const m of cg.members.values()) if (m.serverAssignor) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
    const [name] = [...votes].sort((a, b) => b[1] - a[1])[0] ?? [];
    return this.#settings.assignors.find((a) => a.name === name) ?? this.#settings.assignors[0]!;
  }

  #computeTargetAssignment(cg: ConsumerGroupState, topics: TopicLookup): void {
    const assignor = this.#assignor(cg);
    const partitionCounts = new Map<string, number>();
    const members: AssignorMember[] = [...cg.members.values()].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0)).map((m) => {
      const subscribed = this.#subscribedTopics(cg, m, topics);
      for (const t of subscribed) partitionCounts.set(t.topicId, t.partitions);
      return { memberId: m.memberId, subscribedTopicIds: new Set(subscribed.map((t) => t.topicId)), current: cg.targetAssignment.get(m.memberId) ?? new Map() };
    });
    const result = assignor.assign(members, partitionCounts);
    cg.targetAssignment.clear();
    for (const [memberId, a] of result) cg.targetAssignment.set(memberId, a);
    cg.assignmentEpoch = cg.groupEpoch;
  }
}

/**
 * Kafka's throwIfConsumerGroupMemberEpochIsInvalid: a greater epoch is fenced; a smaller one too,
 * unless it is the previous epoch and the partitions the member reports are a subset of its
 * assignment (the answer that moved it on was lost).
 */
function checkEpoch(m: ConsumerMember, epoch: number, owned: OwnedPartitions): void {
  const fenced = (relation: string) => new HeartbeatError(ErrorCode.FENCED_MEMBER_EPOCH, `The consumer group member has a ${relation} member epoch (${epoch}) than the one known by the group coordinator (${m.memberEpoch}). The member must abandon all its partitions and rejoin.`);
  if (epoch > m.memberEpoch) throw fenced('greater');
  if (epoch < m.memberEpoch) {
    const subset = owned !== null && owned.every((t) => t.partitions.every((p) => m.assigned.get(t.topicId)?.has(p) ?? false));
    if (epoch !== m.previousMemberEpoch || !subset) throw fenced('smaller');
  }
}

function sameStrings(a: string[], b: string[]): boolean {
  const sa = [...new Set(a)].sort();
  const sb = [...new Set(b)].sort();
  return sa.length === sb.length && sa.every((x, i) => x === sb[i]);
}

function toTopicPartitions(a: Assignment): { topicId: string; partitions: number[] }[] {
  return [...a].filter(([, ps]) => ps.size > 0).map(([topicId, ps]) => ({ topicId, partitions: [...ps].sort((x, y) => x - y) }));
}
