import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeRecordBatch, ErrorCode, validateProducedBlob } from '@tributary/protocol';
import { CLEAN_SHUTDOWN, TRANSACTION_SNAPSHOT } from './log-loader.ts';
import { PartitionLog } from './partition-log.ts';
import { compactLog } from './compaction.ts';
import { CONTROL_FLAG } from './transaction-index.ts';
import { readAll, tempDir, testOptions } from './test-support.ts';

// The partition side of transactions on a real log: transactional batches hold the last stable
// offset back until their producer's marker; ABORT markers become aborted ranges for
// read_committed fetches; all of it survives clean and unclean restarts, truncation and expiry.
let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_700_000_000_000;
const seqs = new Map<bigint, number>();

function append(log: PartitionLog, producerId: bigint, values: string[], transactional = true): number {
  const baseSequence = seqs.get(producerId) ?? 0;
  seqs.set(producerId, baseSequence + values.length);
  const blob = encodeRecordBatch({ isTransactional: transactional, producerId, producerEpoch: 0, baseSequence, baseTimestamp: T0, records: values.map((value) => ({ value })) });
  const checked = validateProducedBlob(blob, 1 << 20);
  if (!checked.ok) throw new Error(checked.problem.detail);
  const result = log.append(blob, checked.batches, 0);
  log.updateHighWatermark(log.logEndOffset);
  return Number(result.baseOffset);
}

function keyed(log: PartitionLog, producerId: bigint, key: string, value: string, transactional: boolean): void {
  const blob = encodeRecordBatch({ isTransactional: transactional, producerId, producerEpoch: transactional ? 0 : -1, baseSequence: transactional ? 0 : -1, baseTimestamp: T0, records: [{ key, value }] });
  const checked = validateProducedBlob(blob, 1 << 20);
  if (!checked.ok) throw new Error(checked.problem.detail);
  log.append(blob, checked.batches, 0);
  log.updateHighWatermark(log.logEndOffset);
}

function mark(log: PartitionLog, producerId: bigint, commit: boolean, producerEpoch = 0): number {
  const result = log.appendMarker({ producerId, producerEpoch, commit, coordinatorEpoch: 3 }, 0);
  log.updateHighWatermark(log.logEndOffset);
  return Number(result.baseOffset);
}

/** Closes the log and opens its directory again, as after a clean shutdown or a crash (no clean-shutdown file). */
function restart(log: PartitionLog, kind: 'clean' | 'unclean'): PartitionLog {
  log.close();
  if (kind === 'unclean') rmSync(join(dir, CLEAN_SHUTDOWN));
  const reopened = new PartitionLog(dir, testOptions);
  expect(reopened.recovery.clean).toBe(kind === 'clean');
  return reopened;
}

describe('transactions in the partition log', () => {
  beforeEach(() => seqs.clear());

  it('holds the last stable offset at the oldest running transaction and lists aborted ones', () => {
    const log = new PartitionLog(dir, testOptions);
    append(log, 1n, ['plain'], false); // 0
    const first = append(log, 7n, ['a1', 'a2']); // 1-2
    append(log, 8n, ['c1']); // 3
    expect(log.lastStableOffset).toBe(first);
    const abortAt = mark(log, 7n, false); // 4
    // Producer 8 still runs: the LSO moves only to its first offset.
    expect(log.lastStableOffset).toBe(3);
    mark(log, 8n, true); // 5
    expect(log.lastStableOffset).toBe(log.highWatermark);
    expect(log.abortedTransactions(0, log.logEndOffset)).toEqual([{ producerId: 7n, firstOffset: first, lastOffset: abortAt }]);
    // A fetch range that ends before the aborted transaction starts, or starts after its marker, lists none.
    expect(log.abortedTransactions(0, 1)).toEqual([]);
    expect(log.abortedTransactions(5, 6)).toEqual([]);
    // Markers are control batches in the log: read_uncommitted readers get them, clients skip them.
    const values = readAll(log).map((r) => r.value);
    expect(values.slice(0, 4)).toEqual(['plain', 'a1', 'a2', 'c1']);
    expect(values).toHaveLength(6);
    log.close();
  });

  for (const kind of ['clean', 'unclean'] as const) {
    it(`keeps running and aborted transactions across a ${kind} restart`, () => {
      const log = new PartitionLog(dir, testOptions);
      append(log, 7n, ['a1']);
      mark(log, 7n, false);
      const running = append(log, 8n, ['r1']);
      const reopened = restart(log, kind);
      expect(reopened.lastStableOffset).toBe(running);
      expect(reopened.abortedTransactions(0, reopened.logEndOffset)).toEqual([{ producerId: 7n, firstOffset: 0, lastOffset: 1 }]);
      // DescribeProducers' view survives too: the marker's coordinator epoch (from the snapshot, or read back from the control batch) and the running transaction's first offset.
      expect(reopened.activeProducers().sort((a, b) => Number(a.producerId - b.producerId))).toEqual([
        { producerId: 7n, epoch: 0, lastSequence: 0, lastTimestamp: expect.any(Number), coordinatorEpoch: 3, currentTxnStartOffset: -1 },
        { producerId: 8n, epoch: 0, lastSequence: 0, lastTimestamp: T0, coordinatorEpoch: -1, currentTxnStartOffset: running },
      ]);
      reopened.close();
    });
  }

  for (const kind of ['clean', 'unclean'] as const) {
    it(`fences markers of a coordinator older than the producer's last marker, also after a ${kind} restart`, () => {
      const log = new PartitionLog(dir, testOptions);
      append(log, 7n, ['a1']);
      mark(log, 7n, true); // coordinator epoch 3
      // A producer without a marker here yet, and one the partition does not know, take any coordinator.
      append(log, 8n, ['r1']);
      expect(log.fencesMarkerCoordinator(8n, 0)).toBe(false);
      expect(log.fencesMarkerCoordinator(99n, 0)).toBe(false);
      const fenced = (l: PartitionLog) => [2, 3, 4].map((epoch) => l.fencesMarkerCoordinator(7n, epoch));
      expect(fenced(log)).toEqual([true, false, false]);
      // Clean: the epoch comes from the producer snapshot; unclean: from the COMMIT control batch's value.
      const reopened = restart(log, kind);
      expect(fenced(reopened)).toEqual([true, false, false]);
      // A marker of a newer coordinator raises the bar: the one before it is fenced from then on.
      reopened.appendMarker({ producerId: 7n, producerEpoch: 0, commit: false, coordinatorEpoch: 5 }, 0);
      expect([3, 4, 5].map((epoch) => reopened.fencesMarkerCoordinator(7n, epoch))).toEqual([true, true, false]);
      reopened.close();
    });
  }

  for (const kind of ['clean', 'unclean'] as const) {
    it(`refuses markers of a producer epoch older than the producer's here, also after a ${kind} restart`, () => {
      const log = new PartitionLog(dir, testOptions);
      append(log, 7n, ['a1']); // producer epoch 0
      // A producer the partition does not know takes any epoch; its own epoch and newer ones are not refused.
      expect(log.fencesMarkerProducerEpoch(99n, 0)).toBe(false);
      expect([0, 1].map((epoch) => log.fencesMarkerProducerEpoch(7n, epoch))).toEqual([false, false]);
      mark(log, 7n, false, 2); // a fenced producer's transaction aborted at epoch 2
      const fenced = (l: PartitionLog) => [1, 2, 3].map((epoch) => l.fencesMarkerProducerEpoch(7n, epoch));
      expect(fenced(log)).toEqual([true, false, false]);
      // Clean: the epoch comes from the producer snapshot; unclean: from the ABORT control batch's header.
      const reopened = restart(log, kind);
      expect(fenced(reopened)).toEqual([true, false, false]);
      reopened.close();
    });
  }

  it('rebuilds the index from the log when a clean shutdown left no transaction snapshot (a log of an older broker)', () => {
    const log = new PartitionLog(dir, testOptions);
    const running = append(log, 9n, ['r1']);
    log.close();
    rmSync(join(dir, TRANSACTION_SNAPSHOT));
    const reopened = new PartitionLog(dir, testOptions);
    expect(reopened.lastStableOffset).toBe(running);
    reopened.close();
  });

  it('a truncation below a marker makes its transaction run again', () => {
    const log = new PartitionLog(dir, testOptions);
    append(log, 7n, ['a1']);
    const marker = mark(log, 7n, false);
    log.truncateTo(marker);
    expect(log.abortedTransactions(0, 10)).toEqual([]);
    expect(log.lastStableOffset).toBe(0);
    log.close();
  });

  it('never expires a producer whose transaction is running; a marker of a newer epoch fences the old one', () => {
    const log = new PartitionLog(dir, testOptions);
    append(log, 7n, ['t1']);
    append(log, 5n, ['i1'], false);
    expect(log.expireProducers(T0 + 10_000, 1000)).toBe(1);
    // Producer 7 is still known: its next batch in order is accepted, a gap is refused.
    const next = encodeRecordBatch({ isTransactional: true, producerId: 7n, producerEpoch: 0, baseSequence: 5, baseTimestamp: T0, records: [{ value: 'gap' }] });
    const checked = validateProducedBlob(next, 1 << 20);
    if (!checked.ok) throw new Error(checked.problem.detail);
    expect(log.checkSequences(checked.batches).kind).toBe('error');
    // The coordinator aborted with a bumped epoch: the producer's old epoch is fenced.
    mark(log, 7n, false, 1);
    const zombie = encodeRecordBatch({ isTransactional: true, producerId: 7n, producerEpoch: 0, baseSequence: 1, baseTimestamp: T0, records: [{ value: 'zombie' }] });
    const z = validateProducedBlob(zombie, 1 << 20);
    if (!z.ok) throw new Error(z.problem.detail);
    expect(log.checkSequences(z.batches)).toMatchObject({ kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
    log.close();
  });

  it('compaction removes an aborted transaction and keeps the committed value it would have replaced; the marker goes in a later pass', () => {
    const log = new PartitionLog(dir, testOptions);
    keyed(log, -1n, 'k', 'committed', false);
    keyed(log, 21n, 'k', 'aborted', true);
    const abortAt = mark(log, 21n, false);
    log.roll();
    keyed(log, -1n, 'other', 'x', false);
    const retention = 60_000;
    compactLog(log, { deleteRetentionMs: retention, now: Date.now() + 2 * retention });
    // As Kafka's cleaner: the aborted batch is gone, and it is no newer value of k.
    expect(dataValues(log)).toEqual(['committed', 'x']);
    // The ABORT marker stays in the pass that removed its transaction's batches…
    expect(markers(log)).toEqual([abortAt]);
    // …and goes in the next one, once delete.retention.ms has passed since it was written.
    compactLog(log, { deleteRetentionMs: retention, now: Date.now() });
    expect(markers(log)).toEqual([abortAt]);
    compactLog(log, { deleteRetentionMs: retention, now: Date.now() + 2 * retention });
    expect(markers(log)).toEqual([]);
    log.close();
  });

  it('compaction treats a committed transaction like any record, and keeps a running one whole without letting it replace anything', () => {
    const log = new PartitionLog(dir, testOptions);
    keyed(log, -1n, 'a', 'a-old', false);
    keyed(log, 31n, 'a', 'a-committed', true);
    const commitAt = mark(log, 31n, true);
    keyed(log, -1n, 'b', 'b-old', false);
    keyed(log, 32n, 'b', 'b-running', true);
    log.roll();
    keyed(log, -1n, 'other', 'x', false);
    expect(log.lastStableOffset).toBe(commitAt + 2); // b-running holds it
    const retention = 60_000;
    compactLog(log, { deleteRetentionMs: retention, now: Date.now() + 2 * retention });
    // The committed value replaced a-old; the running transaction neither replaced b-old nor went.
    expect(dataValues(log)).toEqual(['a-committed', 'b-old', 'b-running', 'x']);
    // A COMMIT marker whose transaction still has a batch in the log stays, however old
    // (__consumer_offsets replays a TxnOffsetCommit only with its marker after it).
    expect(markers(log)).toEqual([commitAt]);
    compactLog(log, { deleteRetentionMs: retention, now: Date.now() + 2 * retention });
    expect(markers(log)).toEqual([commitAt]);
    expect(log.lastStableOffset).toBe(commitAt + 2);
    log.close();
  });

  it('compaction stops at the last stable offset, as Kafka\'s cleaner: a record written after a running transaction began, even committed and in a closed segment, is not a key\'s latest value', () => {
    const log = new PartitionLog(dir, testOptions);
    keyed(log, -1n, 'k', 'k-old', false);
    keyed(log, -1n, 'f', 'f-old', false);
    keyed(log, -1n, 'f', 'f-new', false);
    keyed(log, 41n, 't', 't-running', true);
    keyed(log, -1n, 'k', 'k-after', false);
    log.roll();
    keyed(log, -1n, 'other', 'x', false);
    expect(log.lastStableOffset).toBe(3); // t-running holds it; the high watermark is the log end
    const retention = 60_000;
    compactLog(log, { deleteRetentionMs: retention, now: Date.now() + 2 * retention });
    // Below the LSO f compacts; k-after is above it, so k-old stays (before 2026-12-03 it went).
    expect(dataValues(log)).toEqual(['k-old', 'f-new', 't-running', 'k-after', 'x']);
    // Once the transaction ends, the LSO moves to the log end and k-after counts.
    mark(log, 41n, true);
    log.roll();
    compactLog(log, { deleteRetentionMs: retention, now: Date.now() + 2 * retention });
    expect(dataValues(log)).toEqual(['f-new', 't-running', 'k-after', 'x']);
    log.close();
  });

  it('a running transaction is the producer\'s at its epoch only: a batch of the next epoch (transaction version 2) is not in it', () => {
    const log = new PartitionLog(dir, testOptions);
    append(log, 41n, ['t1']); // epoch 0
    expect(log.hasOngoingTransaction(41n, 0)).toBe(true);
    // The producer's next transaction (epoch 1) must join at the coordinator, though the marker of
    // the one at epoch 0 has not arrived yet.
    expect(log.hasOngoingTransaction(41n, 1)).toBe(false);
    expect(log.hasOngoingTransaction(42n, 0)).toBe(false);
    mark(log, 41n, false, 1); // the abort, at the bumped epoch
    expect(log.hasOngoingTransaction(41n, 0)).toBe(false);
    expect(log.hasOngoingTransaction(41n, 1)).toBe(false);
    const next = encodeRecordBatch({ isTransactional: true, producerId: 41n, producerEpoch: 1, baseSequence: 0, baseTimestamp: T0, records: [{ value: 't2' }] });
    const checked = validateProducedBlob(next, 1 << 20);
    if (!checked.ok) throw new Error(checked.problem.detail);
    log.append(next, checked.batches, 0);
    expect(log.hasOngoingTransaction(41n, 1)).toBe(true);
    log.close();
  });
});

/** Values of the log's data records (markers left out). */
function dataValues(log: PartitionLog): (string | null)[] {
  const control = new Set(markers(log));
  return readAll(log).filter((r) => !control.has(r.offset)).map((r) => r.value);
}

/** Offsets of the control batches (transaction markers) in the log. */
function markers(log: PartitionLog): number[] {
  const out: number[] = [];
  for (const seg of log.segments) {
    seg.scan(0, (b) => {
      if ((b.attributes & CONTROL_FLAG) !== 0) out.push(b.baseOffset);
      return true;
    });
  }
  return out;
}
