import { ApiError, notFound } from '../../errors.ts';
import type { RepoFailureCode, RepoResult } from '../repositories/result.ts';

export const stale = () => new ApiError('precondition-failed', 'the resource changed since it was read; GET it again for the current ETag');

/**
 * A repository's failure as the HTTP problem the client gets. `duplicate` needs the caller's words
 * (which name clashed, and where in the body); `missing` names what is missing; `stale` is If-Match's 412.
 */
export function orProblem<T>(r: RepoResult<T>, what: { missing: string; duplicate?: () => ApiError }): T {
  if (r.ok) return r.value;
  const byCode: Record<RepoFailureCode, () => ApiError> = {
    duplicate: what.duplicate ?? (() => new ApiError('already-exists', `${what.missing} already exists`)),
    missing: () => notFound(what.missing),
    stale,
  };
  throw byCode[r.code]();
}
