import type { InstanceStatus, OperationOutcome, TopicStatus } from '@tributary/db';

/**
 * What a client sees of a resource's status, composed from the two owners' rows (libs/db README,
 * "Table ownership"): the API owns the spec (generation, deletion), the operator owns the status
 * rows (instance_status, topic_status, operation_outcome). As in Kubernetes, a status whose
 * observedGeneration is behind the spec's generation describes an older spec: the resource is being
 * changed, whatever the operator last said of the old one.
 */
export function instancePhase(generation: number, deleted: boolean, status: InstanceStatus | null): string {
  if (deleted) return 'Deleting';
  if (!status) return 'Creating'; // the operator has not reported yet
  if (status.phase === 'Running' && status.observedGeneration < generation) return 'Updating';
  return status.phase;
}

export function topicPhase(generation: number, deleted: boolean, status: TopicStatus | null): string {
  if (deleted) return 'Deleting';
  if (!status || status.observedGeneration === 0) return 'Creating';
  if (status.observedGeneration < generation) return 'Updating';
  return status.phase;
}

/** The later of the spec row's and the status row's last change. */
export function lastChange(specUpdatedAt: Date, status: { updatedAt: Date } | null): Date {
  return status && status.updatedAt > specUpdatedAt ? status.updatedAt : specUpdatedAt;
}

/**
 * An operation's state: the operator's outcome when it reported one (operations handed to it are
 * Pending in the API's row for ever), else the API's own (its live writes, and Pending).
 */
export function operationState(op: { state: OperationOutcome['state']; error: string | null; updatedAt: Date }, outcome: OperationOutcome | null) {
  return outcome ? { state: outcome.state, error: outcome.error, updatedAt: lastChange(op.updatedAt, outcome) } : { state: op.state, error: op.error, updatedAt: op.updatedAt };
}
