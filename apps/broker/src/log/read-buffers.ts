/**
 * Read buffers lent to fetch reads and taken back once the answer that carries them is in the
 * kernel (the socket's write callback), so consumers reading from the page cache reuse a few
 * buffers instead of allocating up to a partition's fetch limit per partition per fetch.
 *
 * Why: Node has no sendfile; a fetch preads into a Buffer and writev()s it. Fresh Buffers of ~1 MiB
 * per partition per fetch are external memory to V8, and on a small heap every few tens of MB of it
 * started a mark-compact: under three librdkafka group consumers the broker ran 39–50 of them and
 * GC was ~30 % of its samples; reusing read buffers took its CPU for the same 900 MB from 2.4–2.9 s
 * to 0.8–1.0 s (bench/README.md, issue 21).
 *
 * Safety: a buffer is lent once and only given back by `giveBack` (after its answer was written);
 * a lent buffer that never reaches a socket (a long poll's discarded pass, a down-converted read, a
 * closed connection) is simply collected by the GC. Only whole buffers this pool made are taken
 * back, and each at most once (the lent set is emptied on give-back).
 */
export class ReadBufferPool {
  /** Reads smaller than this are not worth a pooled buffer of `size`. */
  static readonly MIN_POOLED = 64 * 1024;
  readonly size: number;
  readonly maxFree: number;
  readonly #free: Buffer[] = [];
  /** The backing stores lent out and not yet given back (weak: lost ones cost nothing). */
  readonly #lent = new WeakSet<ArrayBufferLike>();

  /** `size`: one buffer's bytes (a fetch partition's usual limit); `maxFree`: how many are kept idle at most. */
  constructor(size = 1 << 20, maxFree = 16) {
    this.size = size;
    this.maxFree = maxFree;
  }

  /** A buffer of exactly `n` bytes to read into, lent from the pool; null when `n` is not pooled (allocate instead). */
  take(n: number): Buffer | null {
    if (n < ReadBufferPool.MIN_POOLED || n > this.size) return null;
    const whole = this.#free.pop() ?? Buffer.allocUnsafeSlow(this.size);
    this.#lent.add(whole.buffer);
    return whole.subarray(0, n);
  }

  /** The lent backing stores among `chunks` (an answer about to be written), each once; empty when none. */
  lentIn(chunks: readonly Buffer[]): ArrayBufferLike[] {
    const found: ArrayBufferLike[] = [];
    for (const c of chunks) if (this.#lent.has(c.buffer) && !found.includes(c.buffer)) found.push(c.buffer);
    return found;
  }

  /** Takes back buffers whose answer has been written; anything not lent by this pool, or given back already, is ignored. */
  giveBack(stores: readonly ArrayBufferLike[]): void {
    for (const store of stores) {
      if (!this.#lent.delete(store)) continue;
      if (this.#free.length < this.maxFree) this.#free.push(Buffer.from(store as ArrayBuffer, 0, this.size));
    }
  }

  /** Buffers idle in the pool (for tests and metrics). */
  get idle(): number {
    return this.#free.length;
  }
}
