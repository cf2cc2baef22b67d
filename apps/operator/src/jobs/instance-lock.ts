import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A per-instance lease in Redis, so that two operator workers (threads of one process or separate
 * processes) never reconcile the same instance at once. The holder renews the lease while it works;
 * if it dies, the lease expires after `ttlMs` and another worker takes over. Reconciling is level-based
 * and idempotent, so the worst case of a lease lost mid-way (a stalled holder) is repeated work, which
 * is why a lease (not a consensus lock) is enough here.
 */
export interface InstanceLockOptions {
  ttlMs?: number;
  /** Key prefix; tests give each run its own. */
  prefix?: string;
}

// Only the holder (same token) may extend or release: a holder whose lease expired and was taken by
// another worker must not delete the new holder's lease.
const RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export interface HeldLock {
  readonly token: string;
  /** False once a renewal found the lease gone or taken (the work should stop writing). */
  readonly held: boolean;
  release(): Promise<void>;
}

export class InstanceLock {
  readonly #redis: Redis;
  readonly #ttlMs: number;
  readonly #prefix: string;

  constructor(redis: Redis, options: InstanceLockOptions = {}) {
    this.#redis = redis;
    this.#ttlMs = options.ttlMs ?? 30_000;
    this.#prefix = options.prefix ?? 'tributary:operator:lock:';
  }

  /** Takes the lease, or returns null when another worker holds it. */
  async tryAcquire(instanceId: string): Promise<HeldLock | null> {
    const key = this.#prefix + instanceId;
    const token = randomUUID();
    const ok = await this.#redis.set(key, token, 'PX', this.#ttlMs, 'NX');
    if (ok !== 'OK') return null;
    let held = true;
    const renew = setInterval(() => {
      this.#redis.eval(RENEW, 1, key, token, String(this.#ttlMs)).then(
        (r) => {
          if (r !== 1) held = false;
        },
        () => undefined, // a failed renewal is retried on the next tick; the lease outlives two misses
      );
    }, Math.max(50, Math.floor(this.#ttlMs / 3)));
    renew.unref();
    const redis = this.#redis;
    return {
      token,
      get held() {
        return held;
      },
      async release() {
        clearInterval(renew);
        if (held) await redis.eval(RELEASE, 1, key, token);
        held = false;
      },
    };
  }

  /** Who holds an instance's lease now (a token), if anyone. */
  async holder(instanceId: string): Promise<string | null> {
    return this.#redis.get(this.#prefix + instanceId);
  }
}

/** Runs `work` under the instance's lease; returns `{ ran: false }` without running it when the lease is taken. */
export async function withInstanceLock<T>(lock: InstanceLock, instanceId: string, work: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
  const held = await lock.tryAcquire(instanceId);
  if (!held) return { ran: false };
  try {
    return { ran: true, value: await work() };
  } finally {
    await held.release();
  }
}
