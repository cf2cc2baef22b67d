import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '@tributary/db';
import { startTestServices, type TestServices } from '@tributary/testkit';
import { envOf, find, render, type Manifest } from './render.ts';

/**
 * The chart's database roles end to end without a cluster: the init containers' commands as rendered,
 * run with the rendered Secret's URLs (pointed at a real PostgreSQL), in the order Kubernetes would
 * start them (API init → API migrates → operator init), then each app's URL tried on the tables.
 */
const root = resolve(import.meta.dirname, '../..');
let services: TestServices;
beforeAll(async () => {
  services = await startTestServices();
}, 60_000);
afterAll(async () => services?.stop());

describe('the chart\'s db-roles init containers against PostgreSQL', () => {
  it('the API migrates as its role, and afterwards only the operator writes its status tables', async () => {
    const docs = render();
    const secret = find(docs, 'Secret', 'rel-tributary-postgresql').stringData as Record<string, string>;
    const server = new URL(services.databaseUrl);
    // The bundled PostgreSQL's address → the test server's; the roles and passwords stay the chart's.
    const local = (url: string) => {
      const u = new URL(url);
      u.host = server.host;
      u.pathname = server.pathname;
      if (u.username === 'tributary') { u.username = server.username; u.password = server.password; }
      return u.toString();
    };
    const runInit = (component: string) => {
      const init = find(docs, 'Deployment', `rel-tributary-${component}`).spec.template.spec.initContainers[0] as Manifest;
      const env: Record<string, string> = { PATH: process.env['PATH']! };
      for (const [name, e] of Object.entries(envOf(init))) env[name] = local(secret[e.valueFrom.secretKeyRef.key]!);
      const [node, script, ...args] = init.command as string[];
      expect(node).toBe('node');
      return execFileSync(join(root, 'node_modules/.bin/node'), [script!, ...args], { cwd: root, env, encoding: 'utf8', timeout: 120_000 });
    };
    const out = runInit('api');
    expect(out).toContain('roles ready');
    for (const pw of [secret['api-password']!, secret['operator-password']!]) expect(out).not.toContain(pw);
    const apiUrl = local(secret['api-url']!);
    const operatorUrl = local(secret['operator-url']!);
    expect(new URL(apiUrl).username).toBe('tributary_api');
    expect((await migrate(apiUrl)).length).toBeGreaterThan(0);
    expect(runInit('operator')).toContain('grants applied');
    const query = async (url: string, sql: string) => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        return await c.query(sql);
      } finally {
        await c.end();
      }
    };
    await query(operatorUrl, 'DELETE FROM instance_status WHERE false');
    await query(operatorUrl, 'SELECT 1 FROM instance WHERE false');
    await expect(query(operatorUrl, 'DELETE FROM instance WHERE false')).rejects.toThrow(/permission denied/);
    await expect(query(apiUrl, 'DELETE FROM instance_status WHERE false')).rejects.toThrow(/permission denied/);
    await expect(query(apiUrl, 'DELETE FROM operation_outcome WHERE false')).rejects.toThrow(/permission denied/);
    await query(apiUrl, 'DELETE FROM instance WHERE false');
  }, 120_000);
});
