import { ErrorCode } from '@tributary/protocol';
import { AclOperation } from '../security/acl.ts';
import { allowedOnCluster } from '../security/request-guards.ts';
import { DENIED, filterOf } from './acl-filters.ts';
import { defineApi } from './api-module.ts';

export const deleteAclsApi = defineApi({
  api: 'DeleteAcls',
  minVersion: 0,
  maxVersion: 3,
  serves: 'any-broker',
  readsLatest: true,
  authorization: { kind: 'per-resource', acl: 'ALTER on the cluster (each filter answers the error)' },
  handle: async (ctx, request, session) => {
    const req = request.body;
    if (!allowedOnCluster(ctx, session, AclOperation.ALTER)) return { throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: DENIED, matchingAcls: [] })) };
    const removed = await ctx.acls.remove(req.filters.map((f) => filterOf(f, request.apiVersion)));
    const count = removed.reduce((n, r) => n + r.length, 0);
    if (count > 0) ctx.logger.log('info', 'ACLs deleted', { by: session.principal, count });
    return {
      throttleTimeMs: 0,
      filterResults: removed.map((bindings) => ({
        errorCode: 0,
        errorMessage: null,
        matchingAcls: bindings.map((b) => ({ errorCode: 0, errorMessage: null, resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permission })),
      })),
    };
  },
});
