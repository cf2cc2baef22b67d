import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * Opaque cursors of the message endpoints (pure). A cursor is where each partition continues
 * (the next offset to read) and, for a search, where each partition's scan ends (fixed when the
 * search started, so a topic that keeps growing cannot make a search run forever) and a digest of
 * the filters (a cursor continues the search it came from, not another). base64url of a small JSON
 * document: opaque to clients, who must not build or edit them; nothing in it grants anything (the
 * brokers check every read against the caller's principal). Deflated: a cursor of a topic with
 * hundreds of partitions still fits in a URL's query (GET cursors are limited to 8,000 characters).
 */
export interface PartitionPosition {
  partition: number;
  /** Next offset to read. */
  next: bigint;
  /** Search only: the scan of this partition stops before this offset. */
  end?: bigint;
}

export interface Cursor {
  kind: 'read' | 'search';
  topic: string;
  positions: PartitionPosition[];
  /** Search only: digest of the filters the search was started with. */
  filters?: string;
}

const VERSION = 1;

export function encodeCursor(c: Cursor): string {
  const doc = {
    v: VERSION,
    k: c.kind === 'read' ? 'r' : 's',
    t: c.topic,
    p: c.positions.map((p) => (p.end === undefined ? [p.partition, p.next.toString()] : [p.partition, p.next.toString(), p.end.toString()])),
    ...(c.filters ? { f: c.filters } : {}),
  };
  return deflateRawSync(Buffer.from(JSON.stringify(doc))).toString('base64url');
}

const isOffset = (s: unknown): s is string => typeof s === 'string' && /^\d{1,19}$/.test(s) && BigInt(s) <= 0x7fffffffffffffffn;

/** The cursor, or a message saying why it is not one (answered as a 422 at its field path). */
export function decodeCursor(text: string, expect: { kind: Cursor['kind']; topic: string }): Cursor | string {
  if (text.length > 64 * 1024 || !/^[A-Za-z0-9_-]+$/.test(text)) return 'not a cursor of this API';
  let doc: unknown;
  try {
    doc = JSON.parse(inflateRawSync(Buffer.from(text, 'base64url'), { maxOutputLength: 1024 * 1024 }).toString('utf8'));
  } catch {
    return 'not a cursor of this API';
  }
  if (typeof doc !== 'object' || doc === null) return 'not a cursor of this API';
  const d = doc as { v?: unknown; k?: unknown; t?: unknown; p?: unknown; f?: unknown };
  if (d.v !== VERSION || (d.k !== 'r' && d.k !== 's') || typeof d.t !== 'string' || !Array.isArray(d.p)) return 'not a cursor of this API';
  const kind = d.k === 'r' ? 'read' : 'search';
  if (kind !== expect.kind) return `a ${kind} cursor cannot continue a ${expect.kind}`;
  if (d.t !== expect.topic) return `the cursor belongs to topic ${d.t}, not ${expect.topic}`;
  const positions: PartitionPosition[] = [];
  const seen = new Set<number>();
  for (const entry of d.p as unknown[]) {
    if (!Array.isArray(entry) || entry.length < 2 || entry.length > 3) return 'not a cursor of this API';
    const [partition, next, end] = entry as unknown[];
    if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0 || partition > 0x7fffffff || seen.has(partition)) return 'not a cursor of this API';
    if (!isOffset(next) || (end !== undefined && !isOffset(end))) return 'not a cursor of this API';
    seen.add(partition);
    positions.push({ partition, next: BigInt(next), ...(end !== undefined ? { end: BigInt(end) } : {}) });
  }
  if (positions.length === 0) return 'not a cursor of this API';
  if (kind === 'search' && typeof d.f !== 'string') return 'not a cursor of this API';
  return { kind, topic: d.t, positions, ...(typeof d.f === 'string' ? { filters: d.f } : {}) };
}

/** A short digest of a search's filters, stable for equal filters whatever the key order. */
export function filtersDigest(filters: unknown): string {
  return createHash('sha256').update(canonical(filters)).digest('base64url').slice(0, 16);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}
