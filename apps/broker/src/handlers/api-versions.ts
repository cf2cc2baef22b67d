import type { ApiVersionsRequest } from '@tributary/protocol';
import type { HandlerEntry } from './context.ts';

/** The advertised ranges are exactly the handler table's; see handlers/index.ts. */
export function apiVersionsBody(table: ReadonlyMap<number, HandlerEntry>, errorCode = 0) {
  return {
    errorCode,
    apiKeys: [...table.entries()].map(([apiKey, h]) => ({ apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion })),
    throttleTimeMs: 0,
  };
}

export function handleApiVersions(table: ReadonlyMap<number, HandlerEntry>) {
  return (_ctx: unknown, req: { body: unknown }) => {
    void (req.body as ApiVersionsRequest);
    return apiVersionsBody(table);
  };
}
