import { createRequire } from 'node:module';
import { compressFrameSync } from 'lz4-napi';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../codec/decode-error.ts';
import { Compression, decompress } from './codecs.ts';
import { decompressLz4Frames, Lz4LimitError, xxh32 } from './lz4-frame.ts';

// lz4js is a second, independent LZ4 frame writer (pure JS), used here only as a source of frames.
const lz4js = createRequire(import.meta.url)('lz4js') as { compress(data: Uint8Array): Uint8Array };

const text = (n: number) => Buffer.from(Array.from({ length: Math.ceil(n / 12) }, (_, i) => `rec-${(i * 7919) % 100000};`).join('')).subarray(0, n);
const FRAME_HEADER = 7; // magic, FLG, BD, HC when no content size is present

/** Builds a frame by hand: FLG/BD as given, blocks already encoded, optional content size. */
function frame(flg: number, bd: number, blocks: { data: Buffer; uncompressed?: boolean }[], contentSize?: bigint): Buffer {
  const parts: Buffer[] = [Buffer.from([0x04, 0x22, 0x4d, 0x18, flg | (contentSize === undefined ? 0 : 0x08), bd])];
  if (contentSize !== undefined) {
    const cs = Buffer.alloc(8);
    cs.writeBigUInt64LE(contentSize);
    parts.push(cs);
  }
  parts.push(Buffer.from([0x00])); // header checksum: not verified, so any value will do
  for (const b of blocks) {
    const size = Buffer.alloc(4);
    size.writeUInt32LE((b.data.length | (b.uncompressed ? 0x80000000 : 0)) >>> 0);
    parts.push(size, b.data);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

describe('LZ4 frames', () => {
  it('decodes multi-block frames from lz4-napi and from lz4js', () => {
    const data = text(600 * 1024);
    expect(decompress(Compression.lz4, compressFrameSync(data)).equals(data)).toBe(true);
    expect(decompress(Compression.lz4, Buffer.from(lz4js.compress(data))).equals(data)).toBe(true);
  });

  it('decodes uncompressed blocks, skippable frames and concatenated frames', () => {
    const a = Buffer.from('stored as is');
    const skippable = Buffer.from([0x52, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
    const b = text(1000);
    const out = decompressLz4Frames(Buffer.concat([frame(0x60, 0x40, [{ data: a, uncompressed: true }]), skippable, compressFrameSync(b)]), 1 << 20);
    expect(out.equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('accepts a wrong header checksum, as Kafka magic 0 LZ4 messages carry one', () => {
    const data = text(5000);
    const f = compressFrameSync(data);
    f[6] = f[6]! ^ 0xff;
    expect(decompress(Compression.lz4, f).equals(data)).toBe(true);
  });

  it('computes the same header checksum as the lz4 writers', () => {
    for (const f of [compressFrameSync(text(100)), Buffer.from(lz4js.compress(text(100)))]) expect((xxh32(f.subarray(4, 6)) >>> 8) & 0xff).toBe(f[6]);
    expect(xxh32(Buffer.alloc(0))).toBe(0x02cc5d05); // the xxHash32 reference value for empty input
  });

  it('decodes linked-block frames through the whole-frame fallback', () => {
    const data = text(300 * 1024);
    const f = compressFrameSync(data);
    f[4] = f[4]! & ~0x20; // independent blocks are valid linked blocks too
    f[6] = 0;
    expect(decompress(Compression.lz4, f).equals(data)).toBe(true);
  });

  it('stops at the limit before allocating the whole output: per block, by declared size, and for linked frames', () => {
    const zeros = compressFrameSync(Buffer.alloc(8 * 1024 * 1024));
    expect(() => decompressLz4Frames(zeros, 1024 * 1024)).toThrow(Lz4LimitError);
    expect(() => decompress(Compression.lz4, zeros, 1024 * 1024)).toThrow(/exceeds the limit/);
    // A frame that declares 1 TB of content is refused from its header alone.
    const declared = frame(0x60, 0x40, [{ data: Buffer.from('x'), uncompressed: true }], 1n << 40n);
    expect(() => decompressLz4Frames(declared, 1 << 20)).toThrow(/at least 1099511627776/);
    const linked = Buffer.from(zeros);
    linked[4] = linked[4]! & ~0x20;
    expect(() => decompressLz4Frames(linked, 1024 * 1024)).toThrow(Lz4LimitError);
    // Exactly at the limit is fine.
    const exact = Buffer.alloc(256 * 1024, 7);
    expect(decompressLz4Frames(compressFrameSync(exact), exact.length).equals(exact)).toBe(true);
  });

  it('reports malformed frames as DecodeError', () => {
    const good = compressFrameSync(text(10_000));
    const cases: Buffer[] = [
      Buffer.from([1, 2, 3]), // shorter than a magic number
      Buffer.from([0, 0, 0, 0, 0, 0, 0]), // wrong magic
      good.subarray(0, 5), // truncated descriptor
      good.subarray(0, FRAME_HEADER + 2), // truncated block size
      good.subarray(0, good.length - 6), // block runs past the end
      frame(0xa0, 0x40, []), // frame version 2
      frame(0x61, 0x40, []), // dictionary id
      frame(0x60, 0x30, []), // block maximum id 3
      frame(0x60, 0x40, [{ data: Buffer.from([0xff, 0xff, 0xff]) }]), // garbage block
    ];
    for (const c of cases) expect(() => decompressLz4Frames(c, 1 << 20), c.toString('hex')).toThrow(DecodeError);
  });
});
