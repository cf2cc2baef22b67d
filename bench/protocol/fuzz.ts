/** Long fuzz run of the request decoders: `npm run bench:fuzz -- 300` fuzzes for 300 seconds. */
import { fuzzDecoders } from '../../libs/protocol/src/fuzz.ts';

const seconds = Number(process.argv[2] ?? 120);
const report = fuzzDecoders(seconds * 1000);
console.log(`fuzzed ${report.iterations} frames in ${seconds} s: ${report.decoded} decoded, ${report.rejected} rejected with DecodeError, ${report.failures.length} failures`);
for (const f of report.failures) console.log(f.error, f.input.slice(0, 200));
process.exitCode = report.failures.length ? 1 : 0;
