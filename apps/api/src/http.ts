import type { FastifyReply, FastifyRequest } from 'fastify';
import { decodeCursor as decodeContractCursor } from '@tributary/contracts';
import { ApiError } from './errors.ts';

/**
 * ETags are the row's version: strong, cheap, and they change on every write of the row. Resources
 * with a status the operator writes (instances, topics: its own rows, libs/db README "Table
 * ownership") add a digest of it (`"<id>.<version>.<status>"`), so the ETag — and If-None-Match —
 * follow status changes too. If-Match compares the version only: it
 * guards what the client writes (spec, labels), and the operator's progress does not make a
 * client's update stale.
 */
export const etagOf = (id: string, version: number, status?: string) => (status === undefined ? `"${id}.${version}"` : `"${id}.${version}.${status}"`);

/** If-None-Match: true when one of its tags (or `*`) is the current ETag; weak comparison (RFC 9110 §13.1.2). */
export function noneMatch(request: FastifyRequest, etag: string): boolean {
  const h = request.headers['if-none-match'];
  if (h === undefined) return false;
  if (h.trim() === '*') return true;
  return h.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/** The version the client expects (If-Match), or undefined when it sent none or `*`. */
export function expectedVersion(request: FastifyRequest, id: string): number | undefined {
  const h = request.headers['if-match'];
  if (h === undefined || h.trim() === '*') return undefined;
  for (const tag of h.split(',').map((t) => t.trim().replace(/^W\//, ''))) {
    // Versions are int4 columns: a longer number cannot be a version we issued (and would overflow
    // in PostgreSQL), so it simply does not match.
    const m = /^"([^".]+)\.(\d{1,10})(?:\.[0-9a-f]{1,16})?"$/.exec(tag);
    if (m && m[1] === id && Number(m[2]) <= 2 ** 31 - 1) return Number(m[2]);
  }
  throw new ApiError('precondition-failed', `If-Match ${h} does not match the current ETag`);
}

export function withEtag<T extends { etag: string }>(reply: FastifyReply, resource: T): T {
  reply.header('etag', resource.etag);
  return resource;
}

/** Opaque cursors (libs/contracts text.ts): the list schemas already refused bad ones with a field error. */
export { encodeCursor } from '@tributary/contracts';
export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const c = decodeContractCursor(cursor);
  if (!c) throw new ApiError('validation-failed', 'cursor is not one this API returned', { errors: [{ in: 'query', path: '/cursor', message: 'invalid cursor' }] });
  return c;
}

/** `?label=k=v` → [k, v]. */
export function parseLabelFilter(label: string): [string, string] {
  const i = label.indexOf('=');
  if (i <= 0) throw new ApiError('validation-failed', 'label filter is key=value', { errors: [{ in: 'query', path: '/label', message: 'expected key=value' }] });
  return [label.slice(0, i), label.slice(i + 1)];
}
