import { readFileSync } from 'node:fs';
import { CliError, EXIT } from './exit-codes.ts';

/**
 * A password comes from an environment variable or a file, never from a flag's value (it would be
 * in ps output and shell history) and never from a spec file inline. The value is only ever sent
 * to the API; it is not printed or written anywhere.
 */
export function readSecret(ref: { env?: string | undefined; file?: string | undefined }, what: string, env: NodeJS.ProcessEnv = process.env): string {
  if (ref.env !== undefined) {
    const v = env[ref.env];
    if (v === undefined || v === '') throw new CliError(`${what}: environment variable ${ref.env} is not set`, EXIT.usage);
    return v;
  }
  if (ref.file !== undefined) {
    let text: string;
    try { text = readFileSync(ref.file, 'utf8'); } catch (err) { throw new CliError(`${what}: cannot read ${ref.file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, EXIT.usage); }
    return text.replace(/\r?\n$/, ''); // a trailing newline from `echo … > file` is not part of the password
  }
  throw new CliError(`${what}: pass --password-env VAR or --password-file FILE`, EXIT.usage);
}
