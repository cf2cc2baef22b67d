import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@tributary/protocol';
import { lastSequence, ProducerStateTable } from './producer-state.ts';

describe('ProducerStateTable', () => {
  it('accepts sequences in order, answers retries with the original offset, refuses gaps', () => {
    const t = new ProducerStateTable();
    expect(t.check(7n, 0, 0, 4)).toEqual({ kind: 'append' });
    t.record(7n, 0, 0, 4, 100, 1_000);
    expect(t.check(7n, 0, 5, 9)).toEqual({ kind: 'append' });
    t.record(7n, 0, 5, 9, 105, 2_000);
    // A retry is answered with the original batch's offset and timestamp (Kafka: its BatchMetadata).
    expect(t.check(7n, 0, 0, 4)).toEqual({ kind: 'duplicate', baseOffset: 100, timestamp: 1_000 });
    expect(t.check(7n, 0, 5, 9)).toEqual({ kind: 'duplicate', baseOffset: 105, timestamp: 2_000 });
    expect(t.check(7n, 0, 12, 12)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
  });

  it('forgets producers whose last batch is older than producer.id.expiration.ms, as Kafka does', () => {
    const t = new ProducerStateTable();
    t.record(1n, 0, 0, 0, 10, 1_000); // idle since t=1000
    t.record(2n, 0, 0, 0, 11, 1_000);
    t.record(2n, 0, 1, 1, 12, 5_000); // its last batch is newer
    t.record(3n, 0, 0, 0, 13, -1); // timestamp unknown: kept
    expect(t.removeExpired(5_999, 5_000)).toBe(0);
    expect(t.removeExpired(6_000, 5_000)).toBe(1);
    expect(t.size).toBe(2);
    // Forgotten: a retry of its batch is no longer a duplicate, and it may start at any sequence.
    expect(t.check(1n, 0, 0, 0)).toEqual({ kind: 'append' });
    expect(t.check(1n, 0, 7, 7)).toEqual({ kind: 'append' });
    expect(t.check(2n, 0, 1, 1)).toEqual({ kind: 'duplicate', baseOffset: 12, timestamp: 5_000 });
    expect(t.removeExpired(10_000, 5_000)).toBe(1);
    expect(t.size).toBe(1);
    expect(t.snapshot().map(([id]) => id)).toEqual(['3']);
  });

  it('fences older epochs and restarts sequences at a new epoch', () => {
    const t = new ProducerStateTable();
    t.record(1n, 3, 0, 0, 0, 0);
    expect(t.check(1n, 2, 1, 1)).toMatchObject({ kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
    expect(t.check(1n, 4, 7, 7)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(t.check(1n, 4, 0, 0)).toEqual({ kind: 'append' });
  });

  it('lets a producer it has no state for start at any sequence (as Kafka 4 does), then holds it to that order', () => {
    const t = new ProducerStateTable();
    expect(t.check(9n, 0, 3, 3)).toEqual({ kind: 'append' });
    t.record(9n, 0, 3, 3, 40, 5);
    expect(t.check(9n, 0, 3, 3)).toEqual({ kind: 'duplicate', baseOffset: 40, timestamp: 5 });
    expect(t.check(9n, 0, 5, 5)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(t.check(9n, 0, 4, 4)).toEqual({ kind: 'append' });
    expect(t.check(-1n, -1, -1, -1)).toEqual({ kind: 'append' });
  });

  it('restores snapshots with and without batch timestamps', () => {
    const t = new ProducerStateTable();
    t.record(3n, 1, 0, 1, 10, 77);
    expect(ProducerStateTable.restore(JSON.parse(JSON.stringify(t.snapshot())))!.check(3n, 1, 0, 1)).toEqual({ kind: 'duplicate', baseOffset: 10, timestamp: 77 });
    // Written before timestamps were kept: the timestamp is unknown (-1).
    expect(ProducerStateTable.restore([['3', 1, [[0, 1, 10]]]])!.check(3n, 1, 0, 1)).toEqual({ kind: 'duplicate', baseOffset: 10, timestamp: -1 });
    expect(ProducerStateTable.restore([['3', 1, [[0, 1]]]])).toBeNull();
  });

  it('keeps the coordinator epoch of the last marker, also in snapshots (DescribeProducers)', () => {
    const t = new ProducerStateTable();
    t.record(3n, 1, 0, 1, 10, 77);
    expect(t.active()).toEqual([{ producerId: 3n, epoch: 1, lastSequence: 1, lastTimestamp: 77, coordinatorEpoch: -1 }]);
    t.recordMarker(3n, 1, 80, 5);
    // A marker of a newer epoch (the coordinator fenced the producer) starts the epoch without sequences.
    t.recordMarker(4n, 2, 81, 6);
    expect(ProducerStateTable.restore(JSON.parse(JSON.stringify(t.snapshot())))!.active()).toEqual([
      { producerId: 3n, epoch: 1, lastSequence: 1, lastTimestamp: 80, coordinatorEpoch: 5 },
      { producerId: 4n, epoch: 2, lastSequence: -1, lastTimestamp: 81, coordinatorEpoch: 6 },
    ]);
    // A snapshot written before coordinator epochs were kept: unknown (-1) until the next marker.
    expect(ProducerStateTable.restore([['3', 1, [[0, 1, 10, 77]]]])!.active()).toEqual([{ producerId: 3n, epoch: 1, lastSequence: 1, lastTimestamp: 77, coordinatorEpoch: -1 }]);
    expect(ProducerStateTable.restore([['3', 1, [[0, 1, 10, 77]], 5]])).toBeNull();
  });

  it('wraps sequences at Int32.MAX_VALUE and forgets all but the last five batches', () => {
    expect(lastSequence(2 ** 31 - 2, 3)).toBe(1);
    const t = new ProducerStateTable();
    for (let i = 0; i < 7; i++) t.record(5n, 0, i, i, i, i);
    expect(t.check(5n, 0, 1, 1)).toMatchObject({ kind: 'error' });
    expect(t.check(5n, 0, 2, 2)).toEqual({ kind: 'duplicate', baseOffset: 2, timestamp: 2 });
  });
});
