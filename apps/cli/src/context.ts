import { InvalidArgumentError, Option, type Command } from 'commander';
import { allPages, call, createApi, type Api, type Schemas } from './client.ts';
import { resolveProfile } from './config.ts';
import { CliError, EXIT } from './exit-codes.ts';
import type { Io, OutputFormat } from './output.ts';
import { parseDuration } from './wait.ts';

/** What every command gets: the typed API client (made on first use), where to print, and the output format. */
export interface Ctx {
  io: Io;
  format: OutputFormat;
  api(): Api;
}

export function contextOf(cmd: Command, io: Io): Ctx {
  const g = cmd.optsWithGlobals<{ endpoint?: string; profile?: string; account?: string; output: OutputFormat; color?: boolean }>();
  let api: Api | undefined;
  return {
    io: { ...io, color: io.color && g.color !== false },
    format: g.output,
    api: () => (api ??= createApi(resolveProfile({ endpoint: g.endpoint, profile: g.profile, account: g.account }))),
  };
}

export type Instance = Schemas['Instance'];

/** Instances are addressed by id (`ins-…`) or by name; a name is looked up with the exact-name filter. */
export async function resolveInstance(api: Api, ref: string): Promise<Instance> {
  if (/^ins[-_]/.test(ref)) {
    const r = await api.GET('/v1/instances/{id}', { params: { path: { id: ref } } });
    if (r.response.ok && r.data) return r.data;
    if (r.response.status !== 404) return (await call(Promise.resolve(r))).data;
  }
  const items = await allPages((cursor) => api.GET('/v1/instances', { params: { query: { name: ref, limit: 200, ...(cursor ? { cursor } : {}) } } }));
  const found = items.filter((i) => i.name === ref && i.status.phase !== 'Deleting');
  if (found.length === 0) throw new CliError(`no instance named or with id "${ref}"`, EXIT.notFound);
  return found[0]!;
}

/** `key=value` pairs of repeatable flags. */
export function keyValues(pairs: string[] | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs ?? []) {
    const i = p.indexOf('=');
    if (i <= 0) throw new CliError(`${what} "${p}" is not key=value`, EXIT.usage);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

export const collect = (value: string, previous: string[] = []) => [...previous, value];
/** Option parsers: commander reports an InvalidArgumentError with the option's name and the usage (exit 64). */
export const int = (value: string) => {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError('expected an integer');
  return Number(value);
};
export const duration = (value: string) => {
  try { return parseDuration(value); } catch (err) { throw new InvalidArgumentError((err as Error).message); }
};

/** `--timeout <duration>` of the commands that wait: 10 minutes unless told. */
export const timeoutOption = (description: string) => new Option('--timeout <duration>', `${description} (e.g. 90s, 10m)`).argParser(duration).default(600_000, '10m');
