import pg from 'pg';
import { grantsFor, OPERATOR_TABLES } from './ownership.ts';

/**
 * Issue 14's one writer per table, enforced by PostgreSQL for a deployment (the Helm chart runs these
 * through scripts/db-roles.ts): the API and the operator log in as two roles; the API's role owns the
 * schema (it is the one migration runner), the operator's role reads everything and writes only its
 * own tables (`grantsFor`), and the API's role gives up writing the operator's tables. An owner keeps
 * the right to grant itself privileges back, so this stops mistakes, not a hostile API process.
 */
export interface DbRole {
  name: string;
  password: string;
}

/** The role a connection URL logs in as (user and password of `postgresql://user:password@…`). */
export function roleOf(url: string): DbRole {
  const u = new URL(url);
  const name = decodeURIComponent(u.username);
  if (!name) throw new Error('the database URL names no user');
  return { name, password: decodeURIComponent(u.password) };
}

async function withClient<T>(adminUrl: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Creates (or updates the password of) both roles and lets the API's role migrate: CREATE on the
 * database and the schema, and ownership of whatever an earlier migration runner (e.g. the admin role before roles were
 * enabled) created there, so later migrations may alter it. Idempotent; run before the API starts.
 * Needs a superuser, or the database owner with CREATEROLE that may SET ROLE to the API's role.
 */
export async function ensureRoles(adminUrl: string, roles: { api: DbRole; operator: DbRole }): Promise<void> {
  if (roles.api.name === roles.operator.name) throw new Error('the API and the operator need two different database roles');
  await withClient(adminUrl, async (c) => {
    for (const role of [roles.api, roles.operator]) {
      if (!role.password) throw new Error(`role ${role.name} has no password in its database URL`);
      const exists = (await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role.name])).rowCount === 1;
      // DDL takes no bind parameters: the password goes in as an escaped literal and is never logged.
      await c.query(`${exists ? 'ALTER' : 'CREATE'} ROLE ${c.escapeIdentifier(role.name)} LOGIN PASSWORD ${c.escapeLiteral(role.password)}`);
    }
    const api = c.escapeIdentifier(roles.api.name);
    // The migrations create schemas too (`CREATE SCHEMA IF NOT EXISTS`, which checks the right even when it exists).
    const db = (await c.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
    await c.query(`GRANT CREATE ON DATABASE ${c.escapeIdentifier(db)} TO ${api}`);
    await c.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${api}`);
    await c.query(`GRANT USAGE ON SCHEMA public TO ${c.escapeIdentifier(roles.operator.name)}`);
    const owned = await c.query<{ kind: string; name: string }>(
      `SELECT 'TABLE' AS kind, tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tableowner <> $1
       UNION ALL
       SELECT 'TYPE', t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public' AND t.typtype = 'e' AND pg_get_userbyid(t.typowner) <> $1`,
      [roles.api.name],
    );
    for (const o of owned.rows) await c.query(`ALTER ${o.kind} public.${c.escapeIdentifier(o.name)} OWNER TO ${api}`);
  });
}

/**
 * After the API has migrated: the operator's role gets `grantsFor('operator', …)` on every table, new
 * tables the API creates later become readable by it at once (default privileges), and the API's role
 * loses INSERT/UPDATE/DELETE/TRUNCATE on the operator's tables. Idempotent; the chart runs it before
 * every operator start, so a new operator table gets its grants when the operator that writes it starts.
 */
export async function applyOwnershipGrants(adminUrl: string, roles: { api: string; operator: string }): Promise<void> {
  await withClient(adminUrl, async (c) => {
    const tables = (await c.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")).rows.map((r) => r.tablename);
    const operator = c.escapeIdentifier(roles.operator);
    const api = c.escapeIdentifier(roles.api);
    await c.query('BEGIN');
    try {
      for (const sql of grantsFor('operator', roles.operator, tables)) await c.query(sql);
      for (const t of OPERATOR_TABLES.filter((name) => tables.includes(name))) await c.query(`REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON public.${c.escapeIdentifier(t)} FROM ${api}`);
      await c.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${api} IN SCHEMA public GRANT SELECT ON TABLES TO ${operator}`);
      await c.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${api} IN SCHEMA public GRANT USAGE ON SEQUENCES TO ${operator}`);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
}
