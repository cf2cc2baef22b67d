import { ErrorCode, type ApiVersionsRequest } from '@tributary/protocol';
import type { HandlerEntry } from './context.ts';

/** The advertised ranges are exactly the handler table's; see handlers/index.ts. */
export function apiVersionsBody(table: ReadonlyMap<number, HandlerEntry>, errorCode = 0) {
  return {
    errorCode,
    apiKeys: [...table.entries()].map(([apiKey, h]) => ({ apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion })),
    throttleTimeMs: 0,
  };
}

/**
 * KIP-511: a client software name and version (v3+) are letters and digits, with '-' and '.'
 * inside (Kafka's ApiVersionsRequest.SOFTWARE_NAME_VERSION_PATTERN); an empty one is invalid too.
 */
const SOFTWARE_NAME_VERSION = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

export function validSoftwareNameAndVersion(apiVersion: number, body: ApiVersionsRequest): boolean {
  return apiVersion < 3 || (SOFTWARE_NAME_VERSION.test(body.clientSoftwareName) && SOFTWARE_NAME_VERSION.test(body.clientSoftwareVersion));
}

export function handleApiVersions(table: ReadonlyMap<number, HandlerEntry>) {
  return (_ctx: unknown, req: { apiVersion: number; body: unknown }) => {
    // Kafka answers an invalid name or version with INVALID_REQUEST and no API keys
    // (ApiVersionsRequest.getErrorResponse), on the connection it keeps.
    if (!validSoftwareNameAndVersion(req.apiVersion, req.body as ApiVersionsRequest)) return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys: [], throttleTimeMs: 0 };
    return apiVersionsBody(table);
  };
}
