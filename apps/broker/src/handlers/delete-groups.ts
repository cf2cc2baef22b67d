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
  handle: async (ctx, request, session) => {
    const req = request.body;
    const refusal = (groupId: string) =>
      !allowed(ctx, session, Op.DELETE, ResourceType.GROUP, groupId) ? ErrorCode.GROUP_AUTHORIZATION_FAILED
      : !ctx.groups.coordinates(groupId) ? ErrorCode.NOT_COORDINATOR
      : 0;
    const refused: number[] = req.groupsNames.map(refusal);
    // The rest as Kafka's write operations, one per partition: answered once the deletions' (or
    // the partition's pending) writes are committed (GroupCoordinators.deleteGroups).
    const asked = req.groupsNames.flatMap((_, i) => (refused[i] === 0 ? [i] : []));
    const deleted = await ctx.groups.deleteGroups(asked.map((i) => req.groupsNames[i]!));
    const codes = [...refused];
    asked.forEach((i, k) => (codes[i] = deleted[k]!));
    return { results: req.groupsNames.map((groupId, i) => ({ groupId, errorCode: codes[i]! })) };
  },
});
