/** Which column a table is sorted by, and which way. */
export interface SortState { column: number; direction: 'asc' | 'desc' }

/** What a sortable column sorts by; null is "not known" (a size not measured yet). */
export type SortValue = number | string | null;

/** A header clicked: a new column sorts ascending, the same column flips. */
export function nextSort(current: SortState | null, column: number): SortState {
  return current?.column === column && current.direction === 'asc' ? { column, direction: 'desc' } : { column, direction: 'asc' };
}

/**
 * A sorted copy. Rows without a value go last in either direction, so "largest first" never starts
 * with blanks; rows with equal values keep their order (Array.prototype.sort is stable). Strings
 * compare as people read them (`topic-2` before `topic-10`).
 */
export function sortRows<T>(rows: readonly T[], value: (row: T) => SortValue, direction: 'asc' | 'desc'): T[] {
  const sign = direction === 'asc' ? 1 : -1;
  const known = rows.filter((r) => value(r) !== null);
  const unknown = rows.filter((r) => value(r) === null);
  known.sort((a, b) => {
    const x = value(a)!;
    const y = value(b)!;
    return sign * (typeof x === 'number' && typeof y === 'number' ? x - y : collator.compare(String(x), String(y)));
  });
  return [...known, ...unknown];
}

const collator = new Intl.Collator(undefined, { numeric: true });
