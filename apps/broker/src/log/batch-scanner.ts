import { readSync } from 'node:fs';
import { BatchHeader, computeBatchCrc } from '@tributary/protocol';
import { controlOf } from './control-batch.ts';
import { CONTROL_FLAG } from './transaction-index.ts';

/** What a scan learned about one stored batch, read from its header only. */
export interface ScannedBatch {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  partitionLeaderEpoch: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  lastOffsetDelta: number;
  attributes: number;
  /** A control batch's type (ABORT 0, COMMIT 1; control-batch.ts), -1 for data batches. */
  controlType: number;
  /** A marker's coordinator epoch, -1 for data batches. */
  coordinatorEpoch: number;
}

export interface ScanResult {
  /** Position after the last valid batch visited. */
  end: number;
  /** Why the scan stopped before `to`, if it did: a torn or corrupt batch starts at `end`. */
  problem: string | null;
}

const CHUNK = 1 << 20;
let shared = Buffer.allocUnsafe(CHUNK);

/**
 * Walks the batches of a segment file from `from` to `to` reading it in large chunks (one pread
 * per MiB, not one per batch; header-only walks over a few batches pass a small `chunk`). With `verifyCrc` each batch's CRC32C is checked, which needs the
 * whole batch in memory; otherwise only headers are looked at. `visit` returns false to stop early.
 */
export function scanBatches(fd: number, from: number, to: number, verifyCrc: boolean, visit: (b: ScannedBatch, bytes: Buffer | null) => boolean, chunk = CHUNK): ScanResult {
  let chunkStart = from;
  let chunkLen = 0;
  let pos = from;
  const ensure = (need: number): boolean => {
    if (pos + need > to) return false;
    if (pos >= chunkStart && pos + need <= chunkStart + chunkLen) return true;
    const len = Math.min(Math.max(chunk, need), to - pos);
    if (shared.length < len) shared = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const n = readSync(fd, shared, got, len - got, pos + got);
      if (n === 0) break;
      got += n;
    }
    chunkStart = pos;
    chunkLen = got;
    return got >= need;
  };
  while (pos < to) {
    if (!ensure(BatchHeader.SIZE)) return { end: pos, problem: `${to - pos} bytes at ${pos} are shorter than a batch header` };
    let at = pos - chunkStart;
    const batchLength = shared.readInt32BE(at + BatchHeader.BATCH_LENGTH);
    const size = batchLength + BatchHeader.LOG_OVERHEAD;
    const magic = shared.readInt8(at + BatchHeader.MAGIC);
    if (magic !== 2) return { end: pos, problem: `magic ${magic} at ${pos}` };
    if (batchLength < BatchHeader.SIZE - BatchHeader.LOG_OVERHEAD || pos + size > to) return { end: pos, problem: `batch length ${batchLength} at ${pos} does not fit the ${to - pos} bytes left` };
    let bytes: Buffer | null = null;
    if (verifyCrc) {
      if (!ensure(size)) return { end: pos, problem: `batch at ${pos} is cut short` };
      at = pos - chunkStart;
      bytes = shared.subarray(at, at + size);
      if (computeBatchCrc(bytes) !== bytes.readUInt32BE(BatchHeader.CRC)) return { end: pos, problem: `CRC32C mismatch in the batch at ${pos}` };
    }
    const attributes = shared.readInt16BE(at + BatchHeader.ATTRIBUTES);
    let control = { controlType: -1, coordinatorEpoch: -1 };
    if ((attributes & CONTROL_FLAG) !== 0) {
      // A marker is a few dozen bytes: its record (the type is in its key) is read whole.
      if (!ensure(size)) return { end: pos, problem: `control batch at ${pos} is cut short` };
      at = pos - chunkStart;
      control = controlOf(shared.subarray(at, at + size));
    }
    const baseOffset = Number(shared.readBigInt64BE(at + BatchHeader.BASE_OFFSET));
    const lastOffsetDelta = shared.readInt32BE(at + BatchHeader.LAST_OFFSET_DELTA);
    const batch: ScannedBatch = {
      position: pos,
      size,
      baseOffset,
      lastOffset: baseOffset + lastOffsetDelta,
      lastOffsetDelta,
      maxTimestamp: Number(shared.readBigInt64BE(at + BatchHeader.MAX_TIMESTAMP)),
      partitionLeaderEpoch: shared.readInt32BE(at + BatchHeader.PARTITION_LEADER_EPOCH),
      producerId: shared.readBigInt64BE(at + BatchHeader.PRODUCER_ID),
      producerEpoch: shared.readInt16BE(at + BatchHeader.PRODUCER_EPOCH),
      baseSequence: shared.readInt32BE(at + BatchHeader.BASE_SEQUENCE),
      attributes,
      ...control,
    };
    pos += size;
    if (!visit(batch, bytes)) return { end: pos, problem: null };
  }
  return { end: pos, problem: null };
}
