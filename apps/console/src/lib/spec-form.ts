import type { InstanceSpec } from '../api/types.ts';

/**
 * The size and billing of an instance as the create form and the price calculator edit it, and as
 * a URL carries it: the calculator's "Create with this" and a shared calculator link open with the
 * same values. The API's rules (libs/contracts instance.ts): the console offers only values it accepts.
 */
export const ZONES = ['zone-a', 'zone-b', 'zone-c'] as const;
export const BANDWIDTH_TIERS = [20, 40, 100, 200, 400, 800, 1600] as const;

export interface SizeForm {
  zone: string;
  brokers: number;
  bandwidthMBps: number;
  diskGiB: number;
  partitionLimit: number;
  topicLimit: number;
  consumerGroupLimit: number;
  mode: 'postpaid' | 'prepaid';
  periodMonths: number;
  autoRenew: boolean;
}

export const DEFAULT_SIZE: SizeForm = {
  zone: 'zone-a', brokers: 1, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 100, topicLimit: 50, consumerGroupLimit: 50,
  mode: 'postpaid', periodMonths: 1, autoRenew: false,
};

/** The InstanceSpec the API prices and creates (period and auto-renew only for prepaid, as it requires). */
export function toSpec(f: SizeForm): InstanceSpec {
  return {
    zone: f.zone as InstanceSpec['zone'],
    brokers: f.brokers, bandwidthMBps: f.bandwidthMBps, diskGiB: f.diskGiB,
    partitionLimit: f.partitionLimit, topicLimit: f.topicLimit, consumerGroupLimit: f.consumerGroupLimit,
    billing: f.mode === 'prepaid' ? { mode: 'prepaid', periodMonths: f.periodMonths, autoRenew: f.autoRenew } : { mode: 'postpaid' },
    brokerConfig: {},
  };
}

const NUMBERS = ['brokers', 'bandwidthMBps', 'diskGiB', 'partitionLimit', 'topicLimit', 'consumerGroupLimit', 'periodMonths'] as const;

/** The values that differ from the defaults, as URL search parameters (short links). */
export function sizeToParams(f: SizeForm): URLSearchParams {
  const p = new URLSearchParams();
  if (f.zone !== DEFAULT_SIZE.zone) p.set('zone', f.zone);
  for (const k of NUMBERS) if (f[k] !== DEFAULT_SIZE[k]) p.set(k, String(f[k]));
  if (f.mode !== DEFAULT_SIZE.mode) p.set('mode', f.mode);
  if (f.autoRenew) p.set('autoRenew', 'true');
  return p;
}

/**
 * A form from URL search parameters. Numbers are taken as written (the API says what it refuses,
 * beside the field); a parameter that is not a number, an unknown zone or billing mode keeps the
 * default, since no field could show why it was dropped otherwise.
 */
export function sizeFromParams(p: URLSearchParams): SizeForm {
  const f = { ...DEFAULT_SIZE };
  const zone = p.get('zone');
  if (zone && (ZONES as readonly string[]).includes(zone)) f.zone = zone;
  for (const k of NUMBERS) {
    const raw = p.get(k);
    if (raw === null || raw.trim() === '') continue;
    const n = Number(raw);
    if (Number.isFinite(n)) f[k] = n;
  }
  const mode = p.get('mode');
  if (mode === 'postpaid' || mode === 'prepaid') f.mode = mode;
  f.autoRenew = p.get('autoRenew') === 'true';
  return f;
}
