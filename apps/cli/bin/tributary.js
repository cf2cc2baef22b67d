#!/usr/bin/env node
// `tributary` (npx tributary from the repository, or after a global install). Node 24 runs the
// TypeScript sources directly (type stripping); there is no build step.
const { run } = await import('../src/main.ts');
const code = await run(process.argv.slice(2));
// Exit once output is flushed, not when the event loop empties: fetch keeps idle keep-alive
// connections to the API open for as long as the server allows, which would hold the shell.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
