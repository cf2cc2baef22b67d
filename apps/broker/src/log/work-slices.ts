import { performance } from 'node:perf_hooks';

/**
 * Background work (retention, compaction) done in slices of about `budgetMs` on the event loop, as
 * Kafka does it on threads of its own. The work calls `pause()` at each point where it may stop;
 * once the slice's budget is spent, that waits for a later turn of the event loop (setImmediate:
 * after pending I/O callbacks, and the loop's due timers run before the next slice), so requests,
 * replica fetches and the etcd lease keep-alive wait at most about one slice.
 *
 * Passes sharing one WorkSlices (retention and compaction run side by side) take turns: one slice
 * per turn of the event loop in all, first come first served, so two passes never add up to two
 * slices' stall and neither starves the other.
 */
export class WorkSlices {
  readonly budgetMs: number;
  #sliceStart = performance.now();
  readonly #waiting: (() => void)[] = [];

  constructor(budgetMs = 10) {
    this.budgetMs = budgetMs;
  }

  /** Nothing (go on) while the slice lasts; else a promise resolved when this caller's next slice starts. */
  pause(): Promise<void> | undefined {
    if (this.#waiting.length === 0 && performance.now() - this.#sliceStart < this.budgetMs) return undefined;
    return new Promise<void>((resolve) => {
      this.#waiting.push(resolve);
      if (this.#waiting.length === 1) setImmediate(this.#nextSlice);
    });
  }

  readonly #nextSlice = (): void => {
    const resolve = this.#waiting.shift();
    this.#sliceStart = performance.now();
    // The resolved pass runs its slice right after this callback (microtasks); whoever else waits
    // (or it, once it pauses again) gets the following turn.
    if (this.#waiting.length > 0) setImmediate(this.#nextSlice);
    resolve?.();
  };
}

/**
 * Runs a kind of pass one at a time: a pass asked for while one runs starts after it (Kafka's
 * scheduler and cleaner threads never run the same pass twice at once). `busy` lets a timer skip a
 * round instead of queueing behind a long pass.
 */
export class OnePassAtATime {
  #tail: Promise<unknown> = Promise.resolve();
  #queued = 0;

  get busy(): boolean {
    return this.#queued > 0;
  }

  run<T>(pass: () => Promise<T>): Promise<T> {
    this.#queued++;
    const result = this.#tail.then(pass).finally(() => this.#queued--);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
