import { DecodeError } from '../codec/decode-error.ts';

/**
 * Zigzag varints as records use them, read as plain numbers: record fields (lengths, deltas) fit in
 * 53 bits in practice, and numbers avoid a BigInt per field on the decode path.
 */
export function readVarint(buf: Buffer, pos: number, end: number, field: string): [value: number, next: number] {
  let raw = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new DecodeError('truncated', 'varint runs past the end', pos, [field]);
    const byte = buf[pos++]!;
    raw += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) {
      if (raw > Number.MAX_SAFE_INTEGER) throw new DecodeError('invalid-varint', 'varint beyond 53 bits', pos, [field]);
      // Zigzag decode without 32-bit bitwise operators, which would truncate.
      const value = raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
      return [value, pos];
    }
    scale *= 128;
  }
  throw new DecodeError('invalid-varint', 'varint longer than 10 bytes', pos, [field]);
}

export function varintSize(value: number): number {
  let raw = value >= 0 ? value * 2 : -value * 2 - 1;
  let size = 1;
  while (raw >= 128) {
    raw = Math.floor(raw / 128);
    size++;
  }
  return size;
}

export function writeVarint(buf: Buffer, pos: number, value: number): number {
  let raw = value >= 0 ? value * 2 : -value * 2 - 1;
  while (raw >= 128) {
    buf[pos++] = (raw % 128) | 0x80;
    raw = Math.floor(raw / 128);
  }
  buf[pos++] = raw;
  return pos;
}
