import { describe, expect, it } from 'vitest';
import { chartScale, niceStep } from './chart.ts';

const box = { width: 120, height: 70, left: 10, right: 10, top: 10, bottom: 10 };

describe('line chart scale', () => {
  it('picks steps of 1, 2 or 5 times a power of ten', () => {
    expect(niceStep(15)).toBe(5);
    expect(niceStep(7)).toBe(2);
    expect(niceStep(1000)).toBe(500);
    expect(niceStep(3)).toBe(1);
    expect(niceStep(0)).toBe(1);
  });

  it('maps points into the plot box, from zero up to a tick above the highest value', () => {
    const s = chartScale([{ name: 'orders', points: [{ x: 2000, y: 15 }, { x: 1000, y: 5 }] }], box);
    expect(s.yMax).toBe(15);
    expect(s.yTicks.map((t) => t.value)).toEqual([0, 5, 10, 15]);
    // Sorted by x; the first point at the left edge, the last at the right; y grows upwards.
    expect(s.lines[0]!.points).toEqual([{ x: 10, y: 60 - (5 / 15) * 50 }, { x: 110, y: 10 }]);
    expect(s.yTicks[0]!.y).toBe(60);
  });

  it('a single point sits mid-width; no data still gives an axis', () => {
    const one = chartScale([{ name: 'a', points: [{ x: 5, y: 0 }] }], box);
    expect(one.lines[0]!.points[0]!.x).toBe(60);
    expect(one.xTicks).toHaveLength(1);
    const none = chartScale([], box);
    expect(none.yTicks.map((t) => t.value)).toEqual([0, 1]);
  });
});
