import { describe, expect, it } from 'vitest';
import { visibleWindow } from './window.ts';

describe('the rows a long list draws', () => {
  it('the rows in view and the overscan around them; spacers keep the whole height', () => {
    expect(visibleWindow({ count: 1000, rowHeight: 40, viewport: 400, scrollTop: 0, overscan: 5 })).toEqual({ start: 0, end: 15, before: 0, after: 985 * 40 });
    const w = visibleWindow({ count: 1000, rowHeight: 40, viewport: 400, scrollTop: 4000, overscan: 5 });
    expect(w).toEqual({ start: 95, end: 115, before: 95 * 40, after: 885 * 40 });
    expect(w.before + (w.end - w.start) * 40 + w.after).toBe(1000 * 40);
  });

  it('the end of the list and a list shorter than the view', () => {
    expect(visibleWindow({ count: 1000, rowHeight: 40, viewport: 400, scrollTop: 40 * 995, overscan: 5 })).toMatchObject({ start: 990, end: 1000, after: 0 });
    expect(visibleWindow({ count: 3, rowHeight: 40, viewport: 400, scrollTop: 0 })).toEqual({ start: 0, end: 3, before: 0, after: 0 });
  });
});
