import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@tributary/protocol';
import { lastSequence, ProducerStateTable } from './producer-state.ts';

describe('ProducerStateTable', () => {
  it('accepts sequences in order, answers retries with the original offset, refuses gaps', () => {
    const t = new ProducerStateTable();
    expect(t.check(7n, 0, 0, 4)).toEqual({ kind: 'append' });
    t.record(7n, 0, 0, 4, 100);
    expect(t.check(7n, 0, 5, 9)).toEqual({ kind: 'append' });
    t.record(7n, 0, 5, 9, 105);
    expect(t.check(7n, 0, 0, 4)).toEqual({ kind: 'duplicate', baseOffset: 100 });
    expect(t.check(7n, 0, 5, 9)).toEqual({ kind: 'duplicate', baseOffset: 105 });
    expect(t.check(7n, 0, 12, 12)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
  });

  it('fences older epochs and restarts sequences at a new epoch', () => {
    const t = new ProducerStateTable();
    t.record(1n, 3, 0, 0, 0);
    expect(t.check(1n, 2, 1, 1)).toMatchObject({ kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
    expect(t.check(1n, 4, 7, 7)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(t.check(1n, 4, 0, 0)).toEqual({ kind: 'append' });
  });

  it('refuses a producer it has never seen unless it starts at 0, and ignores non-idempotent batches', () => {
    const t = new ProducerStateTable();
    expect(t.check(9n, 0, 3, 3)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(t.check(-1n, -1, -1, -1)).toEqual({ kind: 'append' });
  });

  it('wraps sequences at Int32.MAX_VALUE and forgets all but the last five batches', () => {
    expect(lastSequence(2 ** 31 - 2, 3)).toBe(1);
    const t = new ProducerStateTable();
    for (let i = 0; i < 7; i++) t.record(5n, 0, i, i, i);
    expect(t.check(5n, 0, 1, 1)).toMatchObject({ kind: 'error' });
    expect(t.check(5n, 0, 2, 2)).toEqual({ kind: 'duplicate', baseOffset: 2 });
  });
});
