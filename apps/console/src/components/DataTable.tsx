import { useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import { Table, UnstyledButton, VisuallyHidden } from '@mantine/core';
import { ScrollTable } from './Bits.tsx';
import { nextSort, sortRows, type SortState, type SortValue } from '../lib/sort.ts';
import { visibleWindow } from '../lib/window.ts';

/** One column: its header, what a row shows in it, and (when it can be sorted) what it sorts by. */
export interface Column<T> {
  header: string;
  cell(row: T): ReactNode;
  /** What the column sorts by (null: not known, listed last); a column without it is not sortable. */
  sortBy?(row: T): SortValue;
  /** The column's cells keep their text on one line (numbers, sizes). */
  nowrap?: boolean;
  /** The header is for screen readers only (a column of row actions). */
  hideHeader?: boolean;
}

/** Long lists draw only the rows in view: rows of this height (px) in a box this tall. */
const WINDOWED = { from: 100, rowHeight: 37, height: 600 };

/**
 * A named, sideways-scrolling table of rows: the one list block every screen repeated (head row,
 * one body row per item). Sortable columns have a button in their header that cycles ascending →
 * descending, and say their order to screen readers (aria-sort). From 100 rows on, the table
 * scrolls in a box and draws only the rows in view (a thousand topics would otherwise be a
 * thousand rows of components laid out on every refresh); its cells stay on one line so every row
 * has the same height (and it is not striped: the spacer row would flip the stripes while scrolling), and aria-rowcount/aria-rowindex tell screen readers where they are.
 */
export function DataTable<T>({ label, minWidth, rows, rowKey, columns, initialSort, striped = true, highlightOnHover = false }: {
  label: string; minWidth: number; rows: readonly T[]; rowKey(row: T): string; columns: readonly Column<T>[];
  initialSort?: SortState; striped?: boolean; highlightOnHover?: boolean;
}) {
  const [sort, setSort] = useState<SortState | null>(initialSort ?? null);
  const [scrollTop, setScrollTop] = useState(0);
  const sorted = useMemo(() => {
    const by = sort ? columns[sort.column]?.sortBy : undefined;
    return by && sort ? sortRows(rows, by, sort.direction) : rows;
  }, [rows, columns, sort]);
  const windowed = sorted.length >= WINDOWED.from;
  const w = windowed
    ? visibleWindow({ count: sorted.length, rowHeight: WINDOWED.rowHeight, viewport: WINDOWED.height, scrollTop })
    : { start: 0, end: sorted.length, before: 0, after: 0 };
  const spacer = (height: number) => (height > 0 ? <tr aria-hidden="true" style={{ height }}><td colSpan={columns.length} style={{ padding: 0, border: 0 }} /></tr> : null);
  const table = (
    <Table striped={striped && !windowed} highlightOnHover={highlightOnHover} aria-label={label} stickyHeader={windowed}
      {...(windowed ? { 'aria-rowcount': sorted.length + 1, style: { whiteSpace: 'nowrap' } } : {})}>
      <Table.Thead>
        <Table.Tr {...(windowed ? { 'aria-rowindex': 1 } : {})}>
          {columns.map((c, i) => {
            const order = sort?.column === i ? sort.direction : null;
            return (
              <Table.Th key={c.header} aria-sort={c.sortBy ? (order === 'asc' ? 'ascending' : order === 'desc' ? 'descending' : 'none') : undefined}>
                {c.sortBy
                  ? <UnstyledButton fw={700} fz="sm" onClick={() => setSort((s) => nextSort(s, i))} aria-label={`Sort by ${c.header}`}>{c.header}{order === 'asc' ? ' ▲' : order === 'desc' ? ' ▼' : ''}</UnstyledButton>
                  : c.hideHeader ? <VisuallyHidden>{c.header}</VisuallyHidden> : c.header}
              </Table.Th>
            );
          })}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {spacer(w.before)}
        {sorted.slice(w.start, w.end).map((row, i) => (
          <Table.Tr key={rowKey(row)} {...(windowed ? { 'aria-rowindex': w.start + i + 2, style: { height: WINDOWED.rowHeight } } : {})}>
            {columns.map((c) => <Table.Td key={c.header} style={c.nowrap ? { whiteSpace: 'nowrap' } : undefined}>{c.cell(row)}</Table.Td>)}
          </Table.Tr>
        ))}
        {spacer(w.after)}
      </Table.Tbody>
    </Table>
  );
  if (!windowed) return <ScrollTable minWidth={minWidth} label={label}>{table}</ScrollTable>;
  return (
    <div tabIndex={0} role="region" aria-label={`${label} (scrollable)`} style={{ maxHeight: WINDOWED.height, overflow: 'auto' }}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
      <div style={{ minWidth }}>{table}</div>
    </div>
  );
}
