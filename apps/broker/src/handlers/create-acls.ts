import { ErrorCode } from '@tributary/protocol';
import { AclOperation, bindingProblem, PatternType, type AclBinding } from '../security/acl.ts';
import { allowedOnCluster } from '../security/request-guards.ts';
import { DENIED } from './acl-filters.ts';
import { defineApi } from './api-module.ts';

/** CreateAcls: each creation is validated on its own; ALTER on the cluster is required (as in Kafka). */
export const createAclsApi = defineApi({
  api: 'CreateAcls',
  minVersion: 0,
  maxVersion: 3,
  serves: 'any-broker',
  readsLatest: true,
  authorization: { kind: 'per-resource', acl: 'ALTER on the cluster (each creation answers the error)' },
  handle: async (ctx, request, session) => {
    const req = request.body;
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
  },
});
