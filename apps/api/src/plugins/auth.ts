import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Role } from '@tributary/contracts';
import { ApiError } from '../errors.ts';
import type { Principal, Store } from '../store/types.ts';

declare module 'fastify' {
  interface FastifyRequest { principal: Principal | null }
  interface FastifyContextConfig { public?: boolean; roles?: Role[] }
}

/**
 * Keys look like `trb_<prefix>_<secret>`; only the SHA-256 of the whole key is stored (a key has
 * 256 bits of entropy, so a slow hash buys nothing) and the prefix is shown to identify it.
 */
export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const prefix = randomBytes(4).toString('hex');
  const key = `trb_${prefix}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix, hash: hashApiKey(key) };
}
export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Who may call what: viewers and billing keys read; billing keys alone besides admins see /v1/billing. */
export function allowed(role: Role, method: string, url: string): boolean {
  if (role === 'admin') return true;
  const billingRoute = url.startsWith('/v1/billing');
  if (role === 'billing') return billingRoute && READ_METHODS.has(method) || (!billingRoute && READ_METHODS.has(method));
  if (role === 'viewer') return READ_METHODS.has(method) && !billingRoute;
  // operator: everything on instances and their children, not accounts or keys of others
  return !url.startsWith('/v1/accounts') || READ_METHODS.has(method);
}

export const authPlugin = fp(async (app: FastifyInstance, opts: { store: Store }) => {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (request.routeOptions.config.public || !request.url.startsWith('/v1/')) return;
    const header = request.headers.authorization;
    const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!m?.[1]) throw new ApiError('unauthenticated', 'send Authorization: Bearer <api key>', { headers: { 'www-authenticate': 'Bearer' } });
    const principal = await opts.store.findApiKeyByHash(hashApiKey(m[1]));
    if (!principal) throw new ApiError('unauthenticated', 'unknown or revoked API key', { headers: { 'www-authenticate': 'Bearer' } });
    request.principal = principal;
    const roles = request.routeOptions.config.roles;
    const ok = roles ? roles.includes(principal.role) : allowed(principal.role, request.method, request.url);
    if (!ok) throw new ApiError('forbidden', `role ${principal.role} may not ${request.method} ${request.routeOptions.url ?? request.url}`);
  });
}, { name: 'auth' });

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new ApiError('unauthenticated', 'no principal');
  return request.principal;
}
