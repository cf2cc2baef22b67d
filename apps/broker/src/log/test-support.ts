import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRecordBatch, encodeRecordBatch, splitBatches, type RecordInput } from '@tributary/protocol';
import type { LogOptions, PartitionLog } from './partition-log.ts';

/** Helpers shared by the log's tests (not used by the broker). */
export const testOptions: LogOptions = { segmentBytes: 4096, segmentMs: 7 * 24 * 3600_000, flushIntervalMessages: 1 };

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tributary-log-'));
}

/**
 * A temporary directory in memory (/dev/shm) where there is one, else as tempDir(): for tests about
 * CPU work over many logs, whose rolls and closes would otherwise wait seconds for fsyncs on a busy disk.
 */
export function memoryTempDir(): string {
  return existsSync('/dev/shm') ? mkdtempSync(join('/dev/shm', 'tributary-log-')) : tempDir();
}

export function batchOf(values: (string | RecordInput)[], timestamp = Date.now()): Buffer {
  return encodeRecordBatch({ records: values.map((v) => (typeof v === 'string' ? { value: v, timestamp } : { timestamp, ...v })) });
}

export interface ReadRecord {
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: number;
}

/** Decodes a read result (whole batches) into records. */
export function recordsOf(blob: Buffer): ReadRecord[] {
  return splitBatches(blob).batches.flatMap((s) => {
    const b = decodeRecordBatch(blob.subarray(s.position, s.position + s.size));
    return b.records.map((r) => ({
      offset: Number(b.baseOffset) + r.offsetDelta,
      key: r.key?.toString() ?? null,
      value: r.value?.toString() ?? null,
      timestamp: b.timestampType === 1 ? Number(b.maxTimestamp) : Number(b.baseTimestamp) + r.timestampDelta,
    }));
  });
}

/** Every record of the log, read in 64 KiB fetches. */
export function readAll(log: PartitionLog, from = log.logStartOffset): ReadRecord[] {
  const out: ReadRecord[] = [];
  let offset = from;
  for (let i = 0; i < 100_000 && offset < log.logEndOffset; i++) {
    const blob = log.read(offset, 64 * 1024);
    const batches = splitBatches(blob).batches;
    if (batches.length === 0) break;
    out.push(...recordsOf(blob).filter((r) => r.offset >= offset));
    const last = batches.at(-1)!.header;
    offset = Number(last.baseOffset) + last.lastOffsetDelta + 1;
  }
  return out;
}
