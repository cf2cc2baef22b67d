import { stringify as stringifyYaml } from 'yaml';

export type OutputFormat = 'table' | 'json' | 'yaml';
export const OUTPUT_FORMATS: OutputFormat[] = ['table', 'json', 'yaml'];

/** Where commands write: stdout for results, stderr for progress and errors (so `-o json | jq` stays clean). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Colour and in-place progress only on a terminal (and never with NO_COLOR). */
  color: boolean;
  tty: boolean;
}

export const processIo = (): Io => ({
  out: (t) => { process.stdout.write(t); },
  err: (t) => { process.stderr.write(t); },
  color: Boolean(process.stdout.isTTY) && !process.env['NO_COLOR'],
  tty: Boolean(process.stderr.isTTY),
});

export interface Column<T> { header: string; get: (row: T) => unknown }

/** Renders a list: a table of the given columns, or the full objects as JSON/YAML. */
export function renderList<T>(io: Io, format: OutputFormat, rows: T[], columns: Column<T>[]): void {
  if (format !== 'table') return renderValue(io, format, rows);
  const cells = rows.map((r) => columns.map((c) => cellText(c.get(r))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) => vals.map((v, i) => (i === vals.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd() + '\n';
  io.out(line(columns.map((c) => c.header)));
  for (const row of cells) io.out(line(row));
  if (rows.length === 0) io.err('(none)\n');
}

/** Renders one object: key/value lines for a table, else JSON/YAML. */
export function renderValue(io: Io, format: OutputFormat, value: unknown): void {
  if (format === 'json') io.out(JSON.stringify(value, null, 2) + '\n');
  else if (format === 'yaml') io.out(stringifyYaml(value));
  else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of flatten(value as Record<string, unknown>)) io.out(`${k}: ${v}\n`);
  } else io.out(stringifyYaml(value));
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'object') return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k}=${String(x)}`).join(',') || '-';
  return String(v);
}

function flatten(obj: Record<string, unknown>, prefix = ''): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) out.push(...flatten(v as Record<string, unknown>, key));
    else if (Array.isArray(v)) out.push([key, v.length === 0 ? '[]' : JSON.stringify(v)]);
    else out.push([key, v === null || v === undefined ? '-' : typeof v === 'object' ? '{}' : String(v)]);
  }
  return out;
}

const ANSI = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const;
export function paint(io: Io, color: keyof typeof ANSI, text: string): string {
  return io.color ? `\x1b[${ANSI[color]}m${text}\x1b[0m` : text;
}
