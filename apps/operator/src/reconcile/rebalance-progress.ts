import type { OperationProgress } from '@tributary/contracts';
import type { RebalanceOutcome } from './rebalance.ts';

/**
 * Progress of the data an instance is moving, as the API shows it on the operations that asked for
 * it (Operation.progress in libs/contracts). The reconciler keeps it in the instance's status between
 * passes, because only the pass that starts the moves knows their totals: later passes see just the
 * partitions still moving.
 */
export type RebalanceProgress = OperationProgress & {
  /** Set by the look that found the placement balanced again; the next pass forgets the progress. */
  finished: boolean;
};

/**
 * The progress after one look at the placement. `previous` is the last look's (null when nothing
 * was moving); moves found running with no previous progress (an operator restarted mid-move,
 * moves started by hand) count from this look on.
 */
export function nextProgress(previous: RebalanceProgress | null, outcome: RebalanceOutcome, now: Date): RebalanceProgress | null {
  if (outcome.state === 'blocked') return previous;
  if (outcome.state === 'balanced') {
    if (previous === null || previous.finished) return previous;
    return { ...previous, partitionsMoved: previous.partitionsTotal, bytesMoved: previous.bytesTotal, estimatedEndAt: now.toISOString(), finished: true };
  }
  // The throttle the brokers have now (the operator's, or one set by hand), as the look read it.
  const throttleBytesPerSecond = outcome.throttleBytesPerSecond;
  const remainingBytes = outcome.bytes ? Math.max(0, outcome.bytes.total - outcome.bytes.copied) : null;
  if (outcome.started || previous === null || previous.finished) {
    return {
      partitionsMoved: 0, partitionsTotal: outcome.partitions, bytesMoved: outcome.bytes?.copied ?? 0, bytesTotal: outcome.bytes?.total ?? 0,
      startedAt: now.toISOString(), estimatedEndAt: null, throttleBytesPerSecond, finished: false,
    };
  }
  // The totals stay those of the start; a partition that finished is one fewer moving.
  const partitionsMoved = Math.min(previous.partitionsTotal, Math.max(previous.partitionsMoved, previous.partitionsTotal - outcome.partitions));
  const bytesMoved = remainingBytes === null ? previous.bytesMoved : Math.min(previous.bytesTotal, Math.max(previous.bytesMoved, previous.bytesTotal - remainingBytes));
  return { ...previous, partitionsMoved, bytesMoved, estimatedEndAt: estimateEnd(previous.startedAt, bytesMoved, previous.bytesTotal, now), throttleBytesPerSecond };
}

/** The end at the mean copy rate since the start; null until something has been copied. */
export function estimateEnd(startedAt: string, bytesMoved: number, bytesTotal: number, now: Date): string | null {
  if (bytesMoved <= 0) return null;
  const elapsed = now.getTime() - Date.parse(startedAt);
  return new Date(Date.parse(startedAt) + Math.ceil((elapsed * bytesTotal) / bytesMoved)).toISOString();
}
