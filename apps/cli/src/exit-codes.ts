/**
 * Exit codes of `tributary`. Scripts branch on them, so they never change meaning once published.
 * 2 is kept for "changes present" (plan/drift --detailed-exitcode, as Terraform does), which is why
 * usage errors use 64 (sysexits' EX_USAGE) and not commander's default.
 */
export const EXIT = {
  ok: 0,
  error: 1,
  changes: 2,
  notFound: 3,
  conflict: 4,
  auth: 5,
  timeout: 6,
  operationFailed: 7,
  refused: 8,
  usage: 64,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one message (plus detail lines) and an exit code, never a stack trace. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  readonly details: string[];
  constructor(message: string, exitCode: ExitCode = EXIT.error, details: string[] = []) {
    super(message);
    this.exitCode = exitCode;
    this.details = details;
  }
}
