import { closeSync, fsync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { BatchHeader, computeBatchCrc, decodeRecordBatch, encodeRecordBatch, type KafkaRecord, type RecordBatch } from '@tributary/protocol';
import { syncDirectory, syncDirectoryAsync } from './checkpoint-file.ts';
import type { PartitionLog } from './partition-log.ts';
import type { ScannedBatch } from './batch-scanner.ts';
import type { LogSegment } from './segment.ts';
import { COMMIT_MARKER, CONTROL_FLAG, TRANSACTIONAL_FLAG } from './transaction-index.ts';
import type { WorkSlices } from './work-slices.ts';

export interface CompactionOptions {
  /** `delete.retention.ms`: how long a tombstone (null value) stays after it was written. */
  deleteRetentionMs: number;
  now?: number;
}

export interface CompactionResult {
  segmentsRewritten: number;
  recordsRemoved: number;
  bytesBefore: number;
  bytesAfter: number;
}

/**
 * Log compaction (`cleanup.policy=compact`): below Kafka's first uncleanable offset (the last
 * stable offset, itself at most the high watermark, and the active segment's base), keeps only the
 * latest record of each key there and drops tombstones older than `delete.retention.ms`; records
 * at or above that offset are neither compacted nor count as a key's latest value. Offsets never change: a rewritten batch keeps its base offset and
 * last offset delta, so consumers see gaps, as with Kafka. Records without a key are kept.
 *
 * Transactions, as Kafka's LogCleaner treats them: a committed transaction's records compact like
 * any others (and count as a key's latest value); an aborted transaction's batches are removed
 * whole; a transaction still running (no marker yet: at or after the last stable offset) is kept
 * whole and never counts, since its outcome is not known. A marker stays while any batch of its
 * transaction is still in the log — a read_committed reader needs an ABORT marker to end the
 * aborted range, and `__consumer_offsets` replays a TxnOffsetCommit only with its COMMIT after it —
 * and goes in a later pass, once no batch of its transaction is left and `delete.retention.ms` has
 * passed since the marker was written. (Kafka counts that time from the pass that first found the
 * marker removable, KIP-534's delete horizon in the batch header; here it counts from the marker's
 * own timestamp, so a marker may go one retention period earlier than in Kafka, never while it is
 * needed.)
 *
 * Crash safety: each segment is rewritten to `<segment>.log.cleaned`, fsynced, and renamed over the
 * original; a crash before the rename leaves the original (the .cleaned file is removed on open),
 * and the stale indexes are removed before the rename so they are rebuilt, never misread.
 *
 * Keys come from the protocol library's full record decode (decompressing where needed); this is
 * the one place the broker decodes records, and it runs off the produce/fetch path.
 *
 * `compactLog` runs a pass to its end at once (tests, tools); the broker runs `compactLogInSlices`,
 * the same steps with the event loop let through between slices (see `compactionSteps`).
 */
export function compactLog(log: PartitionLog, options: CompactionOptions): CompactionResult {
  const result = emptyResult();
  for (const step of compactionSteps(log, options, result)) {
    if (step && 'fsync' in step) fsyncSync(step.fsync);
    else if (step) syncDirectory(step.syncDirectory);
  }
  return result;
}

/**
 * The same pass as `compactLog`, in slices: between two slices (each about `slices.budgetMs` of
 * work) the event loop runs requests, replica fetches and timers, as Kafka's LogCleaner runs on a
 * thread of its own; the fsyncs of a rewritten segment (its file, then its directory) run in the thread pool. The log may change
 * between slices: appends and rolls only add data the pass does not touch (it works on the segments
 * and sizes it found at its start), retention may delete a segment (then it is skipped), and a
 * truncation or a close ends the pass, the segments rewritten so far kept (each one was rewritten
 * whole, as in any pass). `aborted` says whether the pass ended early.
 */
export async function compactLogInSlices(log: PartitionLog, options: CompactionOptions, slices: WorkSlices): Promise<CompactionResult & { aborted: boolean }> {
  const truncations = log.truncations;
  const stale = () => log.closed || log.truncations !== truncations;
  const result = emptyResult();
  const steps = compactionSteps(log, options, result);
  try {
    for (let step = steps.next(); !step.done; step = steps.next()) {
      if (step.value && 'fsync' in step.value) await fsyncInPool(step.value.fsync);
      else if (step.value) await syncDirectoryAsync(step.value.syncDirectory);
      else {
        const paused = slices.pause();
        if (paused) await paused; // (no await while the slice lasts: a microtask per step adds up)
      }
      if (stale()) return { ...result, aborted: true };
    }
    return { ...result, aborted: false };
  } finally {
    steps.return(); // ended early or failed: the pass's cleanup runs (a half-written .cleaned file goes)
  }
}

function emptyResult(): CompactionResult {
  return { segmentsRewritten: 0, recordsRemoved: 0, bytesBefore: 0, bytesAfter: 0 };
}

/** A point where a pass may let the event loop run (`undefined`), or an fsync its driver runs. */
type CompactionStep = undefined | { fsync: number } | { syncDirectory: string };

/** How many batch headers one step of a header walk reads before offering to pause. */
const HEADERS_PER_STEP = 2000;

/**
 * One compaction pass as steps: it yields after every decoded batch, every 2,000 batch headers walked
 * and every buffer written, and hands the fsync of each rewritten segment to its driver. A segment is
 * replaced only in the step that checks it is still one of the log's closed segments with the size
 * the pass read; anything left half-done (a `.cleaned` file) is removed when the generator ends,
 * also by `return()`. Totals go into `result` as segments are replaced.
 */
function* compactionSteps(log: PartitionLog, options: CompactionOptions, result: CompactionResult): Generator<CompactionStep, void, undefined> {
  const now = options.now ?? Date.now();
  // The segments and their sizes as the pass found them: later appends and rolls are not its business.
  const segments = log.segments.map((seg) => ({ seg, size: seg.size }));
  const closed = segments.slice(0, -1);
  if (closed.length === 0) return;
  // Only records below Kafka's first uncleanable offset count or change: the last stable offset
  // (below it every transaction has its outcome, and the high watermark, so nothing there can still
  // be truncated away) and the active segment's base (LogCleanerManager.cleanableOffsets). A record
  // above it — an open transaction's, one written after that transaction began, one not yet
  // replicated, one in the active segment — is kept and is not a key's latest value, so no older
  // value goes for one that may vanish (a truncation, an abort) or that Kafka would not count yet.
  // Before 2026-12-03 the bound was the high watermark, active segment included.
  const committedEnd = Math.min(log.lastStableOffset, segments.at(-1)!.seg.baseOffset);
  const outcomes = yield* transactionOutcomes(segments);
  const latest = new Map<string, number>();
  for (const s of segments) {
    for (const batch of yield* batchesOf(s)) {
      if (Number(batch.baseOffset) + batch.lastOffsetDelta >= committedEnd) break;
      if (!(batch.isControl || (batch.isTransactional && outcomes.of(batch) !== 'committed'))) {
        for (const r of batch.records) if (r.key) latest.set(r.key.toString('latin1'), Number(batch.baseOffset) + r.offsetDelta);
      }
      yield;
    }
  }
  for (const { seg, size } of closed) {
    const out: Buffer[] = [];
    let changed = false;
    let removed = 0;
    const positions = yield* batchPositions(seg, size);
    for (const p of positions) {
      if (seg.closed) break; // deleted by retention meanwhile (skipped below)
      const bytes = seg.read(p.position, p.size);
      if (p.lastOffset >= committedEnd) {
        out.push(bytes);
        continue;
      }
      const batch = decodeRecordBatch(bytes);
      yield;
      if (batch.isControl) {
        if (outcomes.markerRemovable(batch, now - options.deleteRetentionMs)) {
          changed = true;
          removed += batch.records.length;
        } else out.push(bytes);
        continue;
      }
      const outcome = batch.isTransactional ? outcomes.of(batch) : 'committed';
      if (outcome === 'running') {
        out.push(bytes);
        continue;
      }
      if (outcome === 'aborted') {
        changed = true;
        removed += batch.records.length;
        continue;
      }
      const tombstonesExpire = now - Number(batch.maxTimestamp) > options.deleteRetentionMs;
      const kept = batch.records.filter((r) => {
        if (!r.key) return true;
        if (latest.get(r.key.toString('latin1')) !== Number(batch.baseOffset) + r.offsetDelta) return false;
        return !(r.value === null && tombstonesExpire);
      });
      removed += batch.records.length - kept.length;
      if (kept.length === batch.records.length) {
        out.push(bytes);
        continue;
      }
      changed = true;
      if (kept.length > 0) out.push(rebuildBatch(batch, kept));
    }
    if (!log.segments.includes(seg)) continue; // deleted by retention meanwhile
    result.bytesBefore += size;
    if (!changed) {
      result.bytesAfter += size;
      continue;
    }
    const cleanedPath = `${seg.logPath}.cleaned`;
    const fd = openSync(cleanedPath, 'w');
    let replaced = false;
    try {
      for (const b of out) {
        writeSync(fd, b);
        yield;
      }
      yield { fsync: fd };
      // The last check and the replacement are one step: nothing else runs in between.
      const stillClosedSegment = log.segments.includes(seg) && log.segments.at(-1) !== seg && seg.size === size;
      if (!stillClosedSegment) {
        result.bytesBefore -= size;
        continue;
      }
      closeSync(fd);
      seg.replaceWith(cleanedPath);
      replaced = true;
    } finally {
      if (!replaced) {
        closeSync(fd);
        rmSync(cleanedPath, { force: true });
      }
    }
    result.bytesAfter += seg.size;
    result.segmentsRewritten++;
    result.recordsRemoved += removed;
    // The rename made durable (a crash before it leaves the old or the new file, both whole).
    yield { syncDirectory: seg.dir };
  }
}

function fsyncInPool(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
}

type Outcome = 'committed' | 'aborted' | 'running';

/**
 * The outcome of every transactional batch of the log, from its producer's next marker, and which
 * markers still have batches of their transaction in the log. One walk over the batch headers in
 * log order: a producer's transactional batches are open until a marker of that producer ends them.
 */
function* transactionOutcomes(segments: readonly { seg: LogSegment; size: number }[]): Generator<CompactionStep, { of: (batch: RecordBatch) => Outcome; markerRemovable: (batch: RecordBatch, horizon: number) => boolean }, undefined> {
  const outcome = new Map<number, Outcome>(); // by batch base offset
  const markerHasData = new Map<number, boolean>(); // by marker offset
  const open = new Map<bigint, number[]>(); // producer id -> base offsets of its open transaction's batches
  for (const { seg, size } of segments) {
    yield* walkHeaders(seg, size, (b) => {
      if ((b.attributes & CONTROL_FLAG) !== 0) {
        const batches = open.get(b.producerId) ?? [];
        for (const offset of batches) outcome.set(offset, b.controlType === COMMIT_MARKER ? 'committed' : 'aborted');
        markerHasData.set(b.baseOffset, batches.length > 0);
        open.delete(b.producerId);
      } else if ((b.attributes & TRANSACTIONAL_FLAG) !== 0) {
        open.set(b.producerId, [...(open.get(b.producerId) ?? []), b.baseOffset]);
      }
    });
  }
  return {
    of: (batch: RecordBatch): Outcome => outcome.get(Number(batch.baseOffset)) ?? 'running',
    /** No batch of the marker's transaction is left, and it was written before `horizon`. */
    markerRemovable: (batch: RecordBatch, horizon: number): boolean => markerHasData.get(Number(batch.baseOffset)) === false && Number(batch.maxTimestamp) < horizon,
  };
}

/** Visits the batch headers of `seg` below `size`, pausing every HEADERS_PER_STEP of them. */
function* walkHeaders(seg: LogSegment, size: number, visit: (b: ScannedBatch) => void): Generator<CompactionStep, void, undefined> {
  let position = 0;
  while (position < size) {
    if (seg.closed) return; // deleted by retention between steps: its records are gone, and were the oldest
    let seen = 0;
    let next = size;
    seg.scan(position, (b) => {
      if (b.position >= size) return false;
      visit(b);
      next = b.position + b.size;
      return ++seen < HEADERS_PER_STEP;
    });
    if (seen === 0) return; // nothing more (a torn tail: recovery's business, not the cleaner's)
    position = next;
    yield;
  }
}

function* batchPositions(seg: LogSegment, size: number): Generator<CompactionStep, { position: number; size: number; lastOffset: number }[], undefined> {
  const positions: { position: number; size: number; lastOffset: number }[] = [];
  yield* walkHeaders(seg, size, (b) => positions.push({ position: b.position, size: b.size, lastOffset: b.lastOffset }));
  return positions;
}

/** The decoded batches of a segment below `size`, read one at a time as the caller iterates. */
function* batchesOf({ seg, size }: { seg: LogSegment; size: number }): Generator<CompactionStep, Iterable<RecordBatch>, undefined> {
  const positions = yield* batchPositions(seg, size);
  return (function* () {
    for (const p of positions) {
      if (seg.closed) return;
      yield decodeRecordBatch(seg.read(p.position, p.size));
    }
  })();
}

/** The same batch (offsets, timestamps, producer fields, compression) with fewer records. */
function rebuildBatch(batch: RecordBatch, kept: KafkaRecord[]): Buffer {
  const base = Number(batch.baseTimestamp);
  const out = encodeRecordBatch({
    baseOffset: batch.baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    compression: batch.compression,
    timestampType: batch.timestampType,
    isTransactional: batch.isTransactional,
    baseTimestamp: base,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    records: kept.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: base + r.timestampDelta, offsetDelta: r.offsetDelta })),
  });
  // Kafka keeps the batch's offset span and max timestamp so that offsets and time lookups hold.
  out.writeInt32BE(batch.lastOffsetDelta, BatchHeader.LAST_OFFSET_DELTA);
  out.writeBigInt64BE(batch.maxTimestamp, BatchHeader.MAX_TIMESTAMP);
  out.writeUInt32BE(computeBatchCrc(out), BatchHeader.CRC);
  return out;
}
