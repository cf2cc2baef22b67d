import type { components } from '@tributary/api-client';

export type Problem = components['schemas']['Problem'];
export type FieldProblem = NonNullable<Problem['errors']>[number];

/**
 * An API call that failed, carrying the RFC 9457 problem the API answered (or one made up for a
 * network failure or a non-problem body, so screens handle one shape).
 */
export class ProblemError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.name = 'ProblemError';
    this.problem = problem;
  }
  get status() { return this.problem.status; }
  get code() { return this.problem.code; }
}

const isProblem = (v: unknown): v is Problem =>
  typeof v === 'object' && v !== null && typeof (v as Problem).code === 'string' && typeof (v as Problem).status === 'number';

/** The problem in an error body, or a stand-in naming the status when the body is not one. */
export function toProblem(body: unknown, status: number): Problem {
  if (isProblem(body)) return body;
  const text = typeof body === 'string' && body ? body : `the API answered HTTP ${status}`;
  return { type: 'about:blank', title: `HTTP ${status}`, status, detail: text, code: status >= 500 ? 'internal' : 'malformed-request' };
}

/** openapi-fetch's `{ data, error, response }`: the data, or a thrown ProblemError. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) throw new ProblemError(toProblem(result.error, result.response.status));
  return result.data as T;
}

/**
 * Field messages keyed by the JSON Pointer under `prefix` (the request part the form edits), so a
 * form puts each message beside its input: `/spec/brokers` → `brokers` for prefix `/spec`.
 * Pointer escapes (~1 → /, ~0 → ~) are undone: topic configs have dots, never slashes, but users may.
 */
export function fieldErrors(error: unknown, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(error instanceof ProblemError)) return out;
  for (const e of error.problem.errors ?? []) {
    if (e.in !== 'body') continue;
    if (prefix && !e.path.startsWith(`${prefix}/`)) continue;
    const key = e.path.slice(prefix.length + 1).replace(/~1/g, '/').replace(/~0/g, '~');
    out[key] = out[key] ? `${out[key]}; ${e.message}` : e.message;
  }
  return out;
}

/** The problem's detail, and the field messages no input of the form shows (so none is lost). */
export function formLevelMessage(error: unknown, shownFields: readonly string[], prefix = ''): string | null {
  if (!error) return null;
  if (!(error instanceof ProblemError)) return error instanceof Error ? error.message : String(error);
  const fields = fieldErrors(error, prefix);
  const unshown = Object.entries(fields).filter(([k]) => !shownFields.includes(k)).map(([k, m]) => `${k}: ${m}`);
  const others = (error.problem.errors ?? []).filter((e) => e.in !== 'body' || (prefix && !e.path.startsWith(`${prefix}/`))).map((e) => `${e.path}: ${e.message}`);
  return [error.problem.detail, ...unshown, ...others].join(' — ');
}
