/**
 * CSV (RFC 4180) for the billing reports, safe to open in a spreadsheet.
 *
 * Formula injection (OWASP "CSV Injection"): a text cell starting with `=`, `+`, `-`, `@`, a tab or a
 * carriage return is taken as a formula by Excel, LibreOffice and Sheets. Text columns here carry
 * names a customer chose (topics, principals, label values), so such a cell is prefixed with `'`,
 * which spreadsheets show as text. Numeric columns are written as numbers (declared per column), never
 * prefixed, so sums in a spreadsheet still work; they come from integers we computed, not from users.
 */
export interface CsvColumn<T> { header: string; get: (row: T) => string | number | bigint | null; numeric?: boolean }

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string | number | bigint | null, numeric = false): string {
  if (value === null) return '';
  let s = String(value);
  if (!numeric && FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv<T>(columns: readonly CsvColumn<T>[], rows: readonly T[]): string {
  const lines = [columns.map((c) => csvCell(c.header)).join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvCell(c.get(r), c.numeric)).join(','));
  return lines.join('\r\n') + '\r\n';
}
