import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { JOBS, QUEUES } from '@tributary/contracts';
import type { InstanceReconciler } from '../reconcile/instance-reconciler.ts';
import type { DesiredStateStore } from '../store/desired-state-store.ts';
import { InstanceLock } from './instance-lock.ts';

export interface OperatorWorkerOptions {
  redisUrl: string;
  store: DesiredStateStore;
  reconciler: InstanceReconciler;
  /** How often every instance is reconciled even without a job (drift correction). */
  resyncMs?: number;
  /** Jobs handled at once by this worker (different instances; one instance is always one at a time). */
  concurrency?: number;
  /** Lease of the per-instance lock; a crashed holder blocks its instance this long at most. */
  lockTtlMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

const RESYNC = 'resync-all';

/**
 * Consumes the API's reconcile jobs. Every job names an instance; the worker reads the current
 * desired state (jobs are hints, the database is the truth), reconciles, writes status, and when
 * the reconciler asks to come back, schedules a delayed job. A per-instance lease in Redis keeps any
 * two workers (of this process or of other operator processes) off the same instance; a job that
 * finds its instance busy comes back shortly, since the busy worker may have read older state.
 */
export async function startOperatorWorker(options: OperatorWorkerOptions): Promise<{ close(): Promise<void> }> {
  const url = new URL(options.redisUrl);
  const connection = { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null };
  const queue = new Queue(QUEUES.reconcile, { connection });
  const log = options.log ?? (() => undefined);
  const lockConnection = new Redis(options.redisUrl, { maxRetriesPerRequest: 2 });
  const locks = new InstanceLock(lockConnection, { ttlMs: options.lockTtlMs ?? 30_000 });

  const reconcileInstance = async (instanceId: string): Promise<void> => {
    const lease = await locks.tryAcquire(instanceId);
    if (!lease) {
      log('instance busy in another worker; retrying shortly', { instanceId });
      const current = await options.store.load(instanceId);
      if (!current) return;
      await queue.add(JOBS.reconcileInstance, { instanceId, generation: current.desired.generation, reason: 'resync' }, { delay: 1000 + Math.floor(Math.random() * 1000), jobId: `busy-${instanceId}-${Date.now()}` });
      return;
    }
    try {
      await reconcileHeld(instanceId, () => lease.held);
    } finally {
      await lease.release();
    }
  };

  const reconcileHeld = async (instanceId: string, stillHeld: () => boolean): Promise<void> => {
    const loaded = await options.store.load(instanceId);
    if (!loaded) return;
    try {
      const { status, requeueAfterMs } = await options.reconciler.reconcile(loaded.desired, loaded.status);
      // A worker that lost its lease (stalled past the TTL) must not overwrite the new holder's status.
      if (!stillHeld()) return log('lease lost during reconcile; status not written', { instanceId });
      await options.store.saveStatus(instanceId, status);
      for (const event of status.events) log('drift corrected', { instanceId, event });
      if (requeueAfterMs !== null) {
        await queue.add(JOBS.reconcileInstance, { instanceId, generation: loaded.desired.generation, reason: 'resync' }, { delay: requeueAfterMs, jobId: `requeue-${instanceId}-${Date.now()}` });
      }
    } catch (err) {
      const status = (err as { status?: Parameters<DesiredStateStore['saveStatus']>[1] }).status;
      if (status && stillHeld()) await options.store.saveStatus(instanceId, status, (err as Error).message);
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
      // Every job names an instance: topics, users, ACLs and quotas are all applied by its reconcile pass.
      const instanceId = (job.data as { instanceId?: string }).instanceId;
      if (instanceId) await reconcileInstance(instanceId);
    },
    { connection, concurrency: options.concurrency ?? 2 },
  );
  await queue.upsertJobScheduler(RESYNC, { every: options.resyncMs ?? 30_000 }, { name: RESYNC, data: {} });
  return {
    async close() {
      await worker.close();
      await queue.removeJobScheduler(RESYNC);
      await queue.close();
      lockConnection.disconnect();
    },
  };
}
