import { ErrorCode, type ApiVersionsRequest } from '@tributary/protocol';
import { defineApi, type ApiModule } from './api-module.ts';
import type { HandlerEntry } from './context.ts';
import { SUPPORTED_FEATURES, type FinalizedFeatures } from '../cluster/features.ts';

/** The advertised ranges are exactly the registry's (registry.ts collects them from the API modules). */
export function apiVersionsBody(table: ReadonlyMap<number, HandlerEntry>, errorCode = 0) {
  return {
    errorCode,
    apiKeys: [...table.entries()].map(([apiKey, h]) => ({ apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion })),
    throttleTimeMs: 0,
  };
}

/**
 * ApiVersions v3+ features (KIP-584): those of Kafka 4.4's that this broker implements, with the
 * levels the cluster finalized (cluster/features.ts: a new Kafka 4.4 cluster's unless UpdateFeatures
 * changed them; transaction.version's default from `tributary.transaction.version` — 2 makes Kafka 4
 * clients use KIP-890 part 2). A feature at level 0 is not listed as finalized, as Kafka answers.
 * Kafka's metadata.version and kraft.version belong to its KRaft quorum, which Tributary has not.
 * The epoch grows with every change (clients keep the levels of the highest epoch they saw).
 */
export function advertisedFeatures(finalized: FinalizedFeatures) {
  const levels = Object.entries(finalized.levels).filter(([, level]) => level > 0);
  return {
    supportedFeatures: SUPPORTED_FEATURES.map((f) => ({ ...f })),
    finalizedFeaturesEpoch: finalized.epoch,
    finalizedFeatures: SUPPORTED_FEATURES.flatMap((f) => levels.filter(([name]) => name === f.name).map(([name, level]) => ({ name, maxVersionLevel: level, minVersionLevel: level }))),
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
      const features = request.apiVersion >= 3 ? advertisedFeatures(ctx.cluster.finalizedFeatures()) : {};
      return { ...apiVersionsBody(table), ...features };
    },
  });
}
