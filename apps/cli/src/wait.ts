import { setTimeout as delay } from 'node:timers/promises';
import { call, type Api, type Schemas } from './client.ts';
import { CliError, EXIT } from './exit-codes.ts';
import type { Io } from './output.ts';
import { progressText } from './progress.ts';

export type Operation = Schemas['Operation'];

export interface WaitOptions { timeoutMs: number; intervalMs?: number; quiet?: boolean }

/**
 * Polls until `check` answers a value (bounded by timeoutMs), printing progress to stderr: one line
 * rewritten in place on a terminal, a line per change of state otherwise.
 */
export async function pollUntil<T>(io: Io, label: string, opts: WaitOptions, check: () => Promise<{ done: T } | { state: string }>): Promise<T> {
  const started = Date.now();
  let last = '';
  const interval = opts.intervalMs ?? 1000;
  for (;;) {
    const r = await check();
    const elapsed = Math.round((Date.now() - started) / 1000);
    if ('done' in r) {
      if (!opts.quiet && io.tty && last) io.err('\r\x1b[K');
      return r.done;
    }
    if (!opts.quiet) {
      const text = `${label}: ${r.state}`;
      if (io.tty) io.err(`\r\x1b[K${text} (${elapsed}s)`);
      else if (text !== last) io.err(`${text}\n`);
    }
    last = `${label}: ${r.state}`;
    if (Date.now() - started > opts.timeoutMs) {
      if (!opts.quiet && io.tty) io.err('\n');
      throw new CliError(`timed out after ${Math.round(opts.timeoutMs / 1000)}s waiting for ${label} (last state: ${r.state})`, EXIT.timeout);
    }
    await delay(interval);
  }
}

/** Waits for an operation to end; a Failed operation is an error carrying the operation's message. */
export async function waitOperation(api: Api, io: Io, id: string, opts: WaitOptions): Promise<Operation> {
  return pollUntil<Operation>(io, `operation ${id}`, opts, async () => {
    const { data } = await call(api.GET('/v1/operations/{id}', { params: { path: { id } } }));
    if (data.state === 'Succeeded') return { done: data };
    if (data.state === 'Failed') throw new CliError(`operation ${id} (${data.kind} of ${data.targetType} ${data.targetId}) failed: ${data.error ?? 'no reason given'}`, EXIT.operationFailed);
    // While data moves between brokers, the state line says how far it is.
    return { state: data.progress ? `${data.state} (${progressText(data.progress)})` : data.state };
  });
}

export type Instance = Schemas['Instance'];

/** Waits until the instance has reconciled its current generation and is in `phase` (Running by default). */
export async function waitInstance(api: Api, io: Io, id: string, opts: WaitOptions & { phase?: string }): Promise<Instance> {
  const phase = opts.phase ?? 'Running';
  return pollUntil<Instance>(io, `instance ${id}`, opts, async () => {
    const { data } = await call(api.GET('/v1/instances/{id}', { params: { path: { id } } }));
    if (data.status.phase === phase && data.status.observedGeneration >= data.generation) return { done: data };
    if (data.status.phase === 'Failed' && phase !== 'Failed') {
      const why = data.status.conditions.filter((c) => c.status !== 'True').map((c) => `${c.type}: ${c.reason ?? ''} ${c.message ?? ''}`.trim());
      throw new CliError(`instance ${data.name} (${id}) is Failed`, EXIT.operationFailed, why);
    }
    return { state: `${data.status.phase} (generation ${data.status.observedGeneration}/${data.generation})` };
  });
}

/** Waits until an instance is gone (404). */
export async function waitInstanceGone(api: Api, io: Io, id: string, opts: WaitOptions): Promise<void> {
  await pollUntil(io, `instance ${id} deletion`, opts, async () => {
    const r = await api.GET('/v1/instances/{id}', { params: { path: { id } } });
    if (r.response.status === 404) return { done: undefined };
    if (!r.response.ok) await call(Promise.resolve(r));
    return { state: r.data?.status.phase ?? 'Deleting' };
  });
}

/** Parses durations like 90s, 10m, 1h, or plain seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new CliError(`invalid duration "${text}" (use e.g. 90s, 10m, 1h)`, EXIT.usage);
  const n = Number(m[1]);
  return n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h']);
}
