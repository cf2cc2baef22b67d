import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

// The committed types must be what `npm run openapi` would write from openapi/openapi.json: a route
// changed without regenerating would otherwise type-check against the old API in both apps.
it('src/generated/openapi.ts is what the generator writes from openapi/openapi.json', () => {
  const root = resolve(import.meta.dirname, '../../..');
  const r = spawnSync(join(root, 'node_modules/.bin/node'), ['libs/api-client/scripts/generate.ts', '--check'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}, 90_000);
