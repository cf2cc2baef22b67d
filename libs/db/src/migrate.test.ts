import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServices, type TestServices } from '@tributary/testkit';
import { createDb, isUniqueViolation } from './client.ts';
import { migrate, MigrationError, MIGRATIONS_DIR, readMigrations, waitForMigrations } from './migrate.ts';
import { PARTIAL_UNIQUE_INDEXES } from './partial-indexes.ts';
import { specOf } from './instance-spec.ts';

let services: TestServices;
let admin: pg.Client;
let scratch: string;
let n = 0;

/** A fresh, empty database on the test server. */
async function freshDatabase(): Promise<string> {
  const name = `db_${++n}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(services.databaseUrl);
  u.pathname = `/${name}`;
  return u.toString();
}
async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}
/** A copy of prisma/migrations that a test may change. */
function migrationsCopy(): string {
  const dir = mkdtempSync(join(scratch, 'migrations-'));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

/** Writes (or rewrites) migration `name` of `dir`, as `prisma migrate` lays one out. */
function writeMigration(dir: string, name: string, sql: string): void {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, 'migration.sql'), sql);
}

beforeAll(async () => {
  services = await startTestServices();
  admin = new pg.Client({ connectionString: services.databaseUrl });
  await admin.connect();
  scratch = mkdtempSync(join(tmpdir(), 'tributary-db-'));
});
afterAll(async () => {
  await admin?.end();
  await services?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('migrate', () => {
  it('applies every migration once and records it the way Prisma does', async () => {
    const url = await freshDatabase();
    const all = readMigrations();
    expect(all.length).toBeGreaterThan(0);
    expect(await migrate(url)).toEqual(all.map((m) => m.name));
    expect(await migrate(url)).toEqual([]);
    const rows = await query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }>(url, 'SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY started_at');
    expect(rows.map((r) => r.migration_name)).toEqual(all.map((m) => m.name));
    for (const r of rows) {
      const file = readFileSync(join(MIGRATIONS_DIR, r.migration_name, 'migration.sql'));
      expect(r.checksum).toBe(createHash('sha256').update(file).digest('hex'));
      expect(r.finished_at).not.toBeNull();
      expect(r.applied_steps_count).toBe(1);
    }
    const tables = (await query<{ tablename: string }>(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).map((r) => r.tablename);
    expect(tables).toEqual(expect.arrayContaining(['account', 'api_key', 'instance', 'topic', 'kafka_user', 'acl', 'client_quota', 'consumer_group_quota', 'operation', 'price_book', 'rate', 'usage_record', 'invoice', 'invoice_line', 'audit_event', 'idempotency_record', '_prisma_migrations']));
  });

  it('applies each migration once when several processes start at the same time', async () => {
    const url = await freshDatabase();
    const results = await Promise.all([migrate(url), migrate(url), migrate(url)]);
    expect(results.flat().sort()).toEqual(readMigrations().map((m) => m.name).sort());
    expect((await query(url, 'SELECT 1 FROM "_prisma_migrations"')).length).toBe(readMigrations().length);
  });

  it('applies only the new migration to a database that has the older ones', async () => {
    const url = await freshDatabase();
    const dir = migrationsCopy();
    await migrate(url, { dir });
    writeMigration(dir, '29990101000000_add_note', 'ALTER TABLE "account" ADD COLUMN "note" TEXT;\n');
    expect(await migrate(url, { dir })).toEqual(['29990101000000_add_note']);
    expect(await query(url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'account' AND column_name = 'note'")).toHaveLength(1);
    // One dated before those applied (a fix-up merged later, like set_aside_interim_tables) is applied too.
    writeMigration(dir, '20000101000000_early', 'CREATE TABLE "early" (id int);\n');
    expect(await migrate(url, { dir })).toEqual(['20000101000000_early']);
  });

  it('rolls a failing migration back completely, records why, and tries it again on the next start', async () => {
    const url = await freshDatabase();
    const dir = migrationsCopy();
    await migrate(url, { dir });
    writeMigration(dir, '29990101000000_broken', 'CREATE TABLE "half_done" (id int);\nSELECT * FROM "no_such_table";\n');
    const err = await migrate(url, { dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as MigrationError).code).toBe('migration-failed');
    expect(await query(url, "SELECT 1 FROM pg_tables WHERE tablename = 'half_done'")).toHaveLength(0);
    const [row] = await query<{ logs: string; rolled_back_at: Date | null }>(url, `SELECT logs, rolled_back_at FROM "_prisma_migrations" WHERE migration_name = '29990101000000_broken'`);
    expect(row!.logs).toContain('no_such_table');
    expect(row!.rolled_back_at).not.toBeNull();
    // Fixed on disk: the next start applies it.
    writeMigration(dir, '29990101000000_broken', 'CREATE TABLE "half_done" (id int);\n');
    expect(await migrate(url, { dir })).toEqual(['29990101000000_broken']);
  });

  it('refuses to start when an applied migration was edited afterwards', async () => {
    const url = await freshDatabase();
    const dir = migrationsCopy();
    await migrate(url, { dir });
    const first = readMigrations(dir)[0]!;
    writeMigration(dir, first.name, first.sql + '\n-- edited\n');
    const err = await migrate(url, { dir }).catch((e: unknown) => e);
    expect((err as MigrationError).code).toBe('migration-modified');
  });
});

describe('partial unique indexes (raw SQL in the migration)', () => {
  it('exist with their WHERE clause', async () => {
    const url = await freshDatabase();
    await migrate(url);
    const rows = await query<{ indexname: string; indexdef: string }>(url, "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexdef LIKE '%WHERE%'");
    expect(rows.map((r) => r.indexname).sort()).toEqual([...PARTIAL_UNIQUE_INDEXES].sort());
    for (const r of rows) expect(r.indexdef).toMatch(/^CREATE UNIQUE INDEX .* WHERE \(deleted_at IS NULL\)$/);
  });

  it('keep live names unique and free a deleted one at once', async () => {
    const url = await freshDatabase();
    await migrate(url);
    const db = createDb(url, { max: 2 });
    try {
      await db.account.create({ data: { id: 'acc-1', name: 'a' } });
      const instance = (id: string) => ({
        id, accountId: 'acc-1', name: 'prod', zone: 'zone-a', brokers: 1, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 10, topicLimit: 5,
        consumerGroupLimit: 5, billingMode: 'postpaid' as const, billingStartedAt: new Date(),
      });
      await db.instance.create({ data: instance('ins-1') });
      const dup = await db.instance.create({ data: instance('ins-2') }).catch((e: unknown) => e);
      expect(isUniqueViolation(dup)).toBe(true);
      await db.instance.update({ where: { id: 'ins-1' }, data: { deletedAt: new Date() } });
      await db.instance.create({ data: instance('ins-2') });
      expect(await db.instance.count({ where: { name: 'prod' } })).toBe(2);
    } finally {
      await db.$disconnect();
    }
  });
});

describe('a database of the interim tables (api_*, before Prisma)', () => {
  it('is moved aside into schema "interim" and its rows copied into the Prisma tables', async () => {
    const url = await freshDatabase();
    const interimSql = readFileSync(new URL('./fixtures/interim-schema.sql', import.meta.url), 'utf8');
    const spec = { zone: 'zone-a', brokers: 1, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 100, topicLimit: 50, consumerGroupLimit: 50, billing: { mode: 'prepaid', periodMonths: 3, autoRenew: true }, brokerConfig: { 'log.retention.ms': '60000' } };
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(interimSql);
      await c.query("INSERT INTO api_account (id, name) VALUES ('acc-old', 'old')");
      await c.query("INSERT INTO api_key (id, account_id, name, role, prefix, hash) VALUES ('key-old', 'acc-old', 'k', 'admin', 'abcd1234', 'h-old')");
      await c.query(`INSERT INTO api_instance (id, account_id, name, labels, spec, generation, observed_generation, phase, billing_started_at, billing_expires_at, bootstrap_servers, sasl_bootstrap_servers)
        VALUES ('ins-old', 'acc-old', 'legacy', '{"env":"dev","tributary.dev/message-browsing":"disabled"}', $1, 2, 2, 'Running', '2026-11-01T00:00:00Z', '2027-02-01T00:00:00Z', '127.0.0.1:1', '127.0.0.1:2')`, [JSON.stringify(spec)]);
      await c.query("INSERT INTO api_topic (id, instance_id, name, partitions, replication_factor, configs, labels, generation, phase) VALUES ('top-old', 'ins-old', 'orders', 3, 1, '{\"cleanup.policy\":\"compact\"}', '{}', 1, 'Ready')");
      await c.query(`INSERT INTO api_instance_object (id, instance_id, kind, name, data) VALUES
        ('use-old', 'ins-old', 'users', 'svc', '{"mechanism":"SCRAM-SHA-256","iterations":8192,"salt":"s","storedKey":"sk","serverKey":"vk","saltedPassword":"sp"}'),
        ('acl-old', 'ins-old', 'acls', 'k', '{"resourceType":"TOPIC","resourceName":"orders","patternType":"LITERAL","principal":"User:svc","host":"*","operation":"READ","permissionType":"ALLOW"}'),
        ('cli-old', 'ins-old', 'client-quotas', 'user=svc;client-id=<default>', '{"user":"svc","producerByteRate":1048576}'),
        ('con-old', 'ins-old', 'consumer-group-quotas', 'g1', '{"maxMembers":4}')`);
      await c.query("INSERT INTO api_operation (id, account_id, kind, target_type, target_id, generation, state) VALUES ('op-old', 'acc-old', 'instance.create', 'instance', 'ins-old', 1, 'Succeeded')");
      await c.query("INSERT INTO api_audit_event (account_id, key_id, action, target_type, target_id, generation, detail) VALUES ('acc-old', 'key-old', 'instance.create', 'instance', 'ins-old', 1, '{}')");
      await c.query("INSERT INTO api_usage_record (instance_id, meter, quantity, period_start, source) VALUES ('ins-old', 'broker-hour', 1, now(), 'spec-change')");
    } finally {
      await c.end();
    }
    expect(await migrate(url)).toEqual(readMigrations().map((m) => m.name));

    const moved = await query<{ table_name: string }>(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'interim' ORDER BY 1");
    expect(moved.map((r) => r.table_name)).toContain('api_instance');
    const db = createDb(url, { max: 2 });
    try {
      const instance = await db.instance.findUniqueOrThrow({ where: { id: 'ins-old' }, include: { status: true } });
      // The message-browsing label became the spec field (migration 20261201210521_instance_message_browsing).
      expect(specOf(instance)).toEqual({ ...spec, messageBrowsing: 'disabled' });
      expect(instance.labels).toEqual({ env: 'dev' });
      expect(instance).toMatchObject({ name: 'legacy', labels: { env: 'dev' }, generation: 2, billingStatus: 'active' });
      // The status moved to the operator's table (migration 20261201183000_operator_status).
      expect(instance.status).toMatchObject({ observedGeneration: 2, phase: 'Running', internalBootstrapServers: '127.0.0.1:1', clientBootstrapServers: '127.0.0.1:2' });
      expect(await db.apiKey.findUniqueOrThrow({ where: { hash: 'h-old' } })).toMatchObject({ role: 'admin', accountId: 'acc-old' });
      expect(await db.topic.findUniqueOrThrow({ where: { id: 'top-old' }, include: { status: true } })).toMatchObject({ name: 'orders', partitions: 3, configs: { 'cleanup.policy': 'compact' }, status: { phase: 'Ready', observedGeneration: 1 } });
      expect(await db.kafkaUser.findUniqueOrThrow({ where: { id: 'use-old' } })).toMatchObject({ name: 'svc', iterations: 8192, storedKey: 'sk', saltedPassword: 'sp' });
      expect(await db.acl.findUniqueOrThrow({ where: { id: 'acl-old' } })).toMatchObject({ resourceName: 'orders', operation: 'READ', permissionType: 'ALLOW' });
      expect(await db.clientQuota.findUniqueOrThrow({ where: { id: 'cli-old' } })).toMatchObject({ user: 'svc', clientId: null, producerByteRate: 1048576 });
      expect(await db.consumerGroupQuota.findUniqueOrThrow({ where: { id: 'con-old' } })).toMatchObject({ name: 'g1', maxMembers: 4, consumerByteRate: null });
      // The operator's outcome moved to its table; the API's row says what it handed over.
      expect(await db.operation.findUniqueOrThrow({ where: { id: 'op-old' }, include: { outcome: true } })).toMatchObject({ state: 'Pending', outcome: { state: 'Succeeded' } });
      expect(await db.auditEvent.count({ where: { targetId: 'ins-old' } })).toBe(1);
      expect(await db.usageRecord.count({ where: { instanceId: 'ins-old' } })).toBe(1);
    } finally {
      await db.$disconnect();
    }
  });
});

describe('waitForMigrations (the operator: it never migrates, it waits for the API)', () => {
  it('fails with migrations-not-applied naming what is missing, and returns once another process has migrated', async () => {
    const url = await freshDatabase();
    const refused = await waitForMigrations(url, { timeoutMs: 300, pollMs: 50 }).then(() => null, (e: unknown) => e);
    expect(refused).toBeInstanceOf(MigrationError);
    expect((refused as MigrationError).code).toBe('migrations-not-applied');
    expect((refused as MigrationError).message).toContain(readMigrations().at(-1)!.name);
    // Nothing was created by waiting (not even Prisma's bookkeeping table).
    expect(await query(url, `SELECT to_regclass('_prisma_migrations') AS t`)).toEqual([{ t: null }]);
    const pendingSeen: string[][] = [];
    const waiting = waitForMigrations(url, { timeoutMs: 60_000, pollMs: 50, onWait: (p) => pendingSeen.push(p) });
    await migrate(url);
    await waiting;
    expect(pendingSeen).toEqual([readMigrations().map((m) => m.name)]);
  }, 60_000);
});
