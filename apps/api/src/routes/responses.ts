import { ProblemSchema } from '@tributary/contracts';

/** Documented error responses, shared by every route (they all answer problem+json). */
const p = (description: string) => ProblemSchema.describe(description);
export const AUTH_ERRORS = {
  401: p('missing or unknown API key (code unauthenticated)'),
  403: p('the key\'s role may not do this (code forbidden)'),
  429: p('rate limit exceeded; see Retry-After (code rate-limited)'),
} as const;
export const READ_ERRORS = { ...AUTH_ERRORS, 404: p('no such resource in this account (code not-found)') } as const;
export const WRITE_ERRORS = {
  ...READ_ERRORS,
  409: p('conflicts with current state or a limit (codes already-exists, limit-exceeded, instance-has-topics, idempotency-key-in-flight)'),
  412: p('If-Match does not match the current ETag (code precondition-failed)'),
  413: p('body over 1 MiB (code payload-too-large)'),
  422: p('invalid body; errors[] names each field (codes validation-failed, replication-factor-too-high, partition-decrease, idempotency-key-reused)'),
} as const;
/** Routes that read or change live state on the instance's brokers. */
export const LIVE_ERRORS = {
  ...WRITE_ERRORS,
  409: p('instance has no reachable broker yet, or the group has members (codes instance-not-running, group-not-empty)'),
  503: p('no broker of the instance answered in time; retry later (code instance-unreachable)'),
} as const;
