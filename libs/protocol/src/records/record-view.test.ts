import { describe, expect, it } from 'vitest';
import { decodeRecordBatch, decodeRecordBatchLazy, decodeRecords, decodeRecordViews, encodeRecordBatch, DecodeError, BatchHeader } from '../index.ts';

const batch = encodeRecordBatch({
  baseTimestamp: 1_700_000_000_000,
  records: [
    { key: 'k0', value: 'v0' },
    { key: null, value: null, headers: [{ key: 'h', value: 'x' }, { key: 'empty', value: null }] },
    { key: Buffer.alloc(0), value: Buffer.alloc(300, 7), timestamp: 1_700_000_000_500 },
  ],
});

describe('lazy record views', () => {
  it('read the same fields the eager decoder returns', () => {
    const eager = decodeRecordBatch(batch);
    const lazy = decodeRecordBatchLazy(batch);
    expect(lazy.records.map((r) => r.toRecord())).toEqual(eager.records);
    expect(lazy.records[1]!.key).toBeNull();
    expect(lazy.records[1]!.value).toBeNull();
    expect(lazy.records[1]!.headers).toEqual([{ key: 'h', value: Buffer.from('x') }, { key: 'empty', value: null }]);
    expect(lazy.records[2]!.keyLength).toBe(0);
    expect(lazy.records[2]!.valueLength).toBe(300);
    expect(lazy.records[2]!.timestampDelta).toBe(500);
  });

  it('slice, never copy: a value shares memory with the batch body', () => {
    const body = batch.subarray(BatchHeader.SIZE);
    const [first] = decodeRecordViews(body, 3);
    const value = first!.value!;
    expect(value.buffer).toBe(body.buffer);
    expect(body.subarray(first!.valueOffset, first!.valueOffset + first!.valueLength).toString()).toBe('v0');
  });

  it('validate every length up front, so a lying record fails at decode, not when read', () => {
    const body = Buffer.from(batch.subarray(BatchHeader.SIZE));
    // First record: length varint, attributes, timestampDelta, offsetDelta, then the key length (2 → zigzag 4).
    const keyLengthAt = 4;
    expect(body[keyLengthAt]).toBe(4);
    body[keyLengthAt] = 0x7e; // key claims 63 bytes inside a record of a few
    expect(() => decodeRecordViews(body, 3)).toThrow(DecodeError);
    expect(() => decodeRecords(body, 3)).toThrow(DecodeError);
  });
});
