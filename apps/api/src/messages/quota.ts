import type { Redis } from 'ioredis';
import { ApiError } from '../errors.ts';

/**
 * The API's own byte quota on messages over HTTP: bytes of record data read, searched (scanned),
 * tailed, exported or sent, per API key and per instance, in fixed windows. The request rate limit
 * (app.ts) counts requests, and a single export or search can move a gigabyte; the brokers' quotas
 * apply to the key's principal as to any client, but they slow a client down rather than refuse it,
 * and would let one key hold an HTTP connection open for as long as it likes.
 *
 * - A request is refused up front (429 message-quota-exceeded, Retry-After: seconds until the window
 *   that is full ends) when its key's or its instance's window is used up.
 * - Reads and searches are clamped to what is left (a page's maxBytes, a search's byte budget), so a
 *   window overshoots by at most one record batch.
 * - Streams (tail, export) are charged as they write; when a window fills mid-stream they wait for
 *   the next one instead of being cut (a cut download looks failed): the quota paces them.
 *
 * Counters live in Redis when the app has it (every API process counts against the same windows),
 * else in this process.
 */
export interface MessageQuotaOptions {
  /** Bytes per API key per window. */
  keyBytes: number;
  /** Bytes per instance (all keys together) per window. */
  instanceBytes: number;
  windowMs: number;
}

export const DEFAULT_MESSAGE_QUOTA: MessageQuotaOptions = { keyBytes: 1024 ** 3, instanceBytes: 4 * 1024 ** 3, windowMs: 60_000 };

interface Counter { used: number; resetsInMs: number }

interface CounterStore {
  get(key: string): Promise<Counter>;
  add(key: string, bytes: number): Promise<void>;
}

class MemoryCounters implements CounterStore {
  readonly #windowMs: number;
  readonly #windows = new Map<string, { used: number; endsAt: number }>();
  constructor(windowMs: number) { this.#windowMs = windowMs; }
  #current(key: string) {
    const now = Date.now();
    let w = this.#windows.get(key);
    if (!w || w.endsAt <= now) {
      // Forget ended windows now and then so idle keys do not pile up.
      if (this.#windows.size > 10_000) for (const [k, v] of this.#windows) if (v.endsAt <= now) this.#windows.delete(k);
      w = { used: 0, endsAt: now + this.#windowMs };
      this.#windows.set(key, w);
    }
    return w;
  }
  async get(key: string): Promise<Counter> {
    const w = this.#current(key);
    return { used: w.used, resetsInMs: w.endsAt - Date.now() };
  }
  async add(key: string, bytes: number): Promise<void> {
    this.#current(key).used += bytes;
  }
}

class RedisCounters implements CounterStore {
  readonly #redis: Redis;
  readonly #windowMs: number;
  constructor(redis: Redis, windowMs: number) {
    this.#redis = redis;
    this.#windowMs = windowMs;
  }
  async get(key: string): Promise<Counter> {
    const [[, used], [, ttl]] = (await this.#redis.multi().get(key).pttl(key).exec())! as [[unknown, string | null], [unknown, number]];
    return { used: Number(used ?? 0), resetsInMs: ttl > 0 ? ttl : this.#windowMs };
  }
  async add(key: string, bytes: number): Promise<void> {
    // The first write of a window starts its clock (NX: later writes do not extend it).
    await this.#redis.multi().incrby(key, bytes).pexpire(key, this.#windowMs, 'NX').exec();
  }
}

/** One request's view of the quota: what is left, and its charges. */
export interface QuotaLease {
  /** Bytes the request may still use in this window (at least 1: one record is always allowed). */
  remaining: number;
  charge(bytes: number): Promise<void>;
  /** For streams: waits until both windows have room again (never longer than one window). */
  waitForRoom(isClosed: () => boolean): Promise<void>;
}

export class MessageQuota {
  readonly options: MessageQuotaOptions;
  readonly #counters: CounterStore;

  constructor(options: MessageQuotaOptions, redis?: Redis) {
    this.options = options;
    this.#counters = redis ? new RedisCounters(redis, options.windowMs) : new MemoryCounters(options.windowMs);
  }

  #keys(keyId: string, instanceId: string) {
    return [
      { counter: `tributary:msgbytes:key:${keyId}`, max: this.options.keyBytes, what: `API key ${keyId}` },
      { counter: `tributary:msgbytes:instance:${instanceId}`, max: this.options.instanceBytes, what: `instance ${instanceId}` },
    ];
  }

  async #state(keyId: string, instanceId: string) {
    return Promise.all(this.#keys(keyId, instanceId).map(async (k) => ({ ...k, ...(await this.#counters.get(k.counter)) })));
  }

  /** 429 when the key's or the instance's window is used up; otherwise a lease on what is left. */
  async acquire(keyId: string, instanceId: string): Promise<QuotaLease> {
    const state = await this.#state(keyId, instanceId);
    const full = state.filter((s) => s.used >= s.max);
    if (full.length > 0) {
      const wait = Math.max(...full.map((s) => s.resetsInMs));
      const seconds = Math.max(1, Math.ceil(wait / 1000));
      throw new ApiError('message-quota-exceeded', `${full.map((s) => `${s.what} has used its ${s.max} bytes of message data for this ${this.options.windowMs / 1000} s window`).join('; ')}; retry in ${seconds} s`, {
        headers: { 'retry-after': String(seconds) },
      });
    }
    const lease: QuotaLease = {
      remaining: Math.max(1, Math.min(...state.map((s) => s.max - s.used))),
      charge: async (bytes) => {
        if (bytes <= 0) return;
        lease.remaining = Math.max(1, lease.remaining - bytes);
        await Promise.all(this.#keys(keyId, instanceId).map((k) => this.#counters.add(k.counter, bytes)));
      },
      waitForRoom: async (isClosed) => {
        for (;;) {
          const now = await this.#state(keyId, instanceId);
          const full = now.filter((s) => s.used >= s.max);
          if (full.length === 0) {
            lease.remaining = Math.max(1, Math.min(...now.map((s) => s.max - s.used)));
            return;
          }
          if (isClosed()) return;
          // Pacing, not synchronisation: the window's end is when room appears.
          await new Promise((r) => setTimeout(r, Math.min(1_000, Math.max(20, ...full.map((s) => s.resetsInMs)))));
        }
      },
    };
    return lease;
  }
}
