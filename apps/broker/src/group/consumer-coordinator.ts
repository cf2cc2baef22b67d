import { randomBytes } from 'node:crypto';
import { ErrorCode } from '@tributary/protocol';
import { sameAssignment, type Assignment, type AssignorMember, type ServerAssignor } from './assignors/assignor.ts';
import { ConsumerGroupState } from './consumer-group.ts';
import type { ConsumerMember } from './consumer-member.ts';
import type { JoinRequest } from './coordinator.ts';
import type { Group } from './group.ts';
import { reconcile, type OwnedPartitions } from './reconciliation.ts';
import { invalidRegexMessage } from './topic-regex.ts';
import { applyPendingRegexRefresh, maybeTriggerRegexRefresh, pruneResolvedRegexes, resolveRegexes, subscribedRegexes } from './regex-refresh.ts';
import { readSubscription, writeAssignment } from './classic-member-protocol.ts';

export interface ConsumerGroupSettings {
  /** group.consumer.session.timeout.ms: a member not heard from for this long is fenced. */
  sessionTimeoutMs: number;
  /** group.consumer.heartbeat.interval.ms, answered to every member. */
  heartbeatIntervalMs: number;
  /** group.consumer.assignors, the first being the default. */
  assignors: ServerAssignor[];
  /** group.consumer.max.size. */
  maxSize: number;
  /** group.consumer.regex.refresh.interval.ms: a group's expressions are resolved again after this long (Kafka's default 10 min). */
  regexRefreshIntervalMs?: number;
}

/** The subscribed topics as the coordinator sees them (the topic registry of the broker). */
export interface TopicLookup {
  byName(name: string): { topicId: string; partitions: number } | undefined;
  /** Every topic name (for regular-expression subscriptions). */
  names(): string[];
  /** A topic's name by its id (the assignment of a classic member is by name). */
  nameOf?(topicId: string): string | undefined;
  /**
   * The version of the cluster metadata the names come from (ClusterMetadata.metadataVersion):
   * written into each resolved expression's record where Kafka writes its metadata image's offset.
   */
  metadataVersion?(): bigint;
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
   * Whether the member's principal may DESCRIBE a topic: when this heartbeat triggers a refresh of
   * the group's regular expressions, they resolve to those topics only (Kafka's
   * filterTopicDescribeAuthorizedTopics with the request's context). Absent: every topic.
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

/** A classic member's JoinGroup to a consumer group: the classic coordinator's request (its skipAssignment does not apply). */
export type ClassicJoin = Omit<JoinRequest, 'groupId' | 'supportsSkipAssignment'>;

export interface ClassicJoinResult {
  errorCode: number;
  memberId: string;
  generationId: number;
  protocolName: string | null;
}

/** What the consumer-group side needs of the coordinator's group table. */
export interface ConsumerGroupBook {
  get(groupId: string): Group | undefined;
  create(groupId: string): Group;
  now(): number;
  /** Whether group.consumer.migration.policy and group.max.size let a consumer group of `members` members become a classic group. */
  mayDowngrade(members: number): boolean;
  /** Converts a classic group with members into a consumer group (online upgrade); Kafka's reason when it may not. */
  upgrade(g: Group, topics: TopicLookup): string | null;
  /**
   * Converts a consumer group whose members but the leaving one all use the classic protocol back
   * into a classic group (online downgrade), where allowed; whether it did. Without a leaving
   * member (a static member replaced by a classic one) every member stays, and the classic group
   * rebalances only when `rebalance` says so.
   */
  downgrade(g: Group, leavingMemberId: string | null, topics: TopicLookup, rebalance?: boolean): boolean;
}

/** A refusal with Kafka's error code and message (errors as data: caught into the heartbeat's answer). */
class HeartbeatError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

/** No topics known (a coordinator that has not been told of any yet). */
const NO_TOPICS: TopicLookup = { byName: () => undefined, names: () => [] };

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
  #group(groupId: string, create: boolean, topics: TopicLookup | null): { g: Group; cg: ConsumerGroupState } {
    let g = this.#book.get(groupId);
    if (g?.consumer) return { g, cg: g.consumer };
    if (g && (g.state !== 'Empty' || g.members.size > 0)) {
      // A member joining a classic group with members converts it (KIP-848 online upgrade), where allowed.
      if (!create || !topics) throw new HeartbeatError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`);
      const refused = this.#book.upgrade(g, topics);
      if (refused !== null || !g.consumer) throw new HeartbeatError(ErrorCode.GROUP_ID_NOT_FOUND, refused ?? `Group ${groupId} is not a consumer group.`);
      return { g, cg: g.consumer };
    }
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
    const { g, cg } = this.#group(req.groupId, joining, topics);
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
    member = this.#apply(g, cg, before, member, req.topicPartitions, topics, now, req.canDescribeTopic);
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

  /**
   * The part of a heartbeat or a classic JoinGroup that changes the group (Kafka's
   * consumerGroupHeartbeat and classicGroupJoinToConsumerGroup share it): the member stored with
   * its new subscription, the group epoch bumped when a subscription or the subscribed topics
   * changed, the target assignment computed when the epoch passed it, and the member reconciled
   * towards its target with the partitions it says it owns. Returns the member as stored.
   */
  #apply(g: Group, cg: ConsumerGroupState, before: ConsumerMember, updated: ConsumerMember, owned: OwnedPartitions, topics: TopicLookup, now: number, canDescribeTopic: ((topic: string) => boolean) | undefined): ConsumerMember {
    let member = updated;
    // A new group starts at epoch 1 (Kafka 4.4 records the group at its creation, then bumps it for the first member).
    if (cg.groupEpoch === 0) cg.groupEpoch = 1;
    // A refresh of the group's regular expressions an earlier request triggered, if not applied yet
    // (GroupCoordinator applies it right after that request, as Kafka resolves off the request path:
    // a member sees their topics from its next heartbeat on).
    // Every topic name, read only when the group has expressions to resolve (a cluster may have thousands).
    const topicNames = () => topics.names();
    const metadataVersion = () => topics.metadataVersion?.() ?? -1n;
    applyPendingRegexRefresh(cg, topicNames, metadataVersion);
    // A changed subscription bumps the group epoch: its topic names, its assignor, or an expression
    // the group has resolved already (a new one bumps it once resolved, through the topics it adds).
    const regexChanged = before.subscribedTopicRegex !== member.subscribedTopicRegex && (member.subscribedTopicRegex === null || member.subscribedTopicRegex === '' || cg.resolvedRegexes.has(member.subscribedTopicRegex));
    let bump = !sameStrings(before.subscribedTopicNames, member.subscribedTopicNames) || regexChanged || before.serverAssignor !== member.serverAssignor;
    cg.updateMember(member);
    pruneResolvedRegexes(cg);
    if (cg.subscriptionMetadata === null && cg.resolvedRegexes.size === 0 && subscribedRegexes(cg).size > 0) {
      // A group loaded from a log written before resolutions were persisted (type 16 records):
      // resolved at once, with this request's authorization.
      resolveRegexes(cg, { at: now, regexes: subscribedRegexes(cg), canDescribeTopic }, topicNames(), metadataVersion());
    } else {
      maybeTriggerRegexRefresh(cg, before, member, topicNames, now, this.#settings.regexRefreshIntervalMs ?? 600_000, canDescribeTopic);
    }
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
      owned,
    });
    if (reconciled !== member) {
      // Its rebalance timeout runs from the moment it is asked to revoke partitions.
      const asked = reconciled.state === 'unrevoked-partitions' && (member.state !== 'unrevoked-partitions' || member.memberEpoch !== reconciled.memberEpoch);
      member = { ...reconciled, revocationDeadline: reconciled.state !== 'unrevoked-partitions' ? null : asked ? now + Math.max(0, member.rebalanceTimeoutMs) : member.revocationDeadline };
      cg.updateMember(member);
    }
    this.#syncGroupState(g, cg, now);
    return member;
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

  // ---- Classic members of a consumer group (KIP-848 online migration; Kafka's classicGroup*ToConsumerGroup) ----

  /**
   * JoinGroup of a classic member to a consumer group that has members: KIP-394's
   * MEMBER_ID_REQUIRED first (v4+, dynamic), then the member joins with the subscription in its
   * protocol metadata and is reconciled with the partitions that subscription says it owns (none
   * for an eager member, which revoked everything before joining). The answer names its member
   * epoch as the generation and its first protocol; it must SyncGroup within its rebalance timeout.
   */
  classicJoin(g: Group, req: ClassicJoin, given: TopicLookup | undefined): ClassicJoinResult {
    const topics = (this.#topics = given ?? this.#topics ?? NO_TOPICS);
    const cg = g.consumer!;
    const now = this.#book.now();
    const isUnknown = req.memberId === '';
    const memberId = isUnknown ? newMemberId() : req.memberId;
    const fail = (errorCode: number): ClassicJoinResult => ({ errorCode, memberId: req.memberId, generationId: -1, protocolName: null });
    if (cg.members.size >= this.#settings.maxSize && (req.memberId === '' || !cg.members.has(req.memberId))) return fail(ErrorCode.GROUP_MAX_SIZE_REACHED);
    if (!this.#supportsClassicProtocols(cg, req.protocolType, req.protocols)) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    if (isUnknown && req.requireKnownMemberId && req.groupInstanceId === null) return { errorCode: ErrorCode.MEMBER_ID_REQUIRED, memberId, generationId: -1, protocolName: null };
    let existing: ConsumerMember | undefined;
    let replaced: ConsumerMember | null = null;
    if (req.groupInstanceId === null) existing = cg.members.get(memberId);
    else {
      const holder = cg.members.get(cg.staticMembers.get(req.groupInstanceId) ?? '');
      if (holder && holder.memberId !== memberId) {
        // A static member that comes back without its member id takes its place (Kafka's static replacement).
        if (!isUnknown) return fail(ErrorCode.FENCED_INSTANCE_ID);
        replaced = holder;
        const target = cg.targetAssignment.get(holder.memberId);
        cg.removeMember(holder.memberId);
        existing = { ...holder, memberId, memberEpoch: 0, previousMemberEpoch: 0, state: 'stable', pendingRevocation: new Map(), revocationDeadline: null };
        cg.updateMember(existing);
        if (target) cg.targetAssignment.set(memberId, target);
      } else existing = holder;
    }
    const subscription = readSubscription(req.protocols[0]?.metadata ?? Buffer.alloc(0));
    if (!subscription) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const before: ConsumerMember = existing ?? this.#newMember(memberId, req.groupInstanceId, req.clientId, req.clientHost, now);
    const member: ConsumerMember = {
      ...before,
      instanceId: req.groupInstanceId ?? before.instanceId,
      rackId: subscription.rackId ?? before.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs === -1 ? before.rebalanceTimeoutMs : req.rebalanceTimeoutMs,
      subscribedTopicNames: subscription.topics,
      clientId: req.clientId,
      clientHost: req.clientHost,
      lastHeartbeat: now,
      sessionTimeoutMs: req.sessionTimeoutMs,
      classic: { sessionTimeoutMs: req.sessionTimeoutMs, protocols: req.protocols },
      // It must send SyncGroup within its rebalance timeout (Kafka's sync timeout).
      classicDeadline: now + Math.max(0, req.rebalanceTimeoutMs),
    };
    const owned = subscription.ownedPartitions.flatMap((t) => {
      const topic = topics.byName(t.topic);
      return topic ? [{ topicId: topic.topicId, partitions: t.partitions }] : [];
    });
    const protocolName = req.protocols[0]!.name;
    if (replaced && this.#downgradesWithReplacement(cg, replaced, memberId)) {
      const joined = this.#downgradeWithReplacement(g, cg, before, member, owned, topics);
      return { errorCode: 0, memberId: joined.memberId, generationId: joined.memberEpoch, protocolName };
    }
    const joined = this.#apply(g, cg, before, member, owned, topics, now, req.canDescribeTopic);
    return { errorCode: 0, memberId: joined.memberId, generationId: joined.memberEpoch, protocolName };
  }

  /**
   * Kafka 4.4's validateOnlineDowngradeWithReplacedMember: the static member a classic member
   * replaces was the group's last member of the consumer protocol (every other member is classic),
   * and the migration policy and group.max.size let the group become a classic one.
   */
  #downgradesWithReplacement(cg: ConsumerGroupState, replaced: ConsumerMember, joiningId: string): boolean {
    if (replaced.classic) return false;
    for (const m of cg.members.values()) if (m.memberId !== joiningId && !m.classic) return false;
    return this.#book.mayDowngrade(cg.members.size);
  }

  /**
   * The downgrade of Kafka 4.4's classicGroupJoinToConsumerGroup when the joining classic member
   * replaced the last consumer-protocol member: with the same subscription it is reconciled with
   * the replaced member's target assignment (no new group epoch, no rebalance: the classic group
   * is Stable at the group epoch, and its answer names the epoch it reached); with another
   * subscription it is not reconciled (its answer names epoch 0) and the classic group rebalances.
   * Returns the joining member as the conversion took it.
   */
  #downgradeWithReplacement(g: Group, cg: ConsumerGroupState, before: ConsumerMember, member: ConsumerMember, owned: OwnedPartitions, topics: TopicLookup): ConsumerMember {
    const subscriptionChanged = !sameStrings(before.subscribedTopicNames, member.subscribedTopicNames);
    let joined = member;
    if (!subscriptionChanged) {
      joined = reconcile(member, {
        targetEpoch: cg.assignmentEpoch,
        target: cg.targetAssignment.get(member.memberId) ?? new Map(),
        subscribedTopicIds: new Set(this.#subscribedTopics(cg, member, topics).map((t) => t.topicId)),
        partitionEpoch: (t, p) => cg.partitionEpoch(t, p),
        owned,
      });
    }
    cg.updateMember(joined);
    this.#book.downgrade(g, null, topics, subscriptionChanged);
    return joined;
  }

  /** SyncGroup of a classic member: its assignment at its epoch, unless the group moved on (REBALANCE_IN_PROGRESS: rejoin). */
  classicSync(g: Group, who: { memberId: string; groupInstanceId: string | null }, req: { generationId: number; protocolType: string | null; protocolName: string | null }, given: TopicLookup | undefined): { errorCode: number; protocolType: string | null; protocolName: string | null; assignment: Buffer } {
    const topics = given ?? this.#topics ?? NO_TOPICS;
    const cg = g.consumer!;
    const now = this.#book.now();
    const fail = (errorCode: number) => ({ errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) });
    const found = this.#classicMember(cg, who, req.generationId);
    if (typeof found === 'number') return fail(found);
    const m = found;
    const protocolName = m.classic!.protocols[0]?.name ?? null;
    if ((req.protocolType !== null && req.protocolType !== 'consumer') || (req.protocolName !== null && req.protocolName !== protocolName)) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    if (cg.groupEpoch > m.memberEpoch && m.state !== 'unrevoked-partitions') {
      cg.updateMember({ ...m, classicDeadline: m.classicDeadline ?? now + Math.max(0, m.rebalanceTimeoutMs) });
      return fail(ErrorCode.REBALANCE_IN_PROGRESS);
    }
    cg.updateMember({ ...m, lastHeartbeat: now, classicDeadline: null });
    const version = readSubscription(m.classic!.protocols[0]?.metadata ?? Buffer.alloc(0))?.version ?? 0;
    const partitions = [...m.assigned].filter(([, ps]) => ps.size > 0).flatMap(([topicId, ps]) => {
      const topic = topics.nameOf?.(topicId);
      return topic === undefined ? [] : [{ topic, partitions: [...ps].sort((x, y) => x - y) }];
    });
    return { errorCode: 0, protocolType: req.protocolType, protocolName: req.protocolName, assignment: writeAssignment(partitions, version) };
  }

  /**
   * Heartbeat of a classic member: REBALANCE_IN_PROGRESS (rejoin within the rebalance timeout)
   * when the group epoch passed its epoch, when it must revoke partitions, or when partitions it
   * waited for are free now.
   */
  classicHeartbeat(g: Group, who: { memberId: string; groupInstanceId: string | null }, generationId: number): number {
    const cg = g.consumer!;
    const now = this.#book.now();
    const found = this.#classicMember(cg, who, generationId);
    if (typeof found === 'number') return found;
    const m = found;
    const rejoin = m.memberEpoch < cg.groupEpoch || m.state === 'unrevoked-partitions' || (m.state === 'unreleased-partitions' && !this.#waitingOnUnreleased(cg, m));
    cg.updateMember({ ...m, lastHeartbeat: now, classicDeadline: rejoin ? (m.classicDeadline ?? now + Math.max(0, m.rebalanceTimeoutMs)) : m.classicDeadline });
    return rejoin ? ErrorCode.REBALANCE_IN_PROGRESS : 0;
  }

  /** LeaveGroup of classic members from a consumer group: each one named (by member id, or by instance id alone) leaves, as a fenced member would. */
  classicLeave(g: Group, members: { memberId: string; groupInstanceId: string | null }[]): { memberId: string; groupInstanceId: string | null; errorCode: number }[] {
    const cg = g.consumer!;
    const now = this.#book.now();
    return members.map((who) => {
      if (g.consumer !== cg) return { ...who, errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
      let m: ConsumerMember | undefined;
      if (who.groupInstanceId === null) m = cg.members.get(who.memberId);
      else {
        m = cg.members.get(cg.staticMembers.get(who.groupInstanceId) ?? '');
        if (m && who.memberId !== '' && m.memberId !== who.memberId) return { ...who, errorCode: ErrorCode.FENCED_INSTANCE_ID };
      }
      if (!m) return { ...who, errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
      this.#remove(g, cg, m.memberId, now);
      return { ...who, errorCode: 0 };
    });
  }

  /** The classic member a Sync/Heartbeat names (Kafka's validateConsumerGroupMember, then the protocol and generation checks), or the error. */
  #classicMember(cg: ConsumerGroupState, who: { memberId: string; groupInstanceId: string | null }, generationId: number): ConsumerMember | number {
    let m: ConsumerMember | undefined;
    if (who.groupInstanceId === null) m = cg.members.get(who.memberId);
    else {
      m = cg.members.get(cg.staticMembers.get(who.groupInstanceId) ?? '');
      if (m && m.memberId !== who.memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    if (!m || !m.classic) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (m.memberEpoch !== generationId) return ErrorCode.ILLEGAL_GENERATION;
    return m;
  }

  /** Kafka's ConsumerGroup.waitingOnUnreleasedPartition: a partition of its target another member still holds. */
  #waitingOnUnreleased(cg: ConsumerGroupState, m: ConsumerMember): boolean {
    for (const [t, ps] of cg.targetAssignment.get(m.memberId) ?? new Map<string, Set<number>>()) {
      for (const p of ps) if (!(m.assigned.get(t)?.has(p) ?? false) && cg.partitionEpoch(t, p) !== -1) return true;
    }
    return false;
  }

  /** Kafka's supportsClassicProtocols: type "consumer", and a protocol every classic member supports (any, when none is classic). */
  #supportsClassicProtocols(cg: ConsumerGroupState, protocolType: string, protocols: { name: string }[]): boolean {
    if (protocolType !== 'consumer' || protocols.length === 0) return false;
    const classic = [...cg.members.values()].filter((m) => m.classic);
    return protocols.some((p) => classic.every((m) => m.classic!.protocols.some((mp) => mp.name === p.name)));
  }

  #newMember(memberId: string, instanceId: string | null, clientId: string, clientHost: string, now: number): ConsumerMember {
    return {
      memberId, instanceId, rackId: null, clientId, clientHost, rebalanceTimeoutMs: -1, serverAssignor: null,
      subscribedTopicNames: [], subscribedTopicRegex: null, memberEpoch: 0, previousMemberEpoch: 0, state: 'stable',
      assigned: new Map(), assignmentEpochs: new Map(), pendingRevocation: new Map(), lastHeartbeat: now, revocationDeadline: null, sessionTimeoutMs: this.#settings.sessionTimeoutMs,
    };
  }

  /** memberEpoch -1 (leave) or -2 (a static member leaves for now and keeps its place and partitions). */
  #leave(req: HeartbeatRequest): HeartbeatResult {
    const { g, cg } = this.#group(req.groupId, false, null);
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
    // The last member of the consumer protocol leaves a group of classic members: the group goes
    // back to classic at its epoch instead (online downgrade; Kafka converts instead of bumping).
    const others = [...cg.members.values()].filter((m) => m.memberId !== memberId);
    if (others.length > 0 && others.every((m) => m.classic) && this.#book.downgrade(g, memberId, this.#topics ?? NO_TOPICS)) return;
    cg.removeMember(memberId);
    pruneResolvedRegexes(cg);
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
        // A removal may have turned the group back into a classic one (online downgrade).
        if (g.consumer !== cg) break;
        const sessionOver = now - m.lastHeartbeat > m.sessionTimeoutMs;
        const revocationOver = m.revocationDeadline !== null && now > m.revocationDeadline;
        const classicOver = m.classicDeadline != null && now > m.classicDeadline;
        if (sessionOver || revocationOver || classicOver) {
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

  /** The topics a member subscribes to that exist: its names, and the topics its expression resolved to at the group's last refresh. */
  #subscribedTopics(cg: ConsumerGroupState, m: ConsumerMember, topics: TopicLookup): { name: string; topicId: string; partitions: number }[] {
    const names = new Set(m.subscribedTopicNames);
    const resolved = m.subscribedTopicRegex ? cg.resolvedRegexes.get(m.subscribedTopicRegex) : undefined;
    if (resolved) for (const name of resolved) names.add(name);
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
  /**
   * Kafka's handleRegularExpressionsResult, off the request path: a refresh a request triggered is
   * resolved and applied at once after its answer (not at the group's next request), so that its
   * records are written, and the group epoch bumped when the expressions' topics changed, whether or
   * not another request comes; the target assignment follows at the next heartbeat, as Kafka's.
   * Whether anything was applied.
   */
  applyRegexRefresh(g: Group): boolean {
    const cg = g.consumer;
    const topics = this.#topics;
    if (!cg || !cg.pendingRegexRefresh || !topics) return false;
    applyPendingRegexRefresh(cg, () => topics.names(), () => topics.metadataVersion?.() ?? -1n);
    const metadata = this.#subscriptionMetadata(cg, topics);
    if (cg.subscriptionMetadata !== null && metadata !== cg.subscriptionMetadata) cg.groupEpoch++;
    cg.subscriptionMetadata = metadata;
    return true;
  }

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
      return { memberId: m.memberId, instanceId: m.instanceId, subscribedTopicIds: new Set(subscribed.map((t) => t.topicId)), current: cg.targetAssignment.get(m.memberId) ?? new Map() };
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
