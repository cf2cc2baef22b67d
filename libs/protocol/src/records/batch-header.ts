import { crc32c } from './crc32c.ts';

/**
 * Fixed layout of a record batch, magic v2 (KIP-98). The broker treats produced batches as opaque:
 * it reads this header, checks the CRC and rewrites baseOffset (and partitionLeaderEpoch), nothing more.
 */
export const BatchHeader = {
  BASE_OFFSET: 0,
  BATCH_LENGTH: 8,
  PARTITION_LEADER_EPOCH: 12,
  MAGIC: 16,
  CRC: 17,
  ATTRIBUTES: 21,
  LAST_OFFSET_DELTA: 23,
  BASE_TIMESTAMP: 27,
  MAX_TIMESTAMP: 35,
  PRODUCER_ID: 43,
  PRODUCER_EPOCH: 51,
  BASE_SEQUENCE: 53,
  RECORDS_COUNT: 57,
  /** Size of the header; records follow. */
  SIZE: 61,
  /** baseOffset + batchLength: the bytes not counted by batchLength. */
  LOG_OVERHEAD: 12,
} as const;

export interface RecordBatchHeader {
  baseOffset: bigint;
  /** Bytes after the batchLength field, i.e. total size - LOG_OVERHEAD. */
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

/** Reads the v2 header at `offset`. The caller has checked that SIZE bytes are present. */
export function readBatchHeader(buf: Buffer, offset = 0): RecordBatchHeader {
  return {
    baseOffset: buf.readBigInt64BE(offset + BatchHeader.BASE_OFFSET),
    batchLength: buf.readInt32BE(offset + BatchHeader.BATCH_LENGTH),
    partitionLeaderEpoch: buf.readInt32BE(offset + BatchHeader.PARTITION_LEADER_EPOCH),
    magic: buf.readInt8(offset + BatchHeader.MAGIC),
    crc: buf.readUInt32BE(offset + BatchHeader.CRC),
    attributes: buf.readInt16BE(offset + BatchHeader.ATTRIBUTES),
    lastOffsetDelta: buf.readInt32BE(offset + BatchHeader.LAST_OFFSET_DELTA),
    baseTimestamp: buf.readBigInt64BE(offset + BatchHeader.BASE_TIMESTAMP),
    maxTimestamp: buf.readBigInt64BE(offset + BatchHeader.MAX_TIMESTAMP),
    producerId: buf.readBigInt64BE(offset + BatchHeader.PRODUCER_ID),
    producerEpoch: buf.readInt16BE(offset + BatchHeader.PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(offset + BatchHeader.BASE_SEQUENCE),
    recordsCount: buf.readInt32BE(offset + BatchHeader.RECORDS_COUNT),
  };
}

/** CRC32C of a v2 batch covers attributes through the end of the batch. */
export function computeBatchCrc(batch: Buffer): number {
  return crc32c(batch.subarray(BatchHeader.ATTRIBUTES));
}

/** True when `batch` (exactly one whole v2 batch) carries a matching CRC. */
export function isBatchCrcValid(batch: Buffer): boolean {
  return batch.readUInt32BE(BatchHeader.CRC) === computeBatchCrc(batch);
}
