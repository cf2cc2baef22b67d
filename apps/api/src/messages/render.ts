/**
 * How record bytes are shown over HTTP (pure). Kafka keys, values and header values are bytes; a
 * browser wants text. `auto` shows valid UTF-8 as text and anything else as base64, `json` parses
 * JSON when the bytes are JSON (falling back to `auto` otherwise), `base64` always encodes. A value
 * longer than the bound is cut to it (never inside a UTF-8 sequence) and says so, with its full size.
 */
export type Format = 'auto' | 'json' | 'base64';

export interface RenderedBytes {
  encoding: 'text' | 'base64' | 'json';
  /** text or base64 string; for `json`, the parsed value. */
  data: unknown;
  /** Size of the whole field in bytes, also when `data` is truncated. */
  size: number;
  truncated: boolean;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function utf8OrNull(bytes: Uint8Array): string | null {
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}

/** The longest prefix of at most `max` bytes that does not end inside a UTF-8 sequence. */
export function utf8Prefix(bytes: Buffer, max: number): Buffer {
  if (bytes.length <= max) return bytes;
  let end = max;
  // Step back over continuation bytes (10xxxxxx) to the start of the sequence that crosses `max`…
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

export function renderBytes(bytes: Buffer | null, format: Format, maxBytes: number): RenderedBytes | null {
  if (bytes === null) return null;
  const size = bytes.length;
  if (format === 'base64') {
    const truncated = size > maxBytes;
    return { encoding: 'base64', data: (truncated ? bytes.subarray(0, maxBytes) : bytes).toString('base64'), size, truncated };
  }
  if (format === 'json' && size <= maxBytes) {
    const text = utf8OrNull(bytes);
    if (text !== null) {
      try {
        return { encoding: 'json', data: JSON.parse(text), size, truncated: false };
      } catch { /* not JSON: shown as text below */ }
    }
  }
  // auto (and json that is not JSON, or too long to show whole: a cut JSON document is not JSON).
  // A truncated value is judged by the part shown (cut at a UTF-8 boundary): checking the whole of a
  // large value would cost what showing it costs.
  const truncated = size > maxBytes;
  const shown = truncated ? utf8Prefix(bytes, maxBytes) : bytes;
  const text = utf8OrNull(shown);
  if (text !== null) return { encoding: 'text', data: text, size, truncated };
  return { encoding: 'base64', data: (truncated ? bytes.subarray(0, maxBytes) : bytes).toString('base64'), size, truncated };
}

/** Parses a value sent in a request body (the same shape as read): bytes, or a field error message. */
export function parsePayload(p: { encoding: 'text' | 'base64' | 'json'; data: unknown }): Buffer | string {
  switch (p.encoding) {
    case 'text':
      return typeof p.data === 'string' ? Buffer.from(p.data, 'utf8') : 'data must be a string for encoding text';
    case 'base64':
      if (typeof p.data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(p.data) || p.data.length % 4 !== 0) return 'data must be standard base64 (RFC 4648 §4, padded)';
      return Buffer.from(p.data, 'base64');
    case 'json':
      return Buffer.from(JSON.stringify(p.data ?? null), 'utf8');
  }
}
