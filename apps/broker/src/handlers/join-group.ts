import { ErrorCode } from '@tributary/protocol';
import { admitGroupJoin } from '../quota/instance-limits.ts';
import { joinGroupError, joinProtocolName } from './join-group-answer.ts';
import { topicLookup } from './consumer-group-heartbeat.ts';
import { defineApi } from './api-module.ts';
import { READ_GROUP_BEFORE } from './group-authorization.ts';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';

export const joinGroupApi = defineApi({
  api: 'JoinGroup',
  minVersion: 0,
  maxVersion: 9,
  serves: 'group-coordinator',
  groupOf: (request) => request.body.groupId,
  authorization: READ_GROUP_BEFORE,
  handle: async (ctx, request, session) => {
    const req = request.body;
    const v = request.apiVersion;
    // A consumer-group quota's member limit (CKafka's per-group limit), on top of group.max.size.
    const maxMembers = ctx.clientQuotas.groupQuota(req.groupId, 'group_max_members');
    const group = ctx.groups.get(req.groupId);
    if (maxMembers !== null && group && !group.members.has(req.memberId) && group.members.size >= maxMembers) return joinGroupError(v, ErrorCode.GROUP_MAX_SIZE_REACHED);
    const admission = await admitGroupJoin(ctx, req.groupId);
    if (admission.refused) {
      ctx.logger.log('warn', 'consumer group refused', { group: req.groupId, reason: admission.refused.message });
      return joinGroupError(v, admission.refused.errorCode);
    }
    let joining;
    try {
      joining = ctx.groups.join({
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
        canDescribeTopic: (topic) => allowed(ctx, session, Op.DESCRIBE, ResourceType.TOPIC, topic),
      }, topicLookup(ctx));
    } finally {
      // The group exists once the coordinator has taken the join (synchronously): the place held for it goes.
      admission.release();
    }
    const result = await joining;
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
  },
});
