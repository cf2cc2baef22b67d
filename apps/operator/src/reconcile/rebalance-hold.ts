import type { KafkaAdminClient } from '@tributary/kafka-admin';
import { clearThrottle } from './rebalance-throttle.ts';

/**
 * A cancelled rebalance (POST /v1/operations/{id}/cancel, issue 20). The API records the request as
 * a `rebalance.cancel` operation; the operator, holding the instance's lease, cancels every
 * reassignment the brokers have in flight (AlterPartitionReassignments with no replicas, Kafka's
 * cancel: each moving partition goes back to its original replicas, and partitions whose move had
 * already completed stay where they are), then holds: it starts no moves while the instance and its
 * topics are at the generations they had at the cancel (`placementKey`). Any later change of the
 * instance or a topic — the same scale asked again included — lifts the hold.
 */

/** Recorded in the instance's status (instance_status.rebalance_hold). */
export interface RebalanceHold {
  /** placementKey() at the cancel. */
  key: string;
  /** The rebalance.cancel operation that set it. */
  cancelledBy: string;
  at: string;
}

/** What a pass did with the cancels it found, for the status write to settle their operations. */
export interface CancelResult {
  /** The rebalance.cancel operations handled. */
  ids: string[];
  /** Partitions whose reassignment was cancelled; 0 when nothing was moving any more. */
  partitions: number;
  message: string;
}

/** The generations data placement depends on: the instance's and every topic's. */
export function placementKey(instanceGeneration: number, topics: readonly { id: string; generation: number }[]): string {
  return [`i${instanceGeneration}`, ...[...topics].sort((a, b) => a.id.localeCompare(b.id)).map((t) => `${t.id}:${t.generation}`)].join(',');
}

/** The hold still in force for `key`, or null (none, or lifted by a change since). */
export function holdFor(hold: RebalanceHold | null | undefined, key: string): RebalanceHold | null {
  return hold && hold.key === key ? hold : null;
}

/**
 * Cancels every reassignment in flight. Refusals are errors (the pass fails and is retried): a
 * partition whose move the controller will not cancel would otherwise end up moved after all.
 */
export async function cancelReassignments(admin: KafkaAdminClient, ids: readonly string[]): Promise<CancelResult> {
  const ongoing = await admin.listPartitionReassignments();
  if (ongoing.length === 0) return { ids: [...ids], partitions: 0, message: 'nothing was moving any more: the moves had finished before the cancel reached the brokers' };
  const results = await admin.alterPartitionReassignments(ongoing.map((m) => ({ topic: m.topic, partition: m.partition, replicas: null })));
  // NO_REASSIGNMENT_IN_PROGRESS: that move completed between the list and the cancel.
  const refused = [...results].filter(([, err]) => err !== null && err.errorName !== 'NO_REASSIGNMENT_IN_PROGRESS');
  if (refused.length > 0) throw new Error(`the controller refused to cancel ${refused.map(([k, err]) => `${k} (${err!.message})`).join(', ')}`);
  const cancelled = [...results].filter(([, err]) => err === null).length;
  // The moves' throttle goes with them: while the hold lasts no look would clear it.
  const { brokers, topics } = await admin.metadata(null);
  await clearThrottle(admin, brokers.map((b) => b.nodeId), topics.map((t) => t.name));
  return { ids: [...ids], partitions: cancelled, message: `${cancelled} moving partition(s) went back to their original replicas` };
}
