import { describe, expect, it } from 'vitest';
import { decodeRecordBatch, decodeRecordBatchLazy, decodeRecords, decodeRecordViews, encodeRecordBatch, DecodeError, BatchHeader, walkRecordBatch, walkRecords, Compression } from '../index.ts';

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

  it('walkRecords visits each record with the fields a view has, and walkRecordBatch does so through compression', () => {
    const seen: number[][] = [];
    const visit = (...fields: number[]) => void seen.push(fields);
    walkRecords(batch.subarray(BatchHeader.SIZE), 3, visit);
    const views = decodeRecordBatchLazy(batch).records;
    const asFields = seen.map(([i, a, t, o, ko, kl, vo, vl, , hc]) => ({ i, a, t, o, ko, kl, vo, vl, hc }));
    expect(asFields).toEqual(views.map((v, i) => ({ i, a: v.attributes, t: v.timestampDelta, o: v.offsetDelta, ko: v.keyOffset, kl: v.keyLength, vo: v.valueOffset, vl: v.valueLength, hc: v.headerCount })));
    const lz4 = encodeRecordBatch({ compression: Compression.lz4, records: [{ value: 'a' }, { value: 'bb', timestamp: 5 }] });
    const deltas: number[] = [];
    const header = walkRecordBatch(lz4, {}, (i, _a, _t, _o, _ko, _kl, _vo, valueLength) => void deltas.push(i, valueLength));
    expect(deltas).toEqual([0, 1, 1, 2]);
    expect(header.recordsCount).toBe(2);
  });

  it('walkRecords refuses a lying count before visiting, and a lying length after the records before it', () => {
    const body = Buffer.from(batch.subarray(BatchHeader.SIZE));
    const visited: number[] = [];
    expect(() => walkRecords(body, 1_000_000, (i) => void visited.push(i))).toThrow(DecodeError);
    expect(visited).toEqual([]);
    expect(() => walkRecords(body, 2, (i) => void visited.push(i))).toThrow(/bytes left after 2 records/);
    expect(visited).toEqual([0, 1]);
  });
});
