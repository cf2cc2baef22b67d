/**
 * The one closing line a CI log reader understands in any language: "N passed, N failed" alone on a
 * line, ", N skipped" after it and one word with a colon before it. vitest's own summary
 * ("Tests  2119 passed | 12 skipped (2131)") is not among the runners CI reads, and a tool run inside
 * a test can print another runner's closing line (schemathesis prints pytest's "=== 3 warnings in
 * 57s ===", which reads as "no test ran"), so .ci/run ends with this line, built from vitest's JSON report.
 */

/** The fields of vitest's JSON report (Jest's format) that the line is made of. */
export interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  /** Each test file; a file that failed to load or whose hooks threw has status 'failed' and may have no failed test. */
  testResults: { name: string; status: string; assertionResults: { status: string }[] }[];
}

/**
 * A file that failed without a failed test (an import error, a beforeAll that threw) counts as one
 * failure: its tests never ran, and the line must not read as a clean run.
 */
export function closingLine(report: VitestReport): string {
  const brokenFiles = report.testResults.filter((f) => f.status === 'failed' && !f.assertionResults.some((t) => t.status === 'failed')).length;
  const failed = report.numFailedTests + brokenFiles;
  const skipped = report.numPendingTests + report.numTodoTests;
  return `vitest: ${report.numPassedTests} passed, ${failed} failed, ${skipped} skipped`;
}
