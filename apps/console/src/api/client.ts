import { createApiClient } from '@tributary/api-client';
import { ProblemError, toProblem } from './problem.ts';

/**
 * The one API client: libs/api-client's typed openapi-fetch client, the CLI's too (its types are
 * generated from openapi/openapi.json by `npm run openapi`), on the console's own origin.
 * The key is set at sign-in and cleared at sign-out; every call carries it.
 */
let apiKey: string | null = null;
let actingAccount: string | null = null;
let onUnauthenticated: () => void = () => {};

export function setApiKey(key: string | null) { apiKey = key; }
/**
 * The account a platform admin acts on: every call then carries `Tributary-Account` and the API
 * scopes it to that account. Query keys are hashed with it too (App.tsx), so nothing read for one
 * account is ever shown for another.
 */
export function setActingAccount(accountId: string | null) { actingAccount = accountId; }
export const getActingAccount = () => actingAccount;
const ACTING_HEADER = 'tributary-account';
/** Called when a request answers 401 while signed in (key revoked): the app signs out. */
export function setUnauthenticatedHandler(fn: () => void) { onUnauthenticated = fn; }

/**
 * `cache: 'no-store'`: the console polls resources whose status changes while their ETag does not
 * (a topic's ETag is its spec version), so a browser revalidating its HTTP cache would get 304 and
 * keep showing the old status. TanStack Query is the cache here.
 */
export const api = createApiClient({ baseUrl: globalThis.location?.origin ?? '', cache: 'no-store' });
api.use({
  onRequest({ request }) {
    if (apiKey) request.headers.set('authorization', `Bearer ${apiKey}`);
    if (actingAccount) request.headers.set(ACTING_HEADER, actingAccount);
    return request;
  },
  onResponse({ response }) {
    if (response.status === 401 && apiKey) onUnauthenticated();
    return response;
  },
});

/**
 * A raw fetch with the session's key, for the two answers openapi-fetch cannot stream: the live
 * tail (Server-Sent Events; EventSource cannot send an Authorization header, and the key must not
 * go into a URL) and exports (downloaded as a file). A non-2xx answer throws its ProblemError.
 */
export async function authorizedFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (apiKey) headers.set('authorization', `Bearer ${apiKey}`);
  if (actingAccount) headers.set(ACTING_HEADER, actingAccount);
  const res = await fetch(path, { ...init, headers, cache: 'no-store' });
  if (res.status === 401 && apiKey) onUnauthenticated();
  if (!res.ok) {
    const body: unknown = await res.json().catch(() => undefined);
    throw new ProblemError(toProblem(body, res.status));
  }
  return res;
}
