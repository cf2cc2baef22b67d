
import { defineApi } from './api-module.ts';
import { READ_GROUP_BEFORE } from './group-authorization.ts';

export const leaveGroupApi = defineApi({
  api: 'LeaveGroup',
  minVersion: 0,
  maxVersion: 5,
  serves: 'group-coordinator',
  groupOf: (request) => request.body.groupId,
  authorization: READ_GROUP_BEFORE,
  handle: async (ctx, request) => {
    const req = request.body;
    if (request.apiVersion < 3) {
      // v0–2 name one member; its error is the response's.
      const result = await ctx.groups.leave(req.groupId, [{ memberId: req.memberId, groupInstanceId: null }]);
      return { errorCode: result.errorCode || (result.members[0]?.errorCode ?? 0) };
    }
    // v3+ leaves a batch, each member named by member id, group.instance.id or both (KIP-345).
    const result = await ctx.groups.leave(req.groupId, req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null })));
    return { errorCode: result.errorCode, members: result.members };
  },
});
