import { describe, expect, it } from 'vitest';
import { BatchHeader, computeBatchCrc, isBatchCrcValid, readBatchHeader } from './batch-header.ts';
import { crc32c } from './crc32c.ts';

function makeBatch(): Buffer {
  const b = Buffer.alloc(BatchHeader.SIZE + 4);
  b.writeBigInt64BE(7n, BatchHeader.BASE_OFFSET);
  b.writeInt32BE(b.length - BatchHeader.LOG_OVERHEAD, BatchHeader.BATCH_LENGTH);
  b.writeInt8(2, BatchHeader.MAGIC);
  b.writeInt32BE(3, BatchHeader.LAST_OFFSET_DELTA);
  b.writeBigInt64BE(-1n, BatchHeader.PRODUCER_ID);
  b.writeInt32BE(4, BatchHeader.RECORDS_COUNT);
  b.writeUInt32BE(computeBatchCrc(b), BatchHeader.CRC);
  return b;
}

describe('batch header', () => {
  it('computes the standard CRC32C check value', () => {
    expect(crc32c(Buffer.from('123456789')).toString(16)).toBe('e3069283');
  });

  it('reads fields at the v2 offsets and validates the CRC', () => {
    const b = makeBatch();
    const h = readBatchHeader(b);
    expect(h).toMatchObject({ baseOffset: 7n, magic: 2, lastOffsetDelta: 3, producerId: -1n, recordsCount: 4 });
    expect(isBatchCrcValid(b)).toBe(true);
  });

  it('detects a flipped bit inside the CRC range but not in baseOffset', () => {
    const b = makeBatch();
    b.writeBigInt64BE(99n, BatchHeader.BASE_OFFSET);
    expect(isBatchCrcValid(b)).toBe(true);
    b.writeUInt8(b.readUInt8(BatchHeader.SIZE + 1) ^ 1, BatchHeader.SIZE + 1);
    expect(isBatchCrcValid(b)).toBe(false);
  });
});
