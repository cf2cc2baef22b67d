import { createRequire } from 'node:module';
import type * as Etcd3Module from 'etcd3';
import type { Etcd3, IKeyValue, Namespace, Watcher } from 'etcd3';
import type { Logger } from '../logger.ts';
import { ClusterView, clusterPrefix, keys } from './cluster-view.ts';

/**
 * The etcd client stack (etcd3, grpc-js, protobufjs: ~150 modules, ~15 MiB of RSS in a process of its
 * own; bench/README.md, issue 21) is loaded when the first store is made, not when this module is:
 * a broker that runs without etcd never connects to it and never pays for it. etcd3 is CommonJS, so
 * the synchronous require keeps the constructor synchronous.
 */
const loadEtcd3 = (): typeof Etcd3Module => createRequire(import.meta.url)(ETCD3_MODULE) as typeof Etcd3Module;

/**
 * The broker's build (apps/broker/scripts/build.ts) bundles that stack into one CommonJS file beside
 * the broker's bundle and defines this name as its path: ~165 modules as one, ~3-5 MiB less RSS
 * per clustered broker (bench/README.md, issue 21, session 13). Run from the sources it is undefined
 * and the package is loaded as before.
 */
declare const TRIBUTARY_ETCD3_BUNDLE: string | undefined;
const ETCD3_MODULE = typeof TRIBUTARY_ETCD3_BUNDLE === 'string' ? TRIBUTARY_ETCD3_BUNDLE : 'etcd3';

/** etcd's default --max-txn-ops is 128. */
export const OPS_PER_TXN = 100;

/**
 * The cluster's metadata in etcd, as every broker keeps it: the view (loaded once, then watched, so
 * reads never wait for etcd), writes that read their own result, and the producer-id counter.
 * Registration, the controller and the topic code all write through its namespace; what each key
 * means is cluster-view.ts's.
 */
export class EtcdMetadataStore {
  readonly view = new ClusterView();
  /** The cluster's key space (`/tributary/clusters/<id>/`); transactions are built on it. */
  readonly ns: Namespace;
  readonly #client: Etcd3;
  readonly #logger: Logger;
  #watcher: Watcher | null = null;
  readonly #viewListeners = new Set<() => void>();
  /** The catch-up write under way, and the one that callers arriving meanwhile share. */
  #catchUpRunning: Promise<void> | null = null;
  #catchUpNext: Promise<void> | null = null;

  constructor(endpoints: string[], clusterId: string, logger: Logger) {
    this.#client = new (loadEtcd3().Etcd3)({ hosts: endpoints, dialTimeout: 5000 });
    this.ns = this.#client.namespace(clusterPrefix(clusterId));
    this.#logger = logger;
  }

  /**
   * Loads every key, then watches from the next revision, so no change is missed between the two.
   * Each key goes into the view first, then to `onKey` (registration and the controller look at
   * theirs).
   */
  async load(onKey: (key: string, kv: IKeyValue, deleted: boolean) => void): Promise<void> {
    const apply = (kv: IKeyValue, deleted: boolean) => {
      const key = kv.key.toString();
      this.view.apply(key, deleted ? null : kv.value.toString(), kv.mod_revision, kv.create_revision);
      onKey(key, kv, deleted);
    };
    const loaded = await this.ns.getAll().prefix('').exec();
    for (const kv of loaded.kvs) apply(kv, false);
    // The load saw everything up to its revision, also changes since deleted (no event shows them).
    if (BigInt(loaded.header.revision) > this.view.revision) this.view.revision = BigInt(loaded.header.revision);
    const watcher = await this.ns.watch().prefix('').startRevision(String(BigInt(loaded.header.revision) + 1n)).create();
    watcher.on('put', (kv) => apply(kv, false));
    watcher.on('delete', (kv) => apply(kv, true));
    watcher.on('error', (err) => this.#logger.log('warn', 'etcd watch error', { error: err.message }));
    this.#watcher = watcher;
  }

  /** Tells whoever waits in `waitForView` that the view (and what the broker derives from it) changed. */
  viewChanged(): void {
    for (const l of this.#viewListeners) l();
  }

  /** Resolves once `done()` holds after a view change, or after `timeoutMs` (callers check again). */
  waitForView(done: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return;
        finish();
      };
      const finish = () => {
        clearTimeout(timer);
        this.#viewListeners.delete(check);
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.#viewListeners.add(check);
    });
  }

  /**
   * Writes (value) or deletes (null) keys in one transaction, then waits until this broker's view
   * shows them, so that the next request here reads its own write.
   */
  async writeKeys(changes: [string, string | null][]): Promise<void> {
    for (let i = 0; i < changes.length; i += OPS_PER_TXN) {
      const chunk = changes.slice(i, i + OPS_PER_TXN);
      await this.ns
        .if(keys.controller, 'Version', '>', -1) // always true: etcd3's builder needs a comparison to run a transaction
        .then(...chunk.map(([k, v]) => (v === null ? this.ns.delete().key(k) : this.ns.put(k).value(v))))
        .commit();
    }
    await this.waitForView(() => changes.every(([k, v]) => (this.view.raw.get(k) ?? null) === v), 5000);
  }

  /**
   * The latest revision at which etcd committed a write to this cluster's keys that still exist
   * (the key with the highest mod revision; a later deletion shows only in the watched views).
   * etcd's own header revision counts other clusters' writes too. Rejects after `timeoutMs`.
   */
  async committedRevision(timeoutMs = 2000): Promise<bigint> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`etcd did not answer within ${timeoutMs} ms`)), timeoutMs)));
    try {
      const res = await Promise.race([this.ns.getAll().prefix('').sort('Mod', 'Descend').limit(1).exec(), expired]);
      return BigInt(res.kvs[0]?.mod_revision ?? '0');
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Resolves once this broker's view holds every write etcd had committed when it was called
   * (ZooKeeper's sync): a read after it shows a change another broker just made, and a
   * read-modify-write does not start from an older copy. The watch only carries this cluster's keys,
   * so etcd's current revision may never show up in it; instead the broker rewrites a key of its own
   * (`marker`) and waits for the watch to bring that write back, which it does after every earlier
   * one. A caller arriving while a catch-up is under way shares the next one (the running write may
   * precede the change that caller must see), so a burst costs at most two etcd writes. Bounded by
   * `timeoutMs`; after it, or when etcd fails, the view is read as it is.
   */
  catchUp(marker: string, timeoutMs = 5000): Promise<void> {
    if (!this.#catchUpRunning) {
      this.#catchUpRunning = this.#catchUpOnce(marker, timeoutMs).finally(() => {
        this.#catchUpRunning = null;
      });
      return this.#catchUpRunning;
    }
    this.#catchUpNext ??= this.#catchUpRunning.then(() => {
      this.#catchUpNext = null;
      return this.catchUp(marker, timeoutMs);
    });
    return this.#catchUpNext;
  }

  async #catchUpOnce(marker: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    // etcd3 calls have no deadline of their own: an unreachable etcd would hold the answer forever.
    const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), timeoutMs)));
    try {
      const res = await Promise.race([this.ns.put(marker).value(String(deadline)).exec(), expired]);
      if (res === 'expired') throw new Error(`etcd did not answer within ${timeoutMs} ms`);
      const written = BigInt(res.header.revision);
      await this.waitForView(() => this.view.revision >= written, Math.max(0, deadline - Date.now()));
    } catch (err) {
      this.#logger.log('warn', 'could not catch up with etcd; answering from the current view', { error: err instanceof Error ? err.message : String(err) });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reserves `size` producer ids from the cluster-wide counter (compare-and-swap, retried on races). */
  async allocateProducerIds(size: bigint): Promise<bigint> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const current = await this.ns.get(keys.producerIds).exec();
      const kv = current.kvs[0];
      const start = kv ? BigInt(kv.value.toString()) : 0n;
      const guard = kv ? this.ns.if(keys.producerIds, 'Mod', '==', kv.mod_revision) : this.ns.if(keys.producerIds, 'Version', '==', 0);
      const res = await guard.then(this.ns.put(keys.producerIds).value(String(start + size))).commit();
      if (res.succeeded) return start;
    }
    throw new Error('could not reserve producer ids: too much contention');
  }

  /** No more changes are applied (stopping: the broker's own keys are about to go). */
  async stopWatching(): Promise<void> {
    try {
      await this.#watcher?.cancel();
    } catch {
      // etcd unreachable: nothing to cancel
    }
  }

  close(): void {
    this.#client.close();
  }
}
