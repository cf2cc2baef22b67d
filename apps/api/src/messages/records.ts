import { decodeRecordBatchLazy, recordTimestamp, splitBatches, type RecordView } from '@tributary/protocol';
import { renderBytes, type Format } from './render.ts';

/** One record as fetched: bytes still slices of the fetched buffer. */
export interface FetchedRecord {
  partition: number;
  offset: bigint;
  timestampMs: bigint;
  timestampType: 0 | 1;
  record: RecordView;
  /** key + value + header bytes. */
  size: number;
}

/** How far a walk over a partition's fetched batches got. */
export interface WalkProgress {
  /** One past the last offset of the whole batches walked (capped at the range's end). */
  scannedTo: bigint;
  /** Bytes of the batches opened. */
  bytes: number;
}

/**
 * Walks a partition's fetched batches lazily, one batch decompressed at a time, yielding the data
 * records at or after `from` and below `end` (control batches and records before `from` — a batch
 * may start earlier — skipped). `progress.scannedTo` advances when a batch has been walked whole,
 * so a caller that consumed every record may continue there (compaction gaps and control records
 * are passed over). Memory: one decompressed batch beside the fetched bytes, whatever the fetch held.
 */
export function* walkRecords(partition: number, blob: Buffer | null, from: bigint, end: bigint, progress: WalkProgress): Generator<FetchedRecord> {
  if (!blob) return;
  for (const span of splitBatches(blob).batches) {
    const h = span.header;
    const lastOffset = h.baseOffset + BigInt(h.lastOffsetDelta);
    if (lastOffset < from) continue;
    if (h.baseOffset >= end) break;
    progress.bytes += span.size;
    const batch = decodeRecordBatchLazy(blob.subarray(span.position, span.position + span.size));
    if (!batch.isControl) {
      for (const r of batch.records) {
        const offset = h.baseOffset + BigInt(r.offsetDelta);
        if (offset < from || offset >= end) continue;
        let size = Math.max(0, r.keyLength) + Math.max(0, r.valueLength);
        for (const hd of r.headers) size += Buffer.byteLength(hd.key) + (hd.value?.length ?? 0);
        yield { partition, offset, timestampMs: recordTimestamp(batch, r), timestampType: batch.timestampType, record: r, size };
      }
    }
    progress.scannedTo = lastOffset + 1n < end ? lastOffset + 1n : end;
  }
}

/** Every record of a fetch at once (reads and the tail, whose pages are small). */
export function recordsOf(partition: number, blob: Buffer | null, from: bigint, end: bigint): { records: FetchedRecord[]; scannedTo: bigint; bytes: number } {
  const progress: WalkProgress = { scannedTo: from, bytes: 0 };
  const records = [...walkRecords(partition, blob, from, end, progress)];
  return { records, scannedTo: progress.scannedTo, bytes: progress.bytes };
}

export interface RenderOptions { format: Format; maxValueBytes: number }

/** The record as the API answers it (MessageRecordSchema). */
export function presentRecord(r: FetchedRecord, o: RenderOptions) {
  const ts = Number(r.timestampMs);
  return {
    partition: r.partition,
    offset: Number(r.offset),
    timestamp: Number.isFinite(ts) && ts >= 0 && ts <= 8_640_000_000_000_000 ? new Date(ts).toISOString() : new Date(0).toISOString(),
    timestampMs: ts,
    timestampType: r.timestampType === 1 ? 'LogAppendTime' as const : 'CreateTime' as const,
    key: renderBytes(r.record.key, o.format, o.maxValueBytes),
    value: renderBytes(r.record.value, o.format, o.maxValueBytes),
    headers: r.record.headers.map((h) => ({ key: h.key, value: renderBytes(h.value, o.format, o.maxValueBytes) })),
    size: r.size,
  };
}

/** Bytes a presented record shows (for the page bound): truncated fields count as shown. */
export function shownBytes(r: FetchedRecord, maxValueBytes: number): number {
  const f = (b: Buffer | null) => Math.min(b?.length ?? 0, maxValueBytes);
  let n = f(r.record.key) + f(r.record.value);
  for (const h of r.record.headers) n += Buffer.byteLength(h.key) + f(h.value);
  return n + 64;
}

/**
 * Merges per-partition runs into one page ordered by time (ties by partition, offset), taking
 * only prefixes of each run so that "where each partition continues" stays one offset per
 * partition. Stops at `limit` records or once `maxBytes` is reached (the first record always fits).
 */
export function mergeByTime(runs: Map<number, FetchedRecord[]>, limit: number, maxBytes: number, maxValueBytes: number): { taken: FetchedRecord[]; takenPerPartition: Map<number, number> } {
  const heads = new Map<number, number>([...runs.keys()].map((p) => [p, 0]));
  const taken: FetchedRecord[] = [];
  let bytes = 0;
  while (taken.length < limit) {
    let best: FetchedRecord | null = null;
    for (const [p, i] of heads) {
      const r = runs.get(p)![i];
      if (!r) continue;
      if (!best || r.timestampMs < best.timestampMs || (r.timestampMs === best.timestampMs && (r.partition < best.partition || (r.partition === best.partition && r.offset < best.offset)))) best = r;
    }
    if (!best) break;
    const size = shownBytes(best, maxValueBytes);
    if (taken.length > 0 && bytes + size > maxBytes) break;
    bytes += size;
    taken.push(best);
    heads.set(best.partition, heads.get(best.partition)! + 1);
  }
  return { taken, takenPerPartition: heads };
}
