import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Compression, encodeRecordBatch } from '@tributary/protocol';
import { compactLog, compactLogInSlices } from './compaction.ts';
import { CLEAN_SHUTDOWN } from './log-loader.ts';
import { PartitionLog } from './partition-log.ts';
import { batchOf, readAll, tempDir, testOptions } from './test-support.ts';
import { WorkSlices } from './work-slices.ts';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const NOW = 1_800_000_000_000;
const MIN = 60_000;

describe('retention', () => {
  it('deletes whole segments older than retention.ms, the active one only once all of it is below the high watermark', () => {
    const log = new PartitionLog(dir, { ...testOptions, segmentBytes: 200 });
    for (let i = 0; i < 6; i++) log.appendRecords(batchOf([`t${i}`.padEnd(120, '.')], NOW - (6 - i) * MIN), 0);
    expect(log.segments.length).toBe(6);
    expect(log.applyRetention(3.5 * MIN, -1, NOW)).toBe(3);
    expect(log.logStartOffset).toBe(3);
    expect(readAll(log).map((r) => r.offset)).toEqual([3, 4, 5]);
    // Everything is expired, but the active segment holds records above the high watermark (0 here).
    expect(log.applyRetention(0, -1, NOW + 60 * MIN)).toBe(2);
    expect(log.segments.length).toBe(1);
    expect(readAll(log).map((r) => r.offset)).toEqual([5]);
    // Once they are committed, the log rolls and the expired active segment goes too (Kafka's
    // deletableSegments), leaving an empty segment at the log end.
    log.updateHighWatermark(6);
    expect(log.applyRetention(0, -1, NOW + 60 * MIN)).toBe(1);
    expect(log.segments.map((s) => s.baseOffset)).toEqual([6]);
    expect(log.logStartOffset).toBe(6);
    expect(log.logEndOffset).toBe(6);
    expect(readAll(log)).toEqual([]);
    // An empty active segment is never deleted, and new records go on from the log end.
    expect(log.applyRetention(0, -1, NOW + 60 * MIN)).toBe(0);
    log.appendRecords(batchOf(['after'], NOW), 0);
    expect(readAll(log).map((r) => r.offset)).toEqual([6]);
    log.close();
    expect(new PartitionLog(dir, testOptions).logStartOffset).toBe(6);
  });

  it('keeps an active segment that has not expired', () => {
    const log = new PartitionLog(dir, testOptions);
    log.appendRecords(batchOf(['fresh'], NOW - MIN), 0);
    log.updateHighWatermark(1);
    expect(log.applyRetention(2 * MIN, -1, NOW)).toBe(0);
    expect(readAll(log).map((r) => r.offset)).toEqual([0]);
    log.close();
  });

  it('deletes the oldest segments while the log is larger than retention.bytes', () => {
    const log = new PartitionLog(dir, { ...testOptions, segmentBytes: 200 });
    for (let i = 0; i < 8; i++) log.appendRecords(batchOf([`s${i}`.padEnd(120, '.')]), 0);
    const segment = log.segments[0]!.size;
    expect(log.applyRetention(-1, 3 * segment + 1, Date.now())).toBe(4);
    expect(log.sizeBytes).toBeLessThanOrEqual(3 * segment + 1 + segment);
    expect(log.segments.length).toBe(4);
    expect(log.applyRetention(-1, -1)).toBe(0);
    log.close();
  });
});

describe('compaction', () => {
  /** Appends and commits (the high watermark follows): compaction works below the watermark only. */
  function keyed(log: PartitionLog, entries: [string, string | null][], ts = NOW, compression: number = Compression.none) {
    const appended = log.appendRecords(encodeRecordBatch({ compression: compression as 0, records: entries.map(([key, value]) => ({ key, value, timestamp: ts })) }), 0);
    log.updateHighWatermark(log.logEndOffset);
    return appended;
  }

  it('records at or above the high watermark neither go nor count as a key\'s latest value: truncating them loses no key', () => {
    const log = new PartitionLog(dir, { ...testOptions, segmentBytes: 200 });
    for (let i = 0; i < 3; i++) keyed(log, [['k', `v${i}`.padEnd(100, '.')]]); // 0..2, committed
    // Two newer values for k, in closed segments too, that no follower has yet.
    for (let i = 3; i < 5; i++) log.appendRecords(encodeRecordBatch({ records: [{ key: 'k', value: `v${i}`.padEnd(100, '.'), timestamp: NOW }] }), 0);
    log.appendRecords(encodeRecordBatch({ records: [{ key: 'other', value: 'x', timestamp: NOW }] }), 0);
    expect(log.highWatermark).toBe(3);
    expect(log.segments.length).toBeGreaterThan(3);
    compactLog(log, { deleteRetentionMs: 5 * MIN, now: NOW });
    // v2 is k's latest committed value: it stays, and so do the uncommitted records.
    expect(readAll(log).map((r) => [r.offset, r.value?.slice(0, 2) ?? null])).toEqual([[2, 'v2'], [3, 'v3'], [4, 'v4'], [5, 'x']]);
    // This replica's leadership moves and it truncates to the new leader's end (as a follower would).
    log.truncateTo(3);
    expect(readAll(log).map((r) => [r.offset, r.key, r.value?.slice(0, 2) ?? null])).toEqual([[2, 'k', 'v2']]);
    log.close();
  });

  it('keeps the latest record per key in closed segments, preserves offsets, drops old tombstones', () => {
    const log = new PartitionLog(dir, { ...testOptions, segmentBytes: 300 });
    keyed(log, [['a', 'a1'], ['b', 'b1'], ['c', 'c1']], NOW - 10 * MIN); // 0..2
    keyed(log, [['a', 'a2'], ['d', 'd1']], NOW - 10 * MIN); // 3, 4
    keyed(log, [['b', null]], NOW - 10 * MIN); // 5: old tombstone for b
    keyed(log, [['c', null]], NOW); // 6: recent tombstone for c
    keyed(log, [['e', 'e1'], ['a', 'a3']], NOW, Compression.gzip); // 7, 8
    for (let i = 0; i < 3; i++) keyed(log, [['f', `f${i}`.padEnd(150, '.')]], NOW); // 9..11
    expect(log.segments.length).toBeGreaterThan(3);
    const end = log.logEndOffset;
    const result = compactLog(log, { deleteRetentionMs: 5 * MIN, now: NOW });
    expect(result.segmentsRewritten).toBeGreaterThan(0);
    const after = readAll(log).map((r) => [r.offset, r.key, r.value?.slice(0, 2) ?? null]);
    expect(after).toEqual([
      [4, 'd', 'd1'],
      [6, 'c', null],
      [7, 'e', 'e1'],
      [8, 'a', 'a3'],
      // f2 is in the active segment, which Kafka's cleaner does not count: f1, the latest before it, stays.
      [10, 'f', 'f1'],
      [11, 'f', 'f2'],
    ]);
    expect(log.logEndOffset).toBe(end);
    expect(log.appendRecords(batchOf(['next']), 0).baseOffset).toBe(BigInt(end));
    // Compacting again changes nothing; the data survive an unclean reopen (indexes rebuilt).
    expect(compactLog(log, { deleteRetentionMs: 5 * MIN, now: NOW }).recordsRemoved).toBe(0);
    log.close();
    rmSync(join(dir, CLEAN_SHUTDOWN));
    const reopened = new PartitionLog(dir, testOptions);
    expect(readAll(reopened).map((r) => [r.offset, r.key, r.value?.slice(0, 2) ?? null])).toEqual([...after, [12, null, 'ne']]);
    expect(reopened.offsetForTimestamp(NOW - MIN)?.offset).toBe(6);
    reopened.close();
  });

  it('a crash during compaction (a .cleaned file left behind) loses nothing', () => {
    const log = new PartitionLog(dir, { ...testOptions, segmentBytes: 200 });
    for (let i = 0; i < 6; i++) keyed(log, [['k', `v${i}`.padEnd(100, '.')]]);
    const before = readAll(log);
    log.close();
    rmSync(join(dir, CLEAN_SHUTDOWN));
    const first = readdirSync(dir).find((n) => n.endsWith('.log'))!;
    writeFileSync(join(dir, `${first}.cleaned`), 'half-written garbage');
    const reopened = new PartitionLog(dir, testOptions);
    expect(readdirSync(dir).some((n) => n.endsWith('.cleaned'))).toBe(false);
    expect(readAll(reopened)).toEqual(before);
    reopened.close();
  });

  describe('in slices (the broker runs it so)', () => {
    const turn = () => new Promise((r) => setImmediate(r));
    const latestByKey = (log: PartitionLog) => Object.fromEntries(readAll(log).filter((r) => r.key !== null).map((r) => [r.key, r.value]));
    function filled(): PartitionLog {
      const log = new PartitionLog(dir, { ...testOptions, segmentBytes: 300 });
      for (let u = 0; u < 6; u++) keyed(log, [['a', `a${u}`], ['b', `b${u}`.padEnd(40, '.')], ['c', u === 5 ? null : `c${u}`]], NOW - 10 * MIN);
      return log;
    }

    it('appends, a roll and retention between slices: the pass keeps what it did not read and skips the segment retention deleted', async () => {
      const log = filled();
      const before = latestByKey(log);
      const pass = compactLogInSlices(log, { deleteRetentionMs: 5 * MIN, now: NOW }, new WorkSlices(0));
      await turn();
      keyed(log, [['a', 'a-new'], ['d', 'd-new']]);
      log.roll();
      await turn();
      log.updateHighWatermark(log.logEndOffset);
      expect(log.applyRetention(-1, log.sizeBytes - log.segments[0]!.size, NOW)).toBe(1);
      const result = await pass;
      expect(result.aborted).toBe(false);
      expect(result.segmentsRewritten).toBeGreaterThan(0);
      expect(readdirSync(dir).filter((n) => n.endsWith('.cleaned'))).toEqual([]);
      // Every key's latest value is there, the appended ones included (c's is a tombstone in the
      // segment that was active when the pass began, so it stays this pass).
      expect(before.c).toBeNull();
      expect(latestByKey(log)).toEqual({ ...before, a: 'a-new', d: 'd-new' });
      const offsets = readAll(log).map((r) => r.offset);
      expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
      // The next pass does the rest: a's value before a-new and c's old tombstone go.
      compactLog(log, { deleteRetentionMs: 5 * MIN, now: NOW });
      expect(latestByKey(log)).toEqual({ a: 'a-new', b: before.b, d: 'd-new' });
      expect(readAll(log).filter((r) => r.key === 'a').map((r) => r.value)).toEqual(['a-new']);
      log.close();
    });

    it('a truncation between slices ends the pass: nothing is rewritten from what the log no longer holds', async () => {
      const log = filled();
      const pass = compactLogInSlices(log, { deleteRetentionMs: 5 * MIN, now: NOW }, new WorkSlices(0));
      await turn();
      log.truncateTo(9);
      const result = await pass;
      expect(result).toMatchObject({ aborted: true, segmentsRewritten: 0 });
      expect(readdirSync(dir).filter((n) => n.endsWith('.cleaned'))).toEqual([]);
      expect(readAll(log).map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      log.close();
    });
  });
});
