import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { INTENDED_DIFFERENCES } from './intended-differences.ts';
import { README, withTable } from './render-table.ts';

describe('intended differences table', () => {
  it('README.md renders intended-differences.ts as it is (node test/conformance/render-table.ts)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(readme).toBe(withTable(readme));
  });

  it('every entry has a unique id, a reason and at least one path; every known defect names its owner', () => {
    const ids = INTENDED_DIFFERENCES.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const e of INTENDED_DIFFERENCES) {
      expect(e.reason.length, e.id).toBeGreaterThan(10);
      expect(e.paths.length, e.id).toBeGreaterThan(0);
      if (e.kind === 'known-defect') expect(e.owner, e.id).toBeDefined();
    }
  });
});
