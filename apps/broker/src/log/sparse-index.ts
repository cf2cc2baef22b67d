import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';

/**
 * A segment's sparse index, kept in memory and mirrored to a file in Kafka's layouts:
 * - offset index (`.index`): 8-byte entries, int32 offset relative to the segment base, int32 file position;
 * - time index (`.timeindex`): 12-byte entries, int64 max timestamp so far, int32 relative offset.
 * `key` is the searchable column (relative offset, or timestamp) and `value` the other. Entries are
 * appended with strictly increasing keys. New entries are written to the file in groups (one
 * write per append call, not per batch); the file is only trusted after a clean shutdown and is
 * otherwise rebuilt from the segment, so a partly written index is never read.
 */
export type IndexKind = 'offset' | 'time';

const ENTRY_BYTES: Record<IndexKind, number> = { offset: 8, time: 12 };

export class SparseIndex {
  readonly path: string;
  readonly kind: IndexKind;
  readonly maxEntries: number;
  #keys: number[] = [];
  #values: number[] = [];
  #written = 0;
  #fd: number;

  constructor(path: string, kind: IndexKind, maxIndexBytes: number) {
    this.path = path;
    this.kind = kind;
    this.maxEntries = Math.max(1, Math.floor(maxIndexBytes / ENTRY_BYTES[kind]));
    this.#fd = openSync(path, 'a+');
  }

  get entries(): number {
    return this.#keys.length;
  }
  get isFull(): boolean {
    return this.#keys.length >= this.maxEntries;
  }
  get last(): { key: number; value: number } | null {
    const n = this.#keys.length;
    return n === 0 ? null : { key: this.#keys[n - 1]!, value: this.#values[n - 1]! };
  }
  get lastKey(): number {
    return this.#keys.at(-1) ?? -1;
  }
  get sizeBytes(): number {
    return this.#keys.length * ENTRY_BYTES[this.kind];
  }

  /** Loads the file's entries. Returns false (and stays empty) when the file is not well formed. */
  load(isValid: (key: number, value: number) => boolean): boolean {
    this.#reset();
    if (!existsSync(this.path)) return false;
    const buf = readFileSync(this.path);
    const size = ENTRY_BYTES[this.kind];
    if (buf.length % size !== 0) return false;
    for (let p = 0; p < buf.length; p += size) {
      const key = this.kind === 'offset' ? buf.readInt32BE(p) : Number(buf.readBigInt64BE(p));
      const value = this.kind === 'offset' ? buf.readInt32BE(p + 4) : buf.readInt32BE(p + 8);
      if ((this.#keys.length > 0 && key <= this.lastKey) || !isValid(key, value)) {
        this.clear();
        return false;
      }
      this.#keys.push(key);
      this.#values.push(value);
    }
    this.#written = this.#keys.length;
    return true;
  }

  append(key: number, value: number): void {
    if (key <= this.lastKey || this.isFull) return;
    this.#keys.push(key);
    this.#values.push(value);
  }

  /** Writes entries appended since the last call, in one write. */
  persist(): void {
    const n = this.#keys.length - this.#written;
    if (n <= 0) return;
    const size = ENTRY_BYTES[this.kind];
    const buf = Buffer.allocUnsafe(n * size);
    for (let i = 0; i < n; i++) {
      const key = this.#keys[this.#written + i]!;
      const value = this.#values[this.#written + i]!;
      if (this.kind === 'offset') {
        buf.writeInt32BE(key, i * size);
        buf.writeInt32BE(value, i * size + 4);
      } else {
        buf.writeBigInt64BE(BigInt(key), i * size);
        buf.writeInt32BE(value, i * size + 8);
      }
    }
    writeSync(this.#fd, buf, 0, buf.length, this.#written * size);
    this.#written = this.#keys.length;
  }

  /** The entry with the largest key ≤ `key`, or null when every key is larger. */
  floor(key: number): { key: number; value: number } | null {
    let lo = 0;
    let hi = this.#keys.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.#keys[mid]! <= key) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? null : { key: this.#keys[found]!, value: this.#values[found]! };
  }

  /** Drops entries for which `keep` is false from the first such entry on (entries are ordered). */
  truncateWhere(keep: (key: number, value: number) => boolean): void {
    let n = 0;
    while (n < this.#keys.length && keep(this.#keys[n]!, this.#values[n]!)) n++;
    if (n === this.#keys.length) return;
    this.#keys.length = n;
    this.#values.length = n;
    this.#written = Math.min(this.#written, n);
    ftruncateSync(this.#fd, n * ENTRY_BYTES[this.kind]);
  }

  clear(): void {
    this.#reset();
    ftruncateSync(this.#fd, 0);
  }

  #reset(): void {
    this.#keys = [];
    this.#values = [];
    this.#written = 0;
  }

  close(): void {
    this.persist();
    // The file holds exactly the entries: nothing preallocated to trim.
    ftruncateSync(this.#fd, this.#written * ENTRY_BYTES[this.kind]);
    closeSync(this.#fd);
  }

  delete(): void {
    closeSync(this.#fd);
    rmSync(this.path, { force: true });
  }
}
