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
