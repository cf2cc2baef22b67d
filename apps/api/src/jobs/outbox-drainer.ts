import type { OutboxRepository } from '../store/repositories/outbox.ts';
import type { ReconcileQueue } from './queue.ts';

export interface DrainerLog { info(o: object, msg: string): void; warn(o: object, msg: string): void }

/**
 * Moves the outbox's jobs to BullMQ. It runs in the API process: the API writes the outbox, so the
 * table has one owner that writes and deletes its rows, and the operator stays a plain BullMQ
 * consumer that needs no new access to PostgreSQL. Every API replica runs one; they never take the
 * same row (SKIP LOCKED).
 *
 * When it runs: right after a transaction that wrote outbox rows commits (Connection.onOutboxCommit),
 * and every `pollMs` as a safety net (rows of a process that died between commit and drain). While
 * Redis is down every attempt fails; attempts back off from `minBackoffMs` doubling to
 * `maxBackoffMs`, and the rows wait in PostgreSQL: nothing is lost, and the client already had its 202.
 *
 * Nothing runs twice in effect: a row is deleted in the transaction that claimed it, after BullMQ took
 * its job. A crash between the two leaves the row, and the next drain adds the same job id again,
 * which BullMQ ignores while it holds that job (completed jobs are kept: removeOnComplete 1000); a
 * job already removed would run once more, which is harmless because reconciles are level-based (the
 * worker reads the current desired state, not the payload's).
 */
export class OutboxDrainer {
  readonly #outbox: OutboxRepository;
  readonly #queue: ReconcileQueue;
  readonly #log: DrainerLog | undefined;
  readonly #opts: { batch: number; pollMs: number; minBackoffMs: number; maxBackoffMs: number };
  #running: Promise<void> | null = null;
  #again = false;
  #backoffMs = 0;
  #retryAt = 0;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #failing = false;
  /** Jobs handed to BullMQ and drain attempts that failed, for /metrics and tests. */
  readonly stats = { delivered: 0, failedAttempts: 0 };

  readonly #wake: ((kick: () => void) => () => void) | undefined;
  #unwake: (() => void) | null = null;

  /** `wake` subscribes a kick to "outbox rows were committed" and returns its unsubscribe. */
  constructor(outbox: OutboxRepository, queue: ReconcileQueue, opts: {
    batch?: number; pollMs?: number; minBackoffMs?: number; maxBackoffMs?: number; log?: DrainerLog; wake?: (kick: () => void) => () => void;
  } = {}) {
    this.#wake = opts.wake;
    this.#outbox = outbox;
    this.#queue = queue;
    this.#log = opts.log;
    this.#opts = { batch: opts.batch ?? 100, pollMs: opts.pollMs ?? 1000, minBackoffMs: opts.minBackoffMs ?? 100, maxBackoffMs: opts.maxBackoffMs ?? 5000 };
  }

  start(): this {
    this.#timer = setInterval(() => this.kick(), this.#opts.pollMs);
    this.#timer.unref();
    this.#unwake = this.#wake?.(() => this.kick()) ?? null;
    this.kick();
    return this;
  }

  /** Drains now (or right after the drain in progress); during a backoff, at its end. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) { this.#again = true; return; }
    const wait = this.#retryAt - Date.now();
    if (wait > 0) return; // the poll timer comes back after the backoff
    this.#running = this.#loop().finally(() => {
      this.#running = null;
      if (this.#again) { this.#again = false; this.kick(); }
    });
  }

  async #loop(): Promise<void> {
    try {
      for (;;) {
        this.#again = false;
        const n = await this.#outbox.drain(this.#opts.batch, async (rows) => {
          for (const row of rows) await this.#queue.enqueue(row);
        });
        this.stats.delivered += n;
        if (this.#failing) { this.#failing = false; this.#log?.info({}, 'outbox: delivering to Redis again'); }
        this.#backoffMs = 0;
        this.#retryAt = 0;
        if (n < this.#opts.batch && !this.#again) return;
        if (this.#stopped) return;
      }
    } catch (err) {
      this.stats.failedAttempts++;
      this.#backoffMs = Math.min(this.#opts.maxBackoffMs, this.#backoffMs === 0 ? this.#opts.minBackoffMs : this.#backoffMs * 2);
      this.#retryAt = Date.now() + this.#backoffMs;
      this.#again = false;
      if (!this.#failing) {
        this.#failing = true;
        this.#log?.warn({ err: err instanceof Error ? err.message : String(err) }, 'outbox: cannot deliver jobs to Redis; they stay in PostgreSQL and are retried');
      }
      if (!this.#stopped) setTimeout(() => this.kick(), this.#backoffMs).unref();
    }
  }

  /** Stops polling and waits for a drain in progress (its rows are either delivered and deleted, or kept). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unwake?.();
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }
}
