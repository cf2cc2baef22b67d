/**
 * Polls `probe` every 250 ms until it answers a value other than null, for at most `ms`; a probe
 * that throws counts as "not yet" (a service still starting), and the last error is named when the
 * wait times out, with what `explain` adds (e.g. the warnings a service logged). Tests wait for
 * conditions with this, never for time.
 */
export async function until<T>(probe: () => Promise<T | null> | T | null, what: string, ms = 60_000, explain?: () => string): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== null) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${ms} ms)${last ? `: ${String(last)}` : ''}${explain ? `\n${explain()}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
