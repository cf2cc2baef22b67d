import { CommanderError } from 'commander';
import { buildProgram } from './program.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { processIo, type Io } from './output.ts';

/**
 * Runs the CLI and returns its exit code: help and version are 0; usage errors 64; a CliError its
 * own code with one message and its detail lines (a problem's field paths); anything else 1 with
 * the message only (a stack trace only with TRIBUTARY_DEBUG=1).
 */
export async function run(argv: string[], io: Io = processIo()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage; // commander already printed the message and the usage hint
    }
    if (err instanceof CliError) {
      if (err.message) io.err(`error: ${err.message}\n`); // an empty message is a plain exit code (plan --detailed-exitcode)
      for (const d of err.details) io.err(`  ${d}\n`);
      return err.exitCode;
    }
    io.err(`error: ${(err as Error).message ?? String(err)}\n`);
    if (process.env['TRIBUTARY_DEBUG']) io.err(`${(err as Error).stack}\n`);
    return EXIT.error;
  }
}
