import { describe, expect, it } from 'vitest';
import { nextSort, sortRows } from './sort.ts';

describe('table sorting', () => {
  it('a new column sorts ascending, the same one flips', () => {
    expect(nextSort(null, 2)).toEqual({ column: 2, direction: 'asc' });
    expect(nextSort({ column: 2, direction: 'asc' }, 2)).toEqual({ column: 2, direction: 'desc' });
    expect(nextSort({ column: 2, direction: 'desc' }, 2)).toEqual({ column: 2, direction: 'asc' });
    expect(nextSort({ column: 2, direction: 'desc' }, 0)).toEqual({ column: 0, direction: 'asc' });
  });

  it('numbers both ways with unknown values last either way, and names in reading order', () => {
    const rows = [{ n: 'b', v: 5 }, { n: 'a', v: null }, { n: 'topic-10', v: 1 }, { n: 'topic-2', v: 9 }];
    expect(sortRows(rows, (r) => r.v, 'asc').map((r) => r.v)).toEqual([1, 5, 9, null]);
    expect(sortRows(rows, (r) => r.v, 'desc').map((r) => r.v)).toEqual([9, 5, 1, null]);
    expect(sortRows(rows, (r) => r.n, 'asc').map((r) => r.n)).toEqual(['a', 'b', 'topic-2', 'topic-10']);
    expect(rows[0]!.n).toBe('b'); // a copy: the rows given are not reordered
  });
});
