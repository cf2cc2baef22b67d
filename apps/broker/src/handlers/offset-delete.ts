import { ErrorCode } from '@tributary/protocol';
import { Group } from '../group/group.ts';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import { defineApi } from './api-module.ts';

/** OffsetDelete (KIP-496): per partition 0 or GROUP_SUBSCRIBED_TO_TOPIC; unknown partitions get UNKNOWN_TOPIC_OR_PARTITION. */
export const offsetDeleteApi = defineApi({
  api: 'OffsetDelete',
  minVersion: 0,
  maxVersion: 0,
  serves: 'group-coordinator',
  groupOf: (request) => request.body.groupId,
  authorization: { kind: 'per-resource', acl: 'DELETE on the group' },
  handle: async (ctx, request, session) => {
    const req = request.body;
    if (!allowed(ctx, session, Op.DELETE, ResourceType.GROUP, req.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
    const known = req.topics.flatMap((t) => t.partitions.filter((p) => ctx.cluster.partition(t.name, p.partitionIndex)).map((p) => ({ topic: t.name, partition: p.partitionIndex })));
    // A write operation: answered once its tombstones are committed (GroupCoordinator.deleteOffsetsCommitted).
    const result = await ctx.groups.deleteOffsetsCommitted(req.groupId, known);
    if (result.errorCode !== 0) return { errorCode: result.errorCode, topics: [] };
    return {
      errorCode: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: result.partitions.get(Group.offsetKey(t.name, p.partitionIndex)) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })),
      })),
    };
  },
});
