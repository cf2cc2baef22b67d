import { ErrorCode } from '@tributary/protocol';
import { scramMechanismId } from '@tributary/protocol';
import { AclOperation } from '../security/acl.ts';
import { allowedOnCluster } from '../security/request-guards.ts';
import { defineApi } from './api-module.ts';

export const describeUserScramCredentialsApi = defineApi({
  api: 'DescribeUserScramCredentials',
  minVersion: 0,
  maxVersion: 0,
  serves: 'any-broker',
  readsLatest: true,
  authorization: { kind: 'per-resource', acl: 'DESCRIBE on the cluster (the answer names which users failed)' },
  handle: (ctx, request, session) => {
    const req = request.body;
    if (!allowedOnCluster(ctx, session, AclOperation.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'DESCRIBE on the cluster is needed to list credentials', results: [] };
    const names = req.users === null || req.users.length === 0 ? ctx.credentials.users() : req.users.map((u) => u.name);
    const counts = new Map<string, number>();
    for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
    const results = [...counts].map(([user, n]) => {
      if (n > 1) return { user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'user named more than once', credentialInfos: [] };
      const infos = ctx.credentials.describe(user);
      if (infos.length === 0) return { user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] };
      return { user, errorCode: 0, errorMessage: null, credentialInfos: infos.map((i) => ({ mechanism: scramMechanismId(i.mechanism), iterations: i.iterations })) };
    });
    // Kafka's success carries the top-level message "" (not null).
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: '', results };
  },
});
