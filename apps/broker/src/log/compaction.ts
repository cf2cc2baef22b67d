import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { BatchHeader, computeBatchCrc, decodeRecordBatch, encodeRecordBatch, type KafkaRecord, type RecordBatch } from '@tributary/protocol';
import { syncDirectory } from './checkpoint-file.ts';
import type { PartitionLog } from './partition-log.ts';
import type { LogSegment } from './segment.ts';
import { COMMIT_MARKER, CONTROL_FLAG, TRANSACTIONAL_FLAG } from './transaction-index.ts';

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
 * Log compaction (`cleanup.policy=compact`): in the closed segments, keeps only the latest record
 * of each key (latest over the whole log, the active segment included), and drops tombstones older
 * than `delete.retention.ms`. Offsets never change: a rewritten batch keeps its base offset and
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
 */
export function compactLog(log: PartitionLog, options: CompactionOptions): CompactionResult {
  const now = options.now ?? Date.now();
  const result: CompactionResult = { segmentsRewritten: 0, recordsRemoved: 0, bytesBefore: 0, bytesAfter: 0 };
  const segments = log.segments;
  const closed = segments.slice(0, -1);
  if (closed.length === 0) return result;
  const outcomes = transactionOutcomes(segments);
  const latest = new Map<string, number>();
  for (const seg of segments) forEachBatch(seg, (batch) => {
    if (batch.isControl || (batch.isTransactional && outcomes.of(batch) !== 'committed')) return;
    for (const r of batch.records) if (r.key) latest.set(r.key.toString('latin1'), Number(batch.baseOffset) + r.offsetDelta);
  });
  for (const seg of closed) {
    const out: Buffer[] = [];
    let changed = false;
    let removed = 0;
    forEachBatch(seg, (batch, bytes) => {
      if (batch.isControl) {
        if (outcomes.markerRemovable(batch, now - options.deleteRetentionMs)) {
          changed = true;
          removed += batch.records.length;
        } else out.push(Buffer.from(bytes));
        return;
      }
      const outcome = batch.isTransactional ? outcomes.of(batch) : 'committed';
      if (outcome === 'running') return void out.push(Buffer.from(bytes));
      if (outcome === 'aborted') {
        changed = true;
        removed += batch.records.length;
        return;
      }
      const tombstonesExpire = now - Number(batch.maxTimestamp) > options.deleteRetentionMs;
      const kept = batch.records.filter((r) => {
        if (!r.key) return true;
        if (latest.get(r.key.toString('latin1')) !== Number(batch.baseOffset) + r.offsetDelta) return false;
        return !(r.value === null && tombstonesExpire);
      });
      removed += batch.records.length - kept.length;
      if (kept.length === batch.records.length) return void out.push(Buffer.from(bytes));
      changed = true;
      if (kept.length > 0) out.push(rebuildBatch(batch, kept));
    });
    result.bytesBefore += seg.size;
    if (!changed) {
      result.bytesAfter += seg.size;
      continue;
    }
    const cleanedPath = `${seg.logPath}.cleaned`;
    const fd = openSync(cleanedPath, 'w');
    try {
      for (const b of out) writeSync(fd, b);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    seg.replaceWith(cleanedPath);
    syncDirectory(seg.dir);
    result.bytesAfter += seg.size;
    result.segmentsRewritten++;
    result.recordsRemoved += removed;
  }
  return result;
}

type Outcome = 'committed' | 'aborted' | 'running';

/**
 * The outcome of every transactional batch of the log, from its producer's next marker, and which
 * markers still have batches of their transaction in the log. One walk over the batch headers in
 * log order: a producer's transactional batches are open until a marker of that producer ends them.
 */
function transactionOutcomes(segments: readonly LogSegment[]) {
  const outcome = new Map<number, Outcome>(); // by batch base offset
  const markerHasData = new Map<number, boolean>(); // by marker offset
  const open = new Map<bigint, number[]>(); // producer id -> base offsets of its open transaction's batches
  for (const seg of segments) {
    seg.scan(0, (b) => {
      if ((b.attributes & CONTROL_FLAG) !== 0) {
        const batches = open.get(b.producerId) ?? [];
        for (const offset of batches) outcome.set(offset, b.controlType === COMMIT_MARKER ? 'committed' : 'aborted');
        markerHasData.set(b.baseOffset, batches.length > 0);
        open.delete(b.producerId);
      } else if ((b.attributes & TRANSACTIONAL_FLAG) !== 0) {
        open.set(b.producerId, [...(open.get(b.producerId) ?? []), b.baseOffset]);
      }
      return true;
    });
  }
  return {
    of: (batch: RecordBatch): Outcome => outcome.get(Number(batch.baseOffset)) ?? 'running',
    /** No batch of the marker's transaction is left, and it was written before `horizon`. */
    markerRemovable: (batch: RecordBatch, horizon: number): boolean => markerHasData.get(Number(batch.baseOffset)) === false && Number(batch.maxTimestamp) < horizon,
  };
}

function forEachBatch(seg: LogSegment, visit: (batch: RecordBatch, bytes: Buffer) => void): void {
  const positions: { position: number; size: number }[] = [];
  seg.scan(0, (b) => {
    positions.push({ position: b.position, size: b.size });
    return true;
  });
  for (const p of positions) {
    const bytes = seg.read(p.position, p.size);
    visit(decodeRecordBatch(bytes), bytes);
  }
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
