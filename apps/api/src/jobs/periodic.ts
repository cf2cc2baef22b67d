/**
 * Runs `tick` every `everyMs` until stopped; a tick never overlaps the previous one (a slow tick
 * skips the timer's next beats instead of piling up), and a failing tick is logged, never thrown.
 */
export function everyInterval(everyMs: number, tick: () => Promise<unknown>, onError: (err: unknown) => void): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    running = tick().catch(onError).finally(() => { busy = false; });
  }, everyMs);
  timer.unref();
  return { async stop() { clearInterval(timer); await running; } };
}

/**
 * One sampler tick over every instance with brokers: `sample` reads and stores one instance and says
 * how many rows it wrote; one failing instance (brokers down) is logged and never stops the others.
 */
export async function sampleEachInstance<T extends { id: string }>(targets: readonly T[], sample: (t: T) => Promise<number>, log: { warn(o: object, msg: string): void } | undefined, what: string): Promise<{ instances: number; samples: number; failed: number }> {
  let samples = 0;
  let failed = 0;
  for (const t of targets) {
    try {
      samples += await sample(t);
    } catch (err) {
      failed++;
      log?.warn({ err, instanceId: t.id }, `${what} failed`);
    }
  }
  return { instances: targets.length, samples, failed };
}
