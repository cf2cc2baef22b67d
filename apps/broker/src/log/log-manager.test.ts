import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeRecordBatch, splitBatches } from '@tributary/protocol';
import { HIGH_WATERMARK_CHECKPOINT } from './log-loader.ts';
import { LogManager, type TopicLogConfig } from './log-manager.ts';
import { batchOf, memoryTempDir, readAll, tempDir } from './test-support.ts';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const base: TopicLogConfig = { segmentBytes: 200, segmentMs: 3_600_000, flushIntervalMessages: 1, cleanupPolicy: 'delete', retentionMs: -1, retentionBytes: -1, deleteRetentionMs: 86_400_000 };
const configs: Record<string, Partial<TopicLogConfig>> = { compacted: { cleanupPolicy: 'compact' }, small: { retentionBytes: 400 } };
const manager = () => new LogManager(dir, { retentionCheckIntervalMs: 300_000, configFor: (t) => ({ ...base, ...configs[t] }) });

describe('LogManager', () => {
  it('creates logs, reopens every partition of the data dir, runs each topic’s cleanup policy, reports sizes', async () => {
    const m = manager();
    for (let p = 0; p < 2; p++) m.getOrCreate('small', p);
    const compacted = m.getOrCreate('compacted', 0);
    for (let i = 0; i < 8; i++) m.get('small', 0)!.appendRecords(batchOf([`s${i}`.padEnd(120, '.')]), 0);
    for (let i = 0; i < 6; i++) compacted.appendRecords(encodeRecordBatch({ records: [{ key: 'same', value: `v${i}`.padEnd(120, '.') }] }), 0);
    compacted.updateHighWatermark(compacted.logEndOffset); // compaction works below the watermark only
    const before = m.totalBytes;
    m.close();

    const reopened = manager();
    reopened.openAll();
    expect(reopened.sizes().map((s) => `${s.topic}-${s.partition}`).sort()).toEqual(['compacted-0', 'small-0', 'small-1']);
    expect(reopened.totalBytes).toBe(before);
    const result = await reopened.cleanup();
    expect(result.segmentsDeleted).toBeGreaterThan(0);
    expect(reopened.get('small', 0)!.sizeBytes).toBeLessThanOrEqual(400 + 200);
    // One record per segment: v5 is the active segment's, which Kafka's cleaner neither cleans nor counts, so v4 stays too.
    expect(result.compacted[0]!.recordsRemoved).toBe(4);
    expect(readAll(reopened.get('compacted', 0)!).map((r) => r.value!.slice(0, 2))).toEqual(['v4', 'v5']);
    reopened.delete('small', 1);
    expect(existsSync(join(dir, 'small-1'))).toBe(false);
    expect(reopened.sizes().length).toBe(2);
    reopened.close();
  });

  it('forgets idempotent producers idle for producer.id.expiration.ms: a retry is then written again', () => {
    const m = new LogManager(dir, { retentionCheckIntervalMs: 300_000, configFor: () => base, producerIdExpiration: { expirationMs: 60_000, checkIntervalMs: 600_000 } });
    const log = m.getOrCreate('idem', 0);
    const sentAt = 1_790_000_000_000;
    const batch = () => encodeRecordBatch({ records: [{ value: 'once' }], baseTimestamp: sentAt, producerId: 42n, producerEpoch: 0, baseSequence: 0 });
    const blob = batch();
    const spans = splitBatches(blob).batches;
    const first = log.append(blob, spans, 0);
    // While remembered, the same batch again is a retry answered with its offset (the Produce path's check).
    expect(log.checkSequences(splitBatches(batch()).batches)).toMatchObject({ kind: 'duplicate', baseOffset: Number(first.baseOffset) });
    expect(m.expireProducers(sentAt + 59_999)).toBe(0);
    expect(log.checkSequences(splitBatches(batch()).batches)).toMatchObject({ kind: 'duplicate' });
    expect(m.expireProducers(sentAt + 60_000)).toBe(1);
    expect(log.checkSequences(splitBatches(batch()).batches)).toEqual({ kind: 'append' });
    m.close();
  });

  it('a new log is usable at once, its directory syncs run in the background; a delete right after creation leaves nothing', async () => {
    const m = manager();
    const log = m.getOrCreate('small', 0);
    expect(m.get('small', 0)).toBe(log);
    // flush.messages=1: this append is flushed, which makes the directory durable first if the background sync has not yet.
    log.appendRecords(batchOf(['a']), 0);
    expect(log.recoveryPoint).toBe(1);
    await log.syncNewDirectories();

    m.getOrCreate('small', 1);
    m.delete('small', 1);
    expect(existsSync(join(dir, 'small-1'))).toBe(false);
    m.close();

    const reopened = manager();
    reopened.openAll();
    expect(reopened.sizes().map((s) => `${s.topic}-${s.partition}`)).toEqual(['small-0']);
    expect(readAll(reopened.get('small', 0)!).map((r) => r.value)).toEqual(['a']);
    reopened.close();
  });
});

describe('LogManager: retention and compaction in slices', () => {
  // In memory: these tests are about the event loop and the results, not the disk.
  let dir: string;
  beforeEach(() => {
    dir = memoryTempDir();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const NOW = 1_800_000_000_000;
  const DAY = 86_400_000;
  const sliced = (d: string, cleanupSliceMs: number, onEvent?: ConstructorParameters<typeof LogManager>[1]['onEvent']) =>
    new LogManager(d, {
      retentionCheckIntervalMs: 300_000,
      cleanupSliceMs,
      onEvent,
      // No fsync per append here (base flushes every message): these logs are only filled to be cleaned.
      configFor: (t) => ({ ...base, segmentBytes: 16_384, flushIntervalMessages: Number.MAX_SAFE_INTEGER, ...(t.startsWith('compacted') ? { cleanupPolicy: 'compact' } : { retentionMs: DAY }) }),
    });
  /** Compacted logs with `keys` keys written `updates` times (tombstones among them), and delete-policy logs half expired. */
  function fill(m: LogManager, logs: number, keys: number, updates: number): void {
    for (let p = 0; p < logs; p++) {
      const c = m.getOrCreate(p === 0 ? 'compacted-big' : 'compacted', p);
      const n = p === 0 ? keys * 20 : keys;
      for (let u = 0; u < updates; u++)
        for (let k = 0; k < n; k += 50)
          c.appendRecords(encodeRecordBatch({ records: Array.from({ length: Math.min(50, n - k) }, (_, i) => ({ key: `k${k + i}`, value: (k + i) % 7 === u ? null : `v${u}-${k + i}`, timestamp: NOW - (updates - u) * DAY })) }), 0);
      c.updateHighWatermark(c.logEndOffset);
      const d = m.getOrCreate('deleted', p);
      for (let i = 0; i < 20; i++) d.appendRecords(batchOf([`d${i}`.padEnd(1600, '.')], i < 10 ? NOW - 2 * DAY : NOW), 0);
      d.updateHighWatermark(d.logEndOffset);
    }
  }
  const contents = (m: LogManager) => [...m.entries()].map(({ topic, partition, log }) => ({ topic, partition, start: log.logStartOffset, records: readAll(log) })).sort((a, b) => `${a.topic}-${a.partition}`.localeCompare(`${b.topic}-${b.partition}`));

  it('a pass over many logs lets the event loop run between slices: a timer set as it starts fires before it ends; the results are those of the synchronous pass', async () => {
    const twin = memoryTempDir();
    try {
      // The same data twice: one pass pausing at every step (slices of 0 ms), one run without pausing (a slice longer than the pass).
      const stepwise = sliced(dir, 0);
      const whole = sliced(twin, 60_000);
      fill(stepwise, 30, 200, 4);
      fill(whole, 30, 200, 4);
      const expected = await whole.cleanup(NOW);
      let timerFired = false;
      const pass = stepwise.cleanup(NOW).then((r) => ({ ...r, timerFiredBeforeTheEnd: timerFired }));
      setTimeout(() => (timerFired = true), 0);
      const result = await pass;
      expect(result.timerFiredBeforeTheEnd).toBe(true);
      expect(result.segmentsDeleted).toBe(expected.segmentsDeleted);
      expect(result.segmentsDeleted).toBeGreaterThan(0);
      expect(result.compacted).toEqual(expected.compacted);
      expect(result.compacted.reduce((n, r) => n + r.recordsRemoved, 0)).toBeGreaterThan(0);
      // (compared as text: a deep toEqual over tens of thousands of records takes seconds)
      const [got, want] = [JSON.stringify(contents(stepwise)), JSON.stringify(contents(whole))];
      expect(got.length).toBeGreaterThan(100_000);
      expect(got === want).toBe(true);
      stepwise.close();
      whole.close();
    } finally {
      rmSync(twin, { recursive: true, force: true });
    }
  });

  it('a long compaction does not hold up retention of the other logs: the two passes take turns', async () => {
    const events: string[] = [];
    const m = sliced(dir, 1, (e) => {
      if (e.kind !== 'error') events.push(`${e.kind} ${e.topic}`);
    });
    fill(m, 10, 200, 4); // compacted-big-0 holds 4,000 keys × 4 updates: many 1 ms slices
    await m.cleanup(NOW);
    expect(events.filter((e) => e === 'retention deleted')).toHaveLength(10);
    // The big log is compacted first; every retention was done before its compaction ended.
    expect(events.indexOf('compaction compacted-big')).toBeGreaterThan(events.lastIndexOf('retention deleted'));
    m.close();
  });

  it('close() during a pass stops it at its next step: no .cleaned file left, every key’s latest value still there after reopening', async () => {
    const m = sliced(dir, 0);
    fill(m, 3, 100, 3);
    const before = contents(m);
    const pass = m.cleanup(NOW);
    // Let a few steps run, then close under the pass.
    for (let i = 0; i < 200; i++) await new Promise((r) => setImmediate(r));
    m.close();
    await pass;
    const left = readdirSync(dir, { recursive: true }).map(String);
    expect(left.filter((f) => f.endsWith('.cleaned'))).toEqual([]);
    const reopened = sliced(dir, 0);
    reopened.openAll();
    const latest = (records: ReturnType<typeof readAll>) => Object.fromEntries(records.filter((r) => r.key !== null).map((r) => [r.key, r.value]));
    const after = contents(reopened);
    for (const b of before.filter((l) => l.topic.startsWith('compacted'))) {
      const a = after.find((l) => l.topic === b.topic && l.partition === b.partition)!;
      expect(latest(a.records)).toEqual(latest(b.records));
    }
    reopened.close();
  });

  it('the recovery-point checkpoint round goes one log per step: a timer set as it starts fires before it ends, and every moved high watermark is on disk after it', async () => {
    const m = sliced(dir, 0);
    const logs = Array.from({ length: 30 }, (_, p) => m.getOrCreate('deleted', p));
    for (const log of logs) {
      log.appendRecords(batchOf(['x', 'y']), 0);
      log.updateHighWatermark(2);
    }
    let timerFired = false;
    const round = m.checkpointRecoveryPoints().then(() => timerFired);
    setTimeout(() => (timerFired = true), 0);
    expect(await round).toBe(true);
    for (let p = 0; p < logs.length; p++) expect(readFileSync(join(dir, `deleted-${p}`, HIGH_WATERMARK_CHECKPOINT), 'utf8')).toBe('0\n1\n2\n');
    m.close();
  });
});

