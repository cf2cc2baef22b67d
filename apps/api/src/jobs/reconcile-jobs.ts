import { randomUUID } from 'node:crypto';
import {
  JOBS, QUEUES, ReconcileInstanceJobSchema, ReconcileInstanceObjectsJobSchema, ReconcileTopicJobSchema, reconcileInstanceJobId, reconcileTopicJobId,
  type ReconcileInstanceJob, type ReconcileInstanceObjectsJob, type ReconcileTopicJob,
} from '@tributary/contracts';

/**
 * A reconcile job as the outbox keeps it and BullMQ receives it: the payload is validated here, when
 * the change is written, and the job id is fixed then too, so every drain of the row adds the same
 * BullMQ job (BullMQ ignores an add whose id it already holds).
 */
export interface QueuedJob { queue: string; name: string; jobId: string; data: unknown }

const JOB_OF_KIND = {
  users: JOBS.reconcileUser, acls: JOBS.reconcileAcl, 'client-quotas': JOBS.reconcileQuota, 'consumer-group-quotas': JOBS.reconcileQuota,
} as const;

export function instanceJob(job: ReconcileInstanceJob): QueuedJob {
  const data = ReconcileInstanceJobSchema.parse(job);
  return { queue: QUEUES.reconcile, name: JOBS.reconcileInstance, jobId: reconcileInstanceJobId(data), data };
}
export function topicJob(job: ReconcileTopicJob): QueuedJob {
  const data = ReconcileTopicJobSchema.parse(job);
  return { queue: QUEUES.reconcile, name: JOBS.reconcileTopic, jobId: reconcileTopicJobId(data), data };
}
/** Object sets have no generation: each change gets its own id (still fixed once written). */
export function objectsJob(job: ReconcileInstanceObjectsJob): QueuedJob {
  const data = ReconcileInstanceObjectsJobSchema.parse(job);
  return { queue: QUEUES.reconcile, name: JOB_OF_KIND[data.kind], jobId: `objects-${data.instanceId}-${data.kind}-${randomUUID()}`, data };
}
