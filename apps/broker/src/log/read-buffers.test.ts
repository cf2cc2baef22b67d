import { describe, expect, it } from 'vitest';
import { ReadBufferPool } from './read-buffers.ts';

describe('ReadBufferPool', () => {
  it('lends a buffer of the asked length and takes it back only after give-back, once', () => {
    const pool = new ReadBufferPool(1 << 20, 2);
    const a = pool.take(100_000)!;
    expect(a.length).toBe(100_000);
    // Lent and not given back: a second take is another buffer, never the same memory.
    const b = pool.take(200_000)!;
    expect(b.buffer).not.toBe(a.buffer);
    // An answer's chunks: slices of the lent buffers and an unrelated one; each store named once.
    const lent = pool.lentIn([a.subarray(0, 10), Buffer.from('header'), a.subarray(10), b]);
    expect(lent).toEqual([a.buffer, b.buffer]);
    pool.giveBack(lent);
    expect(pool.idle).toBe(2);
    // Given back twice (or a store it never lent): ignored, so no buffer is ever lent twice at once.
    pool.giveBack(lent);
    pool.giveBack([Buffer.allocUnsafeSlow(1 << 20).buffer]);
    expect(pool.idle).toBe(2);
    const c = pool.take(70_000)!;
    const d = pool.take(70_000)!;
    expect([c.buffer, d.buffer].sort()).toEqual([a.buffer, b.buffer].sort());
    expect(pool.lentIn([c, d])).toHaveLength(2);
  });

  it('does not pool reads below 64 KiB or above its size, and keeps at most maxFree idle', () => {
    const pool = new ReadBufferPool(1 << 20, 1);
    expect(pool.take(1000)).toBeNull();
    expect(pool.take((1 << 20) + 1)).toBeNull();
    const stores = [pool.take(1 << 16)!, pool.take(1 << 20)!].map((x) => x.buffer);
    pool.giveBack(stores);
    expect(pool.idle).toBe(1);
  });
});
