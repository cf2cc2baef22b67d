/** Bytes as people read them (binary units, like Kafka's tools); -1 means "not reported". */
export function formatBytes(n: number): string {
  if (n < 0) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[i]}`;
}

/** An ISO timestamp as local date and time, and how long ago relative to `now`. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}
export function ago(iso: string, now = Date.now()): string {
  const s = Math.round((now - new Date(iso).getTime()) / 1000);
  if (s < 0) return 'in the future';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** Instance phases that change by themselves: screens poll while one is shown. */
export const SETTLING_PHASES = new Set(['Creating', 'Updating', 'Deleting']);
export const phaseColor = (phase: string): string =>
  ({ Running: 'green', Ready: 'green', Succeeded: 'green', Creating: 'blue', Updating: 'blue', Pending: 'gray', Deleting: 'orange', Suspended: 'yellow', Failed: 'red' })[phase] ?? 'gray';

/** The sum of lag over partitions, ignoring partitions whose lag is unknown (null). */
export function totalLag(partitions: readonly { lag: number | null }[]): number {
  return partitions.reduce((sum, p) => sum + (p.lag ?? 0), 0);
}

/** An amount in integer minor units of `currency` (the API's prices) as local currency text. */
export function formatMoney(minor: number, currency: string, locale?: string): string {
  const fmt = new Intl.NumberFormat(locale, { style: 'currency', currency });
  const digits = fmt.resolvedOptions().maximumFractionDigits ?? 2;
  return fmt.format(minor / 10 ** digits);
}

/** A unit price in millionths of `currency` (the price book's unit): fractions of a cent stay visible. */
export function formatMicros(micros: number, currency: string, locale?: string): string {
  return new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 6 }).format(micros / 1e6);
}

/** A billed quantity (broker-hours, GiB-hours…) to read at a glance: two decimals at most, digits grouped; the CSVs keep every digit. */
export function formatQuantity(n: number, locale?: string): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(n);
}

/** Messages per second as the topic list shows it: null is "not measured yet" (—), small rates keep two decimals. */
export function formatRate(perSecond: number | null): string {
  if (perSecond === null) return '—';
  if (perSecond === 0) return '0';
  if (perSecond < 10) return perSecond.toFixed(2);
  return Math.round(perSecond).toLocaleString('en-US');
}
