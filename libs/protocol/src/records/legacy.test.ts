import { describe, expect, it } from 'vitest';
import { compress, Compression, xerialFrame } from '../compression/codecs.ts';
import { xxh32 } from '../compression/lz4-frame.ts';
import { convertLegacyToBatch, decodeLegacyMessageSet, encodeLegacyMessage } from './legacy.ts';
import { decodeRecordBatch } from './record-batch.ts';

describe('legacy message sets (magic 0 and 1)', () => {
  it('decodes magic 0 and magic 1 messages', () => {
    const set = Buffer.concat([
      encodeLegacyMessage({ offset: 0n, magic: 0, key: Buffer.from('k'), value: Buffer.from('v0') }),
      encodeLegacyMessage({ offset: 1n, magic: 1, timestamp: 1_700_000_000_000n, key: null, value: Buffer.from('v1') }),
    ]);
    const messages = decodeLegacyMessageSet(set);
    expect(messages.map((m) => [m.offset, m.magic, m.timestamp, m.key?.toString() ?? null, m.value?.toString()])).toEqual([
      [0n, 0, -1n, 'k', 'v0'],
      [1n, 1, 1_700_000_000_000n, null, 'v1'],
    ]);
  });

  it('expands a gzip-compressed magic 1 wrapper with relative inner offsets', () => {
    const inner = Buffer.concat([0n, 1n, 2n].map((o) => encodeLegacyMessage({ offset: o, magic: 1, timestamp: 1_700_000_000_000n + o, key: null, value: Buffer.from(`m${o}`) })));
    const wrapper = encodeLegacyMessage({ offset: 12n, magic: 1, attributes: Compression.gzip, timestamp: 1_700_000_000_002n, key: null, value: compress(Compression.gzip, inner) });
    const messages = decodeLegacyMessageSet(wrapper);
    expect(messages.map((m) => [m.offset, m.value?.toString()])).toEqual([
      [10n, 'm0'],
      [11n, 'm1'],
      [12n, 'm2'],
    ]);
  });

  it('converts to a v2 batch a client can read', () => {
    const set = Buffer.concat([
      encodeLegacyMessage({ offset: 5n, magic: 1, timestamp: 1_700_000_000_000n, key: Buffer.from('a'), value: Buffer.from('x') }),
      encodeLegacyMessage({ offset: 6n, magic: 1, timestamp: 1_700_000_000_010n, key: Buffer.from('b'), value: Buffer.from('y') }),
    ]);
    const batch = decodeRecordBatch(convertLegacyToBatch(set));
    expect(batch.baseOffset).toBe(5n);
    expect(batch.records.map((r) => [r.offsetDelta, r.timestampDelta, r.key?.toString(), r.value?.toString()])).toEqual([
      [0, 0, 'a', 'x'],
      [1, 10, 'b', 'y'],
    ]);
  });

  it('rejects a message whose CRC does not match', () => {
    const m = encodeLegacyMessage({ offset: 0n, magic: 0, key: null, value: Buffer.from('payload') });
    m.writeUInt8(m.readUInt8(m.length - 1) ^ 1, m.length - 1);
    expect(() => decodeLegacyMessageSet(m)).toThrow(/CRC32 mismatch/);
  });

  it('expands magic 0 wrappers: LZ4 with the old Kafka header checksum, and xerial-framed snappy', () => {
    const inner = Buffer.concat([3n, 4n].map((o) => encodeLegacyMessage({ offset: o, magic: 0, key: null, value: Buffer.from(`m${o}`) })));
    const lz4 = compress(Compression.lz4, inner);
    // Kafka before KIP-57 hashed the frame's magic number into the header checksum.
    lz4[6] = (xxh32(lz4.subarray(0, 6)) >>> 8) & 0xff;
    for (const [codec, value] of [[Compression.lz4, lz4], [Compression.snappy, xerialFrame(inner)]] as const) {
      const wrapper = encodeLegacyMessage({ offset: 4n, magic: 0, attributes: codec, key: null, value });
      // Magic 0 inner messages carry absolute offsets.
      expect(decodeLegacyMessageSet(wrapper).map((m) => [m.offset, m.value?.toString()])).toEqual([
        [3n, 'm3'],
        [4n, 'm4'],
      ]);
    }
  });

  it('gives inner messages the wrapper timestamp when the wrapper says log-append time', () => {
    const inner = encodeLegacyMessage({ offset: 0n, magic: 1, timestamp: 5n, key: null, value: Buffer.from('x') });
    const wrapper = encodeLegacyMessage({ offset: 0n, magic: 1, attributes: Compression.gzip | 0x08, timestamp: 1_700_000_000_000n, key: null, value: compress(Compression.gzip, inner) });
    expect(decodeLegacyMessageSet(wrapper)[0]!.timestamp).toBe(1_700_000_000_000n);
  });

  it('refuses nested compression and wrappers that expand past the limit; stops at a trailing partial message', () => {
    const plain = encodeLegacyMessage({ offset: 0n, magic: 1, timestamp: 1n, key: null, value: Buffer.from('x') });
    const inner = encodeLegacyMessage({ offset: 0n, magic: 1, attributes: Compression.gzip, timestamp: 1n, key: null, value: compress(Compression.gzip, plain) });
    const nested = encodeLegacyMessage({ offset: 0n, magic: 1, attributes: Compression.gzip, timestamp: 1n, key: null, value: compress(Compression.gzip, inner) });
    expect(() => decodeLegacyMessageSet(nested)).toThrow(/nested compressed message/);
    const big = encodeLegacyMessage({ offset: 0n, magic: 1, timestamp: 1n, key: null, value: Buffer.alloc(2 << 20) });
    const bomb = encodeLegacyMessage({ offset: 0n, magic: 1, attributes: Compression.zstd, timestamp: 1n, key: null, value: compress(Compression.zstd, big) });
    expect(bomb.length).toBeLessThan(4096);
    expect(() => decodeLegacyMessageSet(bomb, 1 << 20)).toThrow(/exceeds the limit/);
    const two = Buffer.concat([plain, plain]);
    expect(decodeLegacyMessageSet(two.subarray(0, two.length - 3))).toHaveLength(1);
    expect(() => convertLegacyToBatch(plain.subarray(0, 10))).toThrow(/no complete message/);
  });
});
