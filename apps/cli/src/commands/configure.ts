import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { credentialsPath, listProfiles, saveProfile } from '../config.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { renderList, type Io } from '../output.ts';

export function configureCommand(program: Command, io: Io): void {
  const cmd = program.command('configure').description('Save a profile (--endpoint and the API key) in the credentials file, kept mode 0600')
    .option('--profile <name>', 'profile to write', 'default')
    // The endpoint is the global --endpoint (or TRIBUTARY_ENDPOINT): one flag, one meaning.
    .option('--api-key-env <var>', 'take the API key from this environment variable (default TRIBUTARY_API_KEY)')
    .option('--api-key-stdin', 'read the API key from standard input')
    .action((o: { profile: string; apiKeyEnv?: string; apiKeyStdin?: boolean }, c: Command) => {
      const endpoint = c.optsWithGlobals<{ endpoint?: string }>().endpoint ?? process.env['TRIBUTARY_ENDPOINT'];
      if (!endpoint) throw new CliError('pass --endpoint URL (or set TRIBUTARY_ENDPOINT)', EXIT.usage);
      const key = o.apiKeyStdin ? readFileSync(0, 'utf8').trim() : process.env[o.apiKeyEnv ?? 'TRIBUTARY_API_KEY'];
      if (!key) throw new CliError(`no API key: set ${o.apiKeyEnv ?? 'TRIBUTARY_API_KEY'} or pass --api-key-stdin`, EXIT.usage);
      const path = saveProfile(o.profile, endpoint, key);
      io.err(`profile ${o.profile} saved in ${path} (mode 0600)\n`);
    });
  cmd.command('list').description('List saved profiles (never their keys)')
    .action(() => {
      const format = program.opts<{ output: 'table' | 'json' | 'yaml' }>().output;
      renderList(io, format, listProfiles(), [{ header: 'PROFILE', get: (p) => p.name }, { header: 'ENDPOINT', get: (p) => p.endpoint }]);
      if (format === 'table') io.err(`(${credentialsPath()})\n`);
    });
}
