import fc from 'fast-check';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../codec/decode-error.ts';
import { compress, Compression, decompress, type CompressionName } from '../compression/codecs.ts';
import { BatchHeader, computeBatchCrc, isBatchCrcValid } from './batch-header.ts';
import { decodeRecordBatch, encodeRecordBatch } from './record-batch.ts';
import { assignBatchOffsets, setLogAppendTime, splitBatches, validateProducedBlob } from './record-set.ts';

// kafkajs's own record-batch encoder and decoder (internal modules of a client nobody here wrote).
const require = createRequire(import.meta.url);
const { RecordBatch: kafkajsRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const kafkajsDecodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js');
const KafkajsDecoder = require('kafkajs/src/protocol/decoder.js');
const { CompressionCodecs, CompressionTypes } = require('kafkajs');

// kafkajs ships gzip only; give it our snappy, lz4 and zstd the way applications register plugins.
for (const name of ['snappy', 'lz4', 'zstd'] as const) {
  const id = Compression[name];
  CompressionCodecs[id] = () => ({
    compress: async (encoder: { buffer: Buffer }) => compress(id, encoder.buffer),
    decompress: async (buffer: Buffer) => decompress(id, buffer),
  });
}

const codecs: CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const kafkajsType: Record<CompressionName, number> = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy, lz4: CompressionTypes.LZ4, zstd: CompressionTypes.ZSTD };

const recordArb = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 16 }).map((u) => Buffer.from(u)), { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 64 }).map((u) => Buffer.from(u)), { nil: null }),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 8 }), value: fc.option(fc.uint8Array({ maxLength: 8 }).map((u) => Buffer.from(u)), { nil: null }) }), { maxLength: 3 }),
  timestamp: fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
});

describe('record batch v2', () => {
  it.each(codecs)('round-trips random records with %s', (name) => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 20 }), fc.bigInt({ min: 0n, max: 2n ** 40n }), (records, baseOffset) => {
        const batch = encodeRecordBatch({ records, baseOffset, compression: Compression[name], producerId: 7n, producerEpoch: 1, baseSequence: 5 });
        expect(isBatchCrcValid(batch)).toBe(true);
        const decoded = decodeRecordBatch(batch);
        expect(decoded).toMatchObject({ baseOffset, recordsCount: records.length, lastOffsetDelta: records.length - 1, producerId: 7n, producerEpoch: 1, baseSequence: 5, compression: Compression[name] });
        const baseTimestamp = Number(decoded.baseTimestamp);
        expect(decoded.records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: baseTimestamp + r.timestampDelta }))).toEqual(records);
      }),
      { numRuns: 40 },
    );
  });

  it('keeps record values as slices of an uncompressed batch, never copies', () => {
    const batch = encodeRecordBatch({ records: [{ value: Buffer.alloc(100, 1) }, { value: Buffer.alloc(100, 2) }] });
    const decoded = decodeRecordBatch(batch);
    expect(decoded.records[1]!.value!.buffer).toBe(batch.buffer);
  });

  it('rejects a flipped bit, a wrong length, a truncated batch and a hostile record count', () => {
    const batch = encodeRecordBatch({ records: [{ key: 'k', value: 'v' }] });
    const flipped = Buffer.from(batch);
    flipped.writeUInt8(flipped.readUInt8(batch.length - 2) ^ 0x10, batch.length - 2);
    expect(() => decodeRecordBatch(flipped)).toThrow(/CRC32C mismatch/);
    expect(() => decodeRecordBatch(batch.subarray(0, batch.length - 1))).toThrow(DecodeError);
    expect(() => decodeRecordBatch(batch.subarray(0, 20))).toThrow(/shorter than its header/);
    const hostile = Buffer.from(batch);
    hostile.writeInt32BE(1_000_000_000, BatchHeader.RECORDS_COUNT);
    expect(() => decodeRecordBatch(hostile, { verifyCrc: false })).toThrow(/claims 1000000000 records/);
  });

  it.each(codecs.filter((c) => c !== 'none'))('refuses a %s batch that expands past maxDecompressedBytes with a typed error', (name) => {
    const bomb = encodeRecordBatch({ compression: Compression[name], records: Array.from({ length: 64 }, () => ({ value: Buffer.alloc(64 * 1024) })) });
    expect(bomb.length).toBeLessThan(256 * 1024);
    expect(decodeRecordBatch(bomb).records).toHaveLength(64);
    const err = (() => {
      try {
        decodeRecordBatch(bomb, { maxDecompressedBytes: 1024 * 1024 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as DecodeError).message).toMatch(/exceeds the limit of 1048576/);
  });

  it('rejects bytes left over after the declared record count', () => {
    const batch = encodeRecordBatch({ records: [{ value: 'a' }, { value: 'b' }] });
    const fewer = Buffer.from(batch);
    fewer.writeInt32BE(1, BatchHeader.RECORDS_COUNT);
    expect(() => decodeRecordBatch(fewer, { verifyCrc: false })).toThrow(/left after 1 records/);
  });

  it('rejects a record whose varint never ends', () => {
    const batch = encodeRecordBatch({ records: [{ value: 'abc' }] });
    const body = Buffer.concat([batch.subarray(0, BatchHeader.SIZE), Buffer.alloc(12, 0xff)]);
    body.writeInt32BE(body.length - BatchHeader.LOG_OVERHEAD, BatchHeader.BATCH_LENGTH);
    const err = (() => {
      try {
        decodeRecordBatch(body, { verifyCrc: false });
      } catch (e) {
        return e as DecodeError;
      }
    })();
    expect(err?.code).toBe('invalid-varint');
  });
});

describe('interoperability with kafkajs', () => {
  it.each(codecs)('decodes what kafkajs encodes (%s)', async (name) => {
    const now = Date.now();
    const records = [
      kafkajsRecord({ offsetDelta: 0, timestampDelta: 0, key: Buffer.from('k0'), value: Buffer.from('v0'), headers: { h: Buffer.from('x') } }),
      kafkajsRecord({ offsetDelta: 1, timestampDelta: 5, key: null, value: Buffer.from('v1') }),
    ];
    const encoder = await kafkajsRecordBatch({ compression: kafkajsType[name], firstOffset: require('kafkajs/src/utils/long').fromInt(0), firstTimestamp: now, maxTimestamp: now + 5, lastOffsetDelta: 1, records });
    const decoded = decodeRecordBatch(encoder.buffer);
    expect(decoded.compression).toBe(Compression[name]);
    expect(decoded.records.map((r) => [r.key?.toString() ?? null, r.value?.toString(), r.headers.map((h) => `${h.key}=${h.value}`), r.timestampDelta])).toEqual([
      ['k0', 'v0', ['h=x'], 0],
      [null, 'v1', [], 5],
    ]);
  });

  it.each(codecs)('kafkajs decodes what we encode (%s)', async (name) => {
    const batch = encodeRecordBatch({
      baseOffset: 42n,
      compression: Compression[name],
      baseTimestamp: 1_700_000_000_000,
      records: [
        { key: 'a', value: 'first', headers: [{ key: 'trace', value: 'abc' }] },
        { key: null, value: 'second', timestamp: 1_700_000_000_007 },
      ],
    });
    const result = await kafkajsDecodeBatch(new KafkajsDecoder(batch));
    expect(result.records.map((r: { offset: string; key: Buffer | null; value: Buffer; headers: Record<string, Buffer>; timestamp: string }) => [r.offset, r.key?.toString() ?? null, r.value.toString(), r.headers.trace?.toString(), r.timestamp])).toEqual([
      ['42', 'a', 'first', 'abc', '1700000000000'],
      ['43', null, 'second', undefined, '1700000000007'],
    ]);
  });
});

describe('produced blobs', () => {
  const one = () => encodeRecordBatch({ records: [{ value: 'x' }, { value: 'y' }] });

  it('splits several batches and reports a trailing partial batch', () => {
    const a = one();
    const b = one();
    const blob = Buffer.concat([a, b, b.subarray(0, 30)]);
    const { batches, partialBytes } = splitBatches(blob);
    expect(batches.map((s) => [s.position, s.size])).toEqual([
      [0, a.length],
      [a.length, b.length],
    ]);
    expect(partialBytes).toBe(30);
  });

  it('accepts whole valid batches and refuses bad CRC, legacy magic, oversize and trailing bytes with the Kafka error to answer', () => {
    expect(validateProducedBlob(Buffer.concat([one(), one()]), 1 << 20)).toMatchObject({ ok: true, batches: [{}, {}] });
    const bad = one();
    bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 1, bad.length - 1);
    expect(validateProducedBlob(bad, 1 << 20)).toMatchObject({ ok: false, problem: { code: 'CORRUPT_MESSAGE' } });
    const legacy = one();
    legacy.writeInt8(1, BatchHeader.MAGIC);
    expect(validateProducedBlob(legacy, 1 << 20)).toMatchObject({ ok: false, problem: { code: 'UNSUPPORTED_FOR_MESSAGE_FORMAT' } });
    expect(validateProducedBlob(one(), 10)).toMatchObject({ ok: false, problem: { code: 'MESSAGE_TOO_LARGE' } });
    const codec7 = one();
    codec7.writeInt16BE(7, BatchHeader.ATTRIBUTES);
    codec7.writeUInt32BE(computeBatchCrc(codec7), BatchHeader.CRC);
    expect(validateProducedBlob(codec7, 1 << 20)).toMatchObject({ ok: false, problem: { code: 'CORRUPT_MESSAGE', detail: expect.stringMatching(/compression id 7/) } });
    expect(validateProducedBlob(Buffer.concat([one(), Buffer.alloc(3)]), 1 << 20)).toMatchObject({ ok: false, problem: { code: 'CORRUPT_MESSAGE' } });
  });

  it('assigns offsets without touching the CRC, and log-append time recomputes it', () => {
    const batch = one();
    assignBatchOffsets(batch, 1000n, 3);
    expect(isBatchCrcValid(batch)).toBe(true);
    expect(decodeRecordBatch(batch)).toMatchObject({ baseOffset: 1000n, partitionLeaderEpoch: 3 });
    setLogAppendTime(batch, 1_800_000_000_000n);
    expect(isBatchCrcValid(batch)).toBe(true);
    expect(decodeRecordBatch(batch)).toMatchObject({ timestampType: 1, maxTimestamp: 1_800_000_000_000n });
  });
});
