import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../codec/decode-error.ts';
import { compress, Compression, decompress, xerialFrame, type CompressionName } from './codecs.ts';

const codecs: CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

describe.each(codecs)('%s', (name) => {
  const id = Compression[name];
  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (raw) => {
        const data = Buffer.from(raw);
        expect(decompress(id, compress(id, data)).equals(data)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

});

describe.each(codecs.filter((c) => c !== 'none'))('%s (compressed)', (name) => {
  const id = Compression[name];
  it('refuses to expand past the limit (decompression bomb)', () => {
    const bomb = compress(id, Buffer.alloc(4 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(512 * 1024);
    expect(() => decompress(id, bomb, 1024 * 1024)).toThrow(/exceeds the limit/);
  });

  it('reports corrupt input as a typed error', () => {
    const data = compress(id, Buffer.from('hello hello hello hello hello'.repeat(20)));
    const broken = Buffer.from(data.subarray(0, Math.floor(data.length / 2)));
    expect(() => decompress(id, broken)).toThrow(DecodeError);
  });
});

describe('snappy framing', () => {
  it('decodes the xerial framing Java clients write, across several blocks', () => {
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => `record-${i};`).join(''));
    const framed = xerialFrame(data, 8 * 1024);
    expect(framed.subarray(1, 7).toString()).toBe('SNAPPY');
    expect(decompress(Compression.snappy, framed).equals(data)).toBe(true);
  });

  it('gzip decoding accepts what another gzip encoder produced', () => {
    const data = Buffer.from('interoperable '.repeat(100));
    expect(decompress(Compression.gzip, gzipSync(data, { level: 9 })).equals(data)).toBe(true);
  });
});
