import { BatchHeader, computeBatchCrc, DecodeError, ErrorCode, walkRecordBatch, type BatchSpan } from '@tributary/protocol';

/** What Kafka's LogValidator checks of a client's batches, from the topic's configs. */
export interface RecordValidationOptions {
  /** `cleanup.policy` includes compact: every record needs a key. */
  compacted: boolean;
  /** `message.timestamp.type`: only CreateTime timestamps are validated and kept. */
  timestampType: 'CreateTime' | 'LogAppendTime';
  /** `message.timestamp.before.max.ms` / `after.max.ms`: how far a CreateTime timestamp may be from `now`. */
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
  now: number;
  /** For messages: `topic-partition`, as Kafka names it. */
  topicPartition: string;
}

/** One refused record of a batch (KIP-467): its index in the batch and why. */
export interface RecordError {
  batchIndex: number;
  message: string | null;
}

export type RecordValidation =
  | { ok: true }
  /** `message` is the partition's error message; `recordErrors` the per-record ones (may be empty). */
  | { ok: false; errorCode: number; message: string | null; recordErrors: RecordError[] };

const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_BIT = 0x08;
const CONTROL_BIT = 0x20;
/** Base timestamps within ±2^52: base + a 32-bit delta is still exact as a double. */
const SAFE_BASE = 2n ** 52n;
/** At most this many record errors are named in the partition's message, as Kafka does. */
const ERRORS_IN_MESSAGE = 3;

/**
 * Kafka's LogValidator for the v2 batches a client produced, applied before anything is written:
 * - the batch: offset range and count consistent, no control batch from a client, a sequence for
 *   every idempotent batch (INVALID_RECORD, no message, as Kafka answers these);
 * - each record (KIP-467): a key on compacted topics (INVALID_RECORD), a CreateTime timestamp
 *   within `message.timestamp.before.max.ms` / `after.max.ms` of the broker's clock
 *   (INVALID_TIMESTAMP), and in compressed batches offsets 0, 1, 2, … (INVALID_RECORD). Every bad
 *   record is listed with its index; nothing of the request's partition is written;
 * - the batch's maxTimestamp is recomputed from its records (CreateTime; clients may send -1 or a
 *   wrong value), rewritten in place with the CRC, and set on `span.header` for the log's indexes.
 *   LogAppendTime is stamped by the log at append (PartitionLog.append).
 * Records are walked for this (compressed batches decompressed), as Kafka's broker decodes them;
 * the walk allocates nothing per record (walkRecordBatch).
 */
export function validateRecords(blob: Buffer, spans: BatchSpan[], options: RecordValidationOptions): RecordValidation {
  for (const span of spans) {
    const h = span.header;
    const batch = blob.subarray(span.position, span.position + span.size);
    // Kafka's validateBatch: InvalidRecordException, answered without a message.
    if (h.lastOffsetDelta + 1 <= 0 || h.recordsCount <= 0 || h.lastOffsetDelta + 1 !== h.recordsCount) return invalid(ErrorCode.INVALID_RECORD);
    if (h.attributes & CONTROL_BIT) return invalid(ErrorCode.INVALID_RECORD);
    if (h.producerId >= 0n && h.baseSequence < 0) return invalid(ErrorCode.INVALID_RECORD);
    const compressed = (h.attributes & COMPRESSION_MASK) !== 0;
    const createTime = options.timestampType === 'CreateTime';
    const earliest = options.now - options.timestampBeforeMaxMs;
    const latest = options.now + options.timestampAfterMaxMs;
    const errors: { code: number; error: RecordError }[] = [];
    // The first record of a compressed batch whose offset is not its index: Kafka stops there.
    let offsetError: RecordValidation | null = null;
    // Timestamps and offsets in plain numbers while they are exact (every real clock and offset):
    // BigInt arithmetic per record allocated on the heap, 4 values a record.
    const exactTimestamps = h.baseTimestamp > -SAFE_BASE && h.baseTimestamp < SAFE_BASE;
    const baseTimestamp = Number(h.baseTimestamp);
    let maxDelta = -Infinity;
    try {
      walkRecordBatch(batch, { verifyCrc: false }, (batchIndex, _attributes, timestampDelta, offsetDelta, _keyOffset, keyLength) => {
        if (offsetError) return; // the rest is only walked for its framing (a DecodeError wins)
        if (compressed && (h.baseOffset === 0n ? offsetDelta !== batchIndex : h.baseOffset + BigInt(offsetDelta) !== BigInt(batchIndex))) {
          const message = `Inner record at offset ${h.baseOffset + BigInt(offsetDelta)} inside the compressed record batch does not have incremental offsets, expected offset is ${batchIndex} in topic partition ${options.topicPartition}.`;
          offsetError = { ok: false, errorCode: ErrorCode.INVALID_RECORD, message, recordErrors: [{ batchIndex, message: null }] };
          return;
        }
        if (options.compacted && keyLength < 0) {
          errors.push({ code: ErrorCode.INVALID_RECORD, error: { batchIndex, message: `Compacted topic cannot accept message without key in topic partition ${options.topicPartition}` } });
          return;
        }
        const timestamp = exactTimestamps ? baseTimestamp + timestampDelta : Number(h.baseTimestamp + BigInt(timestampDelta));
        if (createTime && (timestamp < earliest || timestamp > latest)) {
          errors.push({
            code: ErrorCode.INVALID_TIMESTAMP,
            error: { batchIndex, message: `Timestamp ${h.baseTimestamp + BigInt(timestampDelta)} of message with offset ${h.baseOffset + BigInt(offsetDelta)} is out of range. The timestamp should be within [${clampLong(earliest)}, ${clampLong(latest)}]` },
          });
        }
        if (timestampDelta > maxDelta) maxDelta = timestampDelta;
      });
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      return { ok: false, errorCode: err.message.includes('decompress') || err.message.includes('exceeds the limit') ? ErrorCode.CORRUPT_MESSAGE : ErrorCode.INVALID_RECORD, message: `invalid records in ${options.topicPartition}: ${err.message}`, recordErrors: [] };
    }
    if (offsetError) return offsetError;
    // The largest timestamp is the base plus the largest delta; -1 when every record is older.
    const largest = maxDelta === -Infinity ? -1n : h.baseTimestamp + BigInt(maxDelta);
    const maxTimestamp = largest > -1n ? largest : -1n;
    if (errors.length > 0) {
      const recordErrors = errors.map((e) => e.error);
      // Kafka: any timestamp error makes the partition's error INVALID_TIMESTAMP.
      if (errors.some((e) => e.code === ErrorCode.INVALID_TIMESTAMP)) return { ok: false, errorCode: ErrorCode.INVALID_TIMESTAMP, message: 'One or more records have been rejected due to invalid timestamp', recordErrors };
      const shown = recordErrors.slice(0, ERRORS_IN_MESSAGE).map((e) => `RecordError(batchIndex=${e.batchIndex}, message=${e.message === null ? 'null' : `'${e.message}'`})`);
      return {
        ok: false,
        errorCode: ErrorCode.INVALID_RECORD,
        message: `One or more records have been rejected due to ${recordErrors.length} record errors in total, and only showing the first three errors at most: [${shown.join(', ')}]`,
        recordErrors,
      };
    }
    // CreateTime: the batch's max timestamp is what its records say, and the type bit says CreateTime.
    if (createTime && (maxTimestamp !== h.maxTimestamp || h.attributes & TIMESTAMP_TYPE_BIT)) {
      batch.writeInt16BE(h.attributes & ~TIMESTAMP_TYPE_BIT, BatchHeader.ATTRIBUTES);
      batch.writeBigInt64BE(maxTimestamp, BatchHeader.MAX_TIMESTAMP);
      batch.writeUInt32BE(computeBatchCrc(batch), BatchHeader.CRC);
      h.attributes &= ~TIMESTAMP_TYPE_BIT;
      h.maxTimestamp = maxTimestamp;
      h.crc = batch.readUInt32BE(BatchHeader.CRC);
    }
  }
  return { ok: true };
}

function invalid(errorCode: number): RecordValidation {
  return { ok: false, errorCode, message: null, recordErrors: [] };
}

/** Kafka prints the bounds as Java longs; an unlimited bound saturates there. */
function clampLong(ms: number): string {
  if (ms >= 9.2e18) return '9223372036854775807';
  if (ms <= -9.2e18) return '-9223372036854775808';
  return String(ms);
}
