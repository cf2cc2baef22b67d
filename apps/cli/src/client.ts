import { createApiClient, isProblem, type ApiClient, type Problem, type Schemas } from '@tributary/api-client';
import { CliError, EXIT, type ExitCode } from './exit-codes.ts';
import type { Profile } from './config.ts';
import { TRIBUTARY_VERSION } from '@tributary/contracts/cli';

/** The typed client of libs/api-client (generated from openapi/openapi.json by `npm run openapi`). */
export type Api = ApiClient;
export type { Problem, Schemas };

export function createApi(profile: Profile): Api {
  return createApiClient({
    baseUrl: profile.endpoint,
    headers: { authorization: `Bearer ${profile.apiKey}`, 'user-agent': `tributary-cli/${TRIBUTARY_VERSION}`, ...(profile.account ? { 'tributary-account': profile.account } : {}) },
  });
}

/** An API answer that is an RFC 9457 problem: its code, detail and field paths are what the user sees. */
export class ApiProblemError extends CliError {
  readonly status: number;
  readonly problem: Problem | undefined;
  constructor(status: number, problem: Problem | undefined, fallback: string) {
    const code = problem?.code ?? `http-${status}`;
    const details = (problem?.errors ?? []).map((e) => `${e.in}${e.path}: ${e.message}`);
    super(`${status} ${code}: ${problem?.detail ?? fallback}`, exitFor(status), details);
    this.status = status;
    this.problem = problem;
  }
}

function exitFor(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status === 409 || status === 412) return EXIT.conflict;
  return EXIT.error;
}

interface FetchResult<T> { data?: T; error?: unknown; response: Response }

/**
 * Awaits an openapi-fetch call and returns its data, or throws: a problem+json answer becomes an
 * ApiProblemError; an unreachable endpoint one clear line (exit 1), never a stack trace.
 */
export async function call<T>(request: Promise<FetchResult<T>>): Promise<{ data: Exclude<T, undefined>; response: Response }> {
  let result: FetchResult<T>;
  try {
    result = await request;
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(`cannot reach the API: ${cause?.code ?? cause?.message ?? (err as Error).message}`, EXIT.error);
  }
  const { response } = result;
  if (!response.ok) {
    const problem = isProblem(result.error) ? result.error : undefined;
    throw new ApiProblemError(response.status, problem, response.statusText || 'request failed');
  }
  return { data: result.data as Exclude<T, undefined>, response };
}

/** Every page of a cursor-paginated list. */
export async function allPages<T>(fetchPage: (cursor: string | undefined) => Promise<FetchResult<{ items: T[]; nextCursor?: string }>>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const { data } = await call(fetchPage(cursor));
    out.push(...data.items);
    cursor = data.nextCursor;
  } while (cursor !== undefined);
  return out;
}
