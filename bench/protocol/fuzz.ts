/** Long fuzz run of the request decoders: `npm run bench:fuzz -- 300` fuzzes for 300 seconds. */
import { fuzzDecoders } from '../../libs/protocol/src/fuzz.ts';
import { parseCli } from '@tributary/contracts/cli';
// Only the flags go to parseCli; the optional count stays a positional argument.
parseCli('bench:fuzz', `
Usage: npm run bench:fuzz [-- SECONDS]   (--help, --version)

Fuzzes the request decoders for SECONDS (default 120) with random and mutated frames.
A benchmark, not a test: it takes the machine for its run; results go into bench/README.md.`, {}, process.argv.slice(2).filter((a) => a.startsWith('-')));

const seconds = Number(process.argv[2] ?? 120);
const report = fuzzDecoders(seconds * 1000);
console.log(`fuzzed ${report.iterations} frames in ${seconds} s: ${report.decoded} decoded, ${report.rejected} rejected with DecodeError, ${report.failures.length} failures`);
for (const f of report.failures) console.log(f.error, f.input.slice(0, 200));
process.exitCode = report.failures.length ? 1 : 0;
