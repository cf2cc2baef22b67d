import { DecodeError } from './decode-error.ts';

const UUID_HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * A bounds-checked cursor over a received buffer. Every length the peer claims is checked against the
 * bytes actually present before anything is allocated, so a hostile length costs nothing.
 * `field` names the field being read; array and struct readers turn it into a path on error.
 */
export class Reader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;
  field = '';

  constructor(buf: Buffer, offset = 0, end = buf.length) {
    this.buf = buf;
    this.pos = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  fail(code: DecodeError['code'], detail: string): never {
    throw new DecodeError(code, detail, this.pos, this.field ? [this.field] : []);
  }

  #need(n: number): void {
    if (this.end - this.pos < n) this.fail('truncated', `needs ${n} bytes, ${this.end - this.pos} left`);
  }

  // Fixed-size integers are assembled from bytes after one bounds check: Buffer's read*BE helpers
  // check again, and readBigInt64BE builds two BigInts per value.
  int8(): number {
    this.#need(1);
    return (this.buf[this.pos++]! << 24) >> 24;
  }
  bool(): boolean {
    return this.int8() !== 0;
  }
  int16(): number {
    this.#need(2);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return ((b[p]! << 24) | (b[p + 1]! << 16)) >> 16;
  }
  uint16(): number {
    this.#need(2);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return (b[p]! << 8) | b[p + 1]!;
  }
  int32(): number {
    this.#need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
  }
  uint32(): number {
    return this.int32() >>> 0;
  }
  int64(): bigint {
    const hi = this.int32();
    const lo = this.int32() >>> 0;
    // Offsets, timestamps and -1 sentinels fit in 53 bits: one BigInt from an exact double.
    if (hi >= -0x200000 && hi < 0x200000) return BigInt(hi * 0x100000000 + lo);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }
  float64(): number {
    this.#need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }
  uuid(): string {
    this.#need(16);
    const b = this.buf;
    const p = this.pos;
    this.pos += 16;
    let s = '';
    for (let i = 0; i < 16; i++) {
      s += UUID_HEX[b[p + i]!];
      if (i === 3 || i === 5 || i === 7 || i === 9) s += '-';
    }
    return s;
  }

  /** Unsigned LEB128, at most 5 bytes (Kafka's unsigned varint is 32-bit). */
  uvarint(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      this.#need(1);
      const byte = this.buf[this.pos++]!;
      if (shift === 28 && byte > 0x0f) this.fail('invalid-varint', 'unsigned varint overflows 32 bits');
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result >>> 0;
    }
    return this.fail('invalid-varint', 'unsigned varint longer than 5 bytes');
  }
  varint(): number {
    const raw = this.uvarint();
    return (raw >>> 1) ^ -(raw & 1);
  }
  /** Zigzag varint up to 10 bytes, as used inside records. */
  varlong(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      this.#need(1);
      const byte = this.buf[this.pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return (result >> 1n) ^ -(result & 1n);
    }
    return this.fail('invalid-varint', 'varlong longer than 10 bytes');
  }

  #slice(len: number): Buffer {
    if (len > this.end - this.pos) this.fail('length-exceeds-buffer', `claims ${len} bytes, ${this.end - this.pos} left`);
    const s = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
  #utf8(len: number): string {
    if (len > this.end - this.pos) this.fail('length-exceeds-buffer', `claims ${len} bytes, ${this.end - this.pos} left`);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  string(): string {
    const len = this.int16();
    if (len < 0) this.fail('negative-length', `non-nullable string has length ${len}`);
    return this.#utf8(len);
  }
  nullableString(): string | null {
    const len = this.int16();
    if (len === -1) return null;
    if (len < 0) this.fail('negative-length', `string has length ${len}`);
    return this.#utf8(len);
  }
  compactString(): string {
    const len = this.uvarint() - 1;
    if (len < 0) this.fail('negative-length', 'non-nullable compact string is null');
    return this.#utf8(len);
  }
  compactNullableString(): string | null {
    const len = this.uvarint() - 1;
    return len < 0 ? null : this.#utf8(len);
  }
  bytes(): Buffer {
    const len = this.int32();
    if (len < 0) this.fail('negative-length', `non-nullable bytes have length ${len}`);
    return this.#slice(len);
  }
  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len === -1) return null;
    if (len < 0) this.fail('negative-length', `bytes have length ${len}`);
    return this.#slice(len);
  }
  compactBytes(): Buffer {
    const len = this.uvarint() - 1;
    if (len < 0) this.fail('negative-length', 'non-nullable compact bytes are null');
    return this.#slice(len);
  }
  compactNullableBytes(): Buffer | null {
    const len = this.uvarint() - 1;
    return len < 0 ? null : this.#slice(len);
  }
  /** Raw bytes of a known length (tagged-field payloads). */
  raw(len: number): Buffer {
    return this.#slice(len);
  }

  /**
   * Array length: -1 is null. Each element needs at least `minElementSize` bytes, so a count that the
   * remaining bytes cannot hold fails before any allocation.
   */
  arrayLength(compact: boolean, nullable: boolean, minElementSize: number): number | null {
    const n = compact ? this.uvarint() - 1 : this.int32();
    if (n < 0) {
      if (nullable && n === -1) return null;
      this.fail('negative-length', `array has length ${n}`);
    }
    if (n * minElementSize > this.end - this.pos) this.fail('length-exceeds-buffer', `array claims ${n} elements, ${this.end - this.pos} bytes left`);
    return n;
  }

  /** An int32 array's elements; `arrayLength` has already checked that 4 × count bytes are present. */
  int32s(count: number): number[] {
    this.#need(4 * count);
    const b = this.buf;
    let p = this.pos;
    const out: number[] = new Array(count);
    for (let i = 0; i < count; i++, p += 4) out[i] = (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
    this.pos = p;
    return out;
  }

  /** Reads `count` elements, turning an element's error path into `field[i].…`. */
  elements<T>(count: number, read: (r: Reader) => T): T[] {
    const name = this.field;
    const out: T[] = new Array(count);
    let i = 0;
    try {
      for (; i < count; i++) out[i] = read(this);
    } catch (err) {
      if (err instanceof DecodeError) {
        if (err.path[0] === name) err.path.shift();
        err.path.unshift(`${name}[${i}]`);
      }
      throw err;
    } finally {
      this.field = name;
    }
    return out;
  }

  /** Reads a nested struct, prefixing its field name to an error path. */
  struct<T>(read: (r: Reader) => T): T {
    const name = this.field;
    try {
      return read(this);
    } catch (err) {
      if (err instanceof DecodeError) {
        if (err.path[0] === name) err.path.shift();
        err.path.unshift(name);
      }
      throw err;
    } finally {
      this.field = name;
    }
  }
}
