import { gunzipSync, gzipSync, zstdCompressSync, zstdDecompressSync, constants as zlib } from 'node:zlib';
import { compressFrameSync } from 'lz4-napi';
import { createRequire } from 'node:module';
import { DecodeError } from '../codec/decode-error.ts';
import { decompressLz4Frames, Lz4LimitError } from './lz4-frame.ts';

// snappy-wasm's ESM entry is a browser build that must be fetched and initialised; its CommonJS
// build loads the WASM synchronously from disk, which is what a server wants.
const snappyWasm = createRequire(import.meta.url)('snappy-wasm') as {
  compress_raw(input: Uint8Array): Uint8Array;
  decompress_raw(input: Uint8Array): Uint8Array;
};
const snappyCompress = snappyWasm.compress_raw;
const snappyDecompress = snappyWasm.decompress_raw;

/** Kafka's compression ids (the low three bits of a batch's attributes). */
export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionName = keyof typeof Compression;
export type CompressionId = (typeof Compression)[CompressionName];

export function compressionName(id: number): CompressionName {
  const name = (Object.keys(Compression) as CompressionName[]).find((n) => Compression[n] === id);
  if (!name) throw new DecodeError('invalid-value', `unknown compression id ${id}`, 0, ['attributes']);
  return name;
}

/**
 * Upper bound on what one batch may decompress to. A small compressed batch can claim gigabytes;
 * past this limit decompression fails with a typed error instead of exhausting memory.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

// Java clients (snappy-java's SnappyOutputStream) frame snappy data: a magic header, then
// big-endian length-prefixed raw snappy blocks. librdkafka and kafkajs write raw snappy.
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;

function tooLarge(size: number, limit: number): never {
  throw new DecodeError('length-exceeds-buffer', `decompressed batch of ${size} bytes exceeds the limit of ${limit}`, 0, ['records']);
}

function corrupt(codec: string, err: unknown): never {
  throw new DecodeError('invalid-value', `${codec} data is corrupt: ${err instanceof Error ? err.message : String(err)}`, 0, ['records']);
}

/** Length a raw snappy block declares (its leading uvarint), read before decompressing anything. */
function snappyDeclaredLength(block: Buffer): number {
  let result = 0;
  for (let i = 0, shift = 0; i < 5 && i < block.length; i++, shift += 7) {
    const byte = block[i]!;
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return result;
  }
  return corrupt('snappy', new Error('bad length header'));
}

function snappyBlock(block: Buffer, budget: number): Buffer {
  const declared = snappyDeclaredLength(block);
  if (declared > budget) tooLarge(declared, budget);
  try {
    const out = snappyDecompress(block);
    return Buffer.from(out.buffer, out.byteOffset, out.length);
  } catch (err) {
    return corrupt('snappy', err);
  }
}

function snappyUncompress(data: Buffer, limit: number): Buffer {
  if (data.length < XERIAL_HEADER_SIZE || !data.subarray(0, 8).equals(XERIAL_MAGIC)) return snappyBlock(data, limit);
  const parts: Buffer[] = [];
  let total = 0;
  for (let pos = XERIAL_HEADER_SIZE; pos < data.length; ) {
    if (pos + 4 > data.length) corrupt('snappy', new Error('truncated xerial block header'));
    const size = data.readInt32BE(pos);
    pos += 4;
    if (size < 0 || pos + size > data.length) corrupt('snappy', new Error('xerial block past the end'));
    const part = snappyBlock(data.subarray(pos, pos + size), limit - total);
    total += part.length;
    parts.push(part);
    pos += size;
  }
  return Buffer.concat(parts, total);
}

export function compress(codec: CompressionId, data: Buffer): Buffer {
  switch (codec) {
    case Compression.none:
      return data;
    case Compression.gzip:
      return gzipSync(data, { level: 1 });
    case Compression.snappy: {
      const out = snappyCompress(data);
      return Buffer.from(out.buffer, out.byteOffset, out.length);
    }
    case Compression.lz4:
      return compressFrameSync(data);
    case Compression.zstd:
      return zstdCompressSync(data, { params: { [zlib.ZSTD_c_compressionLevel]: 3 } });
  }
  throw new DecodeError('invalid-value', `unknown compression id ${String(codec)}`, 0);
}

export function decompress(codec: CompressionId, data: Buffer, limit = DEFAULT_MAX_DECOMPRESSED_BYTES): Buffer {
  switch (codec) {
    case Compression.none:
      return data;
    case Compression.gzip:
      try {
        return gunzipSync(data, { maxOutputLength: limit });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') tooLarge(limit + 1, limit);
        return corrupt('gzip', err);
      }
    case Compression.zstd:
      try {
        return zstdDecompressSync(data, { maxOutputLength: limit });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') tooLarge(limit + 1, limit);
        return corrupt('zstd', err);
      }
    case Compression.snappy:
      return snappyUncompress(data, limit);
    case Compression.lz4:
      try {
        return decompressLz4Frames(data, limit);
      } catch (err) {
        if (err instanceof Lz4LimitError) tooLarge(err.size, limit);
        throw err;
      }
  }
  throw new DecodeError('invalid-value', `unknown compression id ${String(codec)}`, 0);
}

/** Wraps raw snappy in the xerial framing Java's snappy-java writes (for tests and Java-style producers). */
export function xerialFrame(data: Buffer, blockSize = 32 * 1024): Buffer {
  const header = Buffer.alloc(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  const parts: Buffer[] = [header];
  for (let pos = 0; pos < data.length; pos += blockSize) {
    const block = compress(Compression.snappy, data.subarray(pos, pos + blockSize));
    const len = Buffer.alloc(4);
    len.writeInt32BE(block.length);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}
