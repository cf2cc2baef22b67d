import { describe, expect, it } from 'vitest';
import { decodeFetchResponse, encodeFetchResponse } from '../generated/index.ts';
import { EncodeError } from './decode-error.ts';
import { Reader } from './reader.ts';
import { Writer } from './writer.ts';

describe('Writer', () => {
  it('references large external buffers as their own chunk instead of copying them', () => {
    const records = Buffer.alloc(4096, 7);
    const w = encodeFetchResponse({ responses: [{ topic: 't', partitions: [{ partitionIndex: 0, records }] }] }, 11);
    const chunks = w.chunks();
    expect(chunks.some((c) => c === records)).toBe(true);
    const decoded = decodeFetchResponse(w.toBuffer(), 11);
    expect(decoded.responses[0]!.partitions[0]!.records).toEqual(records);
  });

  it('copies small byte fields inline (one chunk)', () => {
    const w = new Writer();
    w.int32(1);
    w.raw(Buffer.alloc(16, 1));
    w.int16(2);
    expect(w.chunks()).toHaveLength(1);
    expect(w.toBuffer()).toEqual(Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.alloc(16, 1), Buffer.from([0, 2])]));
  });

  it('reset() writes the next message into the same memory once it has grown', () => {
    const w = new Writer(16);
    for (let i = 0; i < 100; i++) w.int64(BigInt(i));
    const first = w.toBuffer();
    expect(first.length).toBe(800);
    w.reset();
    expect(w.length).toBe(0);
    w.int32(42);
    const second = w.toBuffer();
    expect(second).toEqual(Buffer.from([0, 0, 0, 42]));
    expect(second.buffer).toBe(first.buffer);
    expect(second.byteOffset).toBe(first.byteOffset);
  });

  it('reset() drops external chunks of the previous message', () => {
    const w = new Writer();
    w.raw(Buffer.alloc(2048, 3));
    w.reset();
    w.int8(5);
    expect(w.chunks()).toEqual([Buffer.from([5])]);
    expect(w.length).toBe(1);
  });

  it('writes int64 byte-identical to Buffer.writeBigInt64BE, inside and outside the safe-integer range', () => {
    const values = [0n, 1n, -1n, 255n, -256n, 2n ** 31n, -(2n ** 31n) - 1n, 2n ** 32n, 2n ** 53n - 1n, -(2n ** 53n) + 1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n), 1763860000000n];
    for (const v of values) {
      const w = new Writer();
      w.int64(v);
      const expected = Buffer.alloc(8);
      expected.writeBigInt64BE(v);
      expect(w.toBuffer(), String(v)).toEqual(expected);
      expect(new Reader(w.toBuffer()).int64()).toBe(v);
    }
  });

  it('writes int8/int16/uint16/int32/uint32 at their limits and rejects values outside them with an EncodeError', () => {
    const w = new Writer();
    w.int8(-128); w.int8(127); w.int16(-32768); w.int16(32767); w.uint16(65535);
    w.int32(-2147483648); w.int32(2147483647); w.uint32(4294967295);
    w.int32s([-1, 0, 2147483647]);
    const r = new Reader(w.toBuffer());
    expect([r.int8(), r.int8(), r.int16(), r.int16(), r.uint16(), r.int32(), r.int32(), r.uint32()]).toEqual([-128, 127, -32768, 32767, 65535, -2147483648, 2147483647, 4294967295]);
    expect(r.int32s(3)).toEqual([-1, 0, 2147483647]);
    const bad: [string, () => void][] = [
      ['int8', () => w.int8(128)], ['int16', () => w.int16(-32769)], ['uint16', () => w.uint16(-1)],
      ['int32', () => w.int32(2147483648)], ['int32', () => w.int32(1.5)], ['uint32', () => w.uint32(2 ** 32)],
      ['int32', () => w.int32s([1, 2 ** 40])], ['int64', () => w.int64(2n ** 63n)], ['int64', () => w.int64(5 as unknown as bigint)],
    ];
    for (const [type, fn] of bad) {
      expect(fn, type).toThrow(EncodeError);
      expect(fn, type).toThrow(/int64 must be a bigint|is not a valid/);
    }
  });
});

describe('Reader integers', () => {
  it('read what Buffer writes, at every limit and across the 53-bit boundary', () => {
    const i64 = [0n, -1n, 1n, 2n ** 53n - 1n, -(2n ** 53n), 2n ** 53n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n), 0x1fffff_ffffffffn, -0x200000_00000000n, 0x200000_00000000n, -0x200000_00000001n];
    const b = Buffer.alloc(1 + 1 + 2 + 2 + 2 + 4 + 4 + 4 + 8 * i64.length);
    let o = b.writeInt8(-128, 0);
    o = b.writeInt8(127, o);
    o = b.writeInt16BE(-32768, o);
    o = b.writeInt16BE(32767, o);
    o = b.writeUInt16BE(65535, o);
    o = b.writeInt32BE(-2147483648, o);
    o = b.writeInt32BE(2147483647, o);
    o = b.writeUInt32BE(4294967295, o);
    for (const v of i64) o = b.writeBigInt64BE(v, o);
    const r = new Reader(b);
    expect([r.int8(), r.int8(), r.int16(), r.int16(), r.uint16(), r.int32(), r.int32(), r.uint32()]).toEqual([-128, 127, -32768, 32767, 65535, -2147483648, 2147483647, 4294967295]);
    for (const v of i64) expect(r.int64()).toBe(v);
    expect(r.remaining).toBe(0);
  });
});
