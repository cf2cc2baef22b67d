import { z } from 'zod';

/**
 * Stable error codes of the public API. Clients branch on `code`, never on `detail` text, so a code
 * is never renamed once published; the HTTP status is part of the contract too.
 */
export const ERROR_CODES = {
  'validation-failed': 422,
  'malformed-request': 400,
  'unauthenticated': 401,
  'forbidden': 403,
  'not-found': 404,
  'method-not-allowed': 405,
  'conflict': 409,
  'already-exists': 409,
  'instance-not-running': 409,
  'instance-has-topics': 409,
  'price-unavailable': 409,
  'not-prepaid': 409,
  'pending-change-renewed': 409,
  'group-not-empty': 409,
  'limit-exceeded': 409,
  'nothing-to-cancel': 409,
  'operation-finished': 409,
  'partition-decrease': 422,
  'replication-factor-too-high': 422,
  'replication-factor-too-low': 422,
  'idempotency-key-reused': 422,
  'idempotency-key-in-flight': 409,
  'scale-down-not-supported': 422,
  'secret-not-replayable': 409,
  'precondition-failed': 412,
  'payload-too-large': 413,
  'uri-too-long': 414,
  'unsupported-media-type': 415,
  'rate-limited': 429,
  'internal': 500,
  'unavailable': 503,
  'instance-unreachable': 503,
  'kafka-acl-denied': 403,
  'message-browsing-disabled': 403,
  'topic-deleted': 410,
  'message-quota-exceeded': 429,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_CODES;
export const ErrorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

/** One invalid field: `path` is a JSON Pointer (RFC 6901) into the request part named by `in`. */
export const FieldErrorSchema = z.strictObject({
  in: z.enum(['body', 'query', 'params', 'headers']),
  path: z.string().meta({ example: '/spec/brokers' }),
  message: z.string(),
});
export type FieldError = z.infer<typeof FieldErrorSchema>;

/** RFC 9457 problem details, extended with a stable `code` and per-field `errors`. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    code: ErrorCodeSchema,
    requestId: z.string().optional(),
    errors: z.array(FieldErrorSchema).optional(),
    limit: z
      .strictObject({ name: z.string(), max: z.number().int(), current: z.number().int(), requested: z.number().int() })
      .optional(),
  })
  .meta({
    id: 'Problem',
    description: 'RFC 9457 application/problem+json',
    example: {
      type: 'https://tributary.dev/problems/validation-failed',
      title: 'Validation failed',
      status: 422,
      detail: 'body/spec/brokers: Too big: expected number to be <=15',
      code: 'validation-failed',
      errors: [{ in: 'body', path: '/spec/brokers', message: 'Too big: expected number to be <=15' }],
    },
  });
export type Problem = z.infer<typeof ProblemSchema>;

export function problemType(code: ErrorCode): string {
  return `https://tributary.dev/problems/${code}`;
}

/** JSON Pointer of a zod issue path, escaping `~` and `/` as RFC 6901 requires. */
export function jsonPointer(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p) => '/' + String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('');
}
