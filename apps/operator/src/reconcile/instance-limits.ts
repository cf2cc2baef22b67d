/** The parts of an instance spec that brokers enforce (what the user bought). */
export interface SoldLimits {
  topicLimit: number;
  partitionLimit: number;
  consumerGroupLimit: number;
  diskGiB: number;
  bandwidthMBps: number;
}

/**
 * Pure: the broker settings that enforce an instance's sold limits (apps/broker/src/quota). The
 * bandwidth tier applies to produce and to fetch each, in bytes per second (MB = 10^6 bytes, as
 * network tiers are sold); disk is GiB of log data. The user's own broker overrides cannot loosen
 * these: the limits are applied last.
 */
export function limitSettings(limits: SoldLimits): Record<string, string> {
  return {
    'tributary.instance.max.topics': String(limits.topicLimit),
    'tributary.instance.max.partitions': String(limits.partitionLimit),
    'tributary.instance.max.consumer.groups': String(limits.consumerGroupLimit),
    'tributary.instance.disk.bytes': String(limits.diskGiB * 1024 ** 3),
    'tributary.instance.produce.byte.rate': String(limits.bandwidthMBps * 1_000_000),
    'tributary.instance.fetch.byte.rate': String(limits.bandwidthMBps * 1_000_000),
  };
}

/**
 * Pure: the broker setting that isolates a suspended instance (billing: prepaid period expired
 * without renewal, or an administrator isolated an overdue account). Clients are refused at login
 * with this text; data stays, the brokers idle; resuming removes it (both roll the brokers).
 */
export function billingSettings(billingStatus: string): Record<string, string> {
  return billingStatus === 'suspended'
    ? { 'tributary.instance.isolated.reason': 'billing suspended this instance (prepaid period expired or account overdue); renew it or settle the account to restore service — data is kept' }
    : {};
}
