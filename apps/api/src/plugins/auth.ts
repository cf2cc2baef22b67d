import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Role } from '@tributary/contracts';
import { ApiError } from '../errors.ts';
import type { Principal, Store } from '../store/types.ts';

declare module 'fastify' {
  interface FastifyRequest { principal: Principal | null }
  interface FastifyContextConfig { roles?: Role[]; platformOnly?: boolean }
}

/** The account whose admin keys run the platform (every account, /metrics). */
export const BOOTSTRAP_ACCOUNT_ID = 'acc-bootstrap';
export const isPlatformAdmin = (p: Principal) => p.role === 'admin' && (p.homeAccountId ?? p.accountId) === BOOTSTRAP_ACCOUNT_ID;

/**
 * A platform admin acts on another account by naming it in this header: every route then scopes to
 * that account exactly as for the account's own admin keys (the console's account picker sends it
 * on every call). The audit trail still names the platform key that asked.
 */
export const ACTING_ACCOUNT_HEADER = 'tributary-account';

/**
 * Keys look like `trb_<prefix>_<secret>`; only the SHA-256 of the whole key is stored (a key has
 * 256 bits of entropy, so a slow hash buys nothing). The prefix is a random identifier of its own —
 * not a piece of the secret — so showing it (lists, logs, audit) tells nothing about the secret.
 */
export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const prefix = randomBytes(6).toString('hex');
  const key = `trb_${prefix}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix, hash: hashApiKey(key) };
}
export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

/**
 * Routes anyone may call without a key. Everything else — /metrics, /v1/*, unknown paths — needs
 * one (default-deny): a route added without thinking about authentication is protected.
 */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz']);
/** The API reference (`/docs`, the published OpenAPI document, no data) is public when it is served. */
const isPublicRoute = (url: string | undefined, docs: boolean, extra: ReadonlySet<string>) => url !== undefined && (PUBLIC_ROUTES.has(url) || extra.has(url) || (docs && (url === '/docs' || url.startsWith('/docs/'))));

const READ_METHODS = new Set(['GET', 'HEAD']);
/** What the billing role reads: billing, and which instances (and accounts) exist — not their contents. */
const BILLING_READS = new Set(['/v1/instances', '/v1/instances/:id', '/v1/accounts', '/v1/accounts/:id']);

/**
 * Who may call what, by route pattern (never the raw URL, which a client can spell many ways).
 * Routes with `config.roles` list theirs; for the rest: admins everything, operators everything but
 * writing accounts, viewers reads outside billing, billing keys billing plus instance identity.
 */
export function allowed(role: Role, method: string, route: string | undefined): boolean {
  if (role === 'admin') return true;
  if (route === undefined) return true; // no such route: the request ends as 404
  const read = READ_METHODS.has(method);
  const billingRoute = route.startsWith('/v1/billing');
  if (role === 'billing') return read && (billingRoute || BILLING_READS.has(route));
  if (role === 'viewer') return read && !billingRoute;
  return !route.startsWith('/v1/accounts') || read;
}

export interface AuthOptions {
  store: Store;
  docs: boolean;
  /** More public route patterns: the web console's pages and static files when it is served (plugins/console.ts). */
  publicRoutes?: readonly string[];
  /**
   * Failed or missing keys per client address and window before that address is refused (429)
   * without even looking keys up; every further failure doubles the lock-out (exponential backoff).
   */
  failureLimit: (request: FastifyRequest, opts?: { increment?: boolean }) => Promise<{ isAllowed: boolean; isExceeded?: boolean; ttlInSeconds?: number; max?: number; remaining?: number }>;
  /** How often (ms) a key's lastUsedAt is written at most, per process. */
  lastUsedEveryMs?: number;
}

export const authPlugin = fp(async (app: FastifyInstance, opts: AuthOptions) => {
  app.decorateRequest('principal', null);
  const touchedAt = new Map<string, number>();
  const touchEvery = opts.lastUsedEveryMs ?? 60_000;
  const extraPublic: ReadonlySet<string> = new Set(opts.publicRoutes ?? []);

  /** lastUsedAt: one write per key per minute and process, off the request path (a failed write is only logged). */
  function touch(request: FastifyRequest, keyId: string) {
    const now = Date.now();
    const last = touchedAt.get(keyId);
    if (last !== undefined && now - last < touchEvery) return;
    if (touchedAt.size > 10_000) touchedAt.clear();
    touchedAt.set(keyId, now);
    opts.store.touchApiKey(keyId, new Date(now), touchEvery).catch((err: unknown) => request.log.warn({ err }, 'could not record lastUsedAt'));
  }

  async function refuse(request: FastifyRequest, detail: string): Promise<never> {
    const after = await opts.failureLimit(request);
    if (after.isExceeded) throw tooMany(after.ttlInSeconds);
    throw new ApiError('unauthenticated', detail, { headers: { 'www-authenticate': 'Bearer' } });
  }
  const tooMany = (ttl: number | undefined) => new ApiError('rate-limited', 'too many requests without a valid API key from this address; wait before trying again', {
    headers: { 'retry-after': String(ttl ?? 60) },
  });

  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (isPublicRoute(request.routeOptions.url, opts.docs, extraPublic)) return;
    // An address that keeps failing is refused before its keys are looked up, and every request it
    // sends while locked out counts as another failure: with exponential backoff the lock-out doubles.
    const before = await opts.failureLimit(request, { increment: false });
    if (!before.isAllowed && before.remaining === 0) throw tooMany((await opts.failureLimit(request)).ttlInSeconds);
    const header = request.headers.authorization;
    const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!m?.[1]) return refuse(request, 'send Authorization: Bearer <api key>');
    const principal = await opts.store.findApiKeyByHash(hashApiKey(m[1]));
    if (!principal) return refuse(request, 'unknown or revoked API key');
    request.principal = await actingPrincipal(principal, request.headers[ACTING_ACCOUNT_HEADER]);
    touch(request, principal.keyId);
    const config = request.routeOptions.config;
    const route = request.routeOptions.url;
    const ok = config.platformOnly ? isPlatformAdmin(principal)
      : config.roles ? config.roles.includes(principal.role) : allowed(principal.role, request.method, route);
    if (!ok) throw new ApiError('forbidden', `role ${principal.role} may not ${request.method} ${route ?? request.url}`);
  });

  /** The principal scoped to the account the Tributary-Account header names (platform admins only; that account must exist). */
  async function actingPrincipal(principal: Principal, header: string | string[] | undefined): Promise<Principal> {
    const target = (Array.isArray(header) ? header.join(',') : header ?? '').trim();
    if (target === '' || target === principal.accountId) return principal;
    const field = (message: string) => ({ errors: [{ in: 'headers' as const, path: `/${ACTING_ACCOUNT_HEADER}`, message }] });
    if (!isPlatformAdmin(principal)) throw new ApiError('forbidden', 'only platform admin keys act on another account', field('only platform admin keys may send this header'));
    if (!/^[\w-]{1,64}$/.test(target) || (await opts.store.listAccounts(target, { limit: 1 })).items.length === 0) throw new ApiError('not-found', `account ${target} not found`, field('no such account'));
    // A copy: the key lookup caches the principal it returns.
    return { ...principal, accountId: target, homeAccountId: principal.accountId };
  }
}, { name: 'auth' });

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new ApiError('unauthenticated', 'no principal');
  return request.principal;
}
