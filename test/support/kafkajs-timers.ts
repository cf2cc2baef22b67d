/**
 * A repair of kafkajs 2.2.4 (its last release), loaded into every vitest worker process before any
 * test file (vitest.config.ts `execArgv: --import`, ~5 ms a process; a `setupFiles` entry cost
 * vitest's setup machinery per file): the TimeoutNegativeWarning CI logs showed (`-1796243562717 is a negative number`)
 * came from it, in the test process, not from the broker (`NODE_OPTIONS=--trace-warnings`:
 * RequestQueue.scheduleCheckPendingRequests ← checkPendingRequests ← fulfillRequest).
 *
 * Its request queue schedules the next look at pending requests `throttledUntil - Date.now()` ms
 * ahead, and `throttledUntil` is -1 until a broker throttles the client: an unset deadline taken as
 * one, so every connection's first answer passes setTimeout about -1.8e12. Node 24 runs the timer
 * after 1 ms instead and warns (once per process, so the line appeared beside whichever test first
 * used kafkajs in each vitest fork). Upstream: tulios/kafkajs#1751 (open; fixes #1755/#1756 unmerged).
 *
 * The method is replaced by one with the same behaviour whose delay is never negative: the time left
 * of a throttle, else kafkajs's 10 ms pending-requests interval when requests wait, else the 1 ms Node
 * used in place of the negative number.
 */
import { createRequire } from 'node:module';

interface RequestQueue {
  throttledUntil: number;
  pending: unknown[];
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs's CHECK_PENDING_REQUESTS_INTERVAL (not exported). */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/** The delay of the queue's next check: never negative, whatever `throttledUntil` holds. */
export function nextCheckDelay(throttledUntil: number, pending: number, now: number): number {
  const untilUnthrottled = throttledUntil - now;
  if (untilUnthrottled > 0) return untilUnthrottled;
  return pending > 0 ? CHECK_PENDING_REQUESTS_INTERVAL_MS : 1;
}

const require = createRequire(import.meta.url);
// The same module instance kafkajs's own connections use (CommonJS cache, one absolute path).
export const KafkajsRequestQueue = require('kafkajs/src/network/requestQueue/index.js') as { new (options: object): RequestQueue; prototype: RequestQueue };

KafkajsRequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueue): void {
  // As kafkajs: one timer at a time; a later throttle is picked up when this one fires.
  if (this.throttleCheckTimeoutId) return;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, nextCheckDelay(this.throttledUntil, this.pending.length, Date.now()));
};
