import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServices, type TestServices } from '@tributary/testkit';
import { migrate } from './migrate.ts';
import { OPERATOR_TABLES } from './ownership.ts';
import { applyOwnershipGrants, ensureRoles, roleOf } from './roles.ts';

/**
 * What the Helm chart's init containers do (scripts/db-roles.ts), against a real PostgreSQL: the API
 * migrates as its own role, and after the grants only the operator's role may write its tables.
 * Privileges are checked before rows are looked at, so `… WHERE false` statements prove them.
 */
describe('database roles of a deployment (one writer per table)', () => {
  let services: TestServices;
  let admin: pg.Client;
  const as = (role: string, password: string) => services.databaseUrl.replace('postgresql://postgres@', `postgresql://${role}:${encodeURIComponent(password)}@`);
  const api = { name: 'tributary_api', password: "p'w\"1" };
  const operator = { name: 'tributary_operator', password: 'pw2' };
  const query = async (url: string, sql: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return await c.query(sql);
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    services = await startTestServices();
    admin = new pg.Client({ connectionString: services.databaseUrl });
    await admin.connect();
    // A table an earlier migration runner (the admin) created: the API's role must be able to alter it later.
    await admin.query('CREATE TABLE legacy_note (id int)');
  }, 60_000);
  afterAll(async () => {
    await admin?.end();
    await services?.stop();
  });

  it('roleOf reads the role from a connection URL', () => {
    expect(roleOf('postgresql://tributary_api:s%40cret@db:5432/tributary')).toEqual({ name: 'tributary_api', password: 's@cret' });
    expect(() => roleOf('postgresql://db:5432/tributary')).toThrow(/no user/);
  });

  it('the roles step makes both login roles (idempotently), with hashed passwords, and the API role owns and migrates the schema', async () => {
    await ensureRoles(services.databaseUrl, { api, operator });
    await ensureRoles(services.databaseUrl, { api, operator: { ...operator, password: 'pw3' } });
    const roles = await admin.query<{ rolname: string; rolpassword: string; rolcanlogin: boolean; rolsuper: boolean }>("SELECT rolname, rolpassword, rolcanlogin, rolsuper FROM pg_authid WHERE rolname LIKE 'tributary_%' ORDER BY rolname");
    expect(roles.rows.map((r) => [r.rolname, r.rolcanlogin, r.rolsuper])).toEqual([['tributary_api', true, false], ['tributary_operator', true, false]]);
    for (const r of roles.rows) expect(r.rolpassword).toMatch(/^SCRAM-SHA-256\$/);
    expect((await admin.query("SELECT tableowner FROM pg_tables WHERE tablename = 'legacy_note'")).rows[0].tableowner).toBe('tributary_api');
    await query(as(api.name, api.password), 'ALTER TABLE legacy_note ADD COLUMN note text');
    await expect(ensureRoles(services.databaseUrl, { api, operator: { ...operator, name: api.name } })).rejects.toThrow(/two different/);
    expect((await migrate(as(api.name, api.password))).length).toBeGreaterThan(0);
  }, 60_000);

  it('after the grants step only the operator writes its tables, the API writes the rest, both read everything', async () => {
    const apiUrl = as(api.name, api.password);
    const opUrl = as(operator.name, 'pw3');
    // Before the grants the operator cannot even read what the API created: the grants are what make it work.
    await expect(query(opUrl, 'SELECT 1 FROM instance_status WHERE false')).rejects.toThrow(/permission denied/);
    await applyOwnershipGrants(services.databaseUrl, { api: api.name, operator: operator.name });
    await applyOwnershipGrants(services.databaseUrl, { api: api.name, operator: operator.name });
    for (const t of OPERATOR_TABLES) {
      await query(opUrl, `DELETE FROM ${t} WHERE false`);
      await query(opUrl, `SELECT 1 FROM ${t} WHERE false`);
      await query(apiUrl, `SELECT 1 FROM ${t} WHERE false`);
      await expect(query(apiUrl, `DELETE FROM ${t} WHERE false`), t).rejects.toThrow(/permission denied/);
      await expect(query(apiUrl, `UPDATE ${t} SET ${(await admin.query(`SELECT column_name FROM information_schema.columns WHERE table_name = '${t}' LIMIT 1`)).rows[0].column_name} = NULL WHERE false`), t).rejects.toThrow(/permission denied/);
    }
    for (const t of ['instance', 'topic', 'operation', 'kafka_user', '_prisma_migrations']) {
      await query(apiUrl, `DELETE FROM ${t} WHERE false`);
      await query(opUrl, `SELECT 1 FROM ${t} WHERE false`);
      await expect(query(opUrl, `DELETE FROM ${t} WHERE false`), t).rejects.toThrow(/permission denied/);
    }
    // A table a later migration adds is readable by the operator at once (default privileges), not writable.
    await query(apiUrl, 'CREATE TABLE later_table (id int)');
    await query(opUrl, 'SELECT 1 FROM later_table WHERE false');
    await expect(query(opUrl, 'DELETE FROM later_table WHERE false')).rejects.toThrow(/permission denied/);
    // Migrating again as the API (nothing pending) still works under the reduced rights.
    expect(await migrate(apiUrl)).toEqual([]);
  }, 60_000);
});
