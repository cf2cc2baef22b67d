import { ErrorCode } from '@tributary/protocol';
import { credentialFromSaltedPassword, MAX_ITERATIONS, MIN_ITERATIONS, SCRAM_MECHANISM_IDS } from '@tributary/protocol';
import { AclOperation } from '../security/acl.ts';
import { allowedOnCluster } from '../security/request-guards.ts';
import { defineApi } from './api-module.ts';

type Result = { user: string; errorCode: number; errorMessage: string | null };

/**
 * AlterUserScramCredentials (KIP-554): the client sends salt + salted password; the broker keeps
 * only StoredKey/ServerKey. Validation follows Kafka: a user named twice in one request gets
 * DUPLICATE_RESOURCE, unknown mechanisms UNSUPPORTED_SASL_MECHANISM, iterations outside 4096–16384
 * UNACCEPTABLE_CREDENTIAL, deleting what does not exist RESOURCE_NOT_FOUND.
 */
export const alterUserScramCredentialsApi = defineApi({
  api: 'AlterUserScramCredentials',
  minVersion: 0,
  maxVersion: 0,
  serves: 'any-broker',
  readsLatest: true,
  authorization: { kind: 'per-resource', acl: 'ALTER on the cluster (each user answers the error)' },
  handle: async (ctx, request, session) => {
    const req = request.body;
    if (!allowedOnCluster(ctx, session, AclOperation.ALTER)) return { throttleTimeMs: 0, results: [...new Set([...req.deletions, ...req.upsertions].map((u) => u.name))].map((user) => ({ user, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'ALTER on the cluster is needed to change credentials' })) };
    const results = new Map<string, Result>();
    const seen = new Map<string, number>();
    for (const u of [...req.deletions, ...req.upsertions]) seen.set(u.name, (seen.get(u.name) ?? 0) + 1);
    const fail = (user: string, errorCode: number, errorMessage: string) => results.set(user, { user, errorCode, errorMessage });
    for (const [user, n] of seen) {
      if (user === '') fail(user, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'username must not be empty');
      else if (n > 1) fail(user, ErrorCode.DUPLICATE_RESOURCE, 'a user may appear only once per request');
    }
    for (const d of req.deletions) {
      if (results.has(d.name)) continue;
      const m = SCRAM_MECHANISM_IDS[d.mechanism];
      if (!m) fail(d.name, ErrorCode.UNSUPPORTED_SASL_MECHANISM, `unknown SCRAM mechanism ${d.mechanism}`);
      else if (!(await ctx.credentials.delete(d.name, m))) fail(d.name, ErrorCode.RESOURCE_NOT_FOUND, `no ${m} credential for ${d.name}`);
      else results.set(d.name, { user: d.name, errorCode: 0, errorMessage: null });
    }
    for (const u of req.upsertions) {
      if (results.has(u.name)) continue;
      const m = SCRAM_MECHANISM_IDS[u.mechanism];
      if (!m) fail(u.name, ErrorCode.UNSUPPORTED_SASL_MECHANISM, `unknown SCRAM mechanism ${u.mechanism}`);
      else if (u.iterations < MIN_ITERATIONS || u.iterations > MAX_ITERATIONS) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, `iterations must be ${MIN_ITERATIONS}–${MAX_ITERATIONS}, got ${u.iterations}`);
      else if (u.salt.length === 0 || u.saltedPassword.length === 0) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'salt and salted password must not be empty');
      else {
        const credential = credentialFromSaltedPassword(m, u.saltedPassword, u.salt, u.iterations);
        const before = ctx.credentials.get(u.name, m);
        // The operator re-applies every user on each pass; only a real change is written and logged.
        if (!before || !before.storedKey.equals(credential.storedKey) || !before.salt.equals(credential.salt) || before.iterations !== credential.iterations) {
          await ctx.credentials.upsert(u.name, m, credential);
          ctx.logger.log('info', 'SCRAM credential changed', { user: u.name, mechanism: m });
        }
        results.set(u.name, { user: u.name, errorCode: 0, errorMessage: null });
      }
    }
    return { throttleTimeMs: 0, results: [...results.values()] };
  },
});
