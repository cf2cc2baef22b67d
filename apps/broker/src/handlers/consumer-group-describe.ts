import { ErrorCode } from '@tributary/protocol';
import type { Assignment } from '../group/assignors/assignor.ts';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed, authorizedOperations } from '../security/request-guards.ts';
import { defineApi } from './api-module.ts';
import type { BrokerContext } from './context.ts';

/** Kafka's "authorized operations not asked for" sentinel (Integer.MIN_VALUE). */
const NOT_ASKED = -2147483648;
/** ConsumerGroupDescribe v1's memberType: a member of the consumer protocol, or of the classic one (online migration). */
const CONSUMER_MEMBER = 1;
const CLASSIC_MEMBER = 0;

function describeAssignment(ctx: BrokerContext, a: Assignment) {
  return {
    topicPartitions: [...a]
      .filter(([, ps]) => ps.size > 0)
      .map(([topicId, ps]) => ({ topicId, topicName: ctx.topics.byId(topicId)?.name ?? '', partitions: [...ps].sort((x, y) => x - y) })),
  };
}

function union(a: Assignment, b: Assignment): Assignment {
  const out: Assignment = new Map();
  for (const x of [a, b]) for (const [t, ps] of x) out.set(t, new Set([...(out.get(t) ?? []), ...ps]));
  return out;
}

/**
 * ConsumerGroupDescribe (KIP-848): a consumer group's epochs, assignor and every member with its
 * subscription, current and target assignment, as Kafka 4.4 answers it; an unknown group or a
 * classic one is GROUP_ID_NOT_FOUND.
 */
export const consumerGroupDescribeApi = defineApi({
  api: 'ConsumerGroupDescribe',
  minVersion: 0,
  maxVersion: 1,
  serves: 'group-coordinator',
  // Several groups: each one this broker does not coordinate is answered NOT_COORDINATOR.
  groupOf: () => null,
  authorization: { kind: 'per-resource', acl: 'DESCRIBE on each group' },
  handle: (ctx, request, session) => {
    const req = request.body;
    const v = request.apiVersion;
    const empty = { groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: NOT_ASKED };
    return {
      throttleTimeMs: 0,
      groups: req.groupIds.map((groupId) => {
        if (!allowed(ctx, session, Op.DESCRIBE, ResourceType.GROUP, groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, groupId, ...empty };
        if (!ctx.groups.coordinates(groupId)) return { errorCode: ErrorCode.NOT_COORDINATOR, errorMessage: null, groupId, ...empty };
        const g = ctx.groups.get(groupId);
        const cg = g?.consumer;
        if (!g || g.state === 'Dead') return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.`, groupId, ...empty };
        if (!cg) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} is not a consumer group.`, groupId, ...empty };
        return {
          errorCode: 0,
          errorMessage: null,
          groupId,
          groupState: cg.state,
          groupEpoch: cg.groupEpoch,
          assignmentEpoch: cg.assignmentEpoch,
          assignorName: ctx.groups.consumerAssignorName(g),
          members: [...cg.members.values()].map((m) => ({
            memberId: m.memberId,
            instanceId: m.instanceId,
            rackId: m.rackId,
            memberEpoch: m.memberEpoch,
            clientId: m.clientId,
            clientHost: m.clientHost,
            subscribedTopicNames: [...m.subscribedTopicNames],
            subscribedTopicRegex: m.subscribedTopicRegex ?? '',
            // What the member may still hold: its assigned partitions and those it has not revoked yet (as Kafka describes it).
            assignment: describeAssignment(ctx, union(m.assigned, m.pendingRevocation)),
            targetAssignment: describeAssignment(ctx, cg.targetAssignment.get(m.memberId) ?? new Map()),
            ...(v >= 1 ? { memberType: m.classic ? CLASSIC_MEMBER : CONSUMER_MEMBER } : {}),
          })),
          authorizedOperations: req.includeAuthorizedOperations ? authorizedOperations(ctx, session, 'consumer-group', groupId) : NOT_ASKED,
        };
      }),
    };
  },
});
