import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { scanBatches, type ScannedBatch, type ScanResult } from './batch-scanner.ts';
import { SparseIndex } from './sparse-index.ts';

export interface SegmentConfig {
  /** Bytes of log between two index entries (`index.interval.bytes`). */
  indexIntervalBytes: number;
  /** Size limit of each index file (`segment.index.bytes`); a full index rolls the segment. */
  maxIndexBytes: number;
}

/** One batch being appended: where it sits in the write buffer and what it covers. */
export interface AppendedBatch {
  relativePosition: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

export function segmentFileName(baseOffset: number, suffix: '.log' | '.index' | '.timeindex'): string {
  return `${String(baseOffset).padStart(20, '0')}${suffix}`;
}

const HEADER_CHUNK = 8192;

export const SEGMENT_FILE = /^(\d{20})\.log$/;

/**
 * A segment: `<base>.log` of whole v2 batches, with its sparse offset index and time index.
 * Relative offsets are stored as int32, so a segment never spans more than 2^31 offsets (the log
 * rolls before that).
 */
export class LogSegment {
  readonly baseOffset: number;
  readonly dir: string;
  readonly config: SegmentConfig;
  readonly offsetIndex: SparseIndex;
  readonly timeIndex: SparseIndex;
  fd: number;
  size: number;
  /** One past the last offset stored (baseOffset when empty). */
  nextOffset: number;
  maxTimestamp = -1;
  createdAt: number;
  closed = false;
  #bytesSinceIndex = 0;

  private constructor(dir: string, baseOffset: number, config: SegmentConfig) {
    this.dir = dir;
    this.baseOffset = baseOffset;
    this.config = config;
    this.fd = openSync(this.logPath, 'a+');
    const st = fstatSync(this.fd);
    this.size = st.size;
    this.createdAt = st.size === 0 ? Date.now() : st.mtimeMs;
    this.nextOffset = baseOffset;
    this.offsetIndex = new SparseIndex(join(dir, segmentFileName(baseOffset, '.index')), 'offset', config.maxIndexBytes);
    this.timeIndex = new SparseIndex(join(dir, segmentFileName(baseOffset, '.timeindex')), 'time', config.maxIndexBytes);
  }

  get logPath(): string {
    return join(this.dir, segmentFileName(this.baseOffset, '.log'));
  }

  /** A new, empty segment. */
  static create(dir: string, baseOffset: number, config: SegmentConfig): LogSegment {
    const s = new LogSegment(dir, baseOffset, config);
    s.offsetIndex.clear();
    s.timeIndex.clear();
    return s;
  }

  /**
   * Opens an existing segment.
   * - `tail` (clean shutdown): the index files are loaded and only the batches after the last
   *   offset-index entry are walked (to find the log end and max timestamp); `visit` is not called.
   * - `headers` (wholly below the recovery point): indexes loaded, every batch header walked.
   * - `verify`: every batch's length and CRC is checked, a torn or corrupt tail is cut off, and both
   *   indexes are rebuilt.
   * `tail` and `headers` fall back to `verify` when the index files are missing or disagree with
   * the data (`rebuilt` says so). `visit` sees every valid batch walked.
   */
  static open(dir: string, baseOffset: number, config: SegmentConfig, mode: 'tail' | 'headers' | 'verify', visit: (b: ScannedBatch) => void): { segment: LogSegment; truncatedBytes: number; problem: string | null; rebuilt: boolean } {
    const s = new LogSegment(dir, baseOffset, config);
    const loaded = mode !== 'verify' && s.offsetIndex.load((rel, pos) => rel >= 0 && pos >= 0 && pos < s.size) && s.timeIndex.load((_ts, rel) => rel >= 0);
    if (loaded) {
      const last = s.offsetIndex.last;
      // The time index's last key bounds every batch before the last offset-index entry (both are
      // written at the same points) unless it filled up first.
      const tail = mode === 'tail' && last !== null && !s.timeIndex.isFull;
      if (tail) {
        s.nextOffset = baseOffset + last.key;
        s.maxTimestamp = s.timeIndex.lastKey;
      }
      const result = s.#walk(tail ? last.value : 0, false, tail ? () => {} : visit);
      if (result.problem === null && result.end === s.size) {
        s.#bytesSinceIndex = config.indexIntervalBytes;
        return { segment: s, truncatedBytes: 0, problem: null, rebuilt: false };
      }
    }
    // Indexes not trusted (or inconsistent with the data): validate and rebuild.
    s.offsetIndex.clear();
    s.timeIndex.clear();
    s.maxTimestamp = -1;
    s.nextOffset = baseOffset;
    s.#bytesSinceIndex = 0;
    const result = s.#walk(0, true, (b) => {
      s.#index(b.baseOffset, b.lastOffset, b.maxTimestamp, b.position, b.size);
      visit(b);
    });
    const truncatedBytes = s.size - result.end;
    if (truncatedBytes > 0) {
      ftruncateSync(s.fd, result.end);
      fdatasyncSync(s.fd);
      s.size = result.end;
    }
    s.offsetIndex.persist();
    s.timeIndex.persist();
    return { segment: s, truncatedBytes, problem: result.problem, rebuilt: mode !== 'verify' };
  }

  #walk(from: number, verifyCrc: boolean, visit: (b: ScannedBatch) => void): ScanResult {
    let backwards: ScannedBatch | null = null;
    const result = scanBatches(this.fd, from, this.size, verifyCrc, (b) => {
      // Offsets only grow inside a segment; a batch that goes back is not ours (e.g. stale bytes).
      if (b.baseOffset < this.nextOffset || b.lastOffset < b.baseOffset) {
        backwards = b;
        return false;
      }
      this.nextOffset = b.lastOffset + 1;
      if (b.maxTimestamp > this.maxTimestamp) this.maxTimestamp = b.maxTimestamp;
      visit(b);
      return true;
    });
    const bad = backwards as ScannedBatch | null;
    return bad ? { end: bad.position, problem: `offset ${bad.baseOffset} at ${bad.position} goes back` } : result;
  }

  #index(baseOffset: number, lastOffset: number, maxTimestamp: number, position: number, size: number): void {
    if (this.#bytesSinceIndex === 0 || this.#bytesSinceIndex >= this.config.indexIntervalBytes) {
      this.offsetIndex.append(baseOffset - this.baseOffset, position);
      // Keyed by the running max: every batch up to this offset has a timestamp ≤ the key, which
      // is what lets a lookup skip them (batches between index points may carry larger ones).
      const runningMax = Math.max(maxTimestamp, this.maxTimestamp);
      if (runningMax > this.timeIndex.lastKey) this.timeIndex.append(runningMax, lastOffset - this.baseOffset);
      this.#bytesSinceIndex = 0;
    }
    this.#bytesSinceIndex += size;
  }

  get indexFull(): boolean {
    return this.offsetIndex.isFull || this.timeIndex.isFull;
  }

  /**
   * Appends `bytes` (whole batches, offsets already assigned) with as few write calls as the kernel
   * allows (one, normally), then indexes the batches in memory.
   */
  append(bytes: Buffer, batches: readonly AppendedBatch[], sizes: readonly number[]): void {
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written, this.size + written);
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i]!;
      this.#index(b.baseOffset, b.lastOffset, b.maxTimestamp, this.size + b.relativePosition, sizes[i]!);
      if (b.maxTimestamp > this.maxTimestamp) this.maxTimestamp = b.maxTimestamp;
      this.nextOffset = b.lastOffset + 1;
    }
    this.size += bytes.length;
    // Index files are written when the segment rolls or closes, not per append: the active
    // segment's indexes are never trusted after a crash anyway (recovery rebuilds them).
  }

  persistIndexes(): void {
    this.offsetIndex.persist();
    this.timeIndex.persist();
  }

  /**
   * Position of the batch holding `offset` (or the first batch after it), by the offset index and a
   * short header walk; null when the segment has nothing at or after `offset`.
   */
  findBatch(offset: number): ScannedBatch | null {
    const entry = this.offsetIndex.floor(offset - this.baseOffset);
    let found: ScannedBatch | null = null;
    // The index entry is at most index.interval.bytes before the batch: read headers in small chunks.
    scanBatches(
      this.fd,
      entry ? entry.value : 0,
      this.size,
      false,
      (b) => {
        if (b.lastOffset >= offset) {
          found = b;
          return false;
        }
        return true;
      },
      HEADER_CHUNK,
    );
    return found;
  }

  /** The first batch whose max timestamp is ≥ `timestamp`, via the time index. */
  findBatchByTimestamp(timestamp: number): ScannedBatch | null {
    if (this.maxTimestamp < timestamp) return null;
    const entry = this.timeIndex.floor(timestamp - 1);
    const start = entry ? this.findBatch(this.baseOffset + entry.value) : null;
    let found: ScannedBatch | null = null;
    scanBatches(this.fd, start ? start.position : 0, this.size, false, (b) => {
      if (b.maxTimestamp >= timestamp) {
        found = b;
        return false;
      }
      return true;
    });
    return found;
  }

  /** Walks batch headers from `position` to the end of the segment (no CRC check). */
  scan(position: number, visit: (b: ScannedBatch) => boolean, chunk?: number): void {
    scanBatches(this.fd, position, this.size, false, visit, chunk);
  }

  /** Reads `length` bytes at `position` with one pread (into `target` when given). */
  read(position: number, length: number, target?: Buffer): Buffer {
    const buf = target ?? Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = readSync(this.fd, buf, got, length - got, position + got);
      if (n === 0) break;
      got += n;
    }
    return got === length ? buf : buf.subarray(0, got);
  }

  /** Removes every batch at or after `offset` (whole batches: a batch holding `offset` goes too). */
  truncateTo(offset: number): void {
    const first = this.findBatch(offset);
    if (!first) return;
    // As Kafka does: the batch holding `offset` goes whole (replication truncates at batch bounds).
    const cut = first.position;
    if (cut >= this.size) return;
    ftruncateSync(this.fd, cut);
    this.size = cut;
    this.offsetIndex.truncateWhere((_rel, pos) => pos < cut);
    // Rebuild what depends on the surviving batches.
    this.nextOffset = this.baseOffset;
    this.maxTimestamp = -1;
    scanBatches(this.fd, 0, this.size, false, (b) => {
      this.nextOffset = b.lastOffset + 1;
      if (b.maxTimestamp > this.maxTimestamp) this.maxTimestamp = b.maxTimestamp;
      return true;
    });
    this.timeIndex.truncateWhere((ts, rel) => rel + this.baseOffset < this.nextOffset && ts <= this.maxTimestamp);
    this.#bytesSinceIndex = this.config.indexIntervalBytes;
  }

  flush(): void {
    fdatasyncSync(this.fd);
  }

  /**
   * Replaces the segment's data with `cleanedPath` (compaction). Stale indexes are deleted before
   * the rename so that a crash in between leaves missing indexes (rebuilt on open), never wrong ones.
   */
  replaceWith(cleanedPath: string): void {
    closeSync(this.fd);
    this.offsetIndex.clear();
    this.timeIndex.clear();
    renameSync(cleanedPath, this.logPath);
    this.fd = openSync(this.logPath, 'a+');
    this.size = fstatSync(this.fd).size;
    this.nextOffset = this.baseOffset;
    this.maxTimestamp = -1;
    this.#bytesSinceIndex = 0;
    scanBatches(this.fd, 0, this.size, false, (b) => {
      this.#index(b.baseOffset, b.lastOffset, b.maxTimestamp, b.position, b.size);
      this.nextOffset = b.lastOffset + 1;
      if (b.maxTimestamp > this.maxTimestamp) this.maxTimestamp = b.maxTimestamp;
      return true;
    });
    this.offsetIndex.persist();
    this.timeIndex.persist();
  }

  close(): void {
    this.offsetIndex.close();
    this.timeIndex.close();
    closeSync(this.fd);
    this.closed = true;
  }

  delete(): void {
    closeSync(this.fd);
    this.closed = true;
    this.offsetIndex.delete();
    this.timeIndex.delete();
    rmSync(this.logPath, { force: true });
  }
}
