/**
 * Which process type writes each table (libs/db README, "Table ownership"). Spec and status are split
 * as in Kubernetes: the API owns what clients asked for (and its own bookkeeping), the operator owns
 * what it observed. Every other process reads at most. test/control-plane/table-ownership.test.ts
 * enforces this twice: statically (no app's source writes another's table) and by behaviour (the API
 * and the operator run as PostgreSQL roles granted writes on their own tables only — `grantsFor`).
 */
export type TableOwner = 'api' | 'operator';

export const OPERATOR_TABLES = [
  // status: what it observed of the API's resources
  'instance_status', 'topic_status', 'operation_outcome',
  // metering: what it scraped from the brokers (apps/operator src/metering)
  'meter_sample', 'usage_hour', 'usage_adjustment', 'chargeback_hour',
] as const;

/**
 * The owner of a table: the operator's tables above, the API for every other table of the
 * schema (including `_prisma_migrations`: the API is the one migration runner).
 */
export function tableOwner(table: string): TableOwner {
  return (OPERATOR_TABLES as readonly string[]).includes(table) ? 'operator' : 'api';
}

/**
 * SQL that gives `role` what the owner `owner` needs and nothing more, for a deployment that wants the
 * database to enforce ownership: read every table; insert, update and delete only its own. The API
 * role also applies migrations, so in production it is the schema's owner and these grants matter
 * for the operator's role; the ownership test applies both.
 */
export function grantsFor(owner: TableOwner, role: string, tables: readonly string[]): string[] {
  const q = (name: string) => `"${name.replaceAll('"', '""')}"`;
  const own = tables.filter((t) => tableOwner(t) === owner);
  return [
    `GRANT USAGE ON SCHEMA public TO ${q(role)}`,
    ...tables.map((t) => `GRANT SELECT ON ${q(t)} TO ${q(role)}`),
    ...own.map((t) => `GRANT INSERT, UPDATE, DELETE ON ${q(t)} TO ${q(role)}`),
    // Identity/serial columns of the owner's tables (audit_event, usage_record, outbox_job, …).
    `GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${q(role)}`,
  ];
}
