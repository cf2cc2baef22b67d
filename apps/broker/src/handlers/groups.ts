import {
  ErrorCode,
  type DeleteGroupsRequest,
  type DescribeGroupsRequest,
  type FindCoordinatorRequest,
  type HeartbeatRequest,
  type JoinGroupRequest,
  type LeaveGroupRequest,
  type ListGroupsRequest,
  type OffsetCommitRequest,
  type OffsetDeleteRequest,
  type OffsetFetchRequest,
  type SyncGroupRequest,
} from '@tributary/protocol';
import { Group } from '../group/group.ts';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed, allowedOnCluster, authorizedOperations } from '../security/request-guards.ts';
import { groupLimitError } from '../quota/instance-limits.ts';
import type { BrokerContext, Handler, RequestSession } from './context.ts';
import { listenerFor } from '../config/broker-config.ts';
import { OFFSETS_TOPIC } from '../topics/internal-topics.ts';
import { errorResponseFor } from './error-response.ts';
import { joinGroupError, joinProtocolName } from './join-group-answer.ts';

/** Kafka's default offset.metadata.max.bytes: longer commit metadata is refused with OFFSET_METADATA_TOO_LARGE. */
const OFFSET_METADATA_MAX_BYTES = 4096;

/**
 * This broker coordinates every group; transactions (key type 1) have no coordinator yet. A key type
 * Kafka does not know fails the whole request as Kafka's CoordinatorType.forId does: INVALID_REQUEST
 * for every key (FindCoordinatorRequest.getErrorResponse), before any authorization check.
 */
export const handleFindCoordinator: Handler = (ctx: BrokerContext, request, session) => {
  const req = request.body as FindCoordinatorRequest;
  if (request.apiVersion >= 1 && req.keyType !== 0 && req.keyType !== 1) return errorResponseFor(request, ErrorCode.INVALID_REQUEST);
  const coordinator = ctx.cluster.brokers().find((b) => b.nodeId === ctx.groupCoordinatorId());
  const node = coordinator ? listenerFor(coordinator.listeners, session.listener) : null;
  const answer = (key: string) =>
    req.keyType === 0 && !allowed(ctx, session, Op.DESCRIBE, ResourceType.GROUP, key)
      ? { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: `${session.principal} may not describe group ${key}` }
      : req.keyType === 1 && !allowed(ctx, session, Op.DESCRIBE, ResourceType.TRANSACTIONAL_ID, key)
      ? { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, errorMessage: `${session.principal} may not use transactional id ${key}` }
      : req.keyType === 0 && !node
      ? { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'no broker leads __consumer_offsets yet' }
      : req.keyType === 0
      ? // Kafka's found coordinator carries Errors.NONE's text, "NONE", as its message.
        { key, nodeId: coordinator!.nodeId, host: node!.host, port: node!.port, errorCode: 0, errorMessage: 'NONE' }
      : { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'transactions are not supported yet' };
  if (request.apiVersion >= 4) return { coordinators: req.coordinatorKeys.map(answer) };
  const { key: _key, ...single } = answer(req.key);
  return request.apiVersion >= 1 ? single : { errorCode: single.errorCode, nodeId: single.nodeId, host: single.host, port: single.port };
};

export const handleJoinGroup: Handler = async (ctx: BrokerContext, request, session) => {
  const req = request.body as JoinGroupRequest;
  const v = request.apiVersion;
  // A consumer-group quota's member limit (CKafka's per-group limit), on top of group.max.size.
  const maxMembers = ctx.clientQuotas.groupQuota(req.groupId, 'group_max_members');
  const group = ctx.groups.get(req.groupId);
  if (maxMembers !== null && group && !group.members.has(req.memberId) && group.members.size >= maxMembers) return joinGroupError(v, ErrorCode.GROUP_MAX_SIZE_REACHED);
  const overLimit = groupLimitError(ctx, req.groupId);
  if (overLimit) {
    ctx.logger.log('warn', 'consumer group refused', { group: req.groupId, reason: overLimit.message });
    return joinGroupError(v, overLimit.errorCode);
  }
  const result = await ctx.groups.join({
    groupId: req.groupId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId,
    clientId: request.header.clientId ?? '',
    clientHost: `/${session.host}`,
    sessionTimeoutMs: req.sessionTimeoutMs,
    rebalanceTimeoutMs: v >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
    protocolType: req.protocolType,
    protocols: req.protocols,
    requireKnownMemberId: v >= 4,
    supportsSkipAssignment: v >= 9,
  });
  return {
    errorCode: result.errorCode,
    generationId: result.generationId,
    protocolName: joinProtocolName(v, result.protocolName),
    ...(v >= 7 ? { protocolType: result.protocolType } : {}),
    leader: result.leader,
    ...(v >= 9 ? { skipAssignment: result.skipAssignment ?? false } : {}),
    memberId: result.memberId,
    members: result.members.map((m) => ({ memberId: m.memberId, metadata: m.metadata, ...(v >= 5 ? { groupInstanceId: m.groupInstanceId } : {}) })),
  };
};

export const handleSyncGroup: Handler = async (ctx: BrokerContext, request) => {
  const req = request.body as SyncGroupRequest;
  const v = request.apiVersion;
  const result = await ctx.groups.sync(req.groupId, { memberId: req.memberId, groupInstanceId: v >= 3 ? (req.groupInstanceId ?? null) : null }, {
    generationId: req.generationId,
    protocolType: v >= 5 ? req.protocolType : null,
    protocolName: v >= 5 ? req.protocolName : null,
    assignments: req.assignments,
  });
  return { errorCode: result.errorCode, assignment: result.assignment, ...(request.apiVersion >= 5 ? { protocolType: result.protocolType, protocolName: result.protocolName } : {}) };
};

export const handleHeartbeat: Handler = (ctx: BrokerContext, request) => {
  const req = request.body as HeartbeatRequest;
  return { errorCode: ctx.groups.heartbeat(req.groupId, { memberId: req.memberId, groupInstanceId: request.apiVersion >= 3 ? (req.groupInstanceId ?? null) : null }, req.generationId) };
};

export const handleLeaveGroup: Handler = (ctx: BrokerContext, request) => {
  const req = request.body as LeaveGroupRequest;
  if (request.apiVersion < 3) {
    // v0–2 name one member; its error is the response's.
    const result = ctx.groups.leave(req.groupId, [{ memberId: req.memberId, groupInstanceId: null }]);
    return { errorCode: result.errorCode || (result.members[0]?.errorCode ?? 0) };
  }
  // v3+ leaves a batch, each member named by member id, group.instance.id or both (KIP-345).
  const result = ctx.groups.leave(req.groupId, req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null })));
  return { errorCode: result.errorCode, members: result.members };
};

export const handleOffsetCommit: Handler = async (ctx: BrokerContext, request, session) => {
  const req = request.body as OffsetCommitRequest;
  const now = Date.now();
  // READ on the group for the commit, READ on each topic for its partitions (Kafka's rule).
  if (!allowed(ctx, session, Op.READ, ResourceType.GROUP, req.groupId)) return { topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED })) })) };
  const readable = new Set(req.topics.filter((t) => allowed(ctx, session, Op.READ, ResourceType.TOPIC, t.name)).map((t) => t.name));
  // Per partition, Kafka's checks before the group's: unknown partitions, then metadata over offset.metadata.max.bytes.
  const partitionError = (topic: string, p: { partitionIndex: number; committedMetadata: string | null }) =>
    !readable.has(topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
    : !ctx.cluster.partition(topic, p.partitionIndex) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    : p.committedMetadata !== null && p.committedMetadata.length > OFFSET_METADATA_MAX_BYTES ? ErrorCode.OFFSET_METADATA_TOO_LARGE
    : 0;
  const offsets = req.topics.flatMap((t) =>
    t.partitions.filter((p) => partitionError(t.name, p) === 0).map((p) => ({ topic: t.name, partition: p.partitionIndex, value: { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata, commitTimestamp: now } })),
  );
  const v = request.apiVersion;
  const generation = v >= 1 ? req.generationIdOrMemberEpoch : -1;
  let errorCode = ctx.groups.commit(req.groupId, { memberId: v >= 1 ? req.memberId : '', groupInstanceId: v >= 7 ? (req.groupInstanceId ?? null) : null }, generation, offsets, v);
  if (errorCode === 0 && offsets.length > 0) errorCode = await replicated(ctx);
  return {
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: partitionError(t.name, p) || errorCode })),
    })),
  };
};

/**
 * A commit is acknowledged once every in-sync replica of `__consumer_offsets` has it, so a new
 * coordinator after a failover knows it. Errors map as Kafka maps them for commits.
 */
async function replicated(ctx: BrokerContext): Promise<number> {
  const log = ctx.topics.log(OFFSETS_TOPIC, 0);
  if (!log) return ErrorCode.NOT_COORDINATOR;
  ctx.replicas.onLeaderAppend(OFFSETS_TOPIC, 0);
  // Followers long-polling __consumer_offsets fetch the commit now rather than at their max wait.
  ctx.appends.notify();
  const code = await ctx.replicas.waitForReplication(OFFSETS_TOPIC, 0, log.logEndOffset, 1, 5000);
  if (code === ErrorCode.NOT_LEADER_OR_FOLLOWER) return ErrorCode.NOT_COORDINATOR;
  if (code === ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  return code;
}

function fetchOffsets(ctx: BrokerContext, session: RequestSession, groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, v: number) {
  const wanted = topics ?? (() => {
    const byTopic = new Map<string, number[]>();
    for (const key of ctx.groups.get(groupId)?.offsets.keys() ?? []) {
      const [topic, partition] = key.split('\u0000');
      byTopic.set(topic!, [...(byTopic.get(topic!) ?? []), Number(partition)]);
    }
    // Asked for all: topics the principal may not describe are left out.
    return [...byTopic].filter(([name]) => allowed(ctx, session, Op.DESCRIBE, ResourceType.TOPIC, name)).map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
  })();
  const describable = (topic: string) => topics === null || allowed(ctx, session, Op.DESCRIBE, ResourceType.TOPIC, topic);
  return wanted.map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((partitionIndex) => {
      if (!describable(t.name)) return { partitionIndex, committedOffset: -1n, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, ...(v >= 5 ? { committedLeaderEpoch: -1 } : {}) };
      const c = ctx.groups.committed(groupId, t.name, partitionIndex);
      return { partitionIndex, committedOffset: c?.offset ?? -1n, metadata: c?.metadata ?? '', errorCode: 0, ...(v >= 5 ? { committedLeaderEpoch: c?.leaderEpoch ?? -1 } : {}) };
    }),
  }));
}

export const handleOffsetFetch: Handler = (ctx: BrokerContext, request, session) => {
  const req = request.body as OffsetFetchRequest;
  const v = request.apiVersion;
  const mayDescribe = (groupId: string) => allowed(ctx, session, Op.DESCRIBE, ResourceType.GROUP, groupId);
  // An unknown (or dead) group has no offsets: every partition answers -1 without error, as in
  // Kafka; the empty group id is a valid group here.
  const answer = (groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null) =>
    mayDescribe(groupId) ? { groupId, errorCode: 0, topics: fetchOffsets(ctx, session, groupId, topics, v) } : { groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
  if (v >= 8) return { groups: req.groups.map((g) => answer(g.groupId, g.topics)) };
  if (!mayDescribe(req.groupId)) return v >= 2 ? { topics: [], errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED } : { topics: (req.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, metadata: '', errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED })) })) };
  return { topics: fetchOffsets(ctx, session, req.groupId, req.topics, v), ...(v >= 2 ? { errorCode: 0 } : {}) };
};

export const handleListGroups: Handler = (ctx: BrokerContext, request, session) => {
  const req = request.body as ListGroupsRequest;
  const v = request.apiVersion;
  // DESCRIBE on the cluster lists every group; otherwise only the groups the principal may describe.
  const everything = allowedOnCluster(ctx, session, Op.DESCRIBE);
  // Kafka compares states and types case-insensitively; every group here is a classic group (v5 types filter).
  const states = new Set(v >= 4 ? req.statesFilter.map((s) => s.trim().toLowerCase()) : []);
  const types = new Set(v >= 5 ? req.typesFilter.map((t) => t.trim().toLowerCase()) : []);
  const groups = ctx.groups
    .groups()
    .filter((g) => everything || allowed(ctx, session, Op.DESCRIBE, ResourceType.GROUP, g.groupId))
    .filter((g) => states.size === 0 || states.has(g.state.toLowerCase()))
    .filter(() => types.size === 0 || types.has('classic'));
  return { errorCode: 0, groups: groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', ...(v >= 4 ? { groupState: g.state } : {}), ...(v >= 5 ? { groupType: 'classic' } : {}) })) };
};

export const handleDescribeGroups: Handler = (ctx: BrokerContext, request, session) => {
  const req = request.body as DescribeGroupsRequest;
  const v = request.apiVersion;
  return {
    groups: req.groups.map((groupId) => {
      if (!allowed(ctx, session, Op.DESCRIBE, ResourceType.GROUP, groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupId, groupState: '', protocolType: '', protocolData: '', members: [] };
      const g = ctx.groups.get(groupId);
      if (!g) return { errorCode: 0, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
      // As Kafka: the protocol and each member's metadata only while Stable; assignments always.
      const stable = g.state === 'Stable';
      return {
        errorCode: 0,
        groupId,
        ...(v >= 3 && req.includeAuthorizedOperations ? { authorizedOperations: authorizedOperations(ctx, session, 'group', groupId) } : {}),
        groupState: g.state,
        protocolType: g.protocolType ?? '',
        protocolData: stable ? (g.protocolName ?? '') : '',
        members: [...g.members.values()].map((m) => ({
          memberId: m.memberId,
          ...(v >= 4 ? { groupInstanceId: m.groupInstanceId } : {}),
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: stable ? (m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? Buffer.alloc(0)) : Buffer.alloc(0),
          memberAssignment: m.assignment,
        })),
      };
    }),
  };
};

export const handleDeleteGroups: Handler = (ctx: BrokerContext, request, session) => {
  const req = request.body as DeleteGroupsRequest;
  return { results: req.groupsNames.map((groupId) => ({ groupId, errorCode: allowed(ctx, session, Op.DELETE, ResourceType.GROUP, groupId) ? ctx.groups.deleteGroup(groupId) : ErrorCode.GROUP_AUTHORIZATION_FAILED })) };
};

/** OffsetDelete (KIP-496): per partition 0 or GROUP_SUBSCRIBED_TO_TOPIC; unknown partitions get UNKNOWN_TOPIC_OR_PARTITION. */
export const handleOffsetDelete: Handler = (ctx: BrokerContext, request, session) => {
  const req = request.body as OffsetDeleteRequest;
  if (!allowed(ctx, session, Op.DELETE, ResourceType.GROUP, req.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
  const known = req.topics.flatMap((t) => t.partitions.filter((p) => ctx.cluster.partition(t.name, p.partitionIndex)).map((p) => ({ topic: t.name, partition: p.partitionIndex })));
  const result = ctx.groups.deleteOffsets(req.groupId, known);
  if (result.errorCode !== 0) return { errorCode: result.errorCode, topics: [] };
  return {
    errorCode: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: result.partitions.get(Group.offsetKey(t.name, p.partitionIndex)) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })),
    })),
  };
};
