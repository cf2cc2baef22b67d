/**
 * The billing dimensions. Each meter has a unit, how many base units make one priced quantity, and a
 * stable line-type code that invoices carry (clients and reports branch on codes; a code is never
 * renamed once published).
 *
 * Sold-size meters are priced from the instance's spec over time (by the second: a partial hour
 * counts its exact seconds, and a spec change splits the hour). Usage meters are priced from hourly
 * usage records measured on the brokers; a price book without a rate for a usage meter does not
 * charge it (the usage is still recorded and reported).
 */
export interface MeterDef {
  meter: string;
  kind: 'sold' | 'usage';
  /** unit of one priced quantity */
  unit: string;
  /** base units (as records store them) per priced quantity */
  perQuantity: bigint;
  code: string;
  description: string;
}

const HOUR = 3600n;
const GIB = 1n << 30n;

export const METERS = {
  'broker-hour': { meter: 'broker-hour', kind: 'sold', unit: 'broker-hour', perQuantity: HOUR, code: 'instance.broker-hours', description: 'brokers of the sold size, per hour' },
  'bandwidth-mbps-hour': { meter: 'bandwidth-mbps-hour', kind: 'sold', unit: 'MB/s-hour', perQuantity: HOUR, code: 'instance.bandwidth-hours', description: 'sold bandwidth tier (MB/s), per hour' },
  'disk-gib-hour': { meter: 'disk-gib-hour', kind: 'sold', unit: 'GiB-hour', perQuantity: HOUR, code: 'instance.disk-provisioned-gib-hours', description: 'provisioned disk, per GiB-hour' },
  /**
   * base unit: broker-seconds the instance's brokers were seen running (60 per broker sampled each
   * minute): instance-hours as measured, beside the sold size's broker-hour. Not charged by the
   * default book (the sold size is); reported, and chargeable by a book that gives it a rate.
   */
  'running-broker-hour': { meter: 'running-broker-hour', kind: 'usage', unit: 'broker-hour', perQuantity: HOUR, code: 'usage.running-broker-hours', description: 'brokers seen running (metered each minute), per hour' },
  /** base unit: partition-replica-seconds (partitions × replicas, sampled each minute) */
  'partition-hour': { meter: 'partition-hour', kind: 'usage', unit: 'partition-replica-hour', perQuantity: HOUR, code: 'usage.partition-hours', description: 'partition replicas beyond the bundled count, per hour' },
  /** base unit: byte-seconds of log on disk */
  'disk-used-gib-hour': { meter: 'disk-used-gib-hour', kind: 'usage', unit: 'GiB-hour', perQuantity: GIB * HOUR, code: 'usage.disk-used-gib-hours', description: 'log bytes on disk, per GiB-hour' },
  /** base unit: bytes per second (the hour's peak minute of produce + fetch); one record per hour */
  'peak-bandwidth-mbps-hour': { meter: 'peak-bandwidth-mbps-hour', kind: 'usage', unit: 'MB/s-hour', perQuantity: 1_000_000n, code: 'usage.peak-bandwidth-hours', description: 'peak produce+fetch rate of the hour (MB/s)' },
  /** base unit: bytes */
  'bytes-in-gib': { meter: 'bytes-in-gib', kind: 'usage', unit: 'GiB', perQuantity: GIB, code: 'usage.bytes-in-gib', description: 'bytes produced' },
  'bytes-out-gib': { meter: 'bytes-out-gib', kind: 'usage', unit: 'GiB', perQuantity: GIB, code: 'usage.bytes-out-gib', description: 'bytes fetched by consumers' },
} as const satisfies Record<string, MeterDef>;
export type Meter = keyof typeof METERS;
export const SOLD_METERS = ['broker-hour', 'bandwidth-mbps-hour', 'disk-gib-hour'] as const satisfies readonly Meter[];

/** Line-type codes that are not one meter's. */
export const LINE_CODES = {
  prepaidPeriod: 'prepaid.period',
  prepaidDiscount: 'prepaid.discount',
  prepaidUpgrade: 'prepaid.upgrade-proration',
  prepaidRenewal: 'prepaid.renewal',
  lateUsage: 'adjustment.late-usage',
} as const;

export function meterDef(meter: string): MeterDef | undefined {
  return (METERS as Record<string, MeterDef>)[meter];
}
