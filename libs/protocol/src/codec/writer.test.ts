import { describe, expect, it } from 'vitest';
import { decodeFetchResponse, encodeFetchResponse } from '../generated/index.ts';
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
});
