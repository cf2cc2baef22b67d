import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Tributary's version (the root package.json's), printed by every entry point's --version. */
export const TRIBUTARY_VERSION: string = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * The common front of every entry point (node:util parseArgs): `--help` prints `usage` and exits 0,
 * `--version` prints the version and exits 0 — both before anything is started, opened or written;
 * an unknown flag prints the usage to stderr and exits 2. Returns the parsed values otherwise.
 */
export function parseCli<O extends NonNullable<ParseArgsConfig['options']>>(
  name: string, usage: string, options: O, argv: string[] = process.argv.slice(2),
): ReturnType<typeof parseArgs<{ options: O & { help: { type: 'boolean' }; version: { type: 'boolean' } }; args: string[]; allowPositionals: false; strict: true }>>['values'] {
  const all = { ...options, help: { type: 'boolean' as const, short: 'h' }, version: { type: 'boolean' as const } };
  let values;
  try {
    values = parseArgs({ args: argv, options: all, allowPositionals: false, strict: true }).values as Record<string, unknown>;
  } catch (err) {
    process.stderr.write(`${name}: ${(err as Error).message}\n\n${usage.trim()}\n`);
    process.exit(2);
  }
  if (values['help']) { process.stdout.write(`${usage.trim()}\n`); process.exit(0); }
  if (values['version']) { process.stdout.write(`${name} ${TRIBUTARY_VERSION}\n`); process.exit(0); }
  return values as never;
}
