/**
 * `npm run db:migration -- <name>`: writes prisma/migrations/<UTC timestamp>_<name>/migration.sql with
 * the SQL that takes the existing migrations to schema.prisma, as Prisma's `migrate diff` renders it.
 * Prisma needs a database for its shadow copy: a throwaway one is started for the run (libs/testkit).
 * Partial unique indexes (see src/partial-indexes.ts) are added to the generated file by hand.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
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
try {
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'migration.sql');
  execFileSync(join(root, 'node_modules/.bin/prisma'), ['migrate', 'diff', '--from-migrations', MIGRATIONS_DIR, '--to-schema-datamodel', join(root, 'prisma/schema.prisma'), '--script', '-o', out], {
    cwd: root, stdio: 'inherit', env: { ...process.env, DATABASE_URL: services.databaseUrl },
  });
  if (readFileSync(out, 'utf8').includes('This is an empty migration')) {
    rmSync(dir, { recursive: true });
    console.log('schema.prisma matches the migrations: nothing to write');
  } else {
    console.log(`wrote ${out}`);
  }
} finally {
  await services.stop();
}
