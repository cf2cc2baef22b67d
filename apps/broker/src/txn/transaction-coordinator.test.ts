import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeRecordBatch, ErrorCode, splitBatches } from '@tributary/protocol';
import { PartitionLog } from '../log/partition-log.ts';
import { tempDir, testOptions } from '../log/test-support.ts';
import { TransactionCoordinator, type MarkerRequest, type MarkersAbandoned } from './transaction-coordinator.ts';
import { decodeTransactionRecord, TxnState } from './transaction-records.ts';
import { TransactionStateStore } from './transaction-state-store.ts';

// The coordinator on a real `__transaction_state` partition log, with a clock the test moves. The
// partition leaders' side is the test itself: each marker request waits until the test lets it
// land (or fail), so every intermediate state can be observed.
const dirs: string[] = [];
const open: { coordinator: TransactionCoordinator; log: PartitionLog }[] = [];

interface Pending {
  request: MarkerRequest;
  land(): void;
  fail(): void;
  /** A leader refused the markers for good (its producer or coordinator epoch is newer). */
  fence(errorCode: number): void;
}

function coordinatorAt(dir: string, clock: { now: number }) {
  const log = new PartitionLog(dir, testOptions);
  const markers: Pending[] = [];
  let nextId = 1000n;
  const coordinator = new TransactionCoordinator(
    new TransactionStateStore(log),
    async () => nextId++,
    (request) => new Promise<MarkersAbandoned | void>((resolve, reject) => markers.push({ request, land: () => resolve(), fail: () => reject(new Error('leader unreachable')), fence: (abandonedWith) => resolve({ abandonedWith }) })),
    { maxTimeoutMs: 900_000, markerRetryMs: 10 },
    () => clock.now,
  );
  open.push({ coordinator, log });
  return { coordinator, log, markers };
}

function fresh() {
  const dir = tempDir();
  dirs.push(dir);
  const clock = { now: 1_000_000 };
  return { dir, clock, ...coordinatorAt(dir, clock) };
}

/** The raw records of a small log (one read), keys and values as the broker wrote them. */
function rawRecords(log: PartitionLog): { key: Buffer; value: Buffer | null }[] {
  const blob = log.read(log.logStartOffset, 1 << 20);
  return splitBatches(blob).batches.flatMap((s) => decodeRecordBatch(blob.subarray(s.position, s.position + s.size)).records.map((r) => ({ key: r.key!, value: r.value })));
}

const tp = (topic: string, partition: number) => ({ topic, partition });

afterEach(() => {
  for (const { coordinator, log } of open.splice(0)) {
    coordinator.close();
    if (!log.closed) log.close();
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('transaction coordinator (transaction version 1, as Kafka)', () => {
  it('gives a transactional id a producer id, bumps the epoch on each InitProducerId and fences the older producer', async () => {
    const { coordinator } = fresh();
    const first = await coordinator.initProducerId('t1', 60_000, null);
    expect(first).toEqual({ errorCode: 0, producerId: 1000n, producerEpoch: 0 });
    const second = await coordinator.initProducerId('t1', 60_000, null);
    expect(second).toEqual({ errorCode: 0, producerId: 1000n, producerEpoch: 1 });
    // The zombie (epoch 0) is fenced; an unknown producer id or transactional id is not this id's producer.
    expect(coordinator.addPartitions('t1', 1000n, 0, [tp('a', 0)])).toBe(ErrorCode.PRODUCER_FENCED);
    expect(coordinator.addPartitions('t1', 999n, 1, [tp('a', 0)])).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(coordinator.addPartitions('nobody', 1000n, 1, [tp('a', 0)])).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(coordinator.endTxn('t1', 1000n, 0, true)).toBe(ErrorCode.PRODUCER_FENCED);
    // Another transactional id gets another producer id.
    expect((await coordinator.initProducerId('t2', 60_000, null)).producerId).toBe(1001n);
  });

  it('refuses a transaction.timeout.ms over transaction.max.timeout.ms', async () => {
    const { coordinator } = fresh();
    expect((await coordinator.initProducerId('t', 900_001, null)).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await coordinator.initProducerId('t', 0, null)).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await coordinator.initProducerId('t', 900_000, null)).errorCode).toBe(0);
  });

  it('KIP-360: a producer naming its current epoch gets the next one; a retry naming the previous epoch gets the current one again; anything else is fenced', async () => {
    const { coordinator } = fresh();
    const { producerId } = await coordinator.initProducerId('t', 60_000, null);
    expect(await coordinator.initProducerId('t', 60_000, { producerId, producerEpoch: 0 })).toEqual({ errorCode: 0, producerId, producerEpoch: 1 });
    expect(await coordinator.initProducerId('t', 60_000, { producerId, producerEpoch: 0 })).toEqual({ errorCode: 0, producerId, producerEpoch: 1 });
    expect((await coordinator.initProducerId('t', 60_000, { producerId: producerId + 7n, producerEpoch: 1 })).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('commits: Ongoing, then PrepareCommit with markers on every partition, then CompleteCommit; retries of the end are answered as Kafka does', async () => {
    const { coordinator, markers } = fresh();
    const { producerId, producerEpoch } = await coordinator.initProducerId('t', 60_000, null);
    expect(coordinator.endTxn('t', producerId, producerEpoch, true)).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(coordinator.addPartitions('t', producerId, producerEpoch, [tp('a', 0), tp('a', 1)])).toBe(0);
    expect(coordinator.addPartitions('t', producerId, producerEpoch, [tp('a', 1), tp('__consumer_offsets', 0)])).toBe(0);
    expect(coordinator.describe('t')!.state).toBe(TxnState.Ongoing);
    expect(coordinator.inTransaction('t', producerId, producerEpoch, tp('a', 1))).toBe(true);
    expect(coordinator.inTransaction('t', producerId, producerEpoch, tp('b', 0))).toBe(false);

    expect(coordinator.endTxn('t', producerId, producerEpoch, true)).toBe(0);
    expect(coordinator.describe('t')!.state).toBe(TxnState.PrepareCommit);
    expect(markers).toHaveLength(1);
    expect(markers[0]!.request).toMatchObject({ transactionalId: 't', producerId, producerEpoch, commit: true });
    expect(markers[0]!.request.partitions).toEqual(expect.arrayContaining([tp('a', 0), tp('a', 1), tp('__consumer_offsets', 0)]));
    expect(markers[0]!.request.partitions).toHaveLength(3);
    // While the markers are written, the producer's next steps wait; the other outcome is refused.
    expect(coordinator.addPartitions('t', producerId, producerEpoch, [tp('a', 0)])).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(coordinator.endTxn('t', producerId, producerEpoch, true)).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect((await coordinator.initProducerId('t', 60_000, null)).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);

    markers[0]!.land();
    await vi.waitFor(() => expect(coordinator.describe('t')!.state).toBe(TxnState.CompleteCommit));
    expect(coordinator.describe('t')!.partitions.size).toBe(0);
    expect(coordinator.endTxn('t', producerId, producerEpoch, true)).toBe(0);
    expect(coordinator.endTxn('t', producerId, producerEpoch, false)).toBe(ErrorCode.INVALID_TXN_STATE);
    // The next transaction starts with the same producer id and epoch.
    expect(coordinator.addPartitions('t', producerId, producerEpoch, [tp('b', 0)])).toBe(0);
    expect(coordinator.describe('t')!.state).toBe(TxnState.Ongoing);
  });

  it('writes markers again until they land: the outcome, once persisted, is never lost', async () => {
    const { coordinator, markers } = fresh();
    const { producerId, producerEpoch } = await coordinator.initProducerId('t', 60_000, null);
    coordinator.addPartitions('t', producerId, producerEpoch, [tp('a', 0)]);
    coordinator.endTxn('t', producerId, producerEpoch, false);
    markers[0]!.fail();
    await vi.waitFor(() => expect(markers).toHaveLength(2));
    expect(markers[1]!.request).toMatchObject({ commit: false, partitions: [tp('a', 0)] });
    expect(coordinator.describe('t')!.state).toBe(TxnState.PrepareAbort);
    markers[1]!.land();
    await vi.waitFor(() => expect(coordinator.describe('t')!.state).toBe(TxnState.CompleteAbort));
  });

  it('stops sending a transaction\'s markers once a leader fences them (TRANSACTION_COORDINATOR_FENCED or INVALID_PRODUCER_EPOCH), as Kafka ignores the transaction from then on', async () => {
    for (const errorCode of [ErrorCode.TRANSACTION_COORDINATOR_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH]) {
      const { coordinator, markers, clock } = fresh();
      const { producerId, producerEpoch } = await coordinator.initProducerId('t', 60_000, null);
      coordinator.addPartitions('t', producerId, producerEpoch, [tp('a', 0)]);
      coordinator.endTxn('t', producerId, producerEpoch, true);
      // The retry timer is faked, so "no retry" is checked without waiting: a second of fake time is
      // a hundred retries (markerRetryMs is 10) had the coordinator kept sending.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      try {
        markers[0]!.fence(errorCode);
        await vi.advanceTimersByTimeAsync(1_000);
      } finally {
        vi.useRealTimers();
      }
      clock.now += 60_000;
      coordinator.abortTimedOut();
      expect(markers, `after ${errorCode}`).toHaveLength(1);
      // Not completed: the newer coordinator (or producer) decides; this one answers as Kafka's while the transaction is undecided here.
      expect(coordinator.describe('t')!.state).toBe(TxnState.PrepareCommit);
      expect(coordinator.endTxn('t', producerId, producerEpoch, true)).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    }
  });

  it('InitProducerId while a transaction runs aborts it with a fencing epoch and asks the caller to retry', async () => {
    const { coordinator, markers } = fresh();
    const { producerId } = await coordinator.initProducerId('t', 60_000, null);
    coordinator.addPartitions('t', producerId, 0, [tp('a', 0)]);
    expect((await coordinator.initProducerId('t', 60_000, null)).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(markers[0]!.request).toMatchObject({ producerId, producerEpoch: 1, commit: false, partitions: [tp('a', 0)] });
    markers[0]!.land();
    await vi.waitFor(() => expect(coordinator.describe('t')!.state).toBe(TxnState.CompleteAbort));
    expect(await coordinator.initProducerId('t', 60_000, null)).toEqual({ errorCode: 0, producerId, producerEpoch: 2 });
    expect(coordinator.addPartitions('t', producerId, 0, [tp('a', 0)])).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('aborts a transaction older than its transaction.timeout.ms and fences the producer that hung', async () => {
    const { coordinator, markers, clock } = fresh();
    const { producerId, producerEpoch } = await coordinator.initProducerId('t', 10_000, null);
    coordinator.addPartitions('t', producerId, producerEpoch, [tp('a', 0)]);
    clock.now += 9_999;
    expect(coordinator.abortTimedOut()).toBe(0);
    clock.now += 2;
    expect(coordinator.abortTimedOut()).toBe(1);
    expect(markers[0]!.request).toMatchObject({ producerEpoch: producerEpoch + 1, commit: false });
    markers[0]!.land();
    await vi.waitFor(() => expect(coordinator.describe('t')!.state).toBe(TxnState.CompleteAbort));
    expect(coordinator.endTxn('t', producerId, producerEpoch, true)).toBe(ErrorCode.PRODUCER_FENCED);
    expect(coordinator.addPartitions('t', producerId, producerEpoch, [tp('a', 0)])).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('forgets a transactional id idle longer than transactional.id.expiration.ms, never one with a running transaction, and the tombstone outlives a reload', async () => {
    const { dir, clock, coordinator, log, markers } = fresh();
    const idle = await coordinator.initProducerId('idle', 10_000, null);
    const done = await coordinator.initProducerId('done', 10_000, null);
    coordinator.addPartitions('done', done.producerId, done.producerEpoch, [tp('a', 0)]);
    coordinator.endTxn('done', done.producerId, done.producerEpoch, true);
    const running = await coordinator.initProducerId('running', 10_000, null);
    coordinator.addPartitions('running', running.producerId, running.producerEpoch, [tp('a', 1)]);
    // 'done' is still writing its markers: not expired while it completes.
    clock.now += 60_000;
    expect(coordinator.expireIdle(60_000)).toBe(1);
    expect(coordinator.describe('idle')).toBeUndefined();
    markers[0]!.land();
    await vi.waitFor(() => expect(coordinator.describe('done')!.state).toBe(TxnState.CompleteCommit));
    // Its completion was an update: the clock starts again from there.
    expect(coordinator.expireIdle(60_000)).toBe(0);
    clock.now += 60_000;
    expect(coordinator.expireIdle(60_000)).toBe(1);
    expect(coordinator.describe('done')).toBeUndefined();
    // A running transaction is aborted by its timeout, not expired.
    expect(coordinator.describe('running')!.state).toBe(TxnState.Ongoing);
    // An expired id starts again as a new one: a new producer id at epoch 0.
    const again = await coordinator.initProducerId('idle', 10_000, null);
    expect(again.producerId).not.toBe(idle.producerId);
    expect(again.producerEpoch).toBe(0);
    coordinator.close();
    log.close();
    const reloaded = coordinatorAt(dir, clock).coordinator;
    expect(reloaded.describe('done')).toBeUndefined();
    expect(reloaded.describe('idle')!.producerId).toBe(again.producerId);
    expect(reloaded.describe('running')!.state).toBe(TxnState.Ongoing);
  });

  it('persists every transition in __transaction_state in Kafka’s format and, reloaded, finishes a decided transaction', async () => {
    const { dir, clock, coordinator, log, markers } = fresh();
    const { producerId, producerEpoch } = await coordinator.initProducerId('t', 60_000, null);
    coordinator.addPartitions('t', producerId, producerEpoch, [tp('a', 0), tp('a', 2)]);
    coordinator.endTxn('t', producerId, producerEpoch, true);
    expect(markers).toHaveLength(1);
    // The broker stops before the markers land.
    coordinator.close();
    const raw = rawRecords(log);
    log.close();
    // Key version 0, value version 1: what Kafka 4.4 writes (transaction.version >= 1).
    expect(raw.map((r) => [r.key.readInt16BE(0), r.value!.readInt16BE(0)])).toEqual([[0, 1], [0, 1], [0, 1]]);
    const records = raw.map((r) => decodeTransactionRecord(r.key, r.value));
    expect(records.map((r) => r!.value!.state)).toEqual([TxnState.Empty, TxnState.Ongoing, TxnState.PrepareCommit]);
    expect(records.every((r) => r!.transactionalId === 't' && r!.value!.producerId === producerId)).toBe(true);
    expect(records[2]!.value!.partitions).toEqual(new Map([['a', new Set([0, 2])]]));

    const again = coordinatorAt(dir, clock);
    expect(again.coordinator.describe('t')!.state).toBe(TxnState.PrepareCommit);
    expect(again.markers.map((m) => m.request)).toEqual([{ transactionalId: 't', producerId, producerEpoch, commit: true, partitions: [tp('a', 0), tp('a', 2)] }]);
    again.markers[0]!.land();
    await vi.waitFor(() => expect(again.coordinator.describe('t')!.state).toBe(TxnState.CompleteCommit));
    // The producer goes on where it was: the same id, the epoch bumped once more.
    expect(await again.coordinator.initProducerId('t', 60_000, null)).toEqual({ errorCode: 0, producerId, producerEpoch: producerEpoch + 1 });
  });
});

describe('transaction coordinator (transaction version 2, KIP-890 part 2)', () => {
  it('bumps the epoch at every end, writes the markers with the new epoch and answers a retry of the old one', async () => {
    const { coordinator, markers, log, dir, clock } = fresh();
    await coordinator.initProducerId('t', 60_000, null);
    // A leader adds the partition for the producer (Produce v12): the transaction is of version 2.
    expect(coordinator.addPartitions('t', 1000n, 0, [tp('a', 0)], 2)).toBe(0);
    expect(coordinator.describe('t')).toMatchObject({ state: TxnState.Ongoing, clientTransactionVersion: 2 });
    // What another leader's verify-only AddPartitionsToTxn (v4+) gets.
    expect(coordinator.verify('t', 1000n, 0, tp('a', 0))).toBe(0);
    expect(coordinator.verify('t', 1000n, 0, tp('a', 9))).toBe(ErrorCode.TRANSACTION_ABORTABLE);
    expect(coordinator.verify('t', 1000n, 7, tp('a', 0))).toBe(ErrorCode.PRODUCER_FENCED);
    expect(await coordinator.endTxnV2('t', 1000n, 0, true)).toEqual({ errorCode: 0, producerId: 1000n, producerEpoch: 1 });
    expect(markers[0]!.request).toMatchObject({ producerId: 1000n, producerEpoch: 1, commit: true, partitions: [tp('a', 0)] });
    // The same end retried with the old epoch while its markers are written, and after.
    expect((await coordinator.endTxnV2('t', 1000n, 0, true)).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    markers[0]!.land();
    await vi.waitFor(() => expect(coordinator.describe('t')?.state).toBe(TxnState.CompleteCommit));
    expect(await coordinator.endTxnV2('t', 1000n, 0, true)).toEqual({ errorCode: 0, producerId: 1000n, producerEpoch: 1 });
    expect((await coordinator.endTxnV2('t', 1000n, 0, false)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    // The old epoch can no longer add; the next transaction runs at the new one.
    expect(coordinator.addPartitions('t', 1000n, 0, [tp('a', 0)], 2)).toBe(ErrorCode.PRODUCER_FENCED);
    expect(coordinator.addPartitions('t', 1000n, 1, [tp('a', 1)], 2)).toBe(0);
    expect(await coordinator.endTxnV2('t', 1000n, 1, false)).toEqual({ errorCode: 0, producerId: 1000n, producerEpoch: 2 });
    expect(markers[1]!.request).toMatchObject({ producerEpoch: 2, commit: false, partitions: [tp('a', 1)] });
    markers[1]!.land();
    await vi.waitFor(() => expect(coordinator.describe('t')?.state).toBe(TxnState.CompleteAbort));
    // An abort with nothing added (the producer's sends never reached a leader) still bumps, with no markers to write.
    expect(await coordinator.endTxnV2('t', 1000n, 2, false)).toEqual({ errorCode: 0, producerId: 1000n, producerEpoch: 3 });
    expect(markers[2]!.request.partitions).toEqual([]);
    markers[2]!.land();
    await vi.waitFor(() => expect(coordinator.describe('t')?.state).toBe(TxnState.CompleteAbort));
    // A commit with nothing added is not a transaction.
    expect((await coordinator.endTxnV2('t', 1000n, 3, true)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    // Reloaded from the log: the bumped epoch and the transaction version were persisted.
    coordinator.close();
    log.close();
    const again = coordinatorAt(dir, clock);
    expect(again.coordinator.describe('t')).toMatchObject({ producerId: 1000n, producerEpoch: 3, state: TxnState.CompleteAbort, clientTransactionVersion: 2 });
  });

  it('moves to a new producer id when the epochs run out, the markers still carrying the old one', async () => {
    const dir = tempDir();
    dirs.push(dir);
    // A transactional id whose producer is at the last epoch a transaction may start at (Short.MAX_VALUE - 1).
    const seed = new PartitionLog(dir, testOptions);
    new TransactionStateStore(seed).append('t', { producerId: 500n, previousProducerId: -1n, nextProducerId: -1n, producerEpoch: 32766, timeoutMs: 60_000, state: TxnState.CompleteAbort, partitions: new Map(), lastUpdateMs: 1, startMs: -1, clientTransactionVersion: 2 });
    seed.close();
    const { coordinator, markers } = coordinatorAt(dir, { now: 1_000_000 });
    expect(coordinator.addPartitions('t', 500n, 32766, [tp('a', 0)], 2)).toBe(0);
    // The producer continues as a new producer id (the allocator's next, 1000) at epoch 0.
    expect(await coordinator.endTxnV2('t', 500n, 32766, true)).toEqual({ errorCode: 0, producerId: 1000n, producerEpoch: 0 });
    expect(markers[0]!.request).toMatchObject({ producerId: 500n, producerEpoch: 32767, commit: true });
    markers[0]!.land();
    await vi.waitFor(() => expect(coordinator.describe('t')).toMatchObject({ producerId: 1000n, producerEpoch: 0, previousProducerId: 500n, nextProducerId: -1n, state: TxnState.CompleteCommit }));
    expect(coordinator.addPartitions('t', 1000n, 0, [tp('a', 0)], 2)).toBe(0);
  });
});
