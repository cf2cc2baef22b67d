import { ErrorCode, type CreateAclsRequest, type DeleteAclsRequest, type DescribeAclsRequest } from '@tributary/protocol';
import { AclOperation, bindingProblem, filterMatches, PatternType, type AclBinding, type AclFilter } from '../security/acl.ts';
import { allowedOnCluster } from '../security/request-guards.ts';
import type { Handler } from './context.ts';

const DENIED = 'ALTER on the cluster is needed to change ACLs';

/** CreateAcls: each creation is validated on its own; ALTER on the cluster is required (as in Kafka). */
export const handleCreateAcls: Handler = async (ctx, request, session) => {
  const req = request.body as CreateAclsRequest;
  const mayAlter = allowedOnCluster(ctx, session, AclOperation.ALTER);
  const valid: AclBinding[] = [];
  const results = req.creations.map((c) => {
    if (!mayAlter) return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: DENIED };
    const binding: AclBinding = { resourceType: c.resourceType, resourceName: c.resourceName, patternType: request.apiVersion >= 1 ? c.resourcePatternType : PatternType.LITERAL, principal: c.principal, host: c.host, operation: c.operation, permission: c.permissionType };
    const problem = bindingProblem(binding);
    if (problem) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem };
    valid.push(binding);
    return { errorCode: 0, errorMessage: null };
  });
  if (valid.length > 0) {
    await ctx.acls.add(valid);
    ctx.logger.log('info', 'ACLs created', { by: session.principal, count: valid.length });
  }
  return { throttleTimeMs: 0, results };
};

const filterOf = (f: { resourceTypeFilter: number; resourceNameFilter: string | null; patternTypeFilter?: number; principalFilter: string | null; hostFilter: string | null; operation: number; permissionType: number }, v: number): AclFilter => ({
  resourceType: f.resourceTypeFilter,
  resourceName: f.resourceNameFilter,
  // v0 filters predate pattern types and meant literal names.
  patternType: v >= 1 ? f.patternTypeFilter! : PatternType.LITERAL,
  principal: f.principalFilter,
  host: f.hostFilter,
  operation: f.operation,
  permission: f.permissionType,
});

export const handleDescribeAcls: Handler = (ctx, request, session) => {
  const req = request.body as DescribeAclsRequest;
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
};

export const handleDeleteAcls: Handler = async (ctx, request, session) => {
  const req = request.body as DeleteAclsRequest;
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
};
