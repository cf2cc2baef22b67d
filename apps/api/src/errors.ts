import { ERROR_CODES, type ErrorCode, type FieldError } from '@tributary/contracts';

/** An error the API answers with on purpose: a stable code, a human detail, optional field errors. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors: FieldError[] | undefined;
  readonly limit: { name: string; max: number; current: number; requested: number } | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    detail: string,
    extra: { errors?: FieldError[]; limit?: ApiError['limit']; headers?: Record<string, string>; status?: number } = {},
  ) {
    super(detail);
    this.code = code;
    this.status = extra.status ?? ERROR_CODES[code];
    this.errors = extra.errors;
    this.limit = extra.limit;
    this.headers = extra.headers;
  }
}

export const notFound = (what: string) => new ApiError('not-found', `${what} not found`);

/** 409 naming the limit, its maximum and the usage that the request would push over it. */
export function limitExceeded(name: string, max: number, current: number, requested: number): ApiError {
  return new ApiError('limit-exceeded', `${name} is ${max}; ${current} in use, this request needs ${requested} more`, {
    limit: { name, max, current, requested },
  });
}

/** 409 when a spec would lower a limit below what is already in use. */
export function limitBelowUsage(name: string, max: number, current: number): ApiError {
  return new ApiError('limit-exceeded', `${name} ${max} is below the ${current} already in use`, { limit: { name, max, current, requested: 0 } });
}
