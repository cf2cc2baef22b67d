import { describe, expect, it } from 'vitest';
import { compress, Compression, decompress, type CompressionId } from '../compression/codecs.ts';
import { xxh32 } from '../compression/lz4-frame.ts';
import { decodeLegacyMessageSet, encodeLegacyMessage } from './legacy.ts';
import { downConvertBatches, upConvertLegacyMessageSet } from './legacy-convert.ts';
import { decodeRecordBatch, encodeRecordBatch } from './record-batch.ts';
import { validateProducedBlob } from './record-set.ts';

const T0 = 1_700_000_000_000;
const big = { maxMessageBytes: 1 << 20 };

function messages(magic: 0 | 1, values: string[], opts: { firstOffset?: bigint; keys?: boolean } = {}): Buffer {
  return Buffer.concat(
    values.map((v, i) =>
      encodeLegacyMessage({ offset: (opts.firstOffset ?? 0n) + BigInt(i), magic, timestamp: BigInt(T0 + i), key: opts.keys === false ? null : Buffer.from(`k${i}`), value: Buffer.from(v) }),
    ),
  );
}

function wrapper(magic: 0 | 1, codec: CompressionId, inner: Buffer, offset = 0n): Buffer {
  return encodeLegacyMessage({ offset, magic, attributes: codec, timestamp: BigInt(T0), key: null, value: compress(codec, inner) });
}

describe('up-conversion of produced magic 0/1 message sets', () => {
  it('turns magic 1 messages into one valid v2 batch with their timestamps, ignoring client offsets', () => {
    const result = upConvertLegacyMessageSet(messages(1, ['a', 'b', 'c'], { firstOffset: 77n }), big);
    if (!result.ok) throw new Error(result.problem.detail);
    expect(validateProducedBlob(result.batch, 1 << 20).ok).toBe(true);
    const batch = decodeRecordBatch(result.batch);
    expect(batch.compression).toBe(Compression.none);
    expect(batch.records.map((r) => [r.offsetDelta, Number(batch.baseTimestamp) + r.timestampDelta, r.key?.toString(), r.value?.toString()])).toEqual([
      [0, T0, 'k0', 'a'],
      [1, T0 + 1, 'k1', 'b'],
      [2, T0 + 2, 'k2', 'c'],
    ]);
  });

  it('gives magic 0 messages (no timestamp) the conversion time', () => {
    const result = upConvertLegacyMessageSet(messages(0, ['x']), { ...big, now: 1234 });
    if (!result.ok) throw new Error(result.problem.detail);
    expect(decodeRecordBatch(result.batch).baseTimestamp).toBe(1234n);
  });

  it.each([Compression.gzip, Compression.snappy, Compression.lz4])('expands compressed wrappers (codec %i) and keeps the codec', (codec) => {
    const set = Buffer.concat([wrapper(1, codec, messages(1, ['a', 'b']), 1n), wrapper(1, codec, messages(1, ['c']), 0n)]);
    const result = upConvertLegacyMessageSet(set, big);
    if (!result.ok) throw new Error(result.problem.detail);
    const batch = decodeRecordBatch(result.batch);
    expect(batch.compression).toBe(codec);
    expect(batch.records.map((r) => [r.offsetDelta, r.value?.toString()])).toEqual([
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ]);
  });

  it('refuses a bad CRC, a truncated set and trailing bytes with CORRUPT_MESSAGE', () => {
    const good = messages(0, ['hello', 'world']);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 1]! ^= 1;
    for (const bad of [flipped, good.subarray(0, good.length - 3), Buffer.concat([good, Buffer.alloc(5)]), Buffer.alloc(0)]) {
      const result = upConvertLegacyMessageSet(bad, big);
      expect(result.ok ? 'ok' : result.problem.code).toBe('CORRUPT_MESSAGE');
    }
  });

  it('refuses a corrupt compressed payload and a CRC mismatch inside a wrapper with CORRUPT_MESSAGE', () => {
    const garbage = encodeLegacyMessage({ offset: 0n, magic: 1, attributes: Compression.gzip, timestamp: 0n, key: null, value: Buffer.from('not gzip at all') });
    const inner = messages(1, ['a']);
    inner[inner.length - 1]! ^= 1;
    for (const bad of [garbage, wrapper(1, Compression.gzip, inner)]) {
      const result = upConvertLegacyMessageSet(bad, big);
      expect(result.ok ? 'ok' : result.problem.code).toBe('CORRUPT_MESSAGE');
    }
  });

  it('refuses nested compression and mixed magic inside a wrapper with INVALID_RECORD', () => {
    const nested = wrapper(1, Compression.gzip, wrapper(1, Compression.gzip, messages(1, ['a'])));
    const mixed = wrapper(1, Compression.gzip, messages(0, ['a']));
    for (const bad of [nested, mixed]) {
      const result = upConvertLegacyMessageSet(bad, big);
      expect(result.ok ? 'ok' : result.problem.code).toBe('INVALID_RECORD');
    }
  });

  it('refuses a keyless message for a compacted topic, an oversized message, and zstd in a legacy set', () => {
    const keyless = upConvertLegacyMessageSet(messages(1, ['a'], { keys: false }), { ...big, requireKeys: true });
    expect(keyless.ok ? 'ok' : keyless.problem.code).toBe('INVALID_RECORD');
    const tooLarge = upConvertLegacyMessageSet(messages(1, ['x'.repeat(2000)]), { maxMessageBytes: 1000 });
    expect(tooLarge.ok ? 'ok' : tooLarge.problem.code).toBe('MESSAGE_TOO_LARGE');
    const zstd = upConvertLegacyMessageSet(wrapper(1, Compression.zstd, messages(1, ['a'])), big);
    expect(zstd.ok ? 'ok' : zstd.problem.code).toBe('UNSUPPORTED_COMPRESSION_TYPE');
  });
});

function stored(baseOffset: bigint, values: string[], compression: CompressionId = Compression.none, extra: { timestampType?: 0 | 1 } = {}): Buffer {
  return encodeRecordBatch({
    baseOffset,
    compression,
    baseTimestamp: T0,
    ...extra,
    records: values.map((v, i) => ({ key: `k${i}`, value: v, timestamp: T0 + i * 10, offsetDelta: i, headers: [{ key: 'h', value: 'dropped' }] })),
  });
}

describe('down-conversion of stored v2 batches for Fetch v0–3', () => {
  it('serves uncompressed batches as one message per record from the fetch offset on (magic 1 keeps timestamps)', () => {
    const blob = Buffer.concat([stored(10n, ['a', 'b', 'c']), stored(13n, ['d'])]);
    const result = downConvertBatches(blob, { magic: 1, fetchOffset: 11, maxBytes: 1 << 20 });
    if (!result.ok) throw new Error(result.problem.detail);
    const read = decodeLegacyMessageSet(result.records);
    expect(read.map((m) => [m.offset, m.magic, m.timestamp, m.key?.toString(), m.value?.toString()])).toEqual([
      [11n, 1, BigInt(T0 + 10), 'k1', 'b'],
      [12n, 1, BigInt(T0 + 20), 'k2', 'c'],
      [13n, 1, BigInt(T0), 'k0', 'd'],
    ]);
  });

  it('serves magic 0 messages without timestamps', () => {
    const result = downConvertBatches(stored(0n, ['a']), { magic: 0, fetchOffset: 0, maxBytes: 1 << 20 });
    if (!result.ok) throw new Error(result.problem.detail);
    expect(decodeLegacyMessageSet(result.records).map((m) => [m.magic, m.timestamp])).toEqual([[0, -1n]]);
  });

  it.each([
    [0, Compression.gzip],
    [0, Compression.snappy],
    [0, Compression.lz4],
    [1, Compression.gzip],
    [1, Compression.snappy],
    [1, Compression.lz4],
  ] as const)('magic %i: a compressed batch becomes one wrapper with codec %i whose inner offsets resolve to the stored ones', (magic, codec) => {
    const result = downConvertBatches(stored(100n, ['a', 'b', 'c'], codec), { magic, fetchOffset: 101, maxBytes: 1 << 20 });
    if (!result.ok) throw new Error(result.problem.detail);
    expect(result.messages).toBe(2);
    // One wrapper: its attributes name the codec and its offset is the last inner one.
    expect(12 + result.records.readInt32BE(8)).toBe(result.records.length);
    expect(result.records.readInt8(12 + 5) & 0x07).toBe(codec);
    expect(result.records.readBigInt64BE(0)).toBe(102n);
    expect(decodeLegacyMessageSet(result.records).map((m) => [m.offset, m.value?.toString()])).toEqual([
      [101n, 'b'],
      [102n, 'c'],
    ]);
  });

  it('magic 0 LZ4 wrappers carry the old Kafka header checksum, magic 1 the correct one', () => {
    for (const magic of [0, 1] as const) {
      const result = downConvertBatches(stored(0n, ['a'], Compression.lz4), { magic, fetchOffset: 0, maxBytes: 1 << 20 });
      if (!result.ok) throw new Error(result.problem.detail);
      const valueStart = 12 + 4 + 1 + 1 + (magic === 1 ? 8 : 0) + 4 + 4;
      const frame = result.records.subarray(valueStart);
      const expected = magic === 0 ? xxh32(frame.subarray(0, 6)) : xxh32(frame.subarray(4, 6));
      expect(frame[6]).toBe((expected >>> 8) & 0xff);
      expect(decompress(Compression.lz4, frame).length).toBeGreaterThan(0);
    }
  });

  it('marks log-append-time batches in magic 1 and uses the batch max timestamp', () => {
    const blob = stored(0n, ['a', 'b'], Compression.none, { timestampType: 1 });
    const result = downConvertBatches(blob, { magic: 1, fetchOffset: 0, maxBytes: 1 << 20 });
    if (!result.ok) throw new Error(result.problem.detail);
    const read = decodeLegacyMessageSet(result.records);
    const maxTimestamp = decodeRecordBatch(blob).maxTimestamp;
    expect(read.map((m) => [m.attributes & 0x08, m.timestamp])).toEqual([
      [0x08, maxTimestamp],
      [0x08, maxTimestamp],
    ]);
  });

  it('stops at whole messages within maxBytes but always serves the first one', () => {
    const blob = Buffer.concat([stored(0n, ['x'.repeat(100), 'y'.repeat(100)]), stored(2n, ['z'.repeat(100)], Compression.gzip)]);
    const one = downConvertBatches(blob, { magic: 1, fetchOffset: 0, maxBytes: 10 });
    const two = downConvertBatches(blob, { magic: 1, fetchOffset: 0, maxBytes: 300 });
    if (!one.ok || !two.ok) throw new Error('refused');
    expect(decodeLegacyMessageSet(one.records).map((m) => m.offset)).toEqual([0n]);
    expect(decodeLegacyMessageSet(two.records).map((m) => m.offset)).toEqual([0n, 1n]);
    expect(two.records.length).toBeLessThanOrEqual(300);
  });

  it('ignores a trailing partial batch and answers UNSUPPORTED_COMPRESSION_TYPE when the first batch is zstd', () => {
    const plain = stored(0n, ['a']);
    const zstd = stored(1n, ['b'], Compression.zstd);
    const partial = downConvertBatches(Buffer.concat([plain, zstd.subarray(0, 30)]), { magic: 1, fetchOffset: 0, maxBytes: 1 << 20 });
    expect(partial.ok && decodeLegacyMessageSet(partial.records).length).toBe(1);
    const stopBefore = downConvertBatches(Buffer.concat([plain, zstd]), { magic: 1, fetchOffset: 0, maxBytes: 1 << 20 });
    expect(stopBefore.ok && stopBefore.messages).toBe(1);
    const refused = downConvertBatches(zstd, { magic: 1, fetchOffset: 1, maxBytes: 1 << 20 });
    expect(refused.ok ? 'ok' : refused.problem.code).toBe('UNSUPPORTED_COMPRESSION_TYPE');
  });

  it('round-trips: what an old producer sends is what an old consumer reads back', () => {
    const up = upConvertLegacyMessageSet(wrapper(1, Compression.gzip, messages(1, ['p', 'q', 'r'])), big);
    if (!up.ok) throw new Error(up.problem.detail);
    const down = downConvertBatches(up.batch, { magic: 1, fetchOffset: 0, maxBytes: 1 << 20 });
    if (!down.ok) throw new Error(down.problem.detail);
    expect(decodeLegacyMessageSet(down.records).map((m) => [m.offset, m.timestamp, m.key?.toString(), m.value?.toString()])).toEqual([
      [0n, BigInt(T0), 'k0', 'p'],
      [1n, BigInt(T0 + 1), 'k1', 'q'],
      [2n, BigInt(T0 + 2), 'k2', 'r'],
    ]);
  });
});
