/**
 * Polls `probe` every `everyMs` (250 ms; in-process tests may step finer) until it answers a value
 * other than null or false, for at most `ms`, and returns that value. A probe that throws counts as
 * "not yet" (a service still starting); the last error is named when the wait times out, with what
 * `explain` adds (e.g. the warnings a service logged). Tests wait for conditions with this, never
 * for time. It lives in testkit so app tests share it; test/support/until.ts re-exports it.
 */
export async function until<T>(probe: () => Promise<T | null | false> | T | null | false, what: string, ms = 60_000, explain?: () => string, everyMs = 250): Promise<Exclude<T, false>> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== null && value !== false) return value as Exclude<T, false>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${ms} ms)${last ? `: ${String(last)}` : ''}${explain ? `\n${explain()}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
