/**
 * The database side of issue 14's one writer per table, for deployments (the Helm chart runs it as
 * init containers; src/roles.ts does the work). Two steps:
 *   --step roles   before the API starts: both login roles exist with their passwords, the API's may migrate
 *   --step grants  before the operator starts (after the API migrated): the operator's grants (grantsFor)
 */
import { parseCli } from '@tributary/contracts/cli';
import { applyOwnershipGrants, ensureRoles, roleOf } from '../src/roles.ts';
import { waitForMigrations } from '../src/migrate.ts';

const usage = `
Usage: node libs/db/scripts/db-roles.ts --step roles|grants [--help] [--version]

Gives the API and the operator their own PostgreSQL roles so that only the operator writes
instance_status, topic_status, operation_outcome and its metering tables (libs/db README).
  --step roles    create or update both login roles; the API's role may create and owns the schema's tables
  --step grants   wait until the migrations of this build are applied, then grant the operator's role
                  reads everywhere and writes on its own tables, and revoke the API's writes on them
Environment (URLs with user and password; the passwords are never printed):
  TRIBUTARY_DB_ADMIN_URL      a superuser or the database owner with CREATEROLE (required)
  TRIBUTARY_DB_API_URL        what the API connects with (its user is the API's role)
  TRIBUTARY_DB_OPERATOR_URL   what the operator connects with (its user is the operator's role)`;
const { step } = parseCli('db-roles', usage, { step: { type: 'string' } });
const env = (name: string): string => {
  const v = process.env[name];
  if (!v) {
    process.stderr.write(`db-roles: ${name} is required\n`);
    process.exit(2);
  }
  return v;
};
if (step !== 'roles' && step !== 'grants') {
  process.stderr.write(`db-roles: --step must be roles or grants\n${usage}\n`);
  process.exit(2);
}
const admin = env('TRIBUTARY_DB_ADMIN_URL');
const api = roleOf(env('TRIBUTARY_DB_API_URL'));
const operator = roleOf(env('TRIBUTARY_DB_OPERATOR_URL'));
const say = (msg: string) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), component: 'db-roles', step, msg, api: api.name, operator: operator.name })}\n`);
if (step === 'roles') {
  await ensureRoles(admin, { api, operator });
  say('roles ready');
} else {
  await waitForMigrations(admin, { timeoutMs: 10 * 60_000, onWait: (pending) => say(`waiting for the API to apply ${pending.length} migration(s)`) });
  await applyOwnershipGrants(admin, { api: api.name, operator: operator.name });
  say('grants applied');
}
