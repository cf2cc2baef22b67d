import { ErrorCode } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import { defineApi } from './api-module.ts';

export const deleteGroupsApi = defineApi({
  api: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 3,
  serves: 'group-coordinator',
  // Several groups: each one this broker does not coordinate is answered NOT_COORDINATOR.
  groupOf: () => null,
  authorization: { kind: 'per-resource', acl: 'DELETE on each group' },
  handle: (ctx, request, session) => {
    const req = request.body;
    const errorCode = (groupId: string) =>
      !allowed(ctx, session, Op.DELETE, ResourceType.GROUP, groupId) ? ErrorCode.GROUP_AUTHORIZATION_FAILED
      : !ctx.groups.coordinates(groupId) ? ErrorCode.NOT_COORDINATOR
      : ctx.groups.deleteGroup(groupId);
    return { results: req.groupsNames.map((groupId) => ({ groupId, errorCode: errorCode(groupId) })) };
  },
});
