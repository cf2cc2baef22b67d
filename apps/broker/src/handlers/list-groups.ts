import type { Group } from '../group/group.ts';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed, allowedOnCluster } from '../security/request-guards.ts';
import { defineApi } from './api-module.ts';

export const listGroupsApi = defineApi({
  api: 'ListGroups',
  minVersion: 0,
  maxVersion: 5,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'DESCRIBE on the cluster lists all groups, else those with DESCRIBE on the group' },
  handle: (ctx, request, session) => {
    const req = request.body;
    const v = request.apiVersion;
    // DESCRIBE on the cluster lists every group; otherwise only the groups the principal may describe.
    const everything = allowedOnCluster(ctx, session, Op.DESCRIBE);
    // Kafka compares states and types case-insensitively. A KIP-848 group is of type "consumer",
    // with its own states (Empty, Assigning, Reconciling, Stable).
    const states = new Set(v >= 4 ? req.statesFilter.map((s) => s.trim().toLowerCase()) : []);
    const types = new Set(v >= 5 ? req.typesFilter.map((t) => t.trim().toLowerCase()) : []);
    const stateOf = (g: Group) => g.consumer?.state ?? g.state;
    const typeOf = (g: Group) => (g.consumer ? 'consumer' : 'classic');
    const groups = ctx.groups
      .groups()
      .filter((g) => everything || allowed(ctx, session, Op.DESCRIBE, ResourceType.GROUP, g.groupId))
      .filter((g) => states.size === 0 || states.has(stateOf(g).toLowerCase()))
      .filter((g) => types.size === 0 || types.has(typeOf(g)));
    return { errorCode: 0, groups: groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', ...(v >= 4 ? { groupState: stateOf(g) } : {}), ...(v >= 5 ? { groupType: typeOf(g) } : {}) })) };
  },
});
