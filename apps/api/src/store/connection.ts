import type { Prisma} from '@tributary/db';
import { createDb, createPool, FastReads, InstanceCache, migrate, type Db } from '@tributary/db';
import type pg from 'pg';

export type Tx = Prisma.TransactionClient;

/**
 * The API's one PostgreSQL connection pool, shared by Prisma and the plain-SQL hot reads (libs/db
 * FastReads), the instance cache, and the transactions every write runs in. Repositories take a `Tx`
 * (or this connection's `db` for reads); services open transactions through `tx`/`instanceWrite`.
 */
export class Connection {
  readonly db: Db;
  readonly pool: pg.Pool;
  readonly fast: FastReads;
  /** Instance rows in memory, invalidated by NOTIFY (libs/db InstanceCache); null: every read queries. */
  readonly instanceCache: InstanceCache | null;

  constructor(pool: pg.Pool, opts: { instanceCacheUrl?: string } = {}) {
    this.pool = pool;
    this.db = createDb(pool);
    this.fast = new FastReads(pool);
    this.instanceCache = opts.instanceCacheUrl === undefined ? null : new InstanceCache({
      connectionString: opts.instanceCacheUrl,
      load: (id) => this.fast.instanceById(id),
    });
  }

  /**
   * Applies pending migrations (prisma/migrations), then connects. The instance cache is on unless
   * `instanceCache: false`; its first LISTEN attempt is awaited (reads bypass it until one succeeds).
   */
  static async open(databaseUrl: string, opts: { instanceCache?: boolean } = {}): Promise<Connection> {
    await migrate(databaseUrl);
    const c = new Connection(createPool(databaseUrl, 10), opts.instanceCache === false ? {} : { instanceCacheUrl: databaseUrl });
    await c.instanceCache?.start();
    return c;
  }

  readonly #inflight = new Set<Promise<unknown>>();
  /** One interactive transaction; tracked so `close` can wait for it. */
  tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    let outbox = false;
    const p = this.db.$transaction(async (tx) => {
      const r = await fn(tx);
      outbox = this.#wroteOutbox.has(tx);
      return r;
    });
    this.#inflight.add(p);
    void p.then(() => {
      this.#inflight.delete(p);
      if (outbox) for (const f of this.#outboxListeners) f();
    }, () => this.#inflight.delete(p));
    return p;
  }

  /**
   * Outbox writes wake the drainer once their transaction has committed (not before: it could not
   * see the rows yet). Repositories `flagOutbox(tx)`; the drainer listens with `onOutboxCommit`.
   */
  readonly #wroteOutbox = new WeakSet<Tx>();
  readonly #outboxListeners = new Set<() => void>();
  flagOutbox(tx: Tx) { this.#wroteOutbox.add(tx); }
  onOutboxCommit(f: () => void): () => void {
    this.#outboxListeners.add(f);
    return () => this.#outboxListeners.delete(f);
  }
  /**
   * A transaction that changes instance `id`; its cached row is dropped once the transaction has
   * ended (committed or not), so this process reads its own write at once. Dropping it earlier would
   * let a read racing the commit cache the old row again.
   */
  async instanceWrite<T>(id: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    try {
      return await this.tx(fn);
    } finally {
      this.instanceCache?.invalidate(id);
    }
  }

  async ping() { await this.db.$queryRaw`SELECT 1`; }

  /**
   * Waits (up to `drainMs`) for transactions still running — fastify's close does not wait for
   * handlers whose client went away — then disconnects. Prisma's $disconnect under an open
   * interactive transaction leaves that transaction's connection checked out for good, and the
   * pool's end() would then wait forever.
   */
  async close(drainMs = 10_000) {
    const bounded = <T>(p: Promise<T>) => Promise.race([p, new Promise<void>((r) => setTimeout(r, drainMs).unref())]);
    await bounded(Promise.allSettled([...this.#inflight]));
    await this.instanceCache?.close();
    await this.db.$disconnect();
    await bounded(this.pool.end());
  }
}
