import { describe, expect, it } from 'vitest';
import { closingLine, type VitestReport } from './closing-line.ts';

const file = (status: string, tests: string[]) => ({ name: '/x.test.ts', status, assertionResults: tests.map((s) => ({ status: s })) });
const report = (over: Partial<VitestReport>): VitestReport => ({
  numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0, testResults: [], ...over,
});
// The form CI's log reader takes in any language: one word and a colon, then "N passed, N failed", then ", N skipped".
const PLAIN = /^\w+: \d+ passed, \d+ failed(, \d+ skipped)?$/;

describe('closingLine', () => {
  it('states passed, failed and skipped (pending and todo) in the plain form', () => {
    const line = closingLine(report({ numPassedTests: 2119, numPendingTests: 10, numTodoTests: 2, testResults: [file('passed', ['passed'])] }));
    expect(line).toBe('vitest: 2119 passed, 0 failed, 12 skipped');
    expect(line).toMatch(PLAIN);
  });

  it('counts failed tests', () => {
    expect(closingLine(report({ numPassedTests: 3, numFailedTests: 2, testResults: [file('failed', ['passed', 'failed', 'failed'])] })))
      .toBe('vitest: 3 passed, 2 failed, 0 skipped');
  });

  it('counts a file that failed with no failed test (import error, a throwing beforeAll) as a failure', () => {
    expect(closingLine(report({ numPassedTests: 5, testResults: [file('passed', ['passed']), file('failed', []), file('failed', ['skipped'])] })))
      .toBe('vitest: 5 passed, 2 failed, 0 skipped');
  });
});
