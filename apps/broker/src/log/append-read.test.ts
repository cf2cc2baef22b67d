import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatchHeader, computeBatchCrc, encodeRecordBatch, ErrorCode, isBatchCrcValid, splitBatches } from '@tributary/protocol';
import { LogError } from './errors.ts';
import { PartitionLog } from './partition-log.ts';
import { batchOf, readAll, recordsOf, tempDir, testOptions } from './test-support.ts';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function logBytes(): number {
  return readdirSync(dir).filter((n) => n.endsWith('.log')).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

function refusal(log: PartitionLog, blob: Buffer): LogError {
  try {
    log.appendRecords(blob, 0);
  } catch (err) {
    if (err instanceof LogError) return err;
    throw err;
  }
  throw new Error('append was accepted');
}

describe('append validation', () => {
  it('refuses invalid batches with Kafka error codes and writes nothing of the blob', () => {
    const log = new PartitionLog(dir, { ...testOptions, maxMessageBytes: 2000 });
    log.appendRecords(batchOf(['ok']), 0);
    const size = logBytes();
    const good = batchOf(['fine']);
    const badCrc = batchOf(['flipped']);
    badCrc[badCrc.length - 1]! ^= 0xff;
    const magic1 = batchOf(['old']);
    magic1.writeInt8(1, BatchHeader.MAGIC);
    const negative = batchOf(['neg']);
    negative.writeInt32BE(-5, BatchHeader.LAST_OFFSET_DELTA);
    // lastOffsetDelta is covered by the CRC: fix it so that only the field is wrong.
    negative.writeUInt32BE(0, BatchHeader.CRC);
    negative.writeUInt32BE(computeBatchCrc(negative), BatchHeader.CRC);
    const cases: [Buffer, number][] = [
      [Buffer.concat([good, badCrc]), ErrorCode.CORRUPT_MESSAGE],
      [Buffer.concat([good, good.subarray(0, 30)]), ErrorCode.CORRUPT_MESSAGE],
      [Buffer.concat([good, magic1]), ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT],
      [Buffer.concat([good, batchOf(['x'.repeat(3000)])]), ErrorCode.MESSAGE_TOO_LARGE],
      [negative, ErrorCode.INVALID_RECORD],
      [Buffer.alloc(0), ErrorCode.CORRUPT_MESSAGE],
    ];
    for (const [blob, code] of cases) expect(refusal(log, blob).errorCode).toBe(code);
    expect(logBytes()).toBe(size);
    expect(log.logEndOffset).toBe(1);
    expect(readAll(log).map((r) => r.value)).toEqual(['ok']);
    log.close();
  });
});

describe('append and read', () => {
  it('assigns offsets to a multi-batch blob, stamps the leader epoch, and reads across rolls', () => {
    const log = new PartitionLog(dir, { ...testOptions, segmentBytes: 1500 });
    let expected = 0;
    for (let i = 0; i < 30; i++) {
      const blob = Buffer.concat([batchOf([`x${i}`, `y${i}`]), batchOf([`z${i}`.padEnd(200, '-')])]);
      const r = log.appendRecords(blob, 7);
      expect(r.baseOffset).toBe(BigInt(expected));
      expected += 3;
      expect(r.nextOffset).toBe(expected);
    }
    expect(log.segments.length).toBeGreaterThan(3);
    const all = readAll(log);
    expect(all.map((r) => r.offset)).toEqual(Array.from({ length: 90 }, (_, i) => i));
    expect(all.filter((r) => r.value!.startsWith('z')).length).toBe(30);
    const blob = log.read(0, 1);
    expect(blob.readInt32BE(BatchHeader.PARTITION_LEADER_EPOCH)).toBe(7);
    // Every segment but the active one stays within segment.bytes.
    for (const s of log.segments.slice(0, -1)) expect(s.size).toBeLessThanOrEqual(1500);
    // Fetch from the middle of a batch starts at that batch.
    expect(recordsOf(log.read(40, 1))[0]!.offset).toBe(39);
    log.close();
  });

  it('never reads at or past maxOffset (the high watermark) and returns whole batches only', () => {
    const log = new PartitionLog(dir, { ...testOptions, segmentBytes: 600 });
    for (let i = 0; i < 20; i++) log.appendRecords(batchOf([`a${i}`, `b${i}`]), 0);
    const upTo = (hw: number) => recordsOf(log.read(0, 1 << 20, { maxOffset: hw })).map((r) => r.offset).at(-1);
    expect(upTo(10)).toBe(9);
    expect(upTo(11)).toBe(9);
    expect(upTo(40)).toBe(39);
    expect(log.read(10, 1 << 20, { maxOffset: 10 }).length).toBe(0);
    const ranges = log.readRanges(0, 1 << 20, { maxOffset: 40 });
    expect(ranges.ranges.length).toBe(log.segments.length);
    expect(ranges.bytes).toBe(log.sizeBytes);
    const { batches, partialBytes } = splitBatches(log.read(0, 500));
    expect(partialBytes).toBe(0);
    expect(batches.every((b) => isBatchCrcValid(Buffer.from(log.read(Number(b.header.baseOffset), 1))))).toBe(true);
    log.close();
  });

  it('returns the first batch whole even when it is bigger than maxBytes', () => {
    const log = new PartitionLog(dir, testOptions);
    log.appendRecords(batchOf(['big'.padEnd(2000, '!')]), 0);
    log.appendRecords(batchOf(['small']), 0);
    const first = log.read(0, 10);
    expect(recordsOf(first).map((r) => r.offset)).toEqual([0]);
    expect(recordsOf(log.read(0, first.length + 5)).map((r) => r.offset)).toEqual([0]);
    expect(recordsOf(log.read(0, 1 << 20)).map((r) => r.offset)).toEqual([0, 1]);
    log.close();
  });

  it('stamps the append time on LogAppendTime topics and keeps the CRC valid', () => {
    const log = new PartitionLog(dir, { ...testOptions, timestampType: 'LogAppendTime' });
    const before = Date.now();
    const r = log.appendRecords(batchOf(['t'], 1000), 0);
    expect(Number(r.logAppendTime)).toBeGreaterThanOrEqual(before);
    const stored = log.read(0, 1 << 20);
    expect(isBatchCrcValid(stored)).toBe(true);
    expect(recordsOf(stored)[0]!.timestamp).toBe(Number(r.logAppendTime));
    const plain = new PartitionLog(join(dir, 'plain'), testOptions);
    expect(plain.appendRecords(batchOf(['t'], 1000), 0).logAppendTime).toBe(-1n);
    expect(recordsOf(plain.read(0, 1 << 20))[0]!.timestamp).toBe(1000);
    plain.close();
    log.close();
  });

  it('rolls by segment.ms and when an index is full', () => {
    const log = new PartitionLog(dir, { ...testOptions, segmentBytes: 1 << 20, segmentMs: 0 });
    for (let i = 0; i < 3; i++) log.appendRecords(batchOf([`r${i}`]), 0);
    expect(log.segments.map((s) => s.baseOffset)).toEqual([0, 1, 2]);
    log.close();
    const small = new PartitionLog(join(dir, 'small-index'), { ...testOptions, segmentBytes: 1 << 20, indexIntervalBytes: 1, maxIndexBytes: 48 });
    for (let i = 0; i < 10; i++) small.appendRecords(batchOf([`r${i}`], 1_000_000 + i), 0);
    expect(small.segments.map((s) => s.baseOffset)).toEqual([0, 4, 8]);
    expect(readAll(small).map((r) => r.value)).toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`));
    small.close();
  });

  it('keeps a caller-built batch with an explicit offset delta span', () => {
    const log = new PartitionLog(dir, testOptions);
    log.appendRecords(encodeRecordBatch({ records: [{ value: 'a', offsetDelta: 0 }, { value: 'b', offsetDelta: 4 }] }), 0);
    expect(log.logEndOffset).toBe(5);
    expect(log.appendRecords(batchOf(['c']), 0).baseOffset).toBe(5n);
    log.close();
  });
});

