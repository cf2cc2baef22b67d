import { ErrorCode } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed, authorizedOperations } from '../security/request-guards.ts';
import { defineApi } from './api-module.ts';

export const describeGroupsApi = defineApi({
  api: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 5,
  serves: 'group-coordinator',
  authorization: { kind: 'per-resource', acl: 'DESCRIBE on each group' },
  handle: (ctx, request, session) => {
    const req = request.body;
    const v = request.apiVersion;
    return {
      groups: req.groups.map((groupId) => {
        if (!allowed(ctx, session, Op.DESCRIBE, ResourceType.GROUP, groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupId, groupState: '', protocolType: '', protocolData: '', members: [] };
        const g = ctx.groups.get(groupId);
        // A KIP-848 consumer group is not a classic one: Kafka 4.4 describes it as it does an unknown group (ConsumerGroupDescribe describes it).
        if (!g || g.consumer) return { errorCode: 0, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
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
  },
});
