/**
 * `node scripts/test-summary.ts --report REPORT.json`: prints the plain closing line of a vitest run
 * ("vitest: N passed, N failed, N skipped") from its JSON report. .ci/run ends with it; see
 * scripts/lib/closing-line.ts for why CI needs it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseCli } from '@tributary/contracts/cli';
import { closingLine, type VitestReport } from './lib/closing-line.ts';

const values = parseCli('test-summary', `
Usage: node scripts/test-summary.ts --report REPORT.json [--help] [--version]

Prints "vitest: N passed, N failed, N skipped" from a vitest JSON report
(vitest run --reporter=json --outputFile.json=REPORT.json).`, { report: { type: 'string' } });

const file = values.report;
if (!file || !existsSync(file)) {
  // No report means vitest never got to write one (setup, typecheck or lint failed before it).
  console.log('vitest: 0 passed, 1 failed');
  console.error(`test-summary: no vitest report at ${file ?? '(none given)'}`);
  process.exit(1);
}
console.log(closingLine(JSON.parse(readFileSync(file, 'utf8')) as VitestReport));
