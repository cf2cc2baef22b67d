/**
 * The rows a scrolled list draws: those in view plus `overscan` on each side, for rows of one
 * height. Everything else is a spacer of the same height, so the scrollbar is the whole list's.
 */
export function visibleWindow(o: { count: number; rowHeight: number; viewport: number; scrollTop: number; overscan?: number }): { start: number; end: number; before: number; after: number } {
  const overscan = o.overscan ?? 10;
  const first = Math.floor(Math.max(0, o.scrollTop) / o.rowHeight);
  const start = Math.max(0, Math.min(o.count, first - overscan));
  const end = Math.min(o.count, first + Math.ceil(o.viewport / o.rowHeight) + overscan);
  return { start, end: Math.max(start, end), before: start * o.rowHeight, after: (o.count - Math.max(start, end)) * o.rowHeight };
}
