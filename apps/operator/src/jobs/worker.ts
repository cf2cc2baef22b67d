import { Queue, Worker, type Job } from 'bullmq';
import { JOBS, QUEUES } from '@tributary/contracts';
import type { InstanceReconciler } from '../reconcile/instance-reconciler.ts';
import type { DesiredStateStore } from '../store/desired-state-store.ts';

export interface OperatorWorkerOptions {
  redisUrl: string;
  store: DesiredStateStore;
  reconciler: InstanceReconciler;
  /** How often every instance is reconciled even without a job (drift correction). */
  resyncMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

const RESYNC = 'resync-all';

/**
 * Consumes the API's reconcile jobs. Every job names an instance; the worker reads the current
 * desired state (jobs are hints, the database is the truth), reconciles, writes status, and when
 * the reconciler asks to come back, schedules a delayed job. Concurrency 1 makes one worker reconcile
 * one instance at a time; several operator processes would need a per-instance lock (not yet).
 */
export async function startOperatorWorker(options: OperatorWorkerOptions): Promise<{ close(): Promise<void> }> {
  const url = new URL(options.redisUrl);
  const connection = { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null };
  const queue = new Queue(QUEUES.reconcile, { connection });
  const log = options.log ?? (() => undefined);

  const reconcileInstance = async (instanceId: string): Promise<void> => {
    const loaded = await options.store.load(instanceId);
    if (!loaded) return;
    try {
      const { status, requeueAfterMs } = await options.reconciler.reconcile(loaded.desired, loaded.status);
      await options.store.saveStatus(instanceId, status);
      for (const event of status.events) log('drift corrected', { instanceId, event });
      if (requeueAfterMs !== null) {
        await queue.add(JOBS.reconcileInstance, { instanceId, generation: loaded.desired.generation, reason: 'resync' }, { delay: requeueAfterMs, jobId: `requeue-${instanceId}-${Date.now()}` });
      }
    } catch (err) {
      const status = (err as { status?: Parameters<DesiredStateStore['saveStatus']>[1] }).status;
      if (status) await options.store.saveStatus(instanceId, status, (err as Error).message);
      throw err; // BullMQ retries with the API's backoff; attempts and the last error stay on the job.
    }
  };

  const worker = new Worker(
    QUEUES.reconcile,
    async (job: Job) => {
      if (job.name === RESYNC) {
        for (const id of await options.store.instanceIds()) await reconcileInstance(id);
        return;
      }
      const instanceId = (job.data as { instanceId?: string }).instanceId;
      if (instanceId) await reconcileInstance(instanceId);
    },
    { connection, concurrency: 1 },
  );
  await queue.upsertJobScheduler(RESYNC, { every: options.resyncMs ?? 30_000 }, { name: RESYNC, data: {} });
  return {
    async close() {
      await worker.close();
      await queue.removeJobScheduler(RESYNC);
      await queue.close();
    },
  };
}
