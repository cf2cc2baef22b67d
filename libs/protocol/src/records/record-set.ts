import { BatchHeader, computeBatchCrc, readBatchHeader, type RecordBatchHeader } from './batch-header.ts';

/** Where one whole batch sits inside a records blob. */
export interface BatchSpan {
  position: number;
  size: number;
  header: RecordBatchHeader;
}

/**
 * Splits a records blob (the `records` field of Produce or Fetch) into whole batches without
 * decoding records. A Fetch blob may end with a partial batch: it is reported as `partialBytes`.
 */
export function splitBatches(blob: Buffer): { batches: BatchSpan[]; partialBytes: number } {
  const batches: BatchSpan[] = [];
  let pos = 0;
  while (blob.length - pos >= BatchHeader.LOG_OVERHEAD + 5) {
    const batchLength = blob.readInt32BE(pos + BatchHeader.BATCH_LENGTH);
    const size = batchLength + BatchHeader.LOG_OVERHEAD;
    if (batchLength < BatchHeader.SIZE - BatchHeader.LOG_OVERHEAD || size > blob.length - pos) break;
    batches.push({ position: pos, size, header: readBatchHeader(blob, pos) });
    pos += size;
  }
  return { batches, partialBytes: blob.length - pos };
}

/** Why a produced blob was refused, mapped by the broker to Kafka's error codes. */
export type BlobProblem =
  | { code: 'CORRUPT_MESSAGE'; detail: string }
  | { code: 'UNSUPPORTED_FOR_MESSAGE_FORMAT'; detail: string }
  | { code: 'MESSAGE_TOO_LARGE'; detail: string }
  | { code: 'INVALID_RECORD'; detail: string };

/**
 * The broker's cheap check of a produced blob: whole v2 batches only, sane header fields, matching
 * CRC32C, each batch within `maxBatchBytes`. Records are never decoded here.
 */
export function validateProducedBlob(blob: Buffer, maxBatchBytes: number): { ok: true; batches: BatchSpan[] } | { ok: false; problem: BlobProblem } {
  if (blob.length < BatchHeader.SIZE) return { ok: false, problem: { code: 'CORRUPT_MESSAGE', detail: `records of ${blob.length} bytes hold no batch` } };
  const batches: BatchSpan[] = [];
  let pos = 0;
  while (pos < blob.length) {
    if (blob.length - pos < BatchHeader.SIZE) return { ok: false, problem: { code: 'CORRUPT_MESSAGE', detail: `${blob.length - pos} trailing bytes after the last batch` } };
    const magic = blob.readInt8(pos + BatchHeader.MAGIC);
    if (magic !== 2) return { ok: false, problem: { code: 'UNSUPPORTED_FOR_MESSAGE_FORMAT', detail: `message format v${magic}; only v2 batches are stored` } };
    const batchLength = blob.readInt32BE(pos + BatchHeader.BATCH_LENGTH);
    const size = batchLength + BatchHeader.LOG_OVERHEAD;
    if (batchLength < BatchHeader.SIZE - BatchHeader.LOG_OVERHEAD || size > blob.length - pos) {
      return { ok: false, problem: { code: 'CORRUPT_MESSAGE', detail: `batchLength ${batchLength} does not fit the ${blob.length - pos} bytes left` } };
    }
    if (size > maxBatchBytes) return { ok: false, problem: { code: 'MESSAGE_TOO_LARGE', detail: `batch of ${size} bytes exceeds ${maxBatchBytes}` } };
    const batch = blob.subarray(pos, pos + size);
    if (computeBatchCrc(batch) !== batch.readUInt32BE(BatchHeader.CRC)) return { ok: false, problem: { code: 'CORRUPT_MESSAGE', detail: `CRC32C mismatch in the batch at byte ${pos}` } };
    const header = readBatchHeader(blob, pos);
    if ((header.attributes & 0x07) > 4) return { ok: false, problem: { code: 'CORRUPT_MESSAGE', detail: `unknown compression id ${header.attributes & 0x07} in the batch at byte ${pos}` } };
    if (header.recordsCount < 0 || header.lastOffsetDelta < 0) return { ok: false, problem: { code: 'INVALID_RECORD', detail: `negative record count or offset delta` } };
    batches.push({ position: pos, size, header });
    pos += size;
  }
  return { ok: true, batches };
}

/** Stamps the broker-assigned base offset and leader epoch on a batch (neither is covered by the CRC). */
export function assignBatchOffsets(batch: Buffer, baseOffset: bigint, partitionLeaderEpoch: number): void {
  batch.writeBigInt64BE(baseOffset, BatchHeader.BASE_OFFSET);
  batch.writeInt32BE(partitionLeaderEpoch, BatchHeader.PARTITION_LEADER_EPOCH);
}

/** For log-append-time topics: mark the batch, set its max timestamp, and fix the CRC those change. */
export function setLogAppendTime(batch: Buffer, timestampMs: bigint): void {
  const attributes = batch.readInt16BE(BatchHeader.ATTRIBUTES);
  batch.writeInt16BE(attributes | 0x08, BatchHeader.ATTRIBUTES);
  batch.writeBigInt64BE(timestampMs, BatchHeader.MAX_TIMESTAMP);
  batch.writeUInt32BE(computeBatchCrc(batch), BatchHeader.CRC);
}
