/** Stable codes for what went wrong talking to the API server; callers branch on `code`, never on text. */
export type KubeErrorCode = 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Invalid' | 'BadRequest' | 'Forbidden' | 'Unauthorized' | 'Unavailable' | 'Unknown';

export class KubeError extends Error {
  readonly code: KubeErrorCode;
  readonly status: number | null;
  /** The API server's own reason (e.g. `FieldImmutable` is reported inside an `Invalid` message). */
  readonly reason: string | null;
  constructor(code: KubeErrorCode, status: number | null, message: string, reason: string | null = null) {
    super(message);
    this.name = 'KubeError';
    this.code = code;
    this.status = status;
    this.reason = reason;
  }
}

interface StatusBody {
  message?: string;
  reason?: string;
}

function parseBody(body: unknown): StatusBody {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as StatusBody;
    } catch {
      return { message: body };
    }
  }
  return typeof body === 'object' && body !== null ? (body as StatusBody) : {};
}

/**
 * Turns whatever @kubernetes/client-node threw (ApiException with `code` and a Status `body`, or a
 * network error) into a KubeError. 409 means two things in Kubernetes: AlreadyExists on create and
 * Conflict on a stale resourceVersion; the Status reason tells them apart.
 */
export function toKubeError(err: unknown): KubeError {
  if (err instanceof KubeError) return err;
  const e = err as { code?: unknown; body?: unknown; message?: string };
  if (typeof e?.code === 'number') {
    const body = parseBody(e.body);
    const message = body.message ?? e.message ?? `HTTP ${e.code}`;
    const reason = body.reason ?? null;
    return new KubeError(codeFor(e.code, reason), e.code, message, reason);
  }
  return new KubeError('Unavailable', null, e?.message ?? String(err));
}

function codeFor(status: number, reason: string | null): KubeErrorCode {
  switch (status) {
    case 400: return 'BadRequest';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 409: return reason === 'AlreadyExists' ? 'AlreadyExists' : 'Conflict';
    case 422: return 'Invalid';
    case 429: case 500: case 502: case 503: case 504: return 'Unavailable';
    default: return 'Unknown';
  }
}
