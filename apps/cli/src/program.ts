import { Command, Option } from 'commander';
import { TRIBUTARY_VERSION } from '@tributary/contracts/cli';
import { OUTPUT_FORMATS, type Io } from './output.ts';
import { instancesCommand } from './commands/instances.ts';
import { topicsCommand } from './commands/topics.ts';
import { groupsCommand } from './commands/groups.ts';
import { aclsCommand, quotasCommand, usersCommand } from './commands/access.ts';
import { operationsCommand } from './commands/operations.ts';
import { billingCommand } from './commands/billing.ts';
import { accountsCommand } from './commands/accounts.ts';
import { configureCommand } from './commands/configure.ts';
import { completionCommand } from './commands/completion.ts';
import { messagesCommand } from './commands/messages.ts';
import { declarativeCommands } from './commands/declarative.ts';

const EPILOG = `
Authentication (first match wins): --endpoint, TRIBUTARY_ENDPOINT / TRIBUTARY_API_KEY, then the
profile (--profile, TRIBUTARY_PROFILE, else "default") in ~/.config/tributary/credentials (0600;
TRIBUTARY_CONFIG_DIR moves it). Keys are never accepted as flag values.

Exit codes: 0 ok, 1 error, 2 changes present (plan/drift --detailed-exitcode), 3 not found,
4 conflict (409, or 412 when someone else changed the resource), 5 unauthenticated/forbidden,
6 timed out waiting, 7 operation failed, 8 refused (destructive change without its flag), 64 usage.`;

/** The whole command tree; `main.ts` runs it, tests build it to walk every command's --help. */
export function buildProgram(io: Io): Command {
  const program = new Command('tributary')
    .description('Tributary: managed Kafka from the command line — everyday commands and declarative spec files (plan/apply)')
    .version(TRIBUTARY_VERSION, '-V, --version', 'print the version')
    .option('-e, --endpoint <url>', 'API endpoint (default: TRIBUTARY_ENDPOINT or the profile\'s)')
    .option('-p, --profile <name>', 'profile in the credentials file (default: TRIBUTARY_PROFILE or "default")')
    .option('-a, --account <id>', 'act on this account (platform admin keys only; default: TRIBUTARY_ACCOUNT, else the key\'s own)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .option('--no-color', 'no colours (also when NO_COLOR is set or stdout is not a terminal)')
    .addHelpText('after', EPILOG)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();
  declarativeCommands(program, io);
  instancesCommand(program, io);
  topicsCommand(program, io);
  groupsCommand(program, io);
  usersCommand(program, io);
  aclsCommand(program, io);
  quotasCommand(program, io);
  messagesCommand(program, io);
  operationsCommand(program, io);
  billingCommand(program, io);
  accountsCommand(program, io);
  configureCommand(program, io);
  completionCommand(program, io);
  return program;
}
