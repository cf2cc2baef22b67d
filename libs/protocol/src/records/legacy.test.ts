import { describe, expect, it } from 'vitest';
import { compress, Compression } from '../compression/codecs.ts';
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
});
