/**
 * A rate over a sliding window of samples, as Kafka's metrics measure quotas (`quota.window.num`
 * samples of `quota.window.size.seconds`): the oldest sample is dropped as time moves on, so a burst
 * is forgotten after the window and a steady client is measured at its steady rate.
 */
export class SampledRate {
  readonly #sampleMs: number;
  readonly #samples: { start: number; value: number }[] = [];
  readonly #count: number;

  constructor(samples: number, sampleMs: number) {
    this.#count = samples;
    this.#sampleMs = sampleMs;
  }

  record(value: number, now: number): void {
    this.#expire(now);
    const last = this.#samples.at(-1);
    if (last && now - last.start < this.#sampleMs) last.value += value;
    else this.#samples.push({ start: now, value });
    if (this.#samples.length > this.#count) this.#samples.shift();
  }

  /** Units per second over the window (Kafka counts elapsed time as at least all-but-one samples). */
  rate(now: number): number {
    this.#expire(now);
    if (this.#samples.length === 0) return 0;
    const total = this.#samples.reduce((n, s) => n + s.value, 0);
    const elapsed = Math.max(now - this.#samples[0]!.start, (this.#count - 1) * this.#sampleMs);
    return (total * 1000) / elapsed;
  }

  /** The window's length in ms once full (the longest a client is ever throttled for). */
  get windowMs(): number {
    return this.#count * this.#sampleMs;
  }

  #expire(now: number): void {
    while (this.#samples.length > 0 && now - this.#samples[0]!.start >= this.windowMs) this.#samples.shift();
  }
}

/**
 * How long to hold a client that measured `rate` against `bound` (Kafka's formula: the time at which
 * the window's rate falls back to the bound), capped at one window.
 */
export function throttleMs(rate: number, bound: number, windowMs: number): number {
  if (rate <= bound || bound <= 0) return 0;
  return Math.min(Math.round(((rate - bound) / bound) * windowMs), windowMs);
}
