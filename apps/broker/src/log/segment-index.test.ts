import { appendFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLEAN_SHUTDOWN } from './log-loader.ts';
import { PartitionLog } from './partition-log.ts';
import { batchOf, readAll, recordsOf, tempDir, testOptions } from './test-support.ts';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const options = { ...testOptions, segmentBytes: 1 << 20, indexIntervalBytes: 300 };
const T0 = 1_700_000_000_000;

function fill(log: PartitionLog, n: number): void {
  // Batch i holds offsets 2i and 2i+1 with timestamps T0 + 1000 i (+1 for the second record).
  for (let i = 0; i < n; i++) log.appendRecords(batchOf([{ value: `a${i}`.padEnd(80, '.'), timestamp: T0 + 1000 * i }, { value: `b${i}`, timestamp: T0 + 1000 * i + 1 }]), 0);
}

describe('sparse offset and time indexes', () => {
  it('index every index.interval.bytes, and every offset is found through them', () => {
    const log = new PartitionLog(dir, options);
    fill(log, 200);
    const seg = log.segments[0]!;
    const batchBytes = seg.size / 200;
    // Sparse: about one entry per 300 bytes of log, not one per batch.
    expect(seg.offsetIndex.entries).toBeGreaterThan(seg.size / 300 / 2);
    expect(seg.offsetIndex.entries).toBeLessThan(200);
    expect(batchBytes).toBeLessThan(300);
    for (const offset of [0, 1, 2, 77, 150, 151, 398, 399]) {
      const b = seg.findBatch(offset)!;
      expect(b.baseOffset).toBe(offset - (offset % 2));
      expect(recordsOf(log.read(offset, 1))[0]!.offset).toBe(offset - (offset % 2));
    }
    expect(seg.findBatch(400)).toBeNull();
    log.close();
  });

  it('finds offsets by timestamp, to the record, through the time index', () => {
    const log = new PartitionLog(dir, options);
    fill(log, 200);
    expect(log.offsetForTimestamp(T0)).toMatchObject({ offset: 0, timestamp: T0 });
    // Between the two records of batch 57: the second record.
    expect(log.offsetForTimestamp(T0 + 57_000 + 1)).toMatchObject({ offset: 115, timestamp: T0 + 57_001 });
    // Between batches: the first record of the next batch.
    expect(log.offsetForTimestamp(T0 + 57_500)).toMatchObject({ offset: 116, timestamp: T0 + 58_000 });
    expect(log.offsetForTimestamp(T0 + 200_000)).toBeNull();
    log.close();
  });

  it('writes the indexes in Kafka layouts and loads them after a clean shutdown without scanning', () => {
    const log = new PartitionLog(dir, options);
    fill(log, 100);
    const entries = log.segments[0]!.offsetIndex.entries;
    const timeEntries = log.segments[0]!.timeIndex.entries;
    log.close();
    expect(statSync(join(dir, '00000000000000000000.index')).size).toBe(entries * 8);
    expect(statSync(join(dir, '00000000000000000000.timeindex')).size).toBe(timeEntries * 12);
    const reopened = new PartitionLog(dir, options);
    expect(reopened.recovery).toMatchObject({ clean: true, segmentsScanned: 0, truncatedBytes: 0 });
    expect(reopened.segments[0]!.offsetIndex.entries).toBe(entries);
    expect(reopened.offsetForTimestamp(T0 + 42_000)?.offset).toBe(84);
    reopened.close();
  });

  it('rebuilds missing or damaged index files after an unclean shutdown', () => {
    const log = new PartitionLog(dir, { ...options, segmentBytes: 4000 });
    fill(log, 100);
    const before = readAll(log);
    const counts = log.segments.map((s) => s.offsetIndex.entries);
    log.close();
    rmSync(join(dir, CLEAN_SHUTDOWN));
    rmSync(join(dir, 'recovery-point-offset-checkpoint'));
    const names = readdirSync(dir).filter((n) => n.endsWith('.index'));
    expect(names.length).toBeGreaterThan(2);
    for (const n of names) rmSync(join(dir, n));
    const reopened = new PartitionLog(dir, options);
    expect(reopened.recovery.clean).toBe(false);
    expect(reopened.recovery.segmentsScanned).toBe(names.length);
    expect(reopened.segments.map((s) => s.offsetIndex.entries)).toEqual(counts);
    expect(readAll(reopened)).toEqual(before);
    reopened.close();
  });

  it('timestamp lookups match a brute-force search when timestamps go up and down', () => {
    const log = new PartitionLog(dir, { ...options, segmentBytes: 3000 });
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 150; i++) {
      const ts = T0 + Math.floor(rand() * 100_000) + i * 300;
      log.appendRecords(batchOf([{ value: `r${i}`, timestamp: ts }, { value: `s${i}`, timestamp: ts + Math.floor(rand() * 5000) - 2500 }]), 0);
    }
    const all = readAll(log);
    for (let k = 0; k < 200; k++) {
      const target = T0 + Math.floor(rand() * 160_000);
      const expected = all.find((r) => r.timestamp >= target);
      expect(log.offsetForTimestamp(target)).toEqual(expected ? { offset: expected.offset, timestamp: expected.timestamp, leaderEpoch: expect.any(Number) } : null);
    }
    log.close();
  });

  it('recovery cuts junk and a half-written batch at the tail, rebuilds the indexes, keeps every earlier batch', () => {
    const log = new PartitionLog(dir, { ...options, segmentBytes: 3000 });
    fill(log, 60);
    const before = readAll(log);
    const last = log.segments.at(-1)!;
    const entries = last.offsetIndex.entries;
    const path = last.logPath;
    const clean = log.segments.at(-1)!.size;
    log.close();
    rmSync(join(dir, CLEAN_SHUTDOWN));
    // A torn write: the first 50 bytes of a valid batch, then random junk.
    appendFileSync(path, batchOf(['torn']).subarray(0, 50));
    appendFileSync(path, Buffer.from('random junk that is not a batch'));
    const reopened = new PartitionLog(dir, options);
    expect(reopened.recovery).toMatchObject({ clean: false, truncatedBytes: 50 + 31 });
    expect(reopened.recovery.problem).toMatch(/does not fit|cut short|magic|CRC32C/);
    expect(statSync(path).size).toBe(clean);
    expect(reopened.segments.at(-1)!.offsetIndex.entries).toBe(entries);
    expect(readAll(reopened)).toEqual(before);
    expect(reopened.appendRecords(batchOf(['next']), 0).baseOffset).toBe(120n);
    reopened.close();
  });
});
