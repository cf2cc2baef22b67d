import type { Schemas } from './client.ts';

/**
 * One line for the data an operation moves between brokers (Operation.progress): partitions and
 * bytes moved of the totals, the throttle, and when it should end. Empty when it moves none.
 */
export function progressText(p: Schemas['Operation']['progress']): string {
  if (!p) return '';
  const parts = [`${p.partitionsMoved}/${p.partitionsTotal} partitions`, `${mb(p.bytesMoved)}/${mb(p.bytesTotal)} MB`];
  if (p.throttleBytesPerSecond !== null) parts.push(`throttle ${mb(p.throttleBytesPerSecond)} MB/s`);
  if (p.estimatedEndAt !== null) parts.push(`ends ~${p.estimatedEndAt.slice(11, 19)}Z`);
  return parts.join(', ');
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
