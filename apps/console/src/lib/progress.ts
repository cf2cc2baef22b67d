import { formatBytes } from './format.ts';

/** What an operation that moves data between brokers reports (the API's OperationProgress). */
export interface MoveProgress {
  partitionsMoved: number; partitionsTotal: number; bytesMoved: number; bytesTotal: number;
  startedAt: string; estimatedEndAt: string | null; throttleBytesPerSecond: number | null;
}

/**
 * A rebalance's progress as the operations timeline shows it: the share done (by bytes when there
 * are bytes to copy, else by partitions — a move of empty partitions is still a move) and the lines
 * that say it in words. The estimate is the operator's (from the copy rate so far); none is made up here.
 */
export function describeProgress(p: MoveProgress, running: boolean, now = Date.now()): { percent: number; lines: string[] } {
  const ratio = p.bytesTotal > 0 ? p.bytesMoved / p.bytesTotal : p.partitionsTotal > 0 ? p.partitionsMoved / p.partitionsTotal : 1;
  const lines = [
    `${p.partitionsMoved} of ${p.partitionsTotal} partitions moved`,
    `${formatBytes(p.bytesMoved)} of ${formatBytes(p.bytesTotal)} copied`,
  ];
  if (running && p.estimatedEndAt) {
    const left = Math.max(0, Math.round((Date.parse(p.estimatedEndAt) - now) / 1000));
    lines.push(left > 0 ? `about ${left < 90 ? `${left} s` : `${Math.round(left / 60)} min`} left` : 'finishing');
  }
  lines.push(p.throttleBytesPerSecond === null ? 'unthrottled' : `throttled to ${formatBytes(p.throttleBytesPerSecond)}/s per broker`);
  return { percent: Math.min(100, Math.round(ratio * 1000) / 10), lines };
}
