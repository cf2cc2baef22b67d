/**
 * `npm run db:migration -- <name>`: writes prisma/migrations/<UTC timestamp>_<name>/migration.sql with
 * the SQL that takes the existing migrations to schema.prisma, as Prisma's `migrate diff` renders it.
 * Prisma needs a database for its shadow copy: a throwaway one is started for the run (libs/testkit).
 * Partial unique indexes (see src/partial-indexes.ts) are added to the generated file by hand.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServices } from '@tributary/testkit';
import { MIGRATIONS_DIR } from '../src/migrate.ts';

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error('usage: npm run db:migration -- <name of [a-z0-9_]+>');
  process.exit(2);
}
const root = new URL('../../../', import.meta.url).pathname;
const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
const dir = join(MIGRATIONS_DIR, `${stamp}_${name}`);
const services = await startTestServices();
// Prisma reads every directory under migrations/: the new one is created only once its SQL exists.
const scratch = mkdtempSync(join(tmpdir(), 'tributary-migration-'));
try {
  const out = join(scratch, 'migration.sql');
  execFileSync(join(root, 'node_modules/.bin/prisma'), ['migrate', 'diff', '--from-migrations', MIGRATIONS_DIR.replace(/\/$/, ''), '--to-schema-datamodel', join(root, 'prisma/schema.prisma'), '--script', '-o', out], {
    cwd: root, stdio: 'inherit', env: { ...process.env, DATABASE_URL: services.databaseUrl },
  });
  const sql = readFileSync(out, 'utf8');
  if (sql.includes('This is an empty migration')) {
    console.log('schema.prisma matches the migrations: nothing to write');
  } else {
    mkdirSync(dir);
    writeFileSync(join(dir, 'migration.sql'), sql);
    console.log(`wrote ${join(dir, 'migration.sql')}`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
  await services.stop();
}
