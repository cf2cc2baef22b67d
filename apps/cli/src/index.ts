export { run } from './main.ts';
export { buildProgram } from './program.ts';
export { EXIT, CliError } from './exit-codes.ts';
