import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../codec/decode-error.ts';
import { BatchHeader } from './batch-header.ts';
import { encodeRecordBatch, decodeRecordBatch, recordTimestamp } from './record-batch.ts';
import { setLogAppendTime, splitBatches, validateProducedBlob } from './record-set.ts';
import { readVarint, varintSize, writeVarint } from './varint.ts';

describe('zigzag varints', () => {
  it('round-trip every safe integer, with varintSize matching the bytes written', () => {
    // `|| 0`: Math.trunc(-1 / 2) is -0, which has no varint of its own (it is written as 0).
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.maxSafeInteger().map((n) => Math.trunc(n / 2) || 0)), (n) => {
        const buf = Buffer.alloc(10);
        const end = writeVarint(buf, 0, n);
        expect(end).toBe(varintSize(n));
        expect(readVarint(buf, 0, end, 'x')).toEqual([n, end]);
      }),
      { numRuns: 500 },
    );
  });

  it('uses Kafka zigzag bytes for known values', () => {
    const enc = (n: number) => {
      const b = Buffer.alloc(10);
      return b.subarray(0, writeVarint(b, 0, n)).toString('hex');
    };
    expect([0, -1, 1, -2, 63, -64, 64, 300].map(enc)).toEqual(['00', '01', '02', '03', '7e', '7f', '8001', 'd804']);
  });

  it('fails on a varint cut short', () => {
    expect(() => readVarint(Buffer.from([0x80, 0x80]), 0, 2, 'x')).toThrow(DecodeError);
  });
});

describe('produced-blob checks under random damage', () => {
  const batches = [0, 1, 2].map((i) => encodeRecordBatch({ baseOffset: BigInt(i), records: [{ key: `k${i}`, value: `value-${i}`.repeat(i + 1), headers: [{ key: 'h', value: 'v' }] }] }));
  const blob = Buffer.concat(batches);

  it('refuses any single-byte change inside a CRC-covered range', () => {
    const covered: number[] = [];
    let pos = 0;
    for (const b of batches) {
      for (let i = BatchHeader.ATTRIBUTES; i < b.length; i++) covered.push(pos + i);
      pos += b.length;
    }
    fc.assert(
      fc.property(fc.constantFrom(...covered), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const damaged = Buffer.from(blob);
        damaged[at] = damaged[at]! ^ xor;
        expect(validateProducedBlob(damaged, 1 << 20).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('splits any prefix of a blob into whole batches plus the partial rest', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: blob.length }), (cut) => {
        const { batches: spans, partialBytes } = splitBatches(blob.subarray(0, cut));
        expect(spans.reduce((n, s) => n + s.size, 0) + partialBytes).toBe(cut);
        expect(spans.length).toBe(batches.filter((_, i) => batches.slice(0, i + 1).reduce((n, b) => n + b.length, 0) <= cut).length);
        if (cut < blob.length) expect(validateProducedBlob(blob.subarray(0, cut), 1 << 20).ok).toBe(cut > 0 && spans.length > 0 && partialBytes === 0);
      }),
      { numRuns: 200 },
    );
  });
});

describe('record timestamps', () => {
  it('are base + delta under create time and the append time under log-append time', () => {
    const batch = encodeRecordBatch({ baseTimestamp: 1000, records: [{ value: 'a', timestamp: 1000 }, { value: 'b', timestamp: 1025 }] });
    const created = decodeRecordBatch(batch);
    expect(created.records.map((r) => recordTimestamp(created, r))).toEqual([1000n, 1025n]);
    setLogAppendTime(batch, 5000n);
    const appended = decodeRecordBatch(batch);
    expect(appended.records.map((r) => recordTimestamp(appended, r))).toEqual([5000n, 5000n]);
  });
});
