import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { findTextProblems, type FieldError } from '@tributary/contracts';
import { ApiError } from '../errors.ts';

/**
 * The shared input layer: what every request passes before any route's schema sees it.
 *
 * - Paths are normalised before routing (`rewriteUrl`), so `/%76%31/billing` is `/v1/billing` for
 *   the router, authentication, the rate limiter, logs and metrics alike.
 * - Strings PostgreSQL cannot store (NUL, lone surrogates) are refused as field errors wherever they
 *   are — path parameters, query values, body values and keys — instead of failing in the database.
 * - A JSON content type with an empty body (a REST client's DELETE) is a request without a body.
 */

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/**
 * RFC 3986 §6.2.2: percent-encoded unreserved characters are the characters themselves, and hex
 * digits of the rest are case-insensitive. Reserved ones (`%2F` …) stay encoded: decoding them would
 * change the path's segments. Malformed escapes (`%ZZ`) are left for the router, which refuses them.
 */
export function normalizePath(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (!path.includes('%')) return url;
  const normal = path.replace(/%([0-9A-Fa-f]{2})/g, (escape, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(c) ? c : `%${hex.toUpperCase()}`;
  });
  return q < 0 ? normal : normal + url.slice(q);
}

export const rewriteUrl = (req: { url?: string }) => normalizePath(req.url ?? '/');

function textErrors(request: FastifyRequest): FieldError[] {
  const out: FieldError[] = [];
  const parts = [['params', request.params], ['query', request.query], ['body', request.body]] as const;
  for (const [where, value] of parts) {
    for (const p of findTextProblems(value)) out.push({ in: where, path: p.path, message: p.message });
  }
  return out;
}

export const inputPlugin = fp(async (app: FastifyInstance) => {
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    return json(request, text, done);
  });
  app.addHook('preValidation', async (request) => {
    const errors = textErrors(request);
    if (errors.length > 0) {
      throw new ApiError('validation-failed', errors.map((e) => `${e.in}${e.path === '/' ? '' : e.path}: ${e.message}`).join('; '), { errors });
    }
  });
}, { name: 'input' });
