/**
 * The arithmetic of the console's line chart (components/LineChart.tsx), kept apart so it is tested
 * without a browser: data → pixel positions, with "nice" y ticks (1, 2 or 5 × 10^n) from zero.
 */
export interface Series { name: string; points: { x: number; y: number }[] }
export interface Box { width: number; height: number; left: number; right: number; top: number; bottom: number }

/** A step of 1, 2 or 5 × 10^n that splits `max` into about `count` parts. */
export function niceStep(max: number, count = 4): number {
  if (max <= 0) return 1;
  const raw = max / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw)!;
  return Math.max(1, step);
}

export function chartScale(series: readonly Series[], box: Box) {
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const xMin = xs.length ? Math.min(...xs) : 0;
  const xMax = xs.length ? Math.max(...xs) : 1;
  const step = niceStep(ys.length ? Math.max(...ys) : 0);
  const yMax = Math.max(step, Math.ceil((ys.length ? Math.max(...ys) : 0) / step) * step);
  const plotW = box.width - box.left - box.right;
  const plotH = box.height - box.top - box.bottom;
  // A single instant sits in the middle rather than on the axis.
  const x = (v: number) => (xMax === xMin ? box.left + plotW / 2 : box.left + ((v - xMin) / (xMax - xMin)) * plotW);
  const y = (v: number) => box.top + plotH - (v / yMax) * plotH;
  const yTicks = Array.from({ length: Math.round(yMax / step) + 1 }, (_, i) => ({ value: i * step, y: y(i * step) }));
  const xTicks = xMax === xMin ? [{ value: xMin, x: x(xMin) }] : [0, 0.5, 1].map((f) => { const v = xMin + f * (xMax - xMin); return { value: v, x: x(v) }; });
  return {
    yMax, yTicks, xTicks,
    lines: series.map((s) => ({ name: s.name, points: [...s.points].sort((a, b) => a.x - b.x).map((p) => ({ x: x(p.x), y: y(p.y) })) })),
  };
}
