import { z } from 'zod';
import { ProblemSchema } from '@tributary/contracts';

/**
 * Documented error responses, shared by every route (they all answer problem+json). Every route
 * documents 400, 414 and 422 because the shared input layer (plugins/input.ts, the router) can
 * answer them on any route, before the route runs.
 */
const p = (description: string) => ({ description, content: { 'application/problem+json': { schema: ProblemSchema } } });
export const AUTH_ERRORS = {
  400: p('malformed request: unparsable JSON body or malformed URL (code malformed-request)'),
  401: p('missing or unknown API key (code unauthenticated)'),
  403: p('the key\'s role may not do this (code forbidden)'),
  414: p('a path parameter over 512 characters (code uri-too-long)'),
  422: p('invalid path parameter, query or body; errors[] names each field (code validation-failed)'),
  429: p('rate limit exceeded, or too many requests without a valid key from this address; see Retry-After (code rate-limited)'),
} as const;
export const READ_ERRORS = { ...AUTH_ERRORS, 404: p('no such resource in this account (code not-found)') } as const;
/** GET of one resource with an ETag: If-None-Match naming it answers 304 (app.ts). */
export const ONE_ERRORS = { ...READ_ERRORS, 304: z.null().describe('not modified: If-None-Match names the current ETag') } as const;
export const WRITE_ERRORS = {
  ...READ_ERRORS,
  409: p('conflicts with current state or a limit (codes already-exists, limit-exceeded, instance-has-topics, idempotency-key-in-flight, secret-not-replayable, pending-change-renewed)'),
  412: p('If-Match does not match the current ETag (code precondition-failed)'),
  413: p('body over 1 MiB (code payload-too-large)'),
  415: p('a body that is not application/json (code unsupported-media-type)'),
  422: p('invalid path, query or body; errors[] names each field (codes validation-failed, replication-factor-too-high, partition-decrease, idempotency-key-reused)'),
} as const;
/** POST /v1/operations/{id}/cancel: a body-less write. */
export const CANCEL_ERRORS = {
  ...READ_ERRORS,
  409: p('the operation already ended (code operation-finished), or it moves no data between brokers (code nothing-to-cancel)'),
} as const;
/** Routes that read or change live state on the instance's brokers. */
export const LIVE_ERRORS = {
  ...WRITE_ERRORS,
  409: p('instance has no reachable broker yet, or the group has members (codes instance-not-running, group-not-empty)'),
  503: p('no broker of the instance answered in time; retry later (code instance-unreachable)'),
} as const;
/** POST /v1/billing/quotes: a read that takes a body. */
export const QUOTE_ERRORS = {
  ...READ_ERRORS,
  409: p('the instance is not prepaid (code not-prepaid), or the price book in effect cannot price this (code price-unavailable)'),
  413: p('body over 1 MiB (code payload-too-large)'),
  415: p('a body that is not application/json (code unsupported-media-type)'),
} as const;
