import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantsFor, migrate, OPERATOR_TABLES, Prisma, tableOwner } from '@tributary/db';
import { startTestServices, type TestServices } from '@tributary/testkit';
import { PrismaStore } from '../../apps/api/src/store/prisma-store.ts';
import type { Principal } from '../../apps/api/src/store/types.ts';
import { DesiredStateStore } from '../../apps/operator/src/store/desired-state-store.ts';
import type { InstanceStatus } from '../../apps/operator/src/reconcile/desired-instance.ts';

/**
 * Issue 14, "one owner per table": spec tables are the API's, status tables the operator's
 * (libs/db src/ownership.ts, README "Table ownership"). Checked two ways: (1) statically, no app's
 * source writes a table it does not own, through the Prisma client or in SQL; (2) by behaviour, the
 * API and the operator run as PostgreSQL roles that may write only their own tables, through a whole
 * life cycle (create, reconcile, change, fail, delete), so a write to another's table would be a
 * "permission denied" error here.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const models = Prisma.dmmf.datamodel.models;
/** Prisma client delegate (`instanceStatus`) → table (`instance_status`). */
const delegates = new Map(models.map((m) => [m.name[0]!.toLowerCase() + m.name.slice(1), m.dbName ?? m.name]));
const tables = [...new Set([...delegates.values(), '_prisma_migrations'])];

const PRISMA_WRITE = /\.(\w+)\s*\.\s*(?:create|createMany|createManyAndReturn|update|updateMany|updateManyAndReturn|upsert|delete|deleteMany)\s*\(/g;
const SQL_WRITE = /\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+"?([a-z_]+)"?/g;

/** The tables a piece of source writes: Prisma delegate writes and SQL statements naming a table. */
function tablesWritten(code: string): Set<string> {
  const out = new Set<string>();
  for (const m of code.matchAll(PRISMA_WRITE)) if (delegates.has(m[1]!)) out.add(delegates.get(m[1]!)!);
  for (const m of code.matchAll(SQL_WRITE)) if (tables.includes(m[1]!)) out.add(m[1]!);
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'generated' ? [] : sourceFiles(path);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) && !path.includes('/testing/') ? [path] : [];
  });
}

describe('static: no app writes a table it does not own', () => {
  it('the scan sees Prisma and SQL writes (a check that cannot fail proves nothing)', () => {
    expect(tablesWritten('await tx.instance.updateMany({ where: { id } })')).toEqual(new Set(['instance']));
    expect(tablesWritten('await this.#db.operationOutcome.upsert({})')).toEqual(new Set(['operation_outcome']));
    expect(tablesWritten("await pool.query('UPDATE \"topic\" SET x = 1')")).toEqual(new Set(['topic']));
    expect(tablesWritten('sql`INSERT INTO operation (id) VALUES (1)`')).toEqual(new Set(['operation']));
    expect(tablesWritten('await tx.instance.findMany({}); // reads only')).toEqual(new Set());
  });

  it('the operator writes only its status tables; the API never writes them; other apps write nothing', () => {
    const apps = readdirSync(join(root, 'apps'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(apps).toEqual(expect.arrayContaining(['api', 'operator']));
    const writers = new Map<string, Set<string>>();
    const violations: string[] = [];
    for (const app of apps) {
      const src = join(root, 'apps', app, 'src');
      let files: string[];
      try { files = sourceFiles(src); } catch { continue; }
      for (const file of files) {
        for (const table of tablesWritten(readFileSync(file, 'utf8'))) {
          (writers.get(table) ?? writers.set(table, new Set()).get(table)!).add(app);
          if (tableOwner(table) !== app) violations.push(`${relative(root, file)} writes ${table}, owned by the ${tableOwner(table)}`);
        }
      }
    }
    expect(violations).toEqual([]);
    // The scan found the writes that are known to exist: it is looking at the real code.
    for (const t of OPERATOR_TABLES) expect(writers.get(t), t).toEqual(new Set(['operator']));
    for (const t of ['instance', 'topic', 'operation', 'kafka_user']) expect(writers.get(t), t).toEqual(new Set(['api']));
  });
});

describe('behaviour: each app as a role that may write only its own tables', () => {
  let services: TestServices;
  let admin: pg.Client;
  let api: PrismaStore;
  let operator: DesiredStateStore;
  let p: Principal;
  const asRole = (url: string, role: string) => url.replace('postgresql://postgres@', `postgresql://${role}@`);

  beforeAll(async () => {
    services = await startTestServices();
    await migrate(services.databaseUrl);
    admin = new pg.Client({ connectionString: services.databaseUrl });
    await admin.connect();
    const all = (await admin.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).rows.map((r) => r.tablename);
    expect(all.sort()).toEqual([...tables].sort()); // every table of the schema is one Prisma knows (or the migrations table)
    for (const [owner, role] of [['api', 'tributary_api'], ['operator', 'tributary_operator']] as const) {
      await admin.query(`CREATE ROLE ${role} LOGIN`);
      for (const sql of grantsFor(owner, role, all)) await admin.query(sql);
    }
    // The API runs the migration runner on start (all applied: it only reads `_prisma_migrations`
    // under Prisma's advisory lock, after `CREATE TABLE IF NOT EXISTS`, which needs CREATE on the schema).
    await admin.query('GRANT CREATE ON SCHEMA public TO tributary_api');
    api = await PrismaStore.connect(asRole(services.databaseUrl, 'tributary_api'), { instanceCache: false });
    operator = new DesiredStateStore(asRole(services.databaseUrl, 'tributary_operator'));
    p = { keyId: 'key-1', accountId: await api.createAccount('a'), role: 'admin' };
  }, 60_000);
  afterAll(async () => { await operator?.close(); await api?.close(); await admin?.end(); await services?.stop(); });

  const spec = { zone: 'zone-a' as const, brokers: 1, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 100, topicLimit: 50, consumerGroupLimit: 5, billing: { mode: 'postpaid' as const }, brokerConfig: {} };
  const topic = (name: string) => ({ name, partitions: 1, replicationFactor: 1, configs: {}, labels: {} });
  const running = (generation: number): InstanceStatus => ({
    phase: 'Running', observedGeneration: generation, internalBootstrapServers: ['127.0.0.1:1'], clientBootstrapServers: ['127.0.0.1:2'],
    brokers: [{ nodeId: 1, address: '127.0.0.1:1', ready: true, restarts: 0 }], conditions: [READY], events: [],
  });
  const READY = { type: 'Ready', status: 'True', reason: 'Reconciled', message: '', lastTransitionTime: '2026-12-01T00:00:00.000Z' } as InstanceStatus['conditions'][number];
  const op = async (id: string) => (await api.getOperation(p.accountId, id))!;

  it('the grants bite: the operator role cannot write a spec table, the API role cannot write a status table', async () => {
    const { instance } = await api.createInstance(p, { name: 'guarded', labels: {}, spec });
    const asOperator = new pg.Client({ connectionString: asRole(services.databaseUrl, 'tributary_operator') });
    const asApi = new pg.Client({ connectionString: asRole(services.databaseUrl, 'tributary_api') });
    await asOperator.connect();
    await asApi.connect();
    try {
      await expect(asOperator.query('UPDATE instance SET generation = generation WHERE id = $1', [instance.id])).rejects.toThrow(/permission denied/);
      await expect(asApi.query("INSERT INTO instance_status (instance_id, phase) VALUES ($1, 'Running')", [instance.id])).rejects.toThrow(/permission denied/);
      expect((await asOperator.query('SELECT id FROM instance WHERE id = $1', [instance.id])).rowCount).toBe(1); // reading is allowed
    } finally {
      await asOperator.end();
      await asApi.end();
    }
  });

  it('a whole life cycle runs with each app writing only its own tables; the API composes what the operator reported', async () => {
    const { instance, operation: created } = await api.createInstance(p, { name: 'life', labels: {}, spec });
    expect(instance.phase).toBe('Creating');
    const t = await api.createTopic(p, instance, topic('orders'));
    const user = await api.createObject(p, instance, 'acls', 'acl-1', { resourceType: 'TOPIC', resourceName: 'orders', patternType: 'LITERAL', principal: 'User:a', host: '*', operation: 'READ', permissionType: 'ALLOW' });

    // A pass in progress: the operator says Creating; its operation is Running.
    await operator.load(instance.id);
    await operator.saveStatus(instance.id, { ...running(0), phase: 'Creating', internalBootstrapServers: [], clientBootstrapServers: [] });
    expect((await op(created.id)).state).toBe('Running');
    // The pass done.
    await operator.saveStatus(instance.id, running(1));
    const seen = (await api.getInstance(p.accountId, instance.id))!;
    expect(seen).toMatchObject({ phase: 'Running', observedGeneration: 1, statusBrokers: 1, internalBootstrapServers: '127.0.0.1:1', clientBootstrapServers: '127.0.0.1:2', conditions: [{ type: 'Ready', status: 'True' }] });
    expect((await api.getTopic(instance.id, 'orders'))).toMatchObject({ phase: 'Ready', observedGeneration: 1 });
    for (const o of [created, t.operation, user.operation]) expect((await op(o.id)).state).toBe('Succeeded');

    // A spec change: Updating until the operator has observed the new generation.
    const changed = await api.updateInstance(p, instance.id, { labels: {}, spec: { ...spec, brokers: 3 } });
    expect(changed.instance.phase).toBe('Updating');
    const grown = await api.updateTopic(p, t.topic, { partitions: 4 });
    expect(grown.topic.phase).toBe('Updating');
    await operator.load(instance.id);
    await operator.saveStatus(instance.id, running(2));
    expect((await api.getInstance(p.accountId, instance.id))!.phase).toBe('Running');
    expect((await api.getTopic(instance.id, 'orders'))).toMatchObject({ phase: 'Ready', observedGeneration: 2 });
    expect((await op(changed.operation.id)).state).toBe('Succeeded');
    expect((await op(grown.operation.id)).state).toBe('Succeeded');

    // A failing pass fails the open operations with the operator's error — not the API's own live
    // write on the same instance, in flight meanwhile (Running in the API's row): the API settles that.
    const refused = await api.updateInstance(p, instance.id, { labels: {}, spec: { ...spec, brokers: 5 } });
    await operator.load(instance.id);
    const live = await api.liveWrite(p, { kind: 'consumer-group.delete', targetId: instance.id, detail: {} }, async () => {
      await operator.saveStatus(instance.id, { ...running(2), phase: 'Failed' }, 'no room for 5 brokers');
    });
    expect(live.operation.state).toBe('Succeeded');
    expect((await op(live.operation.id)).state).toBe('Succeeded');
    expect((await api.getInstance(p.accountId, instance.id))!.phase).toBe('Failed');
    expect(await op(refused.operation.id)).toMatchObject({ state: 'Failed', error: 'no room for 5 brokers' });

    // Deletion: the API marks, the operator tears down and reports Deleted; no longer resynced.
    const gone = await api.deleteInstance(p, instance.id, { force: true });
    expect(gone.instance.phase).toBe('Deleting');
    expect(await operator.instanceIds()).toContain(instance.id);
    await operator.load(instance.id);
    await operator.saveStatus(instance.id, { ...running(gone.instance.generation), phase: 'Deleted' });
    expect((await op(gone.operation.id)).state).toBe('Succeeded');
    expect(await operator.instanceIds()).not.toContain(instance.id);

  });
});
