import type { SoldSize } from './engine.ts';
import { PricingError } from './money.ts';

/**
 * A prepaid downgrade waits for the renewal: the levels of the sold size that a change lowers, kept
 * aside until the next period starts (the current one is paid at the old levels, and no refund is
 * given), e.g. `{ bandwidthMBps: 20 }`.
 */
export type PendingSize = Partial<SoldSize>;

const KEYS = ['brokers', 'bandwidthMBps', 'diskGiB'] as const satisfies readonly (keyof SoldSize)[];

/**
 * Pure: how a requested size splits for a prepaid instance inside its paid period. Per sold level:
 * lower than now → the level stays (`now`) and the lower one waits (`pending`); equal → the level
 * stays and a pending change of it is kept (a client that re-sends the spec it read, to change
 * something else, does not cancel a downgrade); higher → it applies now (charged, prorated) and a
 * pending lower level of it is dropped (superseded). Cancelling is explicit (the API's DELETE).
 */
export function planPrepaidChange(current: SoldSize, requested: SoldSize, pending: PendingSize | null): { now: SoldSize; pending: PendingSize | null } {
  const now: SoldSize = { ...current };
  const next: PendingSize = {};
  for (const k of KEYS) {
    if (requested[k] < current[k]) next[k] = requested[k];
    else if (requested[k] > current[k]) now[k] = requested[k];
    else if (pending?.[k] !== undefined) next[k] = pending[k];
  }
  return { now, pending: Object.keys(next).length > 0 ? next : null };
}

/** The size after a pending change applies (the size a renewal is priced at). */
export function withPending(size: SoldSize, pending: PendingSize | null): SoldSize {
  return { brokers: pending?.brokers ?? size.brokers, bandwidthMBps: pending?.bandwidthMBps ?? size.bandwidthMBps, diskGiB: pending?.diskGiB ?? size.diskGiB };
}

/** Two pending changes are the same (same levels of the same meters). */
export function samePending(a: PendingSize | null, b: PendingSize | null): boolean {
  return KEYS.every((k) => a?.[k] === b?.[k]);
}

/** A pending size as stored (JSON): only known sold levels, each a non-negative integer; null when empty. */
export function parsePendingSize(v: unknown): PendingSize | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw new PricingError('invalid-input', 'a pending size must be an object');
  const out: PendingSize = {};
  for (const [k, level] of Object.entries(v)) {
    if (!(KEYS as readonly string[]).includes(k) || !Number.isSafeInteger(level) || (level as number) < 0) throw new PricingError('invalid-input', `pending size: ${k} is not a sold level`);
    out[k as keyof SoldSize] = level as number;
  }
  return Object.keys(out).length > 0 ? out : null;
}
