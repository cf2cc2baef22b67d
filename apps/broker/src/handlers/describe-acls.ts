import { ErrorCode } from '@tributary/protocol';
import { AclOperation, filterMatches } from '../security/acl.ts';
import { allowedOnCluster } from '../security/request-guards.ts';
import { filterOf } from './acl-filters.ts';
import { defineApi } from './api-module.ts';

export const describeAclsApi = defineApi({
  api: 'DescribeAcls',
  minVersion: 0,
  maxVersion: 3,
  serves: 'any-broker',
  readsLatest: true,
  authorization: { kind: 'per-resource', acl: 'DESCRIBE on the cluster' },
  handle: (ctx, request, session) => {
    const req = request.body;
    if (!allowedOnCluster(ctx, session, AclOperation.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'DESCRIBE on the cluster is needed to list ACLs', resources: [] };
    const filter = filterOf(req, request.apiVersion);
    const byResource = new Map<string, { resourceType: number; resourceName: string; patternType: number; acls: { principal: string; host: string; operation: number; permissionType: number }[] }>();
    for (const b of ctx.acls.all().filter((a) => filterMatches(filter, a))) {
      const key = `${b.resourceType}\u0000${b.patternType}\u0000${b.resourceName}`;
      const entry = byResource.get(key) ?? { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] };
      entry.acls.push({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permission });
      byResource.set(key, entry);
    }
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, resources: [...byResource.values()] };
  },
});
