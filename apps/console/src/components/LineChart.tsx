import { Group, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { chartScale, type Series } from '../lib/chart.ts';

/** Colours that keep 3:1 contrast against white and the dark background (WCAG 1.4.11 non-text). */
const COLOURS = ['#1c7ed6', '#e8590c', '#2f9e44', '#ae3ec9', '#c92a2a', '#0c8599'];

/**
 * A small SVG line chart (the console's only chart need so far: lag over time, usage per day) — no
 * chart library, so no bundle weight. Screen readers get the same numbers as a table, and the chart
 * itself is labelled as one image.
 */
export function LineChart({ series, label, unit, height = 220, formatX }: {
  series: Series[]; label: string; unit: string; height?: number; formatX(ms: number): string;
}) {
  const width = 720;
  const pad = { left: 56, right: 12, top: 12, bottom: 28 };
  const s = chartScale(series, { width, height, ...pad });
  return (
    <Stack gap={4}>
      <svg role="img" aria-label={label} viewBox={`0 0 ${width} ${height}`} width="100%" style={{ maxWidth: width, display: 'block' }}>
        {s.yTicks.map((t) => (
          <g key={t.value}>
            <line x1={pad.left} x2={width - pad.right} y1={t.y} y2={t.y} stroke="currentColor" strokeOpacity={0.15} />
            <text x={pad.left - 6} y={t.y + 4} textAnchor="end" fontSize={11} fill="currentColor">{t.value}</text>
          </g>
        ))}
        {/* The outer labels align inward: centred, the last one ran past the chart's right edge. */}
        {s.xTicks.map((t, i) => (
          <text key={t.value} x={t.x} y={height - 8} textAnchor={s.xTicks.length === 1 ? 'middle' : i === 0 ? 'start' : i === s.xTicks.length - 1 ? 'end' : 'middle'} fontSize={11} fill="currentColor">{formatX(t.value)}</text>
        ))}
        {s.lines.map((l, i) => (
          <g key={l.name}>
            <polyline points={l.points.map((p) => `${p.x},${p.y}`).join(' ')} fill="none" stroke={COLOURS[i % COLOURS.length]} strokeWidth={2} />
            {l.points.map((p) => <circle key={p.x} cx={p.x} cy={p.y} r={3} fill={COLOURS[i % COLOURS.length]} />)}
          </g>
        ))}
      </svg>
      <Group gap="md">
        {series.map((x, i) => (
          <Group key={x.name} gap={4}><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill={COLOURS[i % COLOURS.length]} /></svg><Text size="xs">{x.name}</Text></Group>
        ))}
      </Group>
      <VisuallyHidden>
        <Table aria-label={`${label} (data)`}>
          <Table.Thead><Table.Tr><Table.Th>Series</Table.Th><Table.Th>Time</Table.Th><Table.Th>{unit}</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {series.flatMap((x) => x.points.map((p) => <Table.Tr key={`${x.name}-${p.x}`}><Table.Td>{x.name}</Table.Td><Table.Td>{formatX(p.x)}</Table.Td><Table.Td>{p.y}</Table.Td></Table.Tr>))}
          </Table.Tbody>
        </Table>
      </VisuallyHidden>
    </Stack>
  );
}
