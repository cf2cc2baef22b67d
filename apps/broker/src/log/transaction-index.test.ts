import { describe, expect, it } from 'vitest';
import { ABORT_MARKER, COMMIT_MARKER, CONTROL_FLAG, TRANSACTIONAL_FLAG, TransactionIndex } from './transaction-index.ts';

const data = (producerId: bigint, baseOffset: number, lastOffset = baseOffset) => ({ producerId, attributes: TRANSACTIONAL_FLAG, baseOffset, lastOffset });
const marker = (producerId: bigint, offset: number, controlType: number) => ({ producerId, attributes: TRANSACTIONAL_FLAG | CONTROL_FLAG, baseOffset: offset, lastOffset: offset, controlType });
const plain = (baseOffset: number, lastOffset = baseOffset) => ({ producerId: -1n, attributes: 0, baseOffset, lastOffset });

describe('transaction index: last stable offset and aborted transactions of a partition', () => {
  it('holds the LSO at the first running transaction and releases it at its marker', () => {
    const idx = new TransactionIndex();
    idx.append(plain(0, 4));
    expect(idx.lastStableOffset(5)).toBe(5);
    idx.append(data(7n, 5, 6));
    idx.append(plain(7));
    idx.append(data(8n, 8));
    idx.append(data(7n, 9)); // the same transaction again: its first offset stays 5
    expect(idx.lastStableOffset(10)).toBe(5);
    expect(idx.ongoing()).toEqual(new Map([[7n, 5], [8n, 8]]));
    idx.append(marker(7n, 10, COMMIT_MARKER));
    expect(idx.lastStableOffset(11)).toBe(8);
    idx.append(marker(8n, 11, ABORT_MARKER));
    expect(idx.lastStableOffset(12)).toBe(12);
    // The high watermark caps it: a read_committed consumer never passes what read_uncommitted may read.
    expect(idx.lastStableOffset(3)).toBe(3);
    expect(idx.abortedTransactions(0, 12)).toEqual([{ producerId: 8n, firstOffset: 8, lastOffset: 11 }]);
  });

  it('answers the aborted transactions overlapping the fetched range only, oldest first', () => {
    const idx = new TransactionIndex();
    idx.append(data(1n, 0, 1));
    idx.append(marker(1n, 2, ABORT_MARKER)); // aborted: 0..2
    idx.append(data(2n, 3));
    idx.append(marker(2n, 4, COMMIT_MARKER)); // committed: not listed
    idx.append(data(3n, 5, 9));
    idx.append(marker(3n, 10, ABORT_MARKER)); // aborted: 5..10
    expect(idx.abortedTransactions(0, 11).map((t) => t.producerId)).toEqual([1n, 3n]);
    expect(idx.abortedTransactions(3, 5)).toEqual([]);
    expect(idx.abortedTransactions(2, 3).map((t) => t.producerId)).toEqual([1n]);
    expect(idx.abortedTransactions(10, 11).map((t) => t.producerId)).toEqual([3n]);
    expect(idx.abortedTransactions(11, 20)).toEqual([]);
  });

  it('ignores a marker without a running transaction and non-transactional batches', () => {
    const idx = new TransactionIndex();
    idx.append(marker(5n, 0, ABORT_MARKER));
    idx.append(plain(1, 3));
    expect(idx.abortedTransactions(0, 10)).toEqual([]);
    expect(idx.lastStableOffset(4)).toBe(4);
  });

  it('forgets what a truncation cut: a transaction whose abort marker was cut runs again', () => {
    const idx = new TransactionIndex();
    idx.append(data(1n, 0));
    idx.append(marker(1n, 1, ABORT_MARKER));
    idx.append(data(2n, 2));
    idx.truncateTo(1);
    expect(idx.abortedTransactions(0, 10)).toEqual([]);
    expect(idx.ongoing()).toEqual(new Map([[1n, 0]]));
    expect(idx.lastStableOffset(1)).toBe(0);
  });

  it('drops aborted transactions wholly before the log start', () => {
    const idx = new TransactionIndex();
    idx.append(data(1n, 0));
    idx.append(marker(1n, 1, ABORT_MARKER));
    idx.append(data(2n, 2));
    idx.append(marker(2n, 3, ABORT_MARKER));
    idx.dropBefore(2);
    expect(idx.abortedTransactions(0, 10).map((t) => t.producerId)).toEqual([2n]);
  });
});
