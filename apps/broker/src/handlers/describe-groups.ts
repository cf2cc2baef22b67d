import { ErrorCode } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed, authorizedOperations } from '../security/request-guards.ts';
import { defineApi } from './api-module.ts';

export const describeGroupsApi = defineApi({
  api: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 6,
  serves: 'group-coordinator',
  // Several groups: each one this broker does not coordinate is answered NOT_COORDINATOR.
  groupOf: () => null,
  authorization: { kind: 'per-resource', acl: 'DESCRIBE on each group' },
  handle: (ctx, request, session) => {
    const req = request.body;
    const v = request.apiVersion;
    /**
     * A group that is not a classic one (unknown, or a KIP-848 consumer group, which
     * ConsumerGroupDescribe describes): Kafka 4.4 answers Dead without an error up to v5, and from
     * v6 (KIP-1043) GROUP_ID_NOT_FOUND with the message of its GroupIdNotFoundException.
     */
    const notClassic = (groupId: string, message: string) => ({
      errorCode: v >= 6 ? ErrorCode.GROUP_ID_NOT_FOUND : 0,
      ...(v >= 6 ? { errorMessage: message } : {}),
      groupId,
      groupState: 'Dead',
      protocolType: '',
      protocolData: '',
      members: [],
      // Before v6 such a group is described (Dead), and Kafka reports what the principal may do with it.
      ...(v >= 3 && v < 6 && req.includeAuthorizedOperations ? { authorizedOperations: authorizedOperations(ctx, session, 'group', groupId) } : {}),
    });
    return {
      groups: req.groups.map((groupId) => {
        if (!allowed(ctx, session, Op.DESCRIBE, ResourceType.GROUP, groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupId, groupState: '', protocolType: '', protocolData: '', members: [] };
        if (!ctx.groups.coordinates(groupId)) return { errorCode: ErrorCode.NOT_COORDINATOR, groupId, groupState: '', protocolType: '', protocolData: '', members: [] };
        const g = ctx.groups.get(groupId);
        if (!g || g.state === 'Dead') return notClassic(groupId, `Group ${groupId} not found.`);
        if (g.consumer) return notClassic(groupId, `Group ${groupId} is not a classic group.`);
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
