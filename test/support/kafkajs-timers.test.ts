import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';

// kafkajs's own module, as kafkajs's connections load it (this file does not import the repair: the
// first test checks that vitest.config.ts's execArgv loaded it into this worker before any test file).
interface Queue {
  throttledUntil: number;
  throttleCheckTimeoutId: { _idleTimeout: number } | null;
  checkPendingRequests(): void;
  destroy(): void;
}
const KafkajsRequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as { new (options: object): Queue };

const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);
afterEach(() => {
  process.off('warning', onWarning);
});

describe('kafkajs request-queue timers (test/support/kafkajs-timers.ts, loaded by vitest.config.ts execArgv)', () => {
  it('a real kafkajs RequestQueue, fresh (throttledUntil -1) as after a connection’s first answer, schedules its check without a TimeoutNegativeWarning', async () => {
    process.on('warning', onWarning);
    const queue = new KafkajsRequestQueue({ maxInFlightRequests: null, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'test', broker: 'localhost:9092', logger: { debug() {}, info() {}, warn() {}, error() {} }, isConnected: () => true });
    expect(queue.throttledUntil).toBe(-1);
    queue.checkPendingRequests(); // what kafkajs's fulfillRequest calls
    expect(queue.throttleCheckTimeoutId?._idleTimeout).toBe(1);
    // Warnings are emitted on the next tick; Node emits TimeoutNegativeWarning once per process, and
    // this file's process has made no other timer with a negative delay before.
    await new Promise((r) => setImmediate(r));
    queue.destroy();
    expect(warnings.filter((w) => w.name === 'TimeoutNegativeWarning').map((w) => w.message)).toEqual([]);
  });

  it('the delay is never negative: unthrottled (throttledUntil -1, kafkajs’s initial value), throttled, with and without pending requests', async () => {
    const { nextCheckDelay } = await import('./kafkajs-timers.ts');
    const now = 1_796_243_562_716;
    expect(nextCheckDelay(-1, 0, now)).toBe(1);
    expect(nextCheckDelay(-1, 3, now)).toBe(10);
    expect(nextCheckDelay(now - 5, 0, now)).toBe(1);
    expect(nextCheckDelay(now + 250, 0, now)).toBe(250);
    expect(nextCheckDelay(now + 250, 2, now)).toBe(250);
  });
});
