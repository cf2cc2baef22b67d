import type { InstanceWithStatus as Instance } from './fast-reads.ts';
import { ChangeListener, type ChangeListenerOptions } from './change-listener.ts';

/** The channel the `instance_changed_notify` trigger (migration 20261123112500) notifies ids on. */
export const INSTANCE_CHANGED_CHANNEL = 'tributary_instance_changed';

export interface InstanceCacheOptions {
  /** Where the LISTEN connection goes (the same database as `load`). */
  connectionString: string;
  /** The read behind the cache (FastReads.instanceById). */
  load(id: string): Promise<Instance | null>;
  /** Rows kept at most; the least recently used goes first. */
  maxEntries?: number;
  listener?: Pick<ChangeListenerOptions, 'backoff' | 'pingIntervalMs' | 'pingTimeoutMs'>;
}

export interface InstanceCacheStats {
  hits: number;
  /** Loads while the cache was usable (the row was not cached). */
  misses: number;
  /** Loads while the cache was bypassed (LISTEN not established). */
  bypassed: number;
  /** Invalidations received: notifications and the process's own writes. */
  invalidations: number;
}

/**
 * Instance rows by id, in memory, invalidated across processes by PostgreSQL NOTIFY. Why: every
 * instance-scoped request starts with this read, and a PostgreSQL round trip per GET (on the same two
 * cores as the API) held GET /v1/instances/{id} to ~11 % of a bare fastify's rate (bench/api).
 *
 * Correctness rules:
 * - A row is served from memory only while the LISTEN connection is established. When it is lost
 *   the cache is emptied and bypassed (every read goes to PostgreSQL) until LISTEN is acknowledged
 *   again; notifications sent in between are lost, so nothing cached before may be trusted.
 * - Race guard: a load records the invalidation epoch before its query and stores its row only if
 *   no invalidation (of any id), loss or re-listen happened meanwhile — a read that started before a
 *   change must not put the old row back after the change's invalidation.
 * - The process's own writes call `invalidate(id)` after their commit (read-your-writes in one
 *   process, without waiting for the notification).
 * - Staleness for other processes' writes: the time their NOTIFY takes to arrive (it is sent at
 *   commit; milliseconds on one host).
 * - Rows are cached by id whatever their account or deletion: the caller checks those on every read,
 *   exactly as without the cache. Missing ids are not cached.
 */
export class InstanceCache {
  readonly #rows = new Map<string, Instance>();
  readonly #load: (id: string) => Promise<Instance | null>;
  readonly #max: number;
  readonly #listener: ChangeListener;
  #epoch = 0;
  #usable = false;
  readonly stats: InstanceCacheStats = { hits: 0, misses: 0, bypassed: 0, invalidations: 0 };

  constructor(options: InstanceCacheOptions) {
    this.#load = options.load;
    this.#max = options.maxEntries ?? 10_000;
    this.#listener = new ChangeListener({
      ...options.listener,
      connectionString: options.connectionString,
      channel: INSTANCE_CHANGED_CHANNEL,
      onChange: (id) => (id === '*' ? this.#reset(this.#usable) : this.invalidate(id)),
      onListening: (listening) => this.#reset(listening),
    });
  }

  /** Starts listening; resolves after the first attempt (the cache is bypassed until one succeeds). */
  async start() { await this.#listener.start(); }
  async close() {
    await this.#listener.close();
    this.#reset(false);
  }

  /** Whether reads may be served from memory (LISTEN established). */
  get usable() { return this.#usable; }
  get size() { return this.#rows.size; }
  /** The LISTEN session's backend pid, or null; for tests. */
  get listenerPid() { return this.#listener.pid; }

  async get(id: string): Promise<Instance | null> {
    if (this.#usable) {
      const hit = this.#rows.get(id);
      if (hit) {
        this.stats.hits++;
        // Re-insert: Map keeps insertion order, so the first key is the least recently used.
        this.#rows.delete(id);
        this.#rows.set(id, hit);
        return hit;
      }
    }
    const epoch = this.#epoch;
    const usable = this.#usable;
    if (usable) this.stats.misses++;
    else this.stats.bypassed++;
    const row = await this.#load(id);
    if (row && usable && epoch === this.#epoch) this.#store(id, row);
    return row;
  }

  /** Drops `id` and keeps loads in flight from storing what they read. Call after a write commits. */
  invalidate(id: string) {
    this.#epoch++;
    this.stats.invalidations++;
    this.#rows.delete(id);
  }

  #store(id: string, row: Instance) {
    // Shared by every later request: a caller that mutated it would corrupt the cache.
    deepFreeze(row);
    this.#rows.set(id, row);
    if (this.#rows.size > this.#max) this.#rows.delete(this.#rows.keys().next().value!);
  }

  #reset(usable: boolean) {
    this.#epoch++;
    this.#rows.clear();
    this.#usable = usable;
  }
}

function deepFreeze(v: unknown) {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v) || v instanceof Date) return;
  Object.freeze(v);
  for (const x of Object.values(v)) deepFreeze(x);
}
