import { ErrorCode } from '@tributary/protocol';
import type { ReplicaManager } from '../cluster/replica-manager.ts';
import type { GroupCoordinators } from '../group/group-coordinators.ts';
import { OFFSETS_TOPIC } from '../topics/internal-topics.ts';
import type { MarkerRequest } from './transaction-coordinator.ts';

export interface LocalMarkerDeps {
  replicas: ReplicaManager;
  /** The group coordinators of the `__consumer_offsets` partitions led here. */
  groups: GroupCoordinators;
  /** Wakes long-polling fetchers after the markers are written. */
  notify: () => void;
  /** A topic's min.insync.replicas (its override, else the broker's). */
  minInsyncReplicas: (topic: string) => number;
}

export interface MarkerOutcome {
  /** Partitions this broker leads whose marker every in-sync replica has. */
  written: { topic: string; partition: number }[];
  /**
   * Partitions it could not mark, with the error: NOT_LEADER_OR_FOLLOWER (another broker leads
   * them), UNKNOWN_TOPIC_OR_PARTITION (the topic is gone, nothing to mark), NOT_ENOUGH_REPLICAS
   * (too few in sync to keep it), INVALID_PRODUCER_EPOCH (the producer's epoch there is newer than
   * the marker's), TRANSACTION_COORDINATOR_FENCED (a newer coordinator wrote the producer's last
   * marker there), or what waiting for the replicas ended with.
   */
  failed: { topic: string; partition: number; errorCode: number }[];
}

/**
 * How long a marker waits for the in-sync replicas: below the 10 s inter-broker request timeout
 * (marker-sender.ts), so a leader whose followers lag answers an error the coordinator retries on.
 */
export const MARKER_REPLICATION_TIMEOUT_MS = 8_000;

/**
 * The partition leader's side of WriteTxnMarkers: a COMMIT or ABORT control batch in each
 * partition of the transaction this broker leads (log/control-batch.ts), which ends the producer's
 * running transaction there; on `__consumer_offsets` the producer's pending TxnOffsetCommit offsets
 * become committed or are dropped. A marker counts as written once every in-sync replica has it,
 * as Kafka appends markers with acks=all: a marker only the leader had is gone when that leader
 * dies, the new leader keeps the transaction open, and the producer's next marker on the partition
 * ends it with the wrong outcome (aborted records read as committed, committed ones dropped; seen
 * by test/cluster/transactions-anomalies).
 */
export async function writeMarkersLocally(deps: LocalMarkerDeps, m: Omit<MarkerRequest, 'transactionalId'>, coordinatorEpoch: number, timeoutMs = MARKER_REPLICATION_TIMEOUT_MS): Promise<MarkerOutcome> {
  const outcome: MarkerOutcome = { written: [], failed: [] };
  const appended: { topic: string; partition: number; end: number; minIsr: number }[] = [];
  for (const p of m.partitions) {
    const lead = deps.replicas.leaderFor(p.topic, p.partition);
    if (!lead.ok) {
      outcome.failed.push({ ...p, errorCode: lead.errorCode });
      continue;
    }
    // acks=all refuses before writing when too few replicas are in sync to keep the marker.
    const minIsr = deps.replicas.effectiveMinIsr(p.topic, p.partition, deps.minInsyncReplicas(p.topic));
    if (deps.replicas.isrSize(p.topic, p.partition) < minIsr) {
      outcome.failed.push({ ...p, errorCode: ErrorCode.NOT_ENOUGH_REPLICAS });
      continue;
    }
    // A marker of an epoch older than the producer's here belongs to a fenced producer: Kafka's
    // leader checks the producer epoch first, then the coordinator's.
    if (lead.log.fencesMarkerProducerEpoch(m.producerId, m.producerEpoch)) {
      outcome.failed.push({ ...p, errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
      continue;
    }
    // A coordinator older than the one that wrote the producer's last marker here is a zombie (it
    // lost its __transaction_state partition while paused): its decision is not written, as Kafka
    // refuses it on the partition leader.
    if (lead.log.fencesMarkerCoordinator(m.producerId, coordinatorEpoch)) {
      outcome.failed.push({ ...p, errorCode: ErrorCode.TRANSACTION_COORDINATOR_FENCED });
      continue;
    }
    const end = lead.log.appendMarker({ producerId: m.producerId, producerEpoch: m.producerEpoch, commit: m.commit, coordinatorEpoch }, lead.leaderEpoch).nextOffset;
    if (p.topic === OFFSETS_TOPIC) deps.groups.completeTransaction(p.partition, m.producerId, m.commit);
    deps.replicas.onLeaderAppend(p.topic, p.partition);
    appended.push({ ...p, end, minIsr });
  }
  if (appended.length > 0) deps.notify();
  await Promise.all(
    appended.map(async ({ topic, partition, end, minIsr }) => {
      const errorCode = await deps.replicas.waitForReplication(topic, partition, end, minIsr, timeoutMs);
      if (errorCode === 0) outcome.written.push({ topic, partition });
      else outcome.failed.push({ topic, partition, errorCode });
    }),
  );
  return outcome;
}
