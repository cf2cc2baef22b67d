import { Queue } from 'bullmq';
import {
  JOBS, QUEUES, ReconcileInstanceJobSchema, ReconcileTopicJobSchema, reconcileInstanceJobId, reconcileTopicJobId,
  ReconcileInstanceObjectsJobSchema, type ReconcileInstanceJob, type ReconcileInstanceObjectsJob, type ReconcileTopicJob,
} from '@tributary/contracts';
import type { QueuedJob } from './reconcile-jobs.ts';

/** The API's side of the reconcile queue: validated payloads, stable job ids (duplicates collapse). */
const JOB_OF_KIND = {
  users: JOBS.reconcileUser, acls: JOBS.reconcileAcl, 'client-quotas': JOBS.reconcileQuota, 'consumer-group-quotas': JOBS.reconcileQuota,
} as const;

export interface ReconcileQueue {
  /** Adds a job the outbox kept (name, payload and job id fixed when it was written); an id BullMQ already holds is not added again. */
  enqueue(job: QueuedJob): Promise<void>;
  reconcileInstance(job: ReconcileInstanceJob): Promise<void>;
  reconcileTopic(job: ReconcileTopicJob): Promise<void>;
  reconcileObjects(job: ReconcileInstanceObjectsJob): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function createReconcileQueue(redisUrl: string): ReconcileQueue {
  const url = new URL(redisUrl);
  const queue = new Queue(QUEUES.reconcile, {
    connection: { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null, enableOfflineQueue: false },
    defaultJobOptions: { attempts: 10, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: 1000, removeOnFail: 5000 },
  });
  // While Redis is down every command fails (enableOfflineQueue: false) and the client reconnects on
  // its own; the outbox drainer reports the failures. Without a listener an 'error' event would throw.
  queue.on('error', () => {});
  return {
    async enqueue(job) {
      if (job.queue !== QUEUES.reconcile) throw new Error(`outbox job for unknown queue ${job.queue}`);
      await queue.add(job.name, job.data, { jobId: job.jobId });
    },
    async reconcileInstance(job) {
      const data = ReconcileInstanceJobSchema.parse(job);
      await queue.add(JOBS.reconcileInstance, data, { jobId: reconcileInstanceJobId(data) });
    },
    async reconcileTopic(job) {
      const data = ReconcileTopicJobSchema.parse(job);
      await queue.add(JOBS.reconcileTopic, data, { jobId: reconcileTopicJobId(data) });
    },
    async reconcileObjects(job) {
      const data = ReconcileInstanceObjectsJobSchema.parse(job);
      await queue.add(JOB_OF_KIND[data.kind], data);
    },
    async ping() {
      await queue.getJobCounts('waiting');
    },
    close: () => queue.close(),
  };
}
