/** Node's longest timer delay, 2^31 − 1 ms (~24.8 days). */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * A delay Node's timers take as meant. Node runs a timer whose delay is negative, NaN or above
 * 2^31 − 1 ms after 1 ms instead (with a TimeoutNegativeWarning, TimeoutNaNWarning or
 * TimeoutOverflowWarning): a deadline that was never set (0 or -1 minus Date.now()) fires at once
 * anyway, but a Kafka `long` interval setting of a month or more (log.retention.check.interval.ms,
 * log.flush.interval.ms, offsets.retention.check.interval.ms…) would make a setInterval run every
 * millisecond. So: below 0 or NaN is 0 (a wait with nothing left, or no length, ends now), above
 * the limit is the limit (an interval of ~24.8 days at most).
 */
export function timerDelay(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.min(ms, MAX_TIMER_DELAY_MS);
}
