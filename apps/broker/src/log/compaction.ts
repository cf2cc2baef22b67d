import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { BatchHeader, computeBatchCrc, decodeRecordBatch, encodeRecordBatch, type KafkaRecord, type RecordBatch } from '@tributary/protocol';
import { syncDirectory } from './checkpoint-file.ts';
import type { PartitionLog } from './partition-log.ts';
import type { LogSegment } from './segment.ts';

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
 * last offset delta, so consumers see gaps, as with Kafka. Records without a key and control
 * batches are kept, and so are transactional batches, which also never count as a key's latest
 * record: whether they count depends on their transaction's marker (an aborted transaction's
 * record must not remove the committed value before it, and a TxnOffsetCommit replayed from
 * `__consumer_offsets` needs its marker after it). Kafka removes aborted records and old markers;
 * this compaction keeps them, which costs space and is never wrong.
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
  const latest = new Map<string, number>();
  for (const seg of segments) forEachBatch(seg, (batch) => {
    if (batch.isControl || batch.isTransactional) return;
    for (const r of batch.records) if (r.key) latest.set(r.key.toString('latin1'), Number(batch.baseOffset) + r.offsetDelta);
  });
  for (const seg of closed) {
    const out: Buffer[] = [];
    let changed = false;
    let removed = 0;
    forEachBatch(seg, (batch, bytes) => {
      if (batch.isControl || batch.isTransactional) return void out.push(Buffer.from(bytes));
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
