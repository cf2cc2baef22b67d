import { closeSync, existsSync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { assignBatchOffsets, BatchHeader, ErrorCode, isBatchCrcValid, readBatchHeader, type BatchSpan } from '@tributary/protocol';
import { lastSequence, ProducerStateTable, type SequenceCheck } from './producer-state.ts';

/** One record batch as the log knows it: where it is and what it covers. */
interface BatchEntry {
  baseOffset: number;
  lastOffset: number;
  position: number;
  size: number;
  maxTimestamp: number;
}

interface Segment {
  baseOffset: number;
  path: string;
  fd: number;
  size: number;
  createdAt: number;
  batches: BatchEntry[];
}

export interface LogOptions {
  segmentBytes: number;
  segmentMs: number;
  /** fdatasync after this many appended records (1 = before every acknowledgement). */
  flushIntervalMessages: number;
}

export interface AppendResult {
  baseOffset: bigint;
  logAppendTime: bigint;
  logStartOffset: bigint;
}

export interface ReadResult {
  records: Buffer;
  highWatermark: bigint;
  logStartOffset: bigint;
}

const SEGMENT_NAME = /^(\d{20})\.log$/;

/**
 * A partition's log: segment files of v2 record batches exactly as clients sent them, offsets
 * assigned. The batch index lives in memory and is rebuilt by scanning the segments on open, which
 * is also crash recovery: the first batch with a bad length or CRC marks a torn tail, cut off there.
 * Offsets are JavaScript numbers (exact to 2^53, far beyond any partition's lifetime).
 */
export class PartitionLog {
  readonly dir: string;
  readonly #options: LogOptions;
  readonly #segments: Segment[] = [];
  #logStartOffset = 0;
  #nextOffset = 0;
  #unflushedRecords = 0;
  readonly #producers = new ProducerStateTable();

  constructor(dir: string, options: LogOptions) {
    this.dir = dir;
    this.#options = options;
    mkdirSync(dir, { recursive: true });
    const names = readdirSync(dir).filter((n) => SEGMENT_NAME.test(n)).sort();
    let truncated = false;
    for (const name of names) {
      const path = join(dir, name);
      if (truncated) {
        rmSync(path, { force: true });
        continue;
      }
      const segment = this.#openSegment(Number(SEGMENT_NAME.exec(name)![1]), path);
      truncated = this.#recover(segment);
      this.#segments.push(segment);
    }
    if (this.#segments.length === 0) this.#segments.push(this.#openSegment(0, join(dir, segmentName(0))));
    const last = this.#active.batches.at(-1);
    this.#nextOffset = last ? last.lastOffset + 1 : this.#active.baseOffset;
    const checkpoint = join(dir, 'log-start-offset');
    const deletedBefore = existsSync(checkpoint) ? Number(readFileSync(checkpoint, 'utf8')) : 0;
    this.#logStartOffset = Math.min(Math.max(this.#segments[0]!.batches[0]?.baseOffset ?? this.#segments[0]!.baseOffset, deletedBefore), this.#nextOffset);
  }

  get logStartOffset(): number {
    return this.#logStartOffset;
  }
  /** The next offset to be assigned (log end offset). On a single broker it is also the high watermark. */
  get logEndOffset(): number {
    return this.#nextOffset;
  }
  get sizeBytes(): number {
    return this.#segments.reduce((n, s) => n + s.size, 0);
  }
  get #active(): Segment {
    return this.#segments.at(-1)!;
  }

  #openSegment(baseOffset: number, path: string): Segment {
    const fd = openSync(path, 'a+');
    const st = statSync(path);
    return { baseOffset, path, fd, size: st.size, createdAt: st.birthtimeMs || st.mtimeMs, batches: [] };
  }

  /** Scans a segment, rebuilding its index; cuts a torn or corrupt tail. Returns true if it cut. */
  #recover(segment: Segment): boolean {
    const header = Buffer.allocUnsafe(BatchHeader.SIZE);
    let pos = 0;
    while (pos < segment.size) {
      const valid = (() => {
        if (segment.size - pos < BatchHeader.SIZE) return null;
        readSync(segment.fd, header, 0, BatchHeader.SIZE, pos);
        const size = header.readInt32BE(BatchHeader.BATCH_LENGTH) + BatchHeader.LOG_OVERHEAD;
        if (header.readInt8(BatchHeader.MAGIC) !== 2 || size < BatchHeader.SIZE || pos + size > segment.size) return null;
        const batch = Buffer.allocUnsafe(size);
        readSync(segment.fd, batch, 0, size, pos);
        return isBatchCrcValid(batch) ? { size, h: readBatchHeader(batch) } : null;
      })();
      if (!valid) {
        ftruncateSync(segment.fd, pos);
        segment.size = pos;
        return true;
      }
      const base = Number(valid.h.baseOffset);
      this.#producers.record(valid.h.producerId, valid.h.producerEpoch, valid.h.baseSequence, lastSequence(valid.h.baseSequence, valid.h.lastOffsetDelta), base);
      segment.batches.push({ baseOffset: base, lastOffset: base + valid.h.lastOffsetDelta, position: pos, size: valid.size, maxTimestamp: Number(valid.h.maxTimestamp) });
      pos += valid.size;
    }
    return false;
  }

  /**
   * Idempotence check of the batches of one produce blob, before anything is written: all append,
   * or the blob is a retry of batches already written, or it is refused whole.
   */
  checkSequences(spans: BatchSpan[]): SequenceCheck {
    let duplicateOffset: number | null = null;
    for (const span of spans) {
      const h = span.header;
      const result = this.#producers.check(h.producerId, h.producerEpoch, h.baseSequence, lastSequence(h.baseSequence, h.lastOffsetDelta));
      if (result.kind === 'error') return result;
      if (result.kind === 'duplicate') duplicateOffset ??= result.baseOffset;
      else if (duplicateOffset !== null) return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: 'a retried batch is followed by a new one in the same request' };
    }
    return duplicateOffset === null ? { kind: 'append' } : { kind: 'duplicate', baseOffset: duplicateOffset };
  }

  /**
   * Appends validated batches (the spans of `blob` that validateProducedBlob returned), assigning
   * offsets in place. The blob must be owned by the caller (it is modified).
   */
  append(blob: Buffer, spans: BatchSpan[], leaderEpoch: number): AppendResult {
    this.#maybeRoll();
    const seg = this.#active;
    const base = this.#nextOffset;
    let records = 0;
    for (const span of spans) {
      const batch = blob.subarray(span.position, span.position + span.size);
      assignBatchOffsets(batch, BigInt(this.#nextOffset), leaderEpoch);
      seg.batches.push({ baseOffset: this.#nextOffset, lastOffset: this.#nextOffset + span.header.lastOffsetDelta, position: seg.size + span.position - spans[0]!.position, size: span.size, maxTimestamp: Number(span.header.maxTimestamp) });
      const h = span.header;
      this.#producers.record(h.producerId, h.producerEpoch, h.baseSequence, lastSequence(h.baseSequence, h.lastOffsetDelta), this.#nextOffset);
      this.#nextOffset += span.header.lastOffsetDelta + 1;
      records += span.header.recordsCount;
    }
    const first = spans[0]!.position;
    const last = spans.at(-1)!;
    const bytes = blob.subarray(first, last.position + last.size);
    let written = 0;
    while (written < bytes.length) written += writeSync(seg.fd, bytes, written, bytes.length - written, seg.size + written);
    seg.size += bytes.length;
    this.#unflushedRecords += records;
    if (this.#unflushedRecords >= this.#options.flushIntervalMessages) this.flush();
    return { baseOffset: BigInt(base), logAppendTime: -1n, logStartOffset: BigInt(this.#logStartOffset) };
  }

  flush(): void {
    if (this.#unflushedRecords === 0) return;
    fdatasyncSync(this.#active.fd);
    this.#unflushedRecords = 0;
  }

  #maybeRoll(): void {
    const seg = this.#active;
    if (seg.size === 0) return;
    if (seg.size < this.#options.segmentBytes && Date.now() - seg.createdAt < this.#options.segmentMs) return;
    this.flush();
    this.#segments.push(this.#openSegment(this.#nextOffset, join(this.dir, segmentName(this.#nextOffset))));
  }

  /**
   * Whole batches from the one holding `fetchOffset`, up to `maxBytes` (the first batch is returned
   * whole even if larger, as Kafka does so that a consumer can always progress).
   */
  read(fetchOffset: number, maxBytes: number): Buffer {
    if (fetchOffset >= this.#nextOffset) return Buffer.alloc(0);
    let segIndex = this.#segments.findLastIndex((s) => s.baseOffset <= fetchOffset);
    if (segIndex < 0) segIndex = 0;
    const parts: Buffer[] = [];
    let total = 0;
    for (let si = segIndex; si < this.#segments.length; si++) {
      const seg = this.#segments[si]!;
      let bi = lowerBound(seg.batches, fetchOffset);
      if (bi >= seg.batches.length) continue;
      const start = seg.batches[bi]!.position;
      let end = start;
      for (; bi < seg.batches.length; bi++) {
        const b = seg.batches[bi]!;
        if (total + (end - start) + b.size > maxBytes && (total > 0 || end > start)) break;
        end = b.position + b.size;
      }
      if (end > start) {
        const buf = Buffer.allocUnsafe(end - start);
        readSync(seg.fd, buf, 0, buf.length, start);
        parts.push(buf);
        total += buf.length;
      }
      if (bi < seg.batches.length) break;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
  }

  /** Offset of the first batch whose max timestamp is at or after `timestamp`; log end if none. */
  offsetForTimestamp(timestamp: number): { offset: number; timestamp: number } | null {
    for (const seg of this.#segments) {
      for (const b of seg.batches) if (b.maxTimestamp >= timestamp) return { offset: Math.max(b.baseOffset, this.#logStartOffset), timestamp: b.maxTimestamp };
    }
    return null;
  }

  /**
   * DeleteRecords: moves the log start offset forward. Whole segments below it are removed; a batch
   * straddling it stays on disk but is no longer served below the new start.
   */
  deleteRecordsBefore(offset: number): number {
    const target = Math.min(Math.max(offset, this.#logStartOffset), this.#nextOffset);
    this.#logStartOffset = target;
    // Checkpointed so that a restart does not serve records a client deleted.
    const checkpoint = join(this.dir, 'log-start-offset');
    writeFileSync(`${checkpoint}.tmp`, String(target));
    renameSync(`${checkpoint}.tmp`, checkpoint);
    while (this.#segments.length > 1 && (this.#segments[1]!.batches[0]?.baseOffset ?? this.#segments[1]!.baseOffset) <= target) {
      const oldest = this.#segments.shift()!;
      closeSync(oldest.fd);
      rmSync(oldest.path, { force: true });
    }
    return this.#logStartOffset;
  }

  /** Retention: deletes whole closed segments older than `retentionMs` or beyond `retentionBytes`. */
  applyRetention(retentionMs: number, retentionBytes: number, now = Date.now()): number {
    let deleted = 0;
    while (this.#segments.length > 1) {
      const oldest = this.#segments[0]!;
      const newest = oldest.batches.reduce((m, b) => Math.max(m, b.maxTimestamp), 0);
      const tooOld = retentionMs >= 0 && newest > 0 && now - newest > retentionMs;
      const tooBig = retentionBytes >= 0 && this.sizeBytes - oldest.size >= retentionBytes;
      if (!tooOld && !tooBig) break;
      closeSync(oldest.fd);
      rmSync(oldest.path, { force: true });
      this.#segments.shift();
      deleted++;
      this.#logStartOffset = Math.max(this.#logStartOffset, this.#segments[0]!.batches[0]?.baseOffset ?? this.#segments[0]!.baseOffset);
    }
    return deleted;
  }

  close(): void {
    this.flush();
    for (const s of this.#segments) closeSync(s.fd);
    this.#segments.length = 0;
  }
}

function segmentName(baseOffset: number): string {
  return `${String(baseOffset).padStart(20, '0')}.log`;
}

/** Index of the first batch whose last offset is >= offset. */
function lowerBound(batches: BatchEntry[], offset: number): number {
  let lo = 0;
  let hi = batches.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (batches[mid]!.lastOffset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
