import { decompressFrameSync, uncompressSync } from 'lz4-napi';
import { DecodeError } from '../codec/decode-error.ts';

/**
 * Bounded decoder of the LZ4 frame format (lz4 Frame Format 1.6) as Kafka uses it.
 *
 * Why not just lz4-napi's decompressFrameSync: it allocates whatever the frame expands to before we
 * can look at the size (a decompression bomb is only caught afterwards), and it insists on a correct
 * header checksum, which Kafka's magic 0 LZ4 messages do not have (KAFKA-3160: the old Java writer
 * hashed the magic number too). Walking the frame ourselves gives each block an output budget of
 * min(block maximum, what is left under the limit), and skipping the header checksum accepts those
 * legacy frames. Content and block checksums are skipped as well: a v2 batch's CRC32C already covers
 * the compressed bytes.
 */
const FRAME_MAGIC = 0x184d2204;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const BLOCK_MAX: Record<number, number> = { 4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: 4 * 1024 * 1024 };
const UNCOMPRESSED_BIT = 0x80000000;

export class Lz4LimitError extends Error {
  readonly size: number;
  constructor(size: number) {
    super(`lz4 output of at least ${size} bytes`);
    this.size = size;
  }
}

const PRIME1 = 0x9e3779b1;
const PRIME2 = 0x85ebca77;
const PRIME3 = 0xc2b2ae3d;
const PRIME4 = 0x27d4eb2f;
const PRIME5 = 0x165667b1;
const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));

/** xxHash32 with seed 0 of a short input (< 16 bytes: a frame descriptor), per the xxHash spec. */
export function xxh32(input: Buffer): number {
  if (input.length >= 16) throw new RangeError('xxh32 here handles frame descriptors only (< 16 bytes)');
  let acc = (PRIME5 + input.length) | 0;
  let i = 0;
  for (; i + 4 <= input.length; i += 4) acc = Math.imul(rotl((acc + Math.imul(input.readUInt32LE(i), PRIME3)) | 0, 17), PRIME4);
  for (; i < input.length; i++) acc = Math.imul(rotl((acc + Math.imul(input[i]!, PRIME5)) | 0, 11), PRIME1);
  acc ^= acc >>> 15;
  acc = Math.imul(acc, PRIME2);
  acc ^= acc >>> 13;
  acc = Math.imul(acc, PRIME3);
  acc ^= acc >>> 16;
  return acc >>> 0;
}

function corrupt(detail: string, position: number): never {
  throw new DecodeError('invalid-value', `lz4 data is corrupt: ${detail}`, position, ['records']);
}

/** Decompresses one or more concatenated LZ4 frames; throws Lz4LimitError past `limit` bytes. */
export function decompressLz4Frames(data: Buffer, limit: number): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  let pos = 0;
  while (pos < data.length) {
    if (pos + 4 > data.length) corrupt('truncated frame magic', pos);
    const magic = data.readUInt32LE(pos);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (pos + 8 > data.length) corrupt('truncated skippable frame', pos);
      pos += 8 + data.readUInt32LE(pos + 4);
      continue;
    }
    if (magic !== FRAME_MAGIC) corrupt(`bad frame magic 0x${magic.toString(16)}`, pos);
    if (pos + 7 > data.length) corrupt('truncated frame descriptor', pos);
    const flg = data[pos + 4]!;
    const bd = data[pos + 5]!;
    if (flg >> 6 !== 1) corrupt(`frame version ${flg >> 6}`, pos + 4);
    if (flg & 0x01) corrupt('dictionary ids are not supported', pos + 4);
    const blockMax = BLOCK_MAX[(bd >> 4) & 0x07];
    if (blockMax === undefined) corrupt(`block maximum id ${(bd >> 4) & 0x07}`, pos + 5);
    const independent = (flg & 0x20) !== 0;
    const blockChecksum = (flg & 0x10) !== 0;
    const hasContentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const frameStart = pos;
    pos += 6;
    if (hasContentSize) {
      if (pos + 8 > data.length) corrupt('truncated content size', pos);
      const declared = Number(data.readBigUInt64LE(pos));
      if (declared > limit - total) throw new Lz4LimitError(total + declared);
      pos += 8;
    }
    pos += 1; // header checksum, deliberately not verified (see above)
    if (!independent) {
      // Linked blocks reference earlier output, so they cannot be decoded block by block here.
      // Bound the output by the block count first (writers fill every block but the last).
      let blocks = 0;
      let p = pos;
      for (;;) {
        if (p + 4 > data.length) corrupt('truncated block size', p);
        const raw = data.readUInt32LE(p);
        p += 4;
        if (raw === 0) break;
        blocks++;
        p += (raw & ~UNCOMPRESSED_BIT) + (blockChecksum ? 4 : 0);
      }
      if (contentChecksum) p += 4;
      if (p > data.length) corrupt('frame runs past the end', p);
      if (blocks * blockMax > limit - total + blockMax) throw new Lz4LimitError(total + blocks * blockMax);
      // lz4-napi checks the header checksum, so a copy of the frame gets a correct one first.
      const whole = Buffer.from(data.subarray(frameStart, p));
      whole[pos - 1 - frameStart] = (xxh32(whole.subarray(4, pos - 1 - frameStart)) >>> 8) & 0xff;
      let out: Buffer;
      try {
        out = decompressFrameSync(whole);
      } catch (err) {
        return corrupt(err instanceof Error ? err.message : String(err), frameStart);
      }
      if (out.length > limit - total) throw new Lz4LimitError(total + out.length);
      parts.push(out);
      total += out.length;
      pos = p;
      continue;
    }
    for (;;) {
      if (pos + 4 > data.length) corrupt('truncated block size', pos);
      const raw = data.readUInt32LE(pos);
      pos += 4;
      if (raw === 0) break;
      const size = (raw & ~UNCOMPRESSED_BIT) >>> 0;
      if (size > blockMax || pos + size > data.length) corrupt(`block of ${size} bytes`, pos - 4);
      const block = data.subarray(pos, pos + size);
      pos += size + (blockChecksum ? 4 : 0);
      if (raw & UNCOMPRESSED_BIT) {
        if (size > limit - total) throw new Lz4LimitError(total + size);
        parts.push(block);
        total += size;
        continue;
      }
      const budget = Math.min(blockMax, limit - total);
      // lz4-napi's block API reads a little-endian output size before the block and never writes
      // past it: that size is our budget.
      const framed = Buffer.allocUnsafe(4 + size);
      framed.writeUInt32LE(budget, 0);
      block.copy(framed, 4);
      let out: Buffer;
      try {
        out = uncompressSync(framed);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (budget < blockMax && /too small/.test(message)) throw new Lz4LimitError(limit + 1);
        return corrupt(message, pos - size);
      }
      parts.push(out);
      total += out.length;
    }
    if (contentChecksum) pos += 4;
    if (pos > data.length) corrupt('frame runs past the end', pos);
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}
