/**
 * The billing screen's arithmetic over the API's reports (GET /v1/billing/reports/usage and
 * …/chargeback): rows are per period, group (instance) and meter, already priced by the same engine
 * as invoices; the screen totals them per period (the chart) and per instance and meter (the table).
 */
export interface UsageRow { periodStart: string; group: string; meter: string; unit: string; quantity: number; amountMinor: number }

/** Cost per period start (ms), in minor units, ascending: the chart's points. */
export function costPerPeriod(rows: readonly UsageRow[]): { x: number; y: number }[] {
  const by = new Map<number, number>();
  for (const r of rows) { const t = Date.parse(r.periodStart); by.set(t, (by.get(t) ?? 0) + r.amountMinor); }
  return [...by].sort((a, b) => a[0] - b[0]).map(([x, y]) => ({ x, y }));
}

export interface UsageTotal { group: string; meter: string; unit: string; quantity: number; amountMinor: number }
/** Quantity and cost per instance and meter over the whole range, sorted by instance then meter. */
export function usageTotals(rows: readonly UsageRow[]): UsageTotal[] {
  const totals = new Map<string, UsageTotal>();
  for (const r of rows) {
    const key = `${r.group}\u0000${r.meter}`;
    const t = totals.get(key) ?? { group: r.group, meter: r.meter, unit: r.unit, quantity: 0, amountMinor: 0 };
    t.quantity += r.quantity;
    t.amountMinor += r.amountMinor;
    totals.set(key, t);
  }
  return [...totals.values()].map((t) => ({ ...t, quantity: Math.round(t.quantity * 1e6) / 1e6 }))
    .sort((a, b) => a.group.localeCompare(b.group) || a.meter.localeCompare(b.meter));
}

/** Chargeback rows (bytes as decimal strings) totalled per instance and topic or principal, biggest first. */
export function chargebackTotals(rows: readonly { instanceId: string; key: string; bytesIn: string; bytesOut: string }[]): { instanceId: string; key: string; bytesIn: bigint; bytesOut: bigint }[] {
  const totals = new Map<string, { instanceId: string; key: string; bytesIn: bigint; bytesOut: bigint }>();
  for (const r of rows) {
    const k = `${r.instanceId}\u0000${r.key}`;
    const t = totals.get(k) ?? { instanceId: r.instanceId, key: r.key, bytesIn: 0n, bytesOut: 0n };
    t.bytesIn += BigInt(r.bytesIn);
    t.bytesOut += BigInt(r.bytesOut);
    totals.set(k, t);
  }
  const size = (t: { bytesIn: bigint; bytesOut: bigint }) => t.bytesIn + t.bytesOut;
  return [...totals.values()].sort((a, b) => (size(b) > size(a) ? 1 : size(b) < size(a) ? -1 : a.key.localeCompare(b.key)));
}

/** An invoice's lines as CSV (RFC 4180 quoting; a cell a spreadsheet would run as a formula gets a leading apostrophe). */
export function invoiceCsv(lines: readonly { code: string; instanceId: string | null; meter: string; quantity: number; unit: string; unitPriceMicros: number; amountMinor: number }[], currency: string): string {
  const cell = (v: string) => {
    const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const rows = ['code,instance,meter,quantity,unit,unit_price_micros,amount_minor,currency'];
  for (const l of lines) rows.push([cell(l.code), cell(l.instanceId ?? ''), cell(l.meter), String(l.quantity), cell(l.unit), String(l.unitPriceMicros), String(l.amountMinor), currency].join(','));
  return `${rows.join('\r\n')}\r\n`;
}
