import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The layering rule lives in eslint.config.js; this proves it fires (and stays quiet) where DESIGN.md says.
const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedImportMessages(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layering rule', () => {
  it('stops a lib from importing an app', async () => {
    const messages = await restrictedImportMessages(
      'libs/contracts/src/example.ts',
      "import { x } from '../../../apps/api/src/app.ts';\nexport const y = x;\n",
    );
    expect(messages).toEqual([expect.stringContaining('libs never import apps')]);
  });

  it('stops an app from importing another app, by package name or by path', async () => {
    const byName = await restrictedImportMessages('apps/api/src/example.ts', "import { x } from '@tributary/broker';\nexport const y = x;\n");
    const byPath = await restrictedImportMessages(
      'apps/operator/src/example.ts',
      "import { x } from '../../broker/src/main.ts';\nexport const y = x;\n",
    );
    expect(byName).toEqual([expect.stringContaining('apps never import other apps')]);
    expect(byPath).toEqual([expect.stringContaining('apps never import other apps')]);
  });

  it('lets apps import libs and their own modules', async () => {
    const messages = await restrictedImportMessages(
      'apps/api/src/example.ts',
      "import { a } from '@tributary/contracts';\nimport { b } from './plugins/errors.ts';\nexport const y = [a, b];\n",
    );
    expect(messages).toEqual([]);
  });
});
