import type { Prisma } from '@tributary/db';
import type { QueuedJob } from '../../jobs/reconcile-jobs.ts';
import type { Connection, Tx } from '../connection.ts';

export interface OutboxRow extends QueuedJob { id: bigint; attempts: number }

/**
 * The transactional outbox (table `outbox_job`): services add a job in the transaction of the change
 * it is for; the drainer claims rows (FOR UPDATE SKIP LOCKED, so API replicas never take the same
 * row), enqueues them and deletes them in one transaction.
 */
export class OutboxRepository {
  readonly #c: Connection;
  constructor(c: Connection) { this.#c = c; }

  async add(tx: Tx, job: QueuedJob): Promise<void> {
    await tx.outboxJob.create({ data: { queue: job.queue, name: job.name, jobId: job.jobId, payload: job.data as Prisma.InputJsonValue } });
    this.#c.flagOutbox(tx);
  }

  /**
   * Runs `deliver` on the oldest `limit` unclaimed rows inside a transaction that holds them; they are
   * deleted if it returns, kept (and their attempt counted) if it throws. Returns how many were delivered.
   */
  async drain(limit: number, deliver: (rows: OutboxRow[]) => Promise<void>): Promise<number> {
    let failure: unknown = null;
    let claimed: bigint[] = [];
    const n = await this.#c.tx(async (tx) => {
      const rows = await tx.$queryRaw<{ id: bigint; queue: string; name: string; job_id: string; payload: unknown; attempts: number }[]>`
        SELECT id, queue, name, job_id, payload, attempts FROM outbox_job ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
      if (rows.length === 0) return 0;
      claimed = rows.map((r) => r.id);
      try {
        await deliver(rows.map((r) => ({ id: r.id, queue: r.queue, name: r.name, jobId: r.job_id, data: r.payload, attempts: r.attempts })));
      } catch (err) {
        failure = err;
        return 0;
      }
      await tx.outboxJob.deleteMany({ where: { id: { in: claimed } } });
      return rows.length;
    });
    if (failure !== null) {
      const message = failure instanceof Error ? failure.message : String(failure);
      await this.#c.db.outboxJob.updateMany({ where: { id: { in: claimed } }, data: { attempts: { increment: 1 }, lastError: message.slice(0, 500) } });
      throw failure;
    }
    return n;
  }

  async count(): Promise<number> { return this.#c.db.outboxJob.count(); }
}
