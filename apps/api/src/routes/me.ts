import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AuditEventListQuerySchema, AuditEventListSchema, MESSAGE_PRINCIPAL_PREFIX, MeSchema } from '@tributary/contracts';
import { isPlatformAdmin, principalOf } from '../plugins/auth.ts';
import { ApiError } from '../errors.ts';
import type { Store } from '../store/types.ts';
import { AUTH_ERRORS, READ_ERRORS } from './responses.ts';

/**
 * Who the caller is, and what was asked of the account (the audit trail). GET /v1/me is open to
 * every role: a client learns its own role there (the console did so by probing what the key may
 * do). The audit trail is open to the roles that read the account's operations (not billing keys,
 * which see no instance contents); it names the key behind each change.
 */
export const meRoutes: FastifyPluginAsyncZod<{ store: Store }> = async (app, { store }) => {
  app.get('/v1/me', {
    config: { roles: ['admin', 'operator', 'viewer', 'billing'] },
    schema: { summary: 'The calling API key: its role, its account, and the Kafka principal the API uses for it', tags: ['accounts'], response: { 200: MeSchema, ...AUTH_ERRORS } },
  }, async (request, reply) => {
    const p = principalOf(request);
    const me = await store.whoAmI(p);
    // Revoked between the key lookup (cached for seconds) and here: the key is no longer valid.
    if (!me) throw new ApiError('unauthenticated', 'unknown or revoked API key', { headers: { 'www-authenticate': 'Bearer' } });
    // Acting on another account (Tributary-Account): that account, and the key's own beside it.
    const acting = p.homeAccountId ? (await store.listAccounts(p.accountId, { limit: 1 })).items[0] : undefined;
    reply.header('cache-control', 'no-store');
    return {
      key: { id: me.key.id, name: me.key.name, role: me.key.role, prefix: me.key.prefix, createdAt: me.key.createdAt.toISOString() },
      account: acting ? { id: acting.id, name: acting.name } : { id: p.accountId, name: me.accountName },
      homeAccount: p.homeAccountId ? { id: p.homeAccountId, name: me.accountName } : null,
      platformAdmin: isPlatformAdmin(p),
      kafkaPrincipal: `User:${MESSAGE_PRINCIPAL_PREFIX}${p.keyId}`,
    };
  });

  app.get('/v1/audit-events', {
    config: { roles: ['admin', 'operator', 'viewer'] },
    schema: {
      summary: 'The account\'s audit trail, newest first: which key asked for what, on which target',
      description: 'Every change (with its operation), message reads, searches, sends, tails and exports, API key and account changes. Filter by target, action (a `*` suffix matches a prefix) or key.',
      tags: ['accounts'], querystring: AuditEventListQuerySchema, response: { 200: AuditEventListSchema, ...READ_ERRORS },
    },
  }, async (request) => {
    const page = await store.listAuditEvents(principalOf(request).accountId, request.query);
    return {
      items: page.items.map((e) => ({ ...e, at: e.at.toISOString() })),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  });
};
