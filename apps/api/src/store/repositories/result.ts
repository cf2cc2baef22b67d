/**
 * What a repository answers when a write could not be made: data with a stable code, never an HTTP
 * error (services decide what a failure means to a client; services/errors.ts).
 * - `duplicate`: a live row of that name exists (partial unique index);
 * - `missing`: no live row with that id;
 * - `stale`: the row exists but its version is not the one expected (If-Match) or a guard failed.
 */
export type RepoFailureCode = 'duplicate' | 'missing' | 'stale';
export interface RepoFailure { ok: false; code: RepoFailureCode }
export type RepoResult<T> = { ok: true; value: T } | RepoFailure;

export const ok = <T>(value: T): RepoResult<T> => ({ ok: true, value });
export const fail = (code: RepoFailureCode): RepoFailure => ({ ok: false, code });
