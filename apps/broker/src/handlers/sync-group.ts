
import { topicLookup } from './consumer-group-heartbeat.ts';
import { defineApi } from './api-module.ts';
import { READ_GROUP_BEFORE } from './group-authorization.ts';

export const syncGroupApi = defineApi({
  api: 'SyncGroup',
  minVersion: 0,
  maxVersion: 5,
  serves: 'group-coordinator',
  groupOf: (request) => request.body.groupId,
  authorization: READ_GROUP_BEFORE,
  handle: async (ctx, request) => {
    const req = request.body;
    const v = request.apiVersion;
    const result = await ctx.groups.sync(req.groupId, { memberId: req.memberId, groupInstanceId: v >= 3 ? (req.groupInstanceId ?? null) : null }, {
      generationId: req.generationId,
      protocolType: v >= 5 ? req.protocolType : null,
      protocolName: v >= 5 ? req.protocolName : null,
      assignments: req.assignments,
    }, topicLookup(ctx));
    return { errorCode: result.errorCode, assignment: result.assignment, ...(request.apiVersion >= 5 ? { protocolType: result.protocolType, protocolName: result.protocolName } : {}) };
  },
});
