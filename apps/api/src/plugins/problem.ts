import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ERROR_CODES, problemType, type ErrorCode, type FieldError, type Problem } from '@tributary/contracts';
import { ApiError } from '../errors.ts';

const TITLES: Partial<Record<ErrorCode, string>> = {
  'validation-failed': 'Validation failed',
  'not-found': 'Not found',
  'unauthenticated': 'Authentication required',
  'forbidden': 'Forbidden',
  'precondition-failed': 'Precondition failed',
  'rate-limited': 'Too many requests',
};
const title = (code: ErrorCode) => TITLES[code] ?? code.replaceAll('-', ' ').replace(/^./, (c) => c.toUpperCase());

type Where = FieldError['in'];
const escape = (k: string) => k.replaceAll('~', '~0').replaceAll('/', '~1');

/** Turns fastify-type-provider-zod's validation errors into one `errors[]` entry per bad field. */
function fieldErrors(err: FastifyError & { validation: { instancePath: string; message?: string; keyword: string; params: Record<string, unknown> }[] }): FieldError[] {
  // fastify names the query part "querystring"; the documented FieldError says "query".
  const context = err.validationContext ?? 'body';
  const where = (context === 'querystring' ? 'query' : context) as Where;
  const out: FieldError[] = [];
  for (const v of err.validation) {
    const base = v.instancePath === '/' ? '' : v.instancePath;
    const keys = v.keyword === 'unrecognized_keys' ? (v.params['keys'] as string[] | undefined) : undefined;
    if (keys) {
      for (const k of keys) out.push({ in: where, path: `${base}/${escape(k)}`, message: `unknown field "${k}"` });
    } else {
      out.push({ in: where, path: base || '/', message: v.message ?? 'invalid' });
    }
  }
  return out;
}

/** Maps fastify's own error codes to ours so every failure is problem+json with a stable code. */
function classify(err: FastifyError): ApiError {
  if (err instanceof ApiError) return err;
  if (hasZodFastifySchemaValidationErrors(err)) {
    const errors = fieldErrors(err as never);
    return new ApiError('validation-failed', errors.map((e) => `${e.in}${e.path === '/' ? '' : e.path}: ${e.message}`).join('; '), { errors });
  }
  switch (err.code) {
    case 'FST_ERR_BAD_URL': return new ApiError('malformed-request', 'the URL has a malformed percent-encoding');
    case 'FST_ERR_MAX_PARAM_LENGTH': return new ApiError('uri-too-long', 'a path parameter is longer than 512 characters');
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return new ApiError('payload-too-large', 'request bodies are limited to 1 MiB');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return new ApiError('unsupported-media-type', 'send application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH': return new ApiError('malformed-request', err.message);
  }
  if (err.statusCode === 429) {
    return new ApiError('rate-limited', err.message, { headers: {} });
  }
  if (err.statusCode === 400 || (err as { type?: string }).type === 'entity.parse.failed' || err instanceof SyntaxError) {
    return new ApiError('malformed-request', err.message);
  }
  if (err.statusCode && err.statusCode < 500) {
    const code = (Object.entries(ERROR_CODES).find(([, s]) => s === err.statusCode)?.[0] ?? 'malformed-request') as ErrorCode;
    return new ApiError(code, err.message);
  }
  return new ApiError('internal', 'internal error');
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, e: ApiError) {
  const body: Problem = {
    type: problemType(e.code),
    title: title(e.code),
    status: e.status,
    detail: e.message,
    instance: request.url,
    code: e.code,
    requestId: String(request.id),
    ...(e.errors ? { errors: e.errors } : {}),
    ...(e.limit ? { limit: e.limit } : {}),
  };
  if (e.headers) reply.headers(e.headers);
  return reply.code(e.status).type('application/problem+json').serializer(JSON.stringify).send(body);
}

/** Errors the router raises before any route or hook runs (fastify's `frameworkErrors`). */
export function frameworkError(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  return sendProblem(request, reply, classify(err));
}

/** RFC 9457 responses for every error and for unknown routes. */
export const problemPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const e = classify(err);
    if (e.status >= 500) request.log.error({ err }, 'request failed');
    return sendProblem(request, reply, e);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, new ApiError('not-found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
}, { name: 'problem' });
