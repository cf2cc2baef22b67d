import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatchHeader, Compression, computeBatchCrc, encodeRecordBatch, ErrorCode, readBatchHeader, validateProducedBlob, type BatchInput } from '@tributary/protocol';
import { PartitionLog } from './partition-log.ts';
import { validateRecords, type RecordValidationOptions } from './record-validation.ts';
import { tempDir, testOptions } from './test-support.ts';

// Kafka's LogValidator as the produce path applies it (issue 13, defects 3 and 9): max timestamps
// recomputed from the records, timestamp bounds, keys on compacted topics, inner offsets of
// compressed batches, batch sanity — and that ListOffsets then resolves to the record.
const NOW = 1_800_000_000_000;
const HOUR = 3_600_000;
const base: RecordValidationOptions = { compacted: false, timestampType: 'CreateTime', timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER, timestampAfterMaxMs: HOUR, now: NOW, topicPartition: 't-0' };

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function check(input: BatchInput | Buffer, options: Partial<RecordValidationOptions> = {}) {
  const blob = Buffer.isBuffer(input) ? input : encodeRecordBatch(input);
  const spans = validateProducedBlob(blob, 1 << 20);
  if (!spans.ok) throw new Error(spans.problem.detail);
  return { blob, spans: spans.batches, result: validateRecords(blob, spans.batches, { ...base, ...options }) };
}

/** A client that sends maxTimestamp -1 (as some do): the header rewritten, CRC fixed. */
function withMaxTimestamp(batch: Buffer, max: bigint): Buffer {
  batch.writeBigInt64BE(max, BatchHeader.MAX_TIMESTAMP);
  batch.writeUInt32BE(computeBatchCrc(batch), BatchHeader.CRC);
  return batch;
}

describe('max timestamp of a produced batch', () => {
  it.each([['none', Compression.none], ['gzip', Compression.gzip], ['zstd', Compression.zstd]] as const)('%s: recomputed from the records when the client sent -1, CRC kept valid', (_name, compression) => {
    const batch = withMaxTimestamp(encodeRecordBatch({ compression, records: [{ value: 'a', timestamp: NOW - 30 }, { value: 'b', timestamp: NOW - 10 }, { value: 'c', timestamp: NOW - 20 }] }), -1n);
    const { blob, spans, result } = check(batch);
    expect(result).toEqual({ ok: true });
    const h = readBatchHeader(blob);
    expect(h.maxTimestamp).toBe(BigInt(NOW - 10));
    expect(spans[0]!.header.maxTimestamp).toBe(BigInt(NOW - 10));
    expect(computeBatchCrc(blob)).toBe(h.crc);
  });

  it('also corrects a max timestamp larger than any record, and clears a client-set LogAppendTime bit on a CreateTime topic', () => {
    const batch = encodeRecordBatch({ timestampType: 1, records: [{ value: 'a', timestamp: NOW - 5 }] });
    withMaxTimestamp(batch, BigInt(NOW + 999_999));
    const { blob, result } = check(batch);
    expect(result.ok).toBe(true);
    expect(readBatchHeader(blob)).toMatchObject({ maxTimestamp: BigInt(NOW - 5), attributes: 0 });
  });

  it('makes ListOffsets by timestamp and MAX_TIMESTAMP find the records of a batch sent with -1', () => {
    const log = new PartitionLog(dir, { ...testOptions, segmentBytes: 1 << 20 });
    const first = withMaxTimestamp(encodeRecordBatch({ compression: Compression.gzip, records: [{ value: 'a', timestamp: NOW - 300 }, { value: 'b', timestamp: NOW - 100 }, { value: 'c', timestamp: NOW - 200 }] }), -1n);
    const second = withMaxTimestamp(encodeRecordBatch({ records: [{ value: 'd', timestamp: NOW - 250 }] }), -1n);
    for (const batch of [first, second]) {
      const { blob, spans, result } = check(batch);
      expect(result.ok).toBe(true);
      log.append(blob, spans, 0);
    }
    log.updateHighWatermark(log.logEndOffset);
    // Per record: the first record in offset order with timestamp ≥ the target.
    expect(log.offsetForTimestamp(NOW - 250)).toEqual({ offset: 1, timestamp: NOW - 100, leaderEpoch: 0 });
    expect(log.offsetForTimestamp(NOW - 300)).toEqual({ offset: 0, timestamp: NOW - 300, leaderEpoch: 0 });
    expect(log.offsetForTimestamp(NOW - 99)).toBeNull();
    // The record with the largest timestamp, not the batch's last offset.
    expect(log.offsetForMaxTimestamp()).toEqual({ offset: 1, timestamp: NOW - 100, leaderEpoch: 0 });
    log.close();
  });
});

describe('record timestamps (message.timestamp.before/after.max.ms)', () => {
  it('refuses records more than after.max.ms ahead with INVALID_TIMESTAMP and each bad record listed', () => {
    const { blob, result } = check({ records: [{ value: 'ok', timestamp: NOW }, { value: 'future', timestamp: NOW + HOUR + 1 }, { value: 'edge', timestamp: NOW + HOUR }] });
    expect(result).toEqual({
      ok: false,
      errorCode: ErrorCode.INVALID_TIMESTAMP,
      message: 'One or more records have been rejected due to invalid timestamp',
      recordErrors: [{ batchIndex: 1, message: `Timestamp ${NOW + HOUR + 1} of message with offset 1 is out of range. The timestamp should be within [${NOW - Number.MAX_SAFE_INTEGER}, ${NOW + HOUR}]` }],
    });
    // Nothing was rewritten in a refused batch.
    expect(readBatchHeader(blob).maxTimestamp).toBe(BigInt(NOW + HOUR + 1));
  });

  it('refuses records older than before.max.ms', () => {
    const { result } = check({ records: [{ value: 'old', timestamp: NOW - 61_000 }] }, { timestampBeforeMaxMs: 60_000 });
    expect(result).toMatchObject({ ok: false, errorCode: ErrorCode.INVALID_TIMESTAMP, recordErrors: [{ batchIndex: 0 }] });
  });

  it('does not check timestamps on LogAppendTime topics', () => {
    expect(check({ records: [{ value: 'future', timestamp: NOW + 10 * HOUR }] }, { timestampType: 'LogAppendTime' }).result).toEqual({ ok: true });
  });
});

describe('timestamps outside what a double holds exactly', () => {
  // The per-record checks run in plain numbers while base + delta is exact (|base| < 2^52); a
  // client's base beyond that takes the BigInt path, with the same verdicts and messages.
  it('refuses records 2^60 ms ahead and names their exact timestamps', () => {
    const far = 2n ** 60n + 1n; // not a double: only BigInt arithmetic gets these right
    const batch = encodeRecordBatch({ baseTimestamp: 0, records: [{ value: 'a', timestamp: 0 }, { value: 'b', timestamp: 3 }] });
    batch.writeBigInt64BE(far, BatchHeader.BASE_TIMESTAMP);
    batch.writeBigInt64BE(far + 3n, BatchHeader.MAX_TIMESTAMP);
    batch.writeUInt32BE(computeBatchCrc(batch), BatchHeader.CRC);
    const { result } = check(batch);
    const bounds = `The timestamp should be within [${NOW - Number.MAX_SAFE_INTEGER}, ${NOW + HOUR}]`;
    expect(result).toEqual({
      ok: false,
      errorCode: ErrorCode.INVALID_TIMESTAMP,
      message: 'One or more records have been rejected due to invalid timestamp',
      recordErrors: [
        { batchIndex: 0, message: `Timestamp ${far} of message with offset 0 is out of range. ${bounds}` },
        { batchIndex: 1, message: `Timestamp ${far + 3n} of message with offset 1 is out of range. ${bounds}` },
      ],
    });
  });

  it('keeps max timestamp -1 for a batch whose records are all before the epoch, and takes the largest of mixed ones', () => {
    const old = check({ baseTimestamp: -50, records: [{ value: 'a', timestamp: -50 }, { value: 'b', timestamp: -20 }] });
    expect(old.result).toEqual({ ok: true });
    expect(readBatchHeader(old.blob).maxTimestamp).toBe(-1n);
    const mixed = check({ baseTimestamp: NOW, records: [{ value: 'a', timestamp: NOW }, { value: 'b', timestamp: NOW - 7 }, { value: 'c', timestamp: NOW + 9 }] });
    expect(readBatchHeader(mixed.blob).maxTimestamp).toBe(BigInt(NOW + 9));
  });
});

describe('KIP-467 record errors', () => {
  it('refuses keyless records on a compacted topic with INVALID_RECORD, listing every one', () => {
    const { result } = check({ records: [{ key: 'k', value: 'a' }, { key: null, value: 'b' }, { key: 'k2', value: 'c' }, { key: null, value: 'd' }] }, { compacted: true });
    const message = 'Compacted topic cannot accept message without key in topic partition t-0';
    expect(result).toEqual({
      ok: false,
      errorCode: ErrorCode.INVALID_RECORD,
      message: `One or more records have been rejected due to 2 record errors in total, and only showing the first three errors at most: [RecordError(batchIndex=1, message='${message}'), RecordError(batchIndex=3, message='${message}')]`,
      recordErrors: [
        { batchIndex: 1, message },
        { batchIndex: 3, message },
      ],
    });
  });

  it('accepts keyless records where the topic is not compacted', () => {
    expect(check({ records: [{ key: null, value: 'a' }] }).result).toEqual({ ok: true });
  });

  it('refuses a compressed batch whose inner offsets are not 0, 1, 2, …', () => {
    const { result } = check({ compression: Compression.lz4, records: [{ value: 'a', offsetDelta: 0 }, { value: 'b', offsetDelta: 2 }, { value: 'c', offsetDelta: 3 }] }, {});
    // The header's count (3) and last offset delta (3) disagree first: Kafka's batch check.
    expect(result).toEqual({ ok: false, errorCode: ErrorCode.INVALID_RECORD, message: null, recordErrors: [] });
    const gap = check({ compression: Compression.lz4, records: [{ value: 'a', offsetDelta: 0 }, { value: 'b', offsetDelta: 2 }, { value: 'c', offsetDelta: 2 }] });
    // Kafka stops at the first record out of line.
    expect(gap.result).toEqual({ ok: false, errorCode: ErrorCode.INVALID_RECORD, message: 'Inner record at offset 2 inside the compressed record batch does not have incremental offsets, expected offset is 1 in topic partition t-0.', recordErrors: [{ batchIndex: 1, message: null }] });
    // The same offsets uncompressed are not checked record by record (Kafka checks inner offsets of compressed batches only).
    expect(check({ records: [{ value: 'a', offsetDelta: 0 }, { value: 'b', offsetDelta: 2 }, { value: 'c', offsetDelta: 2 }] }).result).toEqual({ ok: true });
  });

  it('refuses control batches from clients and idempotent batches without a sequence, with no message', () => {
    expect(check({ isControl: true, records: [{ key: Buffer.from([0, 0, 0, 0]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }] }).result).toEqual({ ok: false, errorCode: ErrorCode.INVALID_RECORD, message: null, recordErrors: [] });
    expect(check({ producerId: 7n, producerEpoch: 0, baseSequence: -1, records: [{ value: 'a' }] }).result).toEqual({ ok: false, errorCode: ErrorCode.INVALID_RECORD, message: null, recordErrors: [] });
  });
});

describe('ListOffsets lookups in the log', () => {
  it('resolve inside compressed batches whose records are out of timestamp order, through the time index', () => {
    const log = new PartitionLog(dir, { ...testOptions, segmentBytes: 1 << 20, indexIntervalBytes: 1 });
    for (let i = 0; i < 50; i++) {
      const { blob, spans } = check({ compression: Compression.snappy, records: [{ value: `a${i}`, timestamp: NOW + 1000 * i + 500 }, { value: `b${i}`, timestamp: NOW + 1000 * i }, { value: `c${i}`, timestamp: NOW + 1000 * i + 900 }] });
      log.append(blob, spans, 3);
    }
    log.updateHighWatermark(log.logEndOffset);
    // Batch 20: records at +500, +0, +900. Target +100: the first record in offset order that is ≥ it (offset 60).
    expect(log.offsetForTimestamp(NOW + 20_100)).toEqual({ offset: 60, timestamp: NOW + 20_500, leaderEpoch: 3 });
    // Target +600: record c (offset 62), not the batch's first offset.
    expect(log.offsetForTimestamp(NOW + 20_600)).toEqual({ offset: 62, timestamp: NOW + 20_900, leaderEpoch: 3 });
    // The largest timestamp: the last batch's third record.
    expect(log.offsetForMaxTimestamp()).toEqual({ offset: 149, timestamp: NOW + 49_900, leaderEpoch: 3 });
    log.close();
  });

  it('MAX_TIMESTAMP: the first record carrying the largest timestamp; under LogAppendTime the first record of the first batch stamped with it', () => {
    const log = new PartitionLog(dir, { ...testOptions, segmentBytes: 1 << 20 });
    for (const records of [[{ value: 'a', timestamp: NOW }, { value: 'b', timestamp: NOW + 7 }], [{ value: 'c', timestamp: NOW + 7 }]]) {
      const { blob, spans } = check({ records });
      log.append(blob, spans, 0);
    }
    expect(log.offsetForMaxTimestamp()).toEqual({ offset: 1, timestamp: NOW + 7, leaderEpoch: 0 });
    const lat = new PartitionLog(`${dir}/lat`, { ...testOptions, segmentBytes: 1 << 20, timestampType: 'LogAppendTime' });
    const { blob, spans } = check({ records: [{ value: 'x', timestamp: 1 }, { value: 'y', timestamp: 2 }] }, { timestampType: 'LogAppendTime' });
    lat.append(blob, spans, 0);
    const stamped = lat.offsetForMaxTimestamp()!;
    expect(stamped.offset).toBe(0);
    expect(stamped.timestamp).toBeGreaterThan(NOW - 10 * 365 * 24 * HOUR);
    expect(new PartitionLog(`${dir}/empty`, testOptions).offsetForMaxTimestamp()).toBeNull();
    log.close();
    lat.close();
  });
});
