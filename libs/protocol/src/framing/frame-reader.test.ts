import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../codec/decode-error.ts';
import { FrameReader } from './frame-reader.ts';

function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

describe('FrameReader', () => {
  it('reassembles frames however the stream is split', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        (bodies, cuts) => {
          const stream = Buffer.concat(bodies.map((b) => frame(Buffer.from(b))));
          const reader = new FrameReader(1024);
          const out: Buffer[] = [];
          let pos = 0;
          let i = 0;
          while (pos < stream.length) {
            const n = cuts[i++ % cuts.length]!;
            out.push(...reader.push(stream.subarray(pos, pos + n)).map((f) => Buffer.from(f)));
            pos += n;
          }
          expect(out.map((b) => b.toString('hex'))).toEqual(bodies.map((b) => Buffer.from(b).toString('hex')));
          expect(reader.buffered).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('returns frames packed in one chunk as slices without copying', () => {
    const stream = Buffer.concat([frame(Buffer.from('one')), frame(Buffer.from('two'))]);
    const frames = new FrameReader(100).push(stream);
    expect(frames.map(String)).toEqual(['one', 'two']);
    expect(frames[0]!.buffer).toBe(stream.buffer);
  });

  it('refuses a frame above the maximum before buffering it', () => {
    const reader = new FrameReader(1000);
    const header = Buffer.alloc(4);
    header.writeInt32BE(1001);
    expect(() => reader.push(header)).toThrow(DecodeError);
    expect(reader.buffered).toBe(0);
  });

  it('refuses a negative frame size, also when the prefix arrives split', () => {
    const reader = new FrameReader(1000);
    expect(reader.push(Buffer.from([0xff, 0xff]))).toEqual([]);
    expect(() => reader.push(Buffer.from([0xff, 0xfe]))).toThrow(/frame size -2/);
  });
});
