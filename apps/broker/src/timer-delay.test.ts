import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { AppendSignal } from './log/append-signal.ts';
import { LogManager } from './log/log-manager.ts';
import { tempDir } from './log/test-support.ts';
import { MAX_TIMER_DELAY_MS, timerDelay } from './timer-delay.ts';

const warnings: string[] = [];
const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
afterEach(() => {
  process.off('warning', onWarning);
  warnings.length = 0;
});
/** Node emits timer warnings on the next tick (and each kind once per process: none came before in this file). */
const warningsSoFar = async () => {
  await new Promise((r) => setImmediate(r));
  return warnings.filter((w) => w.startsWith('Timeout'));
};

describe('timerDelay', () => {
  it('keeps a delay in Node’s range: an unset deadline minus now and NaN are 0, more than 2^31 − 1 ms is 2^31 − 1', () => {
    expect(timerDelay(0 - 1_796_243_562_716)).toBe(0);
    expect(timerDelay(-1)).toBe(0);
    expect(timerDelay(Number.NaN)).toBe(0);
    expect(timerDelay(0)).toBe(0);
    expect(timerDelay(250)).toBe(250);
    expect(timerDelay(MAX_TIMER_DELAY_MS)).toBe(MAX_TIMER_DELAY_MS);
    expect(timerDelay(Number("9223372036854775807"))).toBe(MAX_TIMER_DELAY_MS); // Kafka's Long.MAX_VALUE "never"
  });

  it('timers made with it give Node no negative, NaN or overflowing delay: no warning, and a month-long interval does not run every millisecond', async () => {
    process.on('warning', onWarning);
    const ran: string[] = [];
    const month = setInterval(() => ran.push('month'), timerDelay(31 * 86_400_000));
    const never = setTimeout(() => ran.push('never'), timerDelay(Number("9223372036854775807")));
    const past = new Promise((r) => setTimeout(r, timerDelay(0 - Date.now())));
    const nan = new Promise((r) => setTimeout(r, timerDelay(Number.NaN)));
    await Promise.all([past, nan]);
    await new Promise((r) => setTimeout(r, 5)); // the 1 ms Node would have used five times over
    clearInterval(month);
    clearTimeout(never);
    expect(ran).toEqual([]);
    expect(await warningsSoFar()).toEqual([]);
  });

  it('a fetch’s long poll whose deadline has passed (deadline − now below 0) waits on AppendSignal without a negative timer', async () => {
    process.on('warning', onWarning);
    const deadline = Date.now() - 3;
    await new AppendSignal().wait(deadline - Date.now());
    expect(await warningsSoFar()).toEqual([]);
  });

  it('a LogManager started with Kafka’s Long.MAX_VALUE as log.retention.check.interval.ms makes no overflowing interval (it would run every millisecond)', async () => {
    process.on('warning', onWarning);
    const dir = tempDir();
    const m = new LogManager(dir, { retentionCheckIntervalMs: Number('9223372036854775807'), checkpointIntervalMs: Number('9223372036854775807'), configFor: () => ({ segmentBytes: 4096, segmentMs: 60_000, flushIntervalMessages: 1, cleanupPolicy: 'delete', retentionMs: -1, retentionBytes: -1, deleteRetentionMs: 0 }) });
    m.start();
    const warned = await warningsSoFar();
    m.close();
    rmSync(dir, { recursive: true, force: true });
    expect(warned).toEqual([]);
  });
});
