
import { defineApi } from './api-module.ts';
import { READ_GROUP_BEFORE } from './group-authorization.ts';

export const heartbeatApi = defineApi({
  api: 'Heartbeat',
  minVersion: 0,
  maxVersion: 4,
  serves: 'group-coordinator',
  groupOf: (request) => request.body.groupId,
  authorization: READ_GROUP_BEFORE,
  // Answered once the group's partition has no write left to replicate (GroupCoordinator.heartbeat).
  handle: async (ctx, request) => {
    const req = request.body;
    return { errorCode: await ctx.groups.heartbeat(req.groupId, { memberId: req.memberId, groupInstanceId: request.apiVersion >= 3 ? (req.groupInstanceId ?? null) : null }, req.generationId) };
  },
});
