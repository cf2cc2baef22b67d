import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from '../logger.ts';

export interface EventLoopDelayOptions {
  logger: Logger;
  /** How often the delay histogram is read (and reset). */
  intervalMs?: number;
  /** A longest delay at or above this is logged as a warning: requests, replication and the etcd lease keep-alive all waited that long. */
  warnMs?: number;
}

/**
 * Watches how long the event loop was kept from running (perf_hooks' monitorEventLoopDelay). A
 * broker runs everything on one loop: requests, replication, and the keep-alive of its etcd lease,
 * so a loop blocked for longer than `broker.session.timeout.ms` loses the broker its registration
 * (issue 13's lease-loss cascade). Every `intervalMs` the longest delay seen is kept for the
 * Prometheus gauge and, when at least `warnMs`, logged: the log then says when the broker stalled
 * and for how long, which the lease loss that may follow does not.
 */
export class EventLoopDelay {
  readonly #histogram: ReturnType<typeof monitorEventLoopDelay>;
  readonly #timer: NodeJS.Timeout;
  /** The longest delay (ms) in the last completed interval. */
  lastMaxMs = 0;

  constructor({ logger, intervalMs = 1000, warnMs = 1000 }: EventLoopDelayOptions) {
    this.#histogram = monitorEventLoopDelay({ resolution: 20 });
    this.#histogram.enable();
    this.#timer = setInterval(() => {
      const maxMs = this.#histogram.max / 1e6;
      this.#histogram.reset();
      this.lastMaxMs = maxMs;
      if (maxMs >= warnMs) logger.log('warn', 'event loop blocked', { maxDelayMs: Math.round(maxMs) });
    }, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#histogram.disable();
  }
}
