import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { CliError, EXIT } from './exit-codes.ts';

/** Where and how to reach the API. */
/** `account`: the account a platform admin key acts on (the API's Tributary-Account header); absent, the key's own. */
export interface Profile { endpoint: string; apiKey: string; name: string; account?: string }

interface CredentialsFile { profiles?: Record<string, { endpoint?: string; apiKey?: string }> }

/** `$TRIBUTARY_CONFIG_DIR`, else `$XDG_CONFIG_HOME/tributary`, else `~/.config/tributary`. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['TRIBUTARY_CONFIG_DIR']) return env['TRIBUTARY_CONFIG_DIR'];
  return join(env['XDG_CONFIG_HOME'] || join(env['HOME'] || homedir(), '.config'), 'tributary');
}
export const credentialsPath = (env: NodeJS.ProcessEnv = process.env) => join(configDir(env), 'credentials');

/**
 * The credentials file holds API keys: it must be private to its owner. A file that group or
 * others can read is refused (as ssh does with keys), so a key leaked by a chmod is noticed.
 */
function readCredentials(path: string): CredentialsFile {
  if (!existsSync(path)) return {};
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new CliError(`credentials file ${path} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); run: chmod 600 ${path}`, EXIT.auth);
  }
  const parsed = parseYaml(readFileSync(path, 'utf8')) as unknown;
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object') throw new CliError(`credentials file ${path} is not a mapping of profiles`, EXIT.error);
  return parsed as CredentialsFile;
}

/** Writes (or replaces) one profile; the file is created 0600 and kept 0600. */
export function saveProfile(name: string, endpoint: string, apiKey: string, env: NodeJS.ProcessEnv = process.env): string {
  const path = credentialsPath(env);
  const current = readCredentials(path);
  const profiles = { ...(current.profiles ?? {}), [name]: { endpoint, apiKey } };
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, '# tributary credentials: API keys; keep this file mode 0600\n' + stringifyYaml({ profiles }), { mode: 0o600 });
  chmodSync(path, 0o600); // writeFileSync's mode applies only when the file is created
  return path;
}

export function listProfiles(env: NodeJS.ProcessEnv = process.env): { name: string; endpoint: string }[] {
  const file = readCredentials(credentialsPath(env));
  return Object.entries(file.profiles ?? {}).map(([name, p]) => ({ name, endpoint: p.endpoint ?? '' }));
}

/**
 * Resolves the profile in this order, each field on its own: flags, then TRIBUTARY_ENDPOINT /
 * TRIBUTARY_API_KEY, then the named profile (`--profile`, TRIBUTARY_PROFILE, else "default") of
 * the credentials file.
 */
export function resolveProfile(flags: { endpoint?: string | undefined; profile?: string | undefined; account?: string | undefined }, env: NodeJS.ProcessEnv = process.env): Profile {
  const name = flags.profile ?? env['TRIBUTARY_PROFILE'] ?? 'default';
  const needFile = !(flags.endpoint ?? env['TRIBUTARY_ENDPOINT']) || !env['TRIBUTARY_API_KEY'];
  const fromFile = needFile ? readCredentials(credentialsPath(env)).profiles?.[name] : undefined;
  if (needFile && flags.profile !== undefined && fromFile === undefined) {
    throw new CliError(`no profile "${name}" in ${credentialsPath(env)} (create it with: tributary configure --profile ${name})`, EXIT.usage);
  }
  const endpoint = flags.endpoint ?? env['TRIBUTARY_ENDPOINT'] ?? fromFile?.endpoint;
  const apiKey = env['TRIBUTARY_API_KEY'] ?? fromFile?.apiKey;
  if (!endpoint) throw new CliError('no API endpoint: pass --endpoint, set TRIBUTARY_ENDPOINT, or run tributary configure', EXIT.usage);
  if (!apiKey) throw new CliError('no API key: set TRIBUTARY_API_KEY or run tributary configure (keys are never taken as flags: they would show in ps and shell history)', EXIT.auth);
  const account = flags.account ?? env['TRIBUTARY_ACCOUNT'];
  return { name, endpoint: endpoint.replace(/\/+$/, ''), apiKey, ...(account ? { account } : {}) };
}
