import type { Instance } from '@prisma/client';
import type { InstanceSpec } from '@tributary/contracts';

/** The spec columns of an Instance row, from the API's InstanceSpec (one column per sold property). */
export function specColumns(spec: InstanceSpec) {
  return {
    zone: spec.zone,
    brokers: spec.brokers,
    bandwidthMBps: spec.bandwidthMBps,
    diskGiB: spec.diskGiB,
    partitionLimit: spec.partitionLimit,
    topicLimit: spec.topicLimit,
    consumerGroupLimit: spec.consumerGroupLimit,
    billingMode: spec.billing.mode,
    billingPeriodMonths: spec.billing.periodMonths ?? null,
    billingAutoRenew: spec.billing.autoRenew ?? null,
    brokerConfig: spec.brokerConfig,
    messageBrowsing: spec.messageBrowsing !== 'disabled',
  };
}

/** The InstanceSpec an Instance row stores; optional billing fields absent when null, as accepted. */
export function specOf(row: Instance): InstanceSpec {
  return {
    zone: row.zone as InstanceSpec['zone'],
    brokers: row.brokers,
    bandwidthMBps: row.bandwidthMBps,
    diskGiB: row.diskGiB,
    partitionLimit: row.partitionLimit,
    topicLimit: row.topicLimit,
    consumerGroupLimit: row.consumerGroupLimit,
    billing: {
      mode: row.billingMode,
      ...(row.billingPeriodMonths !== null ? { periodMonths: row.billingPeriodMonths } : {}),
      ...(row.billingAutoRenew !== null ? { autoRenew: row.billingAutoRenew } : {}),
    },
    brokerConfig: (row.brokerConfig ?? {}) as InstanceSpec['brokerConfig'],
    messageBrowsing: row.messageBrowsing ? 'enabled' : 'disabled',
  };
}
