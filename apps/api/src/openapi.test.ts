import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openapiDocument } from './openapi.ts';

describe('openapi/openapi.json', () => {
  it('is up to date with the route schemas (run `npm run openapi` when this fails)', async () => {
    const committed = readFileSync(new URL('../../../openapi/openapi.json', import.meta.url), 'utf8');
    expect(committed).toBe(await openapiDocument());
  });
  it('documents every route with a unique operationId, a summary, tags and error responses', async () => {
    const doc = JSON.parse(await openapiDocument()) as { paths: Record<string, Record<string, { operationId?: string; summary?: string; tags?: string[]; responses: Record<string, unknown> }>> };
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([m, op]) => ({ at: `${m} ${path}`, op })));
    expect(ops.length).toBeGreaterThan(10);
    const ids = new Set<string>();
    for (const { at, op } of ops) {
      expect(op.operationId, at).toMatch(/^[a-z][A-Za-z]+$/);
      expect(ids.has(op.operationId!), `${at}: duplicate operationId ${op.operationId}`).toBe(false);
      ids.add(op.operationId!);
      expect(op.summary, at).toBeTruthy();
      expect(op.tags?.length, at).toBeGreaterThan(0);
      // The shared input layer can answer these on any route, so every route documents them.
      for (const status of ['400', '401', '403', '414', '422', '429']) expect(Object.keys(op.responses), at).toContain(status);
    }
  });
});
