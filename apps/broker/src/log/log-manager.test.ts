import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeRecordBatch, splitBatches } from '@tributary/protocol';
import { LogManager, type TopicLogConfig } from './log-manager.ts';
import { batchOf, readAll, tempDir } from './test-support.ts';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const base: TopicLogConfig = { segmentBytes: 200, segmentMs: 3_600_000, flushIntervalMessages: 1, cleanupPolicy: 'delete', retentionMs: -1, retentionBytes: -1, deleteRetentionMs: 86_400_000 };
const configs: Record<string, Partial<TopicLogConfig>> = { compacted: { cleanupPolicy: 'compact' }, small: { retentionBytes: 400 } };
const manager = () => new LogManager(dir, { retentionCheckIntervalMs: 300_000, configFor: (t) => ({ ...base, ...configs[t] }) });

describe('LogManager', () => {
  it('creates logs, reopens every partition of the data dir, runs each topic’s cleanup policy, reports sizes', () => {
    const m = manager();
    for (let p = 0; p < 2; p++) m.getOrCreate('small', p);
    const compacted = m.getOrCreate('compacted', 0);
    for (let i = 0; i < 8; i++) m.get('small', 0)!.appendRecords(batchOf([`s${i}`.padEnd(120, '.')]), 0);
    for (let i = 0; i < 6; i++) compacted.appendRecords(encodeRecordBatch({ records: [{ key: 'same', value: `v${i}`.padEnd(120, '.') }] }), 0);
    const before = m.totalBytes;
    m.close();

    const reopened = manager();
    reopened.openAll();
    expect(reopened.sizes().map((s) => `${s.topic}-${s.partition}`).sort()).toEqual(['compacted-0', 'small-0', 'small-1']);
    expect(reopened.totalBytes).toBe(before);
    const result = reopened.cleanup();
    expect(result.segmentsDeleted).toBeGreaterThan(0);
    expect(reopened.get('small', 0)!.sizeBytes).toBeLessThanOrEqual(400 + 200);
    expect(result.compacted[0]!.recordsRemoved).toBe(5);
    expect(readAll(reopened.get('compacted', 0)!).map((r) => r.value!.slice(0, 2))).toEqual(['v5']);
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
