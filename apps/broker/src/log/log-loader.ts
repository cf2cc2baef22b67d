import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ScannedBatch } from './batch-scanner.ts';
import { readCheckpoint } from './checkpoint-file.ts';
import { lastSequence, ProducerStateTable } from './producer-state.ts';
import { LogSegment, SEGMENT_FILE, type SegmentConfig } from './segment.ts';
import { CONTROL_FLAG, TransactionIndex } from './transaction-index.ts';

// Loading a partition directory into a log: which segments are trusted, which are scanned and
// where a torn tail is cut, and where the producer table and transaction index come from (a clean
// shutdown's snapshots, or the batch headers). Kafka splits its log the same way (LogLoader apart
// from LocalLog and UnifiedLog); PartitionLog only applies what this returns.

export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
export const LOG_START_CHECKPOINT = 'log-start-offset-checkpoint';
export const CLEAN_SHUTDOWN = 'clean-shutdown';
export const HIGH_WATERMARK_CHECKPOINT = 'high-watermark-checkpoint';
/** Idempotent-producer state at the last clean shutdown (JSON), so a clean open walks no headers. */
export const PRODUCER_SNAPSHOT = 'producer-state-snapshot';
/** The transaction index at the last clean shutdown (JSON, transaction-index.ts): running transactions and aborted ranges. */
export const TRANSACTION_SNAPSHOT = 'transaction-index-snapshot';
/** A compaction or checkpoint write that crashed leaves one of these; the original is intact. */
const LEFTOVER = /\.(cleaned|swap|tmp)$/;

export interface RecoveryReport {
  clean: boolean;
  recoveryPoint: number;
  segmentsScanned: number;
  truncatedBytes: number;
  problem: string | null;
}

/** A batch header as the producer table and transaction index need it. */
export interface TrackedBatch {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  lastOffsetDelta: number;
  baseOffset: number;
  maxTimestamp: number;
  attributes: number;
  controlType: number;
  coordinatorEpoch: number;
}

/** The partition's idempotent producers and transactions, fed every batch header in log order. */
export interface ProducerTables {
  producers: ProducerStateTable;
  txns: TransactionIndex;
}

export function trackBatch(tables: ProducerTables, b: TrackedBatch): void {
  if ((b.attributes & CONTROL_FLAG) !== 0) tables.producers.recordMarker(b.producerId, b.producerEpoch, b.maxTimestamp, b.coordinatorEpoch);
  else tables.producers.record(b.producerId, b.producerEpoch, b.baseSequence, lastSequence(b.baseSequence, b.lastOffsetDelta), b.baseOffset, b.maxTimestamp);
  tables.txns.append({ producerId: b.producerId, attributes: b.attributes, baseOffset: b.baseOffset, lastOffset: b.baseOffset + b.lastOffsetDelta, controlType: b.controlType });
}

/** Both tables from every batch header of the log (after a truncation, or a snapshot that cannot be used). */
export function rebuildProducerTables(segments: readonly LogSegment[], logStartOffset: number): ProducerTables {
  const tables = { producers: new ProducerStateTable(), txns: new TransactionIndex() };
  for (const seg of segments) {
    seg.scan(0, (b) => {
      trackBatch(tables, b);
      return true;
    });
  }
  tables.txns.dropBefore(logStartOffset);
  return tables;
}

export interface LoadedLog {
  /** Never empty: a directory without segments gets one at offset 0. */
  segments: LogSegment[];
  tables: ProducerTables;
  logStartOffset: number;
  /** The checkpointed high watermark (0 when none); the log clamps it. */
  highWatermark: number;
  /** The directory was empty: nothing was recovered and nothing needs syncing but the new entries. */
  fresh: boolean;
  report: RecoveryReport;
}

/**
 * Opens every segment of `dir`. After a clean shutdown segment indexes and the snapshots are
 * trusted; otherwise segments wholly below the recovery point are trusted and later ones verified
 * batch by batch, a torn tail is cut and every segment after it deleted. Leftover temporary files
 * and the snapshots are removed (they would be stale once anything is appended).
 */
export function loadLog(dir: string, config: SegmentConfig): LoadedLog {
  const names = readdirSync(dir);
  const fresh = names.length === 0;
  for (const n of names) if (LEFTOVER.test(n)) rmSync(join(dir, n), { force: true });
  const bases = names.flatMap((n) => {
    const m = SEGMENT_FILE.exec(n);
    return m ? [Number(m[1])] : [];
  });
  bases.sort((a, b) => a - b);
  const clean = existsSync(join(dir, CLEAN_SHUTDOWN));
  const checkpoint = readCheckpoint(join(dir, RECOVERY_POINT_CHECKPOINT));
  const recoveryPoint = clean ? Infinity : (checkpoint?.[0]?.[0] ?? 0);
  const report: RecoveryReport = { clean, recoveryPoint: clean ? -1 : recoveryPoint, segmentsScanned: 0, truncatedBytes: 0, problem: null };
  const producerSnapshot = clean ? readSnapshot(dir, PRODUCER_SNAPSHOT, ProducerStateTable.restore) : null;
  let tables: ProducerTables = { producers: new ProducerStateTable(), txns: new TransactionIndex() };
  let snapshotStale = false;
  const visit = (b: ScannedBatch) => trackBatch(tables, b);
  const segments: LogSegment[] = [];
  let cut = false;
  for (let i = 0; i < bases.length; i++) {
    const base = bases[i]!;
    const nextBase = bases[i + 1] ?? Infinity;
    if (cut || (segments.length > 0 && base < segments.at(-1)!.nextOffset)) {
      // After a torn tail, or overlapping the segment before: not part of the log any more.
      deleteSegmentFiles(dir, base);
      continue;
    }
    const trusted = nextBase <= recoveryPoint;
    if (!trusted) report.segmentsScanned++;
    const opened = LogSegment.open(dir, base, config, producerSnapshot ? 'tail' : trusted ? 'headers' : 'verify', visit);
    if (opened.rebuilt && producerSnapshot) snapshotStale = true;
    segments.push(opened.segment);
    if (opened.problem !== null && opened.truncatedBytes > 0) {
      report.truncatedBytes += opened.truncatedBytes;
      report.problem ??= opened.problem;
      cut = true;
    }
  }
  if (segments.length === 0) segments.push(LogSegment.create(dir, 0, config));
  const start = readCheckpoint(join(dir, LOG_START_CHECKPOINT))?.[0]?.[0] ?? legacyLogStart(dir);
  const logStartOffset = Math.min(Math.max(segments[0]!.baseOffset, start), segments.at(-1)!.nextOffset);
  // A clean shutdown saved both tables; a snapshot of the producers without the transaction
  // index (written before transactions existed) is rebuilt from the headers like a torn one.
  const txnSnapshot = producerSnapshot ? readSnapshot(dir, TRANSACTION_SNAPSHOT, TransactionIndex.restore) : null;
  if (producerSnapshot && !snapshotStale && txnSnapshot) tables = { producers: producerSnapshot, txns: txnSnapshot };
  else if (producerSnapshot) tables = rebuildProducerTables(segments, logStartOffset);
  rmSync(join(dir, PRODUCER_SNAPSHOT), { force: true });
  rmSync(join(dir, TRANSACTION_SNAPSHOT), { force: true });
  const highWatermark = readCheckpoint(join(dir, HIGH_WATERMARK_CHECKPOINT))?.[0]?.[0] ?? 0;
  return { segments, tables, logStartOffset, highWatermark, fresh, report };
}

export function deleteSegmentFiles(dir: string, base: number): void {
  const name = String(base).padStart(20, '0');
  for (const suffix of ['.log', '.index', '.timeindex']) rmSync(join(dir, name + suffix), { force: true });
}

/** A snapshot that is missing or does not parse is no snapshot: the headers are walked instead. */
function readSnapshot<T>(dir: string, file: string, restore: (json: unknown) => T | null): T | null {
  const path = join(dir, file);
  if (!existsSync(path)) return null;
  try {
    return restore(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    return null;
  }
}

/** The log start offset file of the first broker version (a bare number). */
function legacyLogStart(dir: string): number {
  const path = join(dir, 'log-start-offset');
  return existsSync(path) ? Number(readFileSync(path, 'utf8')) || 0 : 0;
}
