import type { Namespace } from 'etcd3';
import { OPS_PER_TXN } from './metadata-store.ts';

interface Pending {
  key: string;
  modRevision: string;
  value: string;
  resolve: (revision: string | null) => void;
  reject: (err: unknown) => void;
}

/**
 * Compare-and-swap writes of single keys (each guarded by the mod revision it was computed from),
 * gathered over one turn of the event loop and sent as transactions of up to OPS_PER_TXN keys, so
 * a burst of them (a leader shrinking the ISR of every partition a dead follower was in) costs etcd
 * a few transactions, and every broker a few watch messages, instead of one per key. A transaction
 * whose guard fails (one of its keys moved) is sent again key by key, so each write wins or loses on
 * its own, exactly as if it had been sent alone. Each write resolves with the revision it was
 * written at, or null when its key had moved.
 */
export class GuardedWriteBatch {
  readonly #ns: Namespace;
  #queued: Pending[] = [];

  constructor(ns: Namespace) {
    this.#ns = ns;
  }

  write(key: string, modRevision: string, value: string): Promise<string | null> {
    return new Promise((resolve, reject) => {
      if (this.#queued.length === 0) setImmediate(() => void this.#flush());
      this.#queued.push({ key, modRevision, value, resolve, reject });
    });
  }

  async #flush(): Promise<void> {
    const all = this.#queued;
    this.#queued = [];
    const batches: { writes: Pending[]; keys: Set<string> }[] = [];
    // One key at most once per transaction (etcd refuses a transaction that puts a key twice).
    for (const w of all) {
      let batch = batches.find((b) => b.writes.length < OPS_PER_TXN && !b.keys.has(w.key));
      if (!batch) batches.push((batch = { writes: [], keys: new Set() }));
      batch.writes.push(w);
      batch.keys.add(w.key);
    }
    await Promise.all(batches.map((b) => this.#send(b.writes)));
  }

  async #send(batch: Pending[]): Promise<void> {
    try {
      const res = await this.#commit(batch);
      if (res.succeeded || batch.length === 1) {
        for (const w of batch) w.resolve(res.succeeded ? res.header.revision : null);
        return;
      }
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    await Promise.all(batch.map((w) => this.#send([w])));
  }

  #commit(batch: Pending[]) {
    const [first, ...rest] = batch;
    let guard = this.#ns.if(first!.key, 'Mod', '==', first!.modRevision);
    for (const w of rest) guard = guard.and(w.key, 'Mod', '==', w.modRevision);
    return guard.then(...batch.map((w) => this.#ns.put(w.key).value(w.value))).commit();
  }
}
