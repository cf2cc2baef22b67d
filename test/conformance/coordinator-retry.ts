import type { RawClient } from './raw-client.ts';

/** COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, CONCURRENT_TRANSACTIONS. */
const RETRIABLE = new Set([14, 15, 16, 51]);

/**
 * Sends until the answer's error is not a retriable coordinator error (both brokers create and load
 * `__transaction_state` asynchronously); throws naming `what` after `timeoutMs`.
 */
export async function settle<T extends { errorCode: number }>(c: RawClient, apiKey: number, v: number, body: unknown, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await c.request<T>(apiKey, v, body);
    if (!RETRIABLE.has(r.errorCode)) return r;
    if (Date.now() > deadline) throw new Error(`${what}: still error ${r.errorCode} after ${timeoutMs / 1000} s`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/**
 * Polls `read` until `ok` holds or `timeoutMs` pass, and returns what was read last, so that a
 * broker that never gets there still shows in the comparison (markers after EndTxn, expiry).
 */
export async function eventually<T>(read: () => Promise<T>, ok: (t: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = await read();
    if (ok(t) || Date.now() > deadline) return t;
    await new Promise((done) => setTimeout(done, 100));
  }
}
