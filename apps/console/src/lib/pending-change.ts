import type { InstanceSpec } from '../api/types.ts';
import { formatTime } from './format.ts';

/**
 * A prepaid downgrade waiting for the renewal (billingState.pendingChange), as one line: which
 * levels fall, and when they apply (at the next renewal, or at the paid boundary once priced).
 */
export function describePendingChange(spec: InstanceSpec, pending: { spec: InstanceSpec; appliesAt: string | null }): string {
  const parts: string[] = [];
  if (pending.spec.brokers !== spec.brokers) parts.push(`brokers ${spec.brokers} → ${pending.spec.brokers}`);
  if (pending.spec.bandwidthMBps !== spec.bandwidthMBps) parts.push(`bandwidth ${spec.bandwidthMBps} → ${pending.spec.bandwidthMBps} MB/s`);
  if (pending.spec.diskGiB !== spec.diskGiB) parts.push(`disk ${spec.diskGiB} → ${pending.spec.diskGiB} GiB`);
  const what = parts.length ? parts.join(', ') : 'a lower size';
  return `${what}; applies ${pending.appliesAt ? formatTime(pending.appliesAt) : 'at the next renewal'}`;
}
