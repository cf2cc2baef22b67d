import { ErrorCode } from '@tributary/protocol';
import { TopicError } from './topic-error.ts';

/**
 * Manual replica assignments of CreateTopics and CreatePartitions, checked as Kafka's controller
 * checks them (ReplicationControlManager): every partition named once and numbered from 0 without
 * gaps, a non-empty replica list, no broker twice, only registered brokers, the same replication
 * factor everywhere. Errors are INVALID_REPLICA_ASSIGNMENT with Kafka's messages.
 */
function checkReplicas(brokerIds: number[], registered: ReadonlySet<number>, replicationFactor: number | null): void {
  const bad = (message: string) => new TopicError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, message);
  if (brokerIds.length === 0) throw bad('The manual partition assignment includes an empty replica list.');
  const seen = new Set<number>();
  for (const id of brokerIds) {
    if (seen.has(id)) throw bad(`The manual partition assignment includes the broker ${id} more than once.`);
    seen.add(id);
    if (!registered.has(id)) throw bad(`The manual partition assignment includes broker ${id}, but no such broker is registered.`);
  }
  if (replicationFactor !== null && brokerIds.length !== replicationFactor) {
    throw bad(`The manual partition assignment includes a partition with ${brokerIds.length} replica(s), but this is not consistent with previous partitions, which have ${replicationFactor} replica(s).`);
  }
}

/** CreateTopics: the replica lists by partition index, validated. */
export function topicAssignment(assignments: { partitionIndex: number; brokerIds: number[] }[], registered: ReadonlySet<number>): number[][] {
  const byIndex = new Map<number, number[]>();
  let replicationFactor: number | null = null;
  for (const a of assignments) {
    if (byIndex.has(a.partitionIndex)) throw new TopicError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Found multiple manual partition assignments for partition ${a.partitionIndex}`);
    checkReplicas(a.brokerIds, registered, replicationFactor);
    replicationFactor ??= a.brokerIds.length;
    byIndex.set(a.partitionIndex, a.brokerIds);
  }
  const replicas: number[][] = [];
  for (let p = 0; p < byIndex.size; p++) {
    const r = byIndex.get(p);
    if (!r) throw new TopicError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partitions should be a consecutive 0-based integer sequence');
    replicas.push([...r]);
  }
  return replicas;
}

/** CreatePartitions: one replica list per added partition, each of the topic's replication factor. */
export function addedAssignment(assignments: { brokerIds: number[] }[], added: number, registered: ReadonlySet<number>, replicationFactor: number): number[][] {
  if (assignments.length !== added) throw new TopicError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Attempted to add ${added} additional partition(s), but only ${assignments.length} assignment(s) were specified.`);
  for (const a of assignments) checkReplicas(a.brokerIds, registered, replicationFactor);
  return assignments.map((a) => [...a.brokerIds]);
}
