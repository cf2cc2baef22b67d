import { EncodeError } from './decode-error.ts';

/** Buffers at least this large are referenced as their own chunk instead of being copied. */
const EXTERNAL_CHUNK_MIN = 1024;

/**
 * A growable output buffer. Large byte fields (record batches) are not copied: they become separate
 * chunks, so a Fetch response can carry file-backed bytes and a Produce request can carry a client's
 * batch as-is; `chunks()` hands the list to `socket.writev`-style writers, `toBuffer()` joins them.
 */
export class Writer {
  #buf: Buffer;
  #pos = 0;
  /** Start of the part of #buf not yet emitted as a chunk. */
  #mark = 0;
  readonly #chunks: Buffer[] = [];
  #chunkBytes = 0;

  constructor(initialSize = 256) {
    this.#buf = Buffer.allocUnsafe(initialSize);
  }

  /**
   * Starts a new message in the same memory, so a long-lived Writer (one per connection) touches its
   * buffer once instead of allocating per message. Chunks handed out earlier are overwritten by
   * what is written next: reset only after they have been written out or copied.
   */
  reset(): void {
    this.#pos = 0;
    this.#mark = 0;
    this.#chunks.length = 0;
    this.#chunkBytes = 0;
  }

  /** Total bytes written so far. */
  get length(): number {
    return this.#chunkBytes + (this.#pos - this.#mark);
  }

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    // Earlier chunks may reference the old buffer; keep it alive by leaving them as they are.
    const pending = this.#buf.subarray(this.#mark, this.#pos);
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, pending.length + n + 256));
    pending.copy(next, 0);
    this.#buf = next;
    this.#pos = pending.length;
    this.#mark = 0;
  }

  // Integers are stored byte by byte after a cheap integer check: Buffer's write*BE range checks
  // and writeBigInt64BE dominated the profile of structure-heavy messages.
  int8(v: number): void {
    if ((v << 24) >> 24 !== v) outOfRange('int8', v);
    this.#ensure(1);
    this.#buf[this.#pos++] = v;
  }
  bool(v: boolean): void {
    this.int8(v ? 1 : 0);
  }
  int16(v: number): void {
    if ((v << 16) >> 16 !== v) outOfRange('int16', v);
    this.#put16(v);
  }
  uint16(v: number): void {
    if ((v & 0xffff) !== v) outOfRange('uint16', v);
    this.#put16(v);
  }
  int32(v: number): void {
    if ((v | 0) !== v) outOfRange('int32', v);
    this.#ensure(4);
    this.#put32(v);
  }
  uint32(v: number): void {
    if (v >>> 0 !== v) outOfRange('uint32', v);
    this.#ensure(4);
    this.#put32(v);
  }
  /** An int32 array's elements (replica lists, partition indexes) in one bounds check. */
  int32s(values: readonly number[]): void {
    this.#ensure(4 * values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if ((v | 0) !== v) outOfRange('int32', v);
      this.#put32(v);
    }
  }
  int64(v: bigint): void {
    if (typeof v !== 'bigint') throw new EncodeError('invalid-value', `int64 must be a bigint, got ${typeof v}`);
    this.#ensure(8);
    const n = Number(v);
    if (n >= -Number.MAX_SAFE_INTEGER && n <= Number.MAX_SAFE_INTEGER) {
      // Exact in a double: split without BigInt arithmetic (offsets and timestamps all land here).
      const hi = Math.floor(n / 0x100000000);
      this.#put32(hi);
      this.#put32(n - hi * 0x100000000);
      return;
    }
    if (v < -0x8000000000000000n || v > 0x7fffffffffffffffn) outOfRange('int64', v);
    this.#buf.writeBigInt64BE(v, this.#pos);
    this.#pos += 8;
  }
  #put16(v: number): void {
    this.#ensure(2);
    const b = this.#buf;
    const p = this.#pos;
    b[p] = v >>> 8;
    b[p + 1] = v;
    this.#pos = p + 2;
  }
  /** Stores the low 32 bits of `v` big-endian; the caller has ensured 4 bytes. */
  #put32(v: number): void {
    const b = this.#buf;
    const p = this.#pos;
    b[p] = v >>> 24;
    b[p + 1] = v >>> 16;
    b[p + 2] = v >>> 8;
    b[p + 3] = v;
    this.#pos = p + 4;
  }
  float64(v: number): void {
    this.#ensure(8);
    this.#buf.writeDoubleBE(v, this.#pos);
    this.#pos += 8;
  }
  uuid(v: string): void {
    const hex = v.replace(/-/g, '');
    if (hex.length !== 32 || !/^[0-9a-fA-F]+$/.test(hex)) throw new EncodeError('invalid-value', `not a UUID: ${v}`);
    this.#ensure(16);
    this.#buf.write(hex, this.#pos, 'hex');
    this.#pos += 16;
  }
  uvarint(v: number): void {
    this.#ensure(5);
    let x = v >>> 0;
    while (x >= 0x80) {
      this.#buf[this.#pos++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    this.#buf[this.#pos++] = x;
  }
  varint(v: number): void {
    this.uvarint((v << 1) ^ (v >> 31));
  }
  varlong(v: bigint): void {
    let x = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    this.#ensure(10);
    while (x >= 0x80n) {
      this.#buf[this.#pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.#buf[this.#pos++] = Number(x);
  }

  #utf8(v: string, len: number): void {
    this.#ensure(len);
    this.#buf.write(v, this.#pos, len, 'utf8');
    this.#pos += len;
  }
  string(v: string): void {
    const len = Buffer.byteLength(v);
    this.int16(len);
    this.#utf8(v, len);
  }
  nullableString(v: string | null): void {
    if (v === null) return this.int16(-1);
    this.string(v);
  }
  compactString(v: string): void {
    const len = Buffer.byteLength(v);
    this.uvarint(len + 1);
    this.#utf8(v, len);
  }
  compactNullableString(v: string | null): void {
    if (v === null) return this.uvarint(0);
    this.compactString(v);
  }
  bytes(v: Uint8Array): void {
    this.int32(v.length);
    this.raw(v);
  }
  nullableBytes(v: Uint8Array | null): void {
    if (v === null) return this.int32(-1);
    this.bytes(v);
  }
  compactBytes(v: Uint8Array): void {
    this.uvarint(v.length + 1);
    this.raw(v);
  }
  compactNullableBytes(v: Uint8Array | null): void {
    if (v === null) return this.uvarint(0);
    this.compactBytes(v);
  }
  /** Records may arrive as several buffers (e.g. batches read from several segment ranges). */
  records(v: Buffer | Buffer[] | null, compact: boolean): void {
    if (v === null) return compact ? this.uvarint(0) : this.int32(-1);
    const parts = Array.isArray(v) ? v : [v];
    const len = parts.reduce((n, p) => n + p.length, 0);
    if (compact) this.uvarint(len + 1);
    else this.int32(len);
    for (const p of parts) this.raw(p);
  }
  arrayLength(n: number | null, compact: boolean): void {
    if (n === null) return compact ? this.uvarint(0) : this.int32(-1);
    if (compact) this.uvarint(n + 1);
    else this.int32(n);
  }

  raw(v: Uint8Array): void {
    if (v.length >= EXTERNAL_CHUNK_MIN) {
      this.#flushPending();
      const chunk = Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.length);
      this.#chunks.push(chunk);
      this.#chunkBytes += chunk.length;
      return;
    }
    this.#ensure(v.length);
    this.#buf.set(v, this.#pos);
    this.#pos += v.length;
  }

  #flushPending(): void {
    if (this.#pos === this.#mark) return;
    const chunk = this.#buf.subarray(this.#mark, this.#pos);
    this.#chunks.push(chunk);
    this.#chunkBytes += chunk.length;
    this.#mark = this.#pos;
  }

  /** The output as a list of buffers; large external buffers are referenced, not copied. */
  chunks(): Buffer[] {
    this.#flushPending();
    return this.#chunks.slice();
  }

  toBuffer(): Buffer {
    const chunks = this.chunks();
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#chunkBytes);
  }
}

function outOfRange(type: string, v: number | bigint): never {
  throw new EncodeError('invalid-value', `${String(v)} is not a valid ${type}`);
}
