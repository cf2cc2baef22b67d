import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServices, type TestServices } from '@tributary/testkit';
import { migrate } from './migrate.ts';

/**
 * prisma/migrations must build exactly the database schema.prisma describes. Prisma's own CLI (its
 * WASM schema engine, through prisma.config.ts) applies the migrations to a shadow database and
 * diffs the result against the datamodel. The CLI lingers ~10-60 s after answering (WASM timers),
 * hence the long timeouts; the runs go in parallel.
 */
const root = new URL('../../../', import.meta.url).pathname;
const PRISMA = join(root, 'node_modules/.bin/prisma');
const SCHEMA = join(root, 'prisma/schema.prisma');
const MIGRATIONS = join(root, 'prisma/migrations');

let services: TestServices;
let scratch: string;

function prisma(args: string[], databaseUrl: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(PRISMA, args, { cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl }, timeout: 170_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, out: `${stdout}\n${stderr}` });
    });
  });
}
const diffTo = (schema: string) => ['migrate', 'diff', '--from-migrations', MIGRATIONS, '--to-schema-datamodel', schema, '--script', '--exit-code'];

beforeAll(async () => {
  services = await startTestServices();
  scratch = mkdtempSync(join(tmpdir(), 'tributary-schema-'));
});
afterAll(async () => {
  await services?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('prisma/migrations and schema.prisma', () => {
  it('a database migrated from prisma/migrations matches schema.prisma, and the check catches a drift', async () => {
    // The same check against a schema with one more column must fail: proof that it can.
    const drifted = join(scratch, 'schema.prisma');
    writeFileSync(drifted, readFileSync(SCHEMA, 'utf8').replace('model Account {\n', 'model Account {\n  drift String?\n'));
    // libs/db's runner and Prisma agree on the bookkeeping: after migrate(), Prisma sees nothing pending.
    await migrate(services.databaseUrl);

    const [same, drift, status] = await Promise.all([
      prisma(diffTo(SCHEMA), services.databaseUrl),
      prisma(diffTo(drifted), services.databaseUrl),
      prisma(['migrate', 'status'], services.databaseUrl),
    ]);
    expect(same.code, same.out).toBe(0);
    expect(same.out).toContain('This is an empty migration.');
    expect(drift.code, drift.out).toBe(2);
    expect(drift.out).toMatch(/ALTER TABLE "account" ADD COLUMN\s+"drift" TEXT/);
    expect(status.code, status.out).toBe(0);
    expect(status.out).toContain('Database schema is up to date');
    // The shadow databases are gone (prisma-cli-adapter.ts drops them WITH (FORCE)).
    const c = new pg.Client({ connectionString: services.databaseUrl });
    await c.connect();
    const left = await c.query("SELECT datname FROM pg_database WHERE datname LIKE 'prisma_shadow_%'");
    await c.end();
    expect(left.rows).toEqual([]);
  }, 180_000);
});
