import { z } from 'zod';
import { jsonPointer } from './errors.ts';

/**
 * Strings the control plane can store. PostgreSQL's text cannot hold U+0000, and a lone UTF-16
 * surrogate (legal in a JS string and in JSON's `\ud800` escape) has no UTF-8 encoding: both used to
 * reach the database and fail there as a 500. Every request string — path parameters, query values,
 * body values and body keys — is checked against this rule before a route's own schema runs
 * (apps/api plugins/input.ts), so no route can forget it.
 */
export function textProblem(s: string): string | null {
  if (s.includes('\0')) return 'must not contain the NUL character (U+0000)';
  if (!s.isWellFormed()) return 'must not contain a lone UTF-16 surrogate';
  return null;
}

/** Every string in a parsed request part (keys too) that breaks `textProblem`, with its JSON Pointer. */
export function findTextProblems(value: unknown, path: PropertyKey[] = [], out: { path: string; message: string }[] = [], depth = 0): { path: string; message: string }[] {
  if (out.length >= 20 || depth > 64) return out;
  if (typeof value === 'string') {
    const p = textProblem(value);
    if (p) out.push({ path: jsonPointer(path) || '/', message: p });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => findTextProblems(v, [...path, i], out, depth + 1));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = textProblem(k);
      // The key itself cannot be named by a pointer that PostgreSQL could store either; name its parent.
      if (p) out.push({ path: jsonPointer(path) || '/', message: `a field name ${p}` });
      else findTextProblems(v, [...path, k], out, depth + 1);
    }
  }
  return out;
}

/** A string schema that states the same rule, for schemas that want it in their own errors. */
export const TextSchema = z.string().refine((s) => textProblem(s) === null, { message: 'must not contain NUL or a lone surrogate' });

/**
 * Opaque list cursors: base64url of `[createdAt ISO, id]`, the list order. Decoding is strict —
 * a date PostgreSQL's timestamp(3) cannot store (year 0, 275760, …) or an id that is not one of
 * ours is refused like any other invalid input (422 at `/cursor`), never sent to the database.
 */
export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}
const ISO_MS = /^(\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export function decodeCursor(cursor: string): { createdAt: Date; id: string } | null {
  if (cursor.length > 512 || !/^[A-Za-z0-9_-]*$/.test(cursor)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) return null;
  const [at, id] = parsed as unknown[];
  if (typeof at !== 'string' || typeof id !== 'string') return null;
  const m = ISO_MS.exec(at);
  // Rows are created now; 1970–9999 is far wider than any real row and well inside PostgreSQL's range.
  if (!m || Number(m[1]) < 1970) return null;
  const createdAt = new Date(at);
  if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== at) return null;
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(id)) return null;
  // Numeric ids (usage records) are bigint columns: a larger number would overflow in PostgreSQL.
  if (/^[0-9]+$/.test(id) && (id.length > 19 || BigInt(id) > 2n ** 63n - 1n)) return null;
  return { createdAt, id };
}

/** The query parameter: validated at the schema, so a bad cursor is a field error at `/cursor`. */
export const CursorSchema = z
  .string()
  .max(512)
  .refine((c) => decodeCursor(c) !== null, { message: 'not a cursor this API returned' })
  .meta({ description: 'opaque: the nextCursor of the previous page' });
