import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../errors.ts';
import type { Store } from '../store/types.ts';

declare module 'fastify' {
  interface FastifyRequest { idempotencyKey: string | null }
  /** The route's response carries a secret (a new API key): it is never stored, so never replayed. */
  interface FastifyContextConfig { secretResponse?: boolean }
}

/**
 * What is kept for a request whose response held a secret: only that the request ran and what it
 * made. A replay cannot return the secret (it is not stored anywhere), and returning the resource
 * without it would look like success to a client that lost the first answer; so a replay is 409
 * `secret-not-replayable`, naming the resource made, which the client can inspect or revoke.
 */
interface SecretShownOnce { secretShownOnce: true; id: string | null; location: string | null }
const isSecretShownOnce = (r: unknown): r is SecretShownOnce => typeof r === 'object' && r !== null && (r as SecretShownOnce).secretShownOnce === true;

const REPLAYED_HEADERS = ['location', 'etag', 'content-type'];

/**
 * `Idempotency-Key` on POST: the first response (status < 500) is stored in PostgreSQL and replayed
 * for 24 h to the same API key; the same key with another body or path is refused, and a retry while
 * the first request still runs gets 409 instead of doing the work twice. Responses of routes marked
 * `secretResponse` are not stored (see SecretShownOnce).
 */
export const idempotencyPlugin = fp(async (app: FastifyInstance, opts: { store: Store }) => {
  app.decorateRequest('idempotencyKey', null);
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST' || !request.principal) return;
    const key = request.headers['idempotency-key'];
    if (key === undefined) return;
    if (typeof key !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(key)) {
      throw new ApiError('validation-failed', 'Idempotency-Key is 1–255 visible ASCII characters', { errors: [{ in: 'headers', path: '/idempotency-key', message: 'invalid' }] });
    }
    const h = createHash('sha256').update(request.url).update('\0').update(JSON.stringify(request.body ?? null));
    // A platform key acting on another account (Tributary-Account) asks a different request: the
    // same Idempotency-Key must not replay one account's answer for another. (Only then, so the
    // hashes of requests stored before stay valid.)
    if (request.principal.homeAccountId) h.update('\0account:').update(request.principal.accountId);
    const hash = h.digest('hex');
    const begun = await opts.store.idempotencyBegin(request.principal.keyId, key, hash);
    switch (begun.state) {
      case 'new':
        request.idempotencyKey = key;
        return;
      case 'mismatch':
        throw new ApiError('idempotency-key-reused', 'this Idempotency-Key was used with a different request');
      case 'in-flight':
        throw new ApiError('idempotency-key-in-flight', 'a request with this Idempotency-Key is still being processed');
      case 'replay':
        if (isSecretShownOnce(begun.response)) {
          throw new ApiError('secret-not-replayable', `the first request with this Idempotency-Key created ${begun.response.id ?? 'the resource'}; its secret was shown once in that response and is not stored, so it cannot be replayed (revoke it and create another if it was lost)`);
        }
        reply.headers(begun.headers).header('idempotent-replayed', 'true').code(begun.status);
        return reply.serializer(JSON.stringify).send(begun.response);
    }
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const key = request.idempotencyKey;
    if (!key || !request.principal) return payload;
    request.idempotencyKey = null;
    if (reply.statusCode >= 500 || typeof payload !== 'string') {
      await opts.store.idempotencyAbandon(request.principal.keyId, key);
      return payload;
    }
    const headers: Record<string, string> = {};
    for (const h of REPLAYED_HEADERS) {
      const v = reply.getHeader(h);
      if (typeof v === 'string') headers[h] = v;
    }
    let response: unknown = JSON.parse(payload);
    if (request.routeOptions.config.secretResponse && reply.statusCode < 300) {
      const id = typeof (response as { id?: unknown }).id === 'string' ? (response as { id: string }).id : null;
      response = { secretShownOnce: true, id, location: headers['location'] ?? null } satisfies SecretShownOnce;
      delete headers['etag'];
    }
    await opts.store.idempotencyFinish(request.principal.keyId, key, reply.statusCode, response, headers);
    return payload;
  });
}, { name: 'idempotency' });
