import { ErrorCode } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import { defineApi } from './api-module.ts';

export const deleteGroupsApi = defineApi({
  api: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 2,
  serves: 'group-coordinator',
  authorization: { kind: 'per-resource', acl: 'DELETE on each group' },
  handle: (ctx, request, session) => {
    const req = request.body;
    return { results: req.groupsNames.map((groupId) => ({ groupId, errorCode: allowed(ctx, session, Op.DELETE, ResourceType.GROUP, groupId) ? ctx.groups.deleteGroup(groupId) : ErrorCode.GROUP_AUTHORIZATION_FAILED })) };
  },
});
