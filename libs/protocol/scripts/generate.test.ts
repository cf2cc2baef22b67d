import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateAll, HEADER, OUT_DIR, staleFiles } from './generate.ts';
import { parseVersions } from './spec-model.ts';

describe('protocol generator', () => {
  it('produces exactly the committed files (run `npm run protocol:generate` when this fails)', () => {
    const expected = generateAll();
    const committed = new Set(['messages', 'records'].flatMap((folder) => readdirSync(join(OUT_DIR, folder)).map((f) => `${folder}/${f}`)));
    committed.add('api-definitions.ts');
    committed.add('index.ts');
    expect([...committed].sort()).toEqual([...expected.keys()].sort());
    for (const [path, content] of expected) {
      expect(readFileSync(join(OUT_DIR, path), 'utf8'), `${path} is stale`).toBe(content);
      expect(content.startsWith(HEADER)).toBe(true);
      // One non-ASCII character makes V8 hold the whole module source as two-byte (generate.ts).
      expect(/[\u0080-\uffff]/.exec(content)?.[0], `${path} holds a non-ASCII character`).toBeUndefined();
    }
    expect(staleFiles(expected), 'what `npm run protocol:check` reports').toEqual([]);
  });

  it('protocol:check reports a file whose content differs from the generated one', () => {
    const expected = generateAll();
    const altered = new Map(expected);
    altered.set('messages/fetch-request.ts', `${expected.get('messages/fetch-request.ts')}// edited by hand\n`);
    expect(staleFiles(altered)).toEqual(['messages/fetch-request.ts']);
  });

  it('parses every version-range form the specs use', () => {
    expect(parseVersions('0+')).toEqual({ lo: 0, hi: Infinity });
    expect(parseVersions('3-7')).toEqual({ lo: 3, hi: 7 });
    expect(parseVersions('5')).toEqual({ lo: 5, hi: 5 });
    expect(parseVersions('none').lo).toBeGreaterThan(parseVersions('none').hi);
    expect(() => parseVersions('x')).toThrow(/unparseable/);
  });
});
