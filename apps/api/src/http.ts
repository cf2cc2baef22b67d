import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './errors.ts';

/** ETags are the row's version: strong, cheap, and they change on every write of the row. */
export const etagOf = (id: string, version: number) => `"${id}.${version}"`;

/** The version the client expects (If-Match), or undefined when it sent none or `*`. */
export function expectedVersion(request: FastifyRequest, id: string): number | undefined {
  const h = request.headers['if-match'];
  if (h === undefined || h.trim() === '*') return undefined;
  for (const tag of h.split(',').map((t) => t.trim().replace(/^W\//, ''))) {
    const m = /^"([^"]+)\.(\d+)"$/.exec(tag);
    if (m && m[1] === id) return Number(m[2]);
  }
  throw new ApiError('precondition-failed', `If-Match ${h} does not match the current ETag`);
}

export function withEtag<T extends { etag: string }>(reply: FastifyReply, resource: T): T {
  reply.header('etag', resource.etag);
  return resource;
}

/** Opaque cursors: base64url of the last (createdAt, id) pair, which is the list order. */
export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}
export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const createdAt = new Date(at);
    if (typeof id !== 'string' || Number.isNaN(createdAt.getTime())) throw new Error('bad');
    return { createdAt, id };
  } catch {
    throw new ApiError('validation-failed', 'cursor is not one this API returned', { errors: [{ in: 'query', path: '/cursor', message: 'invalid cursor' }] });
  }
}

/** `?label=k=v` → [k, v]. */
export function parseLabelFilter(label: string): [string, string] {
  const i = label.indexOf('=');
  if (i <= 0) throw new ApiError('validation-failed', 'label filter is key=value', { errors: [{ in: 'query', path: '/label', message: 'expected key=value' }] });
  return [label.slice(0, i), label.slice(i + 1)];
}
