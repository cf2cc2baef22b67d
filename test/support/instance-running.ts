import { until } from './until.ts';

/** What the tests read of GET /v1/instances/{id}: the status fields the waits look at, and the rest. */
export interface InstanceBody {
  status?: { phase?: string; observedGeneration?: number; brokers?: number; conditions?: { type: string; status: string }[]; [field: string]: unknown } | null;
  [field: string]: unknown;
}

export interface UntilInstanceOptions<T> {
  /** What else must hold besides phase Running (e.g. the generation observed, the broker count). */
  also?: (body: T) => boolean;
  ms?: number;
  /** More to say on timeout (e.g. broker logs), after the last body seen. */
  explain?: () => string;
}

/**
 * Waits (with until()) until the instance `read` returns is Running and `also` holds, answering its
 * body; a timeout names the last body seen, so a stuck phase or a failed condition is in the error.
 * `read` is the suite's own GET of the instance (in-process API, e2e stack or an API pod).
 */
export async function untilInstanceRunning<T extends InstanceBody>(read: () => Promise<T>, what: string, options: UntilInstanceOptions<T> = {}): Promise<T> {
  let seen: T | undefined;
  return until(async () => {
    const body = await read();
    seen = body;
    return body.status?.phase === 'Running' && (options.also?.(body) ?? true) ? body : null;
  }, what, options.ms, () => `last seen: ${JSON.stringify(seen)}${options.explain ? `\n${options.explain()}` : ''}`);
}
