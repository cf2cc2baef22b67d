import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, paths } from './generated/openapi.ts';

/**
 * The typed Tributary REST client, shared by the CLI (Node) and the console (browser): the types
 * generated from openapi/openapi.json (src/generated/openapi.ts, `npm run openapi`) over
 * openapi-fetch. No hand-written fetch wrappers and nothing Node- or DOM-specific here, so both
 * runtimes import the same module; each app adds its own authentication and error mapping.
 */
export type { components, operations, paths } from './generated/openapi.ts';
export type ApiClient = Client<paths>;
export type Schemas = components['schemas'];
/** An RFC 9457 problem+json body as the API answers it (stable `code`, field `errors`). */
export type Problem = Schemas['Problem'];
export type FieldProblem = NonNullable<Problem['errors']>[number];

/** A client for the API at `baseUrl` (openapi-fetch's options: headers, fetch, cache, …). */
export function createApiClient(options: ClientOptions): ApiClient {
  return createClient<paths>(options);
}

/** Whether an error body is a problem+json document (and not, say, a proxy's HTML page). */
export function isProblem(v: unknown): v is Problem {
  return typeof v === 'object' && v !== null
    && typeof (v as { code?: unknown }).code === 'string' && typeof (v as { status?: unknown }).status === 'number';
}
