import { ErrorCode, type ApiVersionsRequest } from '@tributary/protocol';
import { defineApi, type ApiModule } from './api-module.ts';
import type { HandlerEntry } from './context.ts';

/** The advertised ranges are exactly the registry's (registry.ts collects them from the API modules). */
export function apiVersionsBody(table: ReadonlyMap<number, HandlerEntry>, errorCode = 0) {
  return {
    errorCode,
    apiKeys: [...table.entries()].map(([apiKey, h]) => ({ apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion })),
    throttleTimeMs: 0,
  };
}

/**
 * ApiVersions v3+ features (KIP-584), those of Kafka 4.4's that this broker implements, at the
 * levels a new Kafka 4.4 cluster finalizes: group.version 1 (KIP-848 consumer groups),
 * eligible.leader.replicas.version 1 (KIP-966: cluster/partition-change.ts, always on), and
 * transaction.version as `tributary.transaction.version` says — 2 (the default) makes Kafka 4
 * clients use KIP-890 part 2; at 1 it is not listed, and clients keep transaction version 1. Kafka's
 * metadata.version and kraft.version belong to its KRaft quorum, which Tributary has not. The epoch
 * only has to be ≥ 0 for clients to read the levels.
 */
export function advertisedFeatures(transactionVersion: number) {
  const features: { name: string; level: number }[] = [
    { name: 'eligible.leader.replicas.version', level: 1 },
    { name: 'group.version', level: 1 },
    ...(transactionVersion >= 2 ? [{ name: 'transaction.version', level: transactionVersion }] : []),
  ];
  return {
    supportedFeatures: features.map((f) => ({ name: f.name, minVersion: 0, maxVersion: f.level })),
    finalizedFeaturesEpoch: 1n,
    finalizedFeatures: features.map((f) => ({ name: f.name, maxVersionLevel: f.level, minVersionLevel: f.level })),
  };
}

/**
 * KIP-511: a client software name and version (v3+) are letters and digits, with '-' and '.'
 * inside (Kafka's ApiVersionsRequest.SOFTWARE_NAME_VERSION_PATTERN); an empty one is invalid too.
 */
const SOFTWARE_NAME_VERSION = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

export function validSoftwareNameAndVersion(apiVersion: number, body: Pick<ApiVersionsRequest, 'clientSoftwareName' | 'clientSoftwareVersion'>): boolean {
  return apiVersion < 3 || (SOFTWARE_NAME_VERSION.test(body.clientSoftwareName) && SOFTWARE_NAME_VERSION.test(body.clientSoftwareVersion));
}

/**
 * v5 (KIP-1242): a client names the cluster and node it means to reach, both or neither (one alone is
 * INVALID_REQUEST); another cluster's id or another node's id tells it its bootstrap addresses now
 * lead elsewhere: REBOOTSTRAP_REQUIRED. Both as Apache Kafka 4.4 answers (test/conformance/protocol-data).
 */
export function intendedTargetCheck(body: Pick<ApiVersionsRequest, 'clusterId' | 'nodeId'>, clusterId: string, nodeId: number): number {
  const named = [body.clusterId !== null, body.nodeId !== -1];
  if (!named[0] && !named[1]) return 0;
  if (!named[0] || !named[1]) return ErrorCode.INVALID_REQUEST;
  return body.clusterId === clusterId && body.nodeId === nodeId ? 0 : ErrorCode.REBOOTSTRAP_REQUIRED;
}

/** ApiVersions answers the ranges of the table it is registered in (its own included). */
export function apiVersionsApi(table: ReadonlyMap<number, HandlerEntry>): ApiModule<'ApiVersions'> {
  return defineApi({
    api: 'ApiVersions',
    minVersion: 0,
    maxVersion: 5,
    serves: 'any-broker',
    authorization: { kind: 'none', why: 'clients ask before authenticating' },
    handle: (ctx, request) => {
      // Kafka answers an invalid name or version with INVALID_REQUEST and no API keys
      // (ApiVersionsRequest.getErrorResponse), on the connection it keeps.
      if (!validSoftwareNameAndVersion(request.apiVersion, request.body)) return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys: [], throttleTimeMs: 0 };
      const target = request.apiVersion >= 5 ? intendedTargetCheck(request.body, ctx.clusterId, ctx.config.nodeId) : 0;
      if (target !== 0) return { errorCode: target, apiKeys: [], throttleTimeMs: 0 };
      const features = request.apiVersion >= 3 ? advertisedFeatures(Number(ctx.config.settings['tributary.transaction.version'])) : {};
      return { ...apiVersionsBody(table), ...features };
    },
  });
}
