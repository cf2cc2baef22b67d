import { appendFileSync, closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeRecordBatch, encodeRecordBatch, splitBatches, validateProducedBlob } from '@tributary/protocol';
import { CLEAN_SHUTDOWN } from './log-loader.ts';
import { PartitionLog, type LogOptions } from './partition-log.ts';

let dir: string;
const options: LogOptions = { segmentBytes: 4096, segmentMs: 7 * 24 * 3600_000, flushIntervalMessages: 1 };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-log-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function appendBatch(log: PartitionLog, values: string[], timestamp = Date.now()) {
  const blob = encodeRecordBatch({ records: values.map((value) => ({ value, timestamp })) });
  const checked = validateProducedBlob(blob, 1 << 20);
  if (!checked.ok) throw new Error(checked.problem.detail);
  return log.append(blob, checked.batches, 0);
}

function readValues(log: PartitionLog, from = 0, maxBytes = 1 << 20): { offset: bigint; value: string }[] {
  const blob = log.read(from, maxBytes);
  return splitBatches(blob).batches.flatMap((s) => {
    const b = decodeRecordBatch(blob.subarray(s.position, s.position + s.size));
    return b.records.map((r) => ({ offset: b.baseOffset + BigInt(r.offsetDelta), value: r.value!.toString() }));
  });
}

describe('PartitionLog', () => {
  it('a new partition writes no checkpoints (absent means 0), reopens empty after a crash, and checkpoints once records are flushed', () => {
    const sub = join(dir, 'fresh-0');
    const log = new PartitionLog(sub, options);
    expect(readdirSync(sub).sort()).toEqual(['00000000000000000000.index', '00000000000000000000.log', '00000000000000000000.timeindex']);
    // Nothing moved: the periodic checkpoint writes nothing either.
    log.checkpointRecoveryPoint();
    expect(readdirSync(sub).filter((f) => f.includes('checkpoint'))).toEqual([]);
    // Never closed (a crash): reopened as the same empty partition.
    const again = new PartitionLog(sub, options);
    expect([again.logStartOffset, again.logEndOffset, again.highWatermark, again.recoveryPoint]).toEqual([0, 0, 0, 0]);
    appendBatch(again, ['a', 'b']);
    again.updateHighWatermark(2);
    again.checkpointRecoveryPoint();
    expect(readdirSync(sub)).toEqual(expect.arrayContaining(['high-watermark-checkpoint', 'recovery-point-offset-checkpoint']));
    const third = new PartitionLog(sub, options);
    expect([third.logEndOffset, third.highWatermark]).toEqual([2, 2]);
    expect(readValues(third).map((r) => r.value)).toEqual(['a', 'b']);
  });

  it('a partition that holds nothing is closed and reopened without writing a file; a checkpoint above it is rewritten on open', () => {
    const sub = join(dir, 'empty-0');
    const segmentFiles = ['00000000000000000000.index', '00000000000000000000.log', '00000000000000000000.timeindex'];
    new PartitionLog(sub, options).close();
    // No clean marker, snapshots or checkpoints: the next open has nothing to trust or recover.
    expect(readdirSync(sub).sort()).toEqual(segmentFiles);
    const reopened = new PartitionLog(sub, options);
    expect(reopened.recovery.clean).toBe(false);
    expect(readdirSync(sub).sort()).toEqual(segmentFiles);
    reopened.close();
    // Records appended after such a reopen survive a crash (a log never closed) and a clean restart.
    const written = new PartitionLog(sub, options);
    appendBatch(written, ['a', 'b']);
    const afterCrash = new PartitionLog(sub, options);
    expect(readValues(afterCrash).map((r) => r.value)).toEqual(['a', 'b']);
    afterCrash.close();
    expect(readdirSync(sub)).toContain(CLEAN_SHUTDOWN);
    expect(readValues(new PartitionLog(sub, options)).map((r) => r.value)).toEqual(['a', 'b']);

    // An empty log under a recovery checkpoint of 5 (truncated after it was written): the open must
    // rewrite it, or appends followed by a crash would be trusted below 5 without being scanned.
    const stale = join(dir, 'stale-0');
    new PartitionLog(stale, options).close();
    writeFileSync(join(stale, 'recovery-point-offset-checkpoint'), '0\n1\n5\n');
    const opened = new PartitionLog(stale, options);
    expect(opened.recoveryPoint).toBe(0);
    expect(readFileSync(join(stale, 'recovery-point-offset-checkpoint'), 'utf8')).toBe('0\n1\n0\n');
  });

  it('assigns consecutive offsets and reads back from any offset across segment rolls', () => {
    const log = new PartitionLog(dir, options);
    for (let i = 0; i < 40; i++) expect(appendBatch(log, [`a${i}`, `b${i}`, 'x'.repeat(100)]).baseOffset).toBe(BigInt(i * 3));
    expect(log.logEndOffset).toBe(120);
    expect(readdirSync(dir).filter((f) => f.endsWith('.log')).length).toBeGreaterThan(1);
    const all = readValues(log);
    expect(all.map((r) => r.offset)).toEqual(Array.from({ length: 120 }, (_, i) => BigInt(i)));
    // A fetch from the middle of a batch starts with that whole batch.
    expect(readValues(log, 61)[0]).toEqual({ offset: 60n, value: 'a20' });
    log.close();
  });

  it('returns the first batch whole even when it exceeds maxBytes, and respects maxBytes after it', () => {
    const log = new PartitionLog(dir, options);
    appendBatch(log, ['y'.repeat(500)]);
    appendBatch(log, ['z'.repeat(500)]);
    expect(readValues(log, 0, 10)).toHaveLength(1);
    expect(readValues(log, 0, 10_000)).toHaveLength(2);
    log.close();
  });

  it('keeps every batch across a clean restart', () => {
    const log = new PartitionLog(dir, options);
    for (let i = 0; i < 10; i++) appendBatch(log, [`v${i}`]);
    log.close();
    const reopened = new PartitionLog(dir, options);
    expect(reopened.logEndOffset).toBe(10);
    expect(appendBatch(reopened, ['next']).baseOffset).toBe(10n);
    expect(readValues(reopened).map((r) => r.value)).toEqual([...Array.from({ length: 10 }, (_, i) => `v${i}`), 'next']);
    reopened.close();
  });

  it('cuts junk appended to the last segment on recovery and keeps every earlier batch', () => {
    const log = new PartitionLog(dir, options);
    for (let i = 0; i < 5; i++) appendBatch(log, [`keep${i}`]);
    log.close();
    const last = readdirSync(dir).filter((f) => f.endsWith('.log')).sort().at(-1)!;
    const sizeBefore = statSync(join(dir, last)).size;
    appendFileSync(join(dir, last), Buffer.from('this is not a record batch, it is a torn write ........................................'));
    const recovered = new PartitionLog(dir, options);
    expect(statSync(join(dir, last)).size).toBe(sizeBefore);
    expect(readValues(recovered).map((r) => r.value)).toEqual(['keep0', 'keep1', 'keep2', 'keep3', 'keep4']);
    expect(appendBatch(recovered, ['after']).baseOffset).toBe(5n);
    recovered.close();
  });

  it('cuts a batch whose bytes were corrupted, and everything after it', () => {
    const log = new PartitionLog(dir, { ...options, segmentBytes: 1 << 20 });
    for (let i = 0; i < 3; i++) appendBatch(log, [`v${i}`]);
    log.close();
    const file = join(dir, readdirSync(dir).find((f) => f.endsWith('.log'))!);
    const size = statSync(file).size;
    // Flip a byte inside the last batch's records, and make it look like a crash (no clean marker):
    // after a clean shutdown the log trusts its files, as Kafka does.
    rmSync(join(dir, CLEAN_SHUTDOWN));
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.from([0xaa]), 0, 1, size - 3);
    closeSync(fd);
    const recovered = new PartitionLog(dir, options);
    expect(readValues(recovered).map((r) => r.value)).toEqual(['v0', 'v1']);
    recovered.close();
  });

  it('finds offsets by timestamp and deletes old segments by retention', () => {
    const log = new PartitionLog(dir, { ...options, segmentBytes: 200 });
    const now = Date.now();
    for (let i = 0; i < 6; i++) appendBatch(log, [`t${i}`.padEnd(120, '.')], now - (6 - i) * 60_000);
    expect(log.offsetForTimestamp(now - 3.5 * 60_000)?.offset).toBe(3);
    expect(log.offsetForTimestamp(now + 1)).toBeNull();
    const deleted = log.applyRetention(150_000, -1, now);
    expect(deleted).toBeGreaterThan(0);
    expect(log.logStartOffset).toBeGreaterThan(0);
    expect(readValues(log, log.logStartOffset).map((r) => r.value.slice(0, 2))).toContain('t5');
    log.close();
  });

  it('a corrupt batch in an older segment ends the log there: later segments are removed', () => {
    const log = new PartitionLog(dir, { ...options, segmentBytes: 400 });
    for (let i = 0; i < 12; i++) appendBatch(log, [`s${i}`.padEnd(150, '.')]);
    const segments = log.segments.map((s) => s.baseOffset);
    expect(segments.length).toBeGreaterThan(4);
    log.close();
    rmSync(join(dir, CLEAN_SHUTDOWN));
    // Pretend nothing was ever flushed, and damage the second segment's last batch.
    rmSync(join(dir, 'recovery-point-offset-checkpoint'));
    const second = join(dir, `${String(segments[1]).padStart(20, '0')}.log`);
    const fd = openSync(second, 'r+');
    writeSync(fd, Buffer.from([0x55]), 0, 1, statSync(second).size - 2);
    closeSync(fd);
    const recovered = new PartitionLog(dir, options);
    expect(recovered.recovery.problem).toMatch(/CRC32C/);
    expect(recovered.segments.map((s) => s.baseOffset)).toEqual(segments.slice(0, 2));
    const values = readValues(recovered).map((r) => r.value.slice(0, 3));
    expect(values).toEqual(Array.from({ length: recovered.logEndOffset }, (_, i) => `s${i}`.padEnd(3, '.')));
    expect(recovered.logEndOffset).toBeLessThan(segments[2]!);
    expect(readdirSync(dir).filter((n) => n.endsWith('.log')).length).toBe(2);
    expect(appendBatch(recovered, ['next']).baseOffset).toBe(BigInt(recovered.logEndOffset - 1));
    recovered.close();
  });
});
