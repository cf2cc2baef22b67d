/**
 * How the message browser shows and builds records. The API renders each key, value and header
 * value as `{ encoding: text|base64|json, data, size, truncated }` (libs/contracts messages.ts);
 * the browser shows a one-line preview in tables and the whole thing in the record view, and sends
 * what the user typed as text, JSON or base64.
 */
export interface Rendered { encoding: 'text' | 'base64' | 'json'; data?: unknown; size: number; truncated: boolean }

/** The bytes as a string to show: text as is, base64 as is, JSON pretty (`pretty`) or compact. */
export function renderedText(r: Rendered | null, pretty = false): string {
  if (r === null) return 'null';
  if (r.encoding === 'json') return JSON.stringify(r.data, null, pretty ? 2 : undefined) ?? 'null';
  return typeof r.data === 'string' ? r.data : String(r.data);
}

/** One line for a table cell: newlines folded, cut at `max` characters with an ellipsis. */
export function preview(r: Rendered | null, max = 120): string {
  if (r === null) return 'null';
  const text = renderedText(r).replace(/\s+/g, ' ');
  return text.length > max || r.truncated ? `${text.slice(0, max)}…` : text;
}

export type Encoding = 'text' | 'json' | 'base64';
export type Payload = { encoding: Encoding; data: unknown };

/**
 * What the user typed, as the API's payload, or a message saying why it cannot be sent. JSON is
 * parsed here so a typo is shown beside the field before anything is sent; base64 must be RFC 4648
 * with padding (what the API accepts). `null` asks for a null key or value (a tombstone).
 */
export function toPayload(text: string, encoding: Encoding, allowEmptyAsNull: boolean): Payload | null | { error: string } {
  if (allowEmptyAsNull && text === '') return null;
  if (encoding === 'text') return { encoding, data: text };
  if (encoding === 'json') {
    try {
      return { encoding, data: JSON.parse(text) as unknown };
    } catch (e) {
      return { error: `not JSON: ${(e as Error).message}` };
    }
  }
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return { error: 'not base64 (RFC 4648, padded with =)' };
  return { encoding, data: compact };
}
export const isPayloadError = (p: Payload | null | { error: string }): p is { error: string } => p !== null && 'error' in p;

export interface SearchProgress {
  scannedRecords: number; matched: number; complete: boolean;
  partitions: { partition: number; nextOffset: number; endOffset: number; remaining: number }[];
}
/**
 * How far a search has come, 0–100: records scanned so far over scanned + still to scan (the
 * partitions' `remaining` up to the end offsets fixed when the search began). Complete is 100.
 */
export function searchPercent(p: SearchProgress, scannedBefore = 0): number {
  if (p.complete) return 100;
  const scanned = scannedBefore + p.scannedRecords;
  const remaining = p.partitions.reduce((s, x) => s + Math.max(0, x.remaining), 0);
  const total = scanned + remaining;
  return total === 0 ? 100 : Math.min(100, Math.floor((scanned / total) * 100));
}

/** Tail buffers keep the newest `max` records (a fast topic must not grow the page without end). */
export function keepNewest<T>(list: readonly T[], added: readonly T[], max: number): T[] {
  const all = [...added.slice().reverse(), ...list];
  return all.length > max ? all.slice(0, max) : all;
}
