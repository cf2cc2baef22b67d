import type { ReplicaManager } from '../cluster/replica-manager.ts';
import type { GroupCoordinator } from '../group/coordinator.ts';
import { OFFSETS_TOPIC } from '../topics/internal-topics.ts';
import type { MarkerRequest } from './transaction-coordinator.ts';

export interface LocalMarkerDeps {
  replicas: ReplicaManager;
  /** The current group coordinator (replaced when `__consumer_offsets` changes leader). */
  groups: () => GroupCoordinator;
  /** Wakes long-polling fetchers after the markers are written. */
  notify: () => void;
}

export interface MarkerOutcome {
  /** Partitions this broker leads and wrote the marker to. */
  written: { topic: string; partition: number }[];
  /** Partitions it could not write, with the error (NOT_LEADER_OR_FOLLOWER: another broker leads them; UNKNOWN_TOPIC_OR_PARTITION: the topic is gone, nothing to mark). */
  failed: { topic: string; partition: number; errorCode: number }[];
}

/**
 * The partition leader's side of WriteTxnMarkers: a COMMIT or ABORT control batch in each
 * partition of the transaction this broker leads (log/control-batch.ts), which ends the producer's
 * running transaction there; on `__consumer_offsets` the producer's pending TxnOffsetCommit offsets
 * become committed or are dropped.
 */
export function writeMarkersLocally(deps: LocalMarkerDeps, m: Omit<MarkerRequest, 'transactionalId'>, coordinatorEpoch: number): MarkerOutcome {
  const outcome: MarkerOutcome = { written: [], failed: [] };
  for (const p of m.partitions) {
    const lead = deps.replicas.leaderFor(p.topic, p.partition);
    if (!lead.ok) {
      outcome.failed.push({ ...p, errorCode: lead.errorCode });
      continue;
    }
    lead.log.appendMarker({ producerId: m.producerId, producerEpoch: m.producerEpoch, commit: m.commit, coordinatorEpoch }, lead.leaderEpoch);
    if (p.topic === OFFSETS_TOPIC) deps.groups().completeTransaction(m.producerId, m.commit);
    deps.replicas.onLeaderAppend(p.topic, p.partition);
    outcome.written.push(p);
  }
  if (outcome.written.length > 0) deps.notify();
  return outcome;
}
