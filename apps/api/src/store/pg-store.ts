import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { InstanceSpec, Operation, Role, TopicCreate } from '@tributary/contracts';
import { ApiError, limitExceeded, notFound } from '../errors.ts';
import { decodeCursor, encodeCursor, parseLabelFilter } from '../http.ts';
import type { AccountRow, ApiKeyRow, IdempotencyBegin, InvoiceRow, UsageRow, InstanceRow, ListFilter, ObjectKind, ObjectRow, Page, Principal, Store, TopicRow } from './types.ts';

export const newId = (prefix: string) => `${prefix}-${randomBytes(8).toString('hex')}`;
const SCHEMA_SQL = readFileSync(new URL('./schema.sql', import.meta.url), 'utf8');

type Q = pg.Pool | pg.PoolClient;
type Row = Record<string, unknown>;

const instanceRow = (r: Row): InstanceRow => ({
  id: r['id'] as string, accountId: r['account_id'] as string, name: r['name'] as string, labels: r['labels'] as Record<string, string>,
  spec: r['spec'] as InstanceSpec, generation: r['generation'] as number, observedGeneration: r['observed_generation'] as number,
  phase: r['phase'] as string, statusBrokers: r['status_brokers'] as number, bootstrapServers: r['bootstrap_servers'] as string | null, saslBootstrapServers: (r['sasl_bootstrap_servers'] as string | null) ?? null,
  conditions: r['conditions'] as unknown[], billingStatus: r['billing_status'] as InstanceRow['billingStatus'],
  billingStartedAt: r['billing_started_at'] as Date, billingExpiresAt: r['billing_expires_at'] as Date | null,
  version: r['version'] as number, createdAt: r['created_at'] as Date, updatedAt: r['updated_at'] as Date,
});
const topicRow = (r: Row): TopicRow => ({
  id: r['id'] as string, instanceId: r['instance_id'] as string, name: r['name'] as string, partitions: r['partitions'] as number,
  replicationFactor: r['replication_factor'] as number, configs: r['configs'] as Record<string, string>, labels: r['labels'] as Record<string, string>,
  generation: r['generation'] as number, observedGeneration: r['observed_generation'] as number, phase: r['phase'] as string,
  version: r['version'] as number, createdAt: r['created_at'] as Date, updatedAt: r['updated_at'] as Date,
});
const objectRow = (r: Row): ObjectRow => ({
  id: r['id'] as string, instanceId: r['instance_id'] as string, kind: r['kind'] as ObjectKind, name: r['name'] as string,
  data: r['data'] as Record<string, unknown>, version: r['version'] as number, createdAt: r['created_at'] as Date, updatedAt: r['updated_at'] as Date,
});
const apiKeyRow = (r: Row): ApiKeyRow => ({
  id: r['id'] as string, accountId: r['account_id'] as string, name: r['name'] as string, role: r['role'] as Role, prefix: r['prefix'] as string,
  lastUsedAt: r['last_used_at'] as Date | null, createdAt: r['created_at'] as Date,
});
const TARGET: Record<ObjectKind, Operation['targetType']> = { users: 'user', acls: 'acl', 'client-quotas': 'client-quota', 'consumer-group-quotas': 'consumer-group-quota' };
const operationRow = (r: Row): Operation => ({
  id: r['id'] as string, accountId: r['account_id'] as string, kind: r['kind'] as string, targetType: r['target_type'] as Operation['targetType'],
  targetId: r['target_id'] as string, generation: r['generation'] as number, state: r['state'] as Operation['state'], error: r['error'] as string | null,
  createdAt: (r['created_at'] as Date).toISOString(), updatedAt: (r['updated_at'] as Date).toISOString(),
});

/** Cursors carry JavaScript (millisecond) timestamps, so lists order and compare at that precision. */
const MS = "date_trunc('milliseconds', created_at)";

/** WHERE fragment and params for name/label filters and the cursor, appended after `params`. */
function listClause(f: ListFilter, params: unknown[]): string {
  let sql = '';
  if (f.name !== undefined) {
    if (f.name.endsWith('*')) {
      params.push(f.name.slice(0, -1).replace(/[\\%_]/g, (c) => '\\' + c) + '%');
      sql += ` AND name LIKE $${params.length}`;
    } else {
      params.push(f.name);
      sql += ` AND name = $${params.length}`;
    }
  }
  if (f.label !== undefined) {
    const [k, v] = parseLabelFilter(f.label);
    params.push(JSON.stringify({ [k]: v }));
    sql += ` AND labels @> $${params.length}::jsonb`;
  }
  if (f.cursor !== undefined) {
    const c = decodeCursor(f.cursor);
    params.push(c.createdAt, c.id);
    sql += ` AND (${MS}, id) > ($${params.length - 1}, $${params.length})`;
  }
  params.push(f.limit + 1);
  return `${sql} ORDER BY ${MS}, id LIMIT $${params.length}`;
}
function page<T extends { id: string; createdAt: Date }>(rows: T[], limit: number): Page<T> {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1]!;
  return { items, nextCursor: encodeCursor(last.createdAt, last.id) };
}

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

/** The spec's billable quantities, recorded on every spec change (metering proper comes later). */
function usageOfSpec(spec: InstanceSpec): [string, number][] {
  return [['broker-hour', spec.brokers], ['bandwidth-mbps-hour', spec.bandwidthMBps], ['disk-gib-hour', spec.diskGiB]];
}

export class PgStore implements Store {
  readonly pool: pg.Pool;
  constructor(pool: pg.Pool) {
    this.pool = pool;
    // An idle connection dropped by the server (restart, failover) is replaced by the pool on next use.
    pool.on('error', () => {});
  }

  static async connect(databaseUrl: string): Promise<PgStore> {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
    await pool.query(SCHEMA_SQL);
    return new PgStore(pool);
  }
  close() { return this.pool.end(); }
  async ping() { await this.pool.query('SELECT 1'); }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK');
      throw err;
    } finally {
      c.release();
    }
  }

  async createAccount(name: string, email: string | null = null, id = newId('acc')): Promise<string> {
    await this.pool.query('INSERT INTO api_account (id, name, email) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING', [id, name, email]);
    return id;
  }
  async createApiKey(accountId: string, name: string, role: Role, prefix: string, hash: string): Promise<string> {
    const id = newId('key');
    await this.pool.query('INSERT INTO api_key (id, account_id, name, role, prefix, hash) VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (hash) DO NOTHING', [id, accountId, name, role, prefix, hash]);
    return id;
  }
  async countApiKeys(): Promise<number> {
    return Number((await this.pool.query('SELECT count(*) AS n FROM api_key')).rows[0].n);
  }

  /**
   * Key lookups are on every request; a short in-process cache saves a round trip. Revocation
   * through this process clears it at once; another replica's revocation applies within the TTL.
   */
  private readonly keyCache = new Map<string, { principal: Principal | null; until: number }>();
  static readonly KEY_CACHE_MS = 5_000;

  async findApiKeyByHash(hash: string): Promise<Principal | null> {
    const hit = this.keyCache.get(hash);
    if (hit && hit.until > Date.now()) return hit.principal;
    const principal = await this.lookupApiKey(hash);
    if (this.keyCache.size > 10_000) this.keyCache.clear();
    // Unknown keys are not cached: a key created elsewhere must work at once.
    if (principal) this.keyCache.set(hash, { principal, until: Date.now() + PgStore.KEY_CACHE_MS });
    return principal;
  }
  private async lookupApiKey(hash: string): Promise<Principal | null> {
    const r = await this.pool.query('SELECT id, account_id, role FROM api_key WHERE hash = $1 AND revoked_at IS NULL', [hash]);
    const row = r.rows[0] as Row | undefined;
    return row ? { keyId: row['id'] as string, accountId: row['account_id'] as string, role: row['role'] as Role } : null;
  }

  private async operation(c: Q, p: Principal, kind: string, targetType: Operation['targetType'], targetId: string, generation: number, detail: unknown): Promise<Operation> {
    const r = await c.query(
      'INSERT INTO api_operation (id, account_id, kind, target_type, target_id, generation, state) VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING *',
      [newId('op'), p.accountId, kind, targetType, targetId, generation, 'Pending'],
    );
    await c.query(
      'INSERT INTO api_audit_event (account_id, key_id, action, target_type, target_id, generation, detail) VALUES ($1,$2,$3,$4,$5,$6,$7)',
      [p.accountId, p.keyId, kind, targetType, targetId, generation, JSON.stringify(detail ?? {})],
    );
    return operationRow(r.rows[0] as Row);
  }
  private async recordUsage(c: Q, instanceId: string, spec: InstanceSpec | null) {
    const now = new Date();
    await c.query('UPDATE api_usage_record SET period_end = $2 WHERE instance_id = $1 AND period_end IS NULL', [instanceId, now]);
    if (!spec) return;
    for (const [meter, quantity] of usageOfSpec(spec)) {
      await c.query('INSERT INTO api_usage_record (instance_id, meter, quantity, period_start, source) VALUES ($1,$2,$3,$4,$5)', [instanceId, meter, quantity, now, 'spec-change']);
    }
  }

  async listInstances(accountId: string, f: ListFilter): Promise<Page<InstanceRow>> {
    const params: unknown[] = [accountId];
    const r = await this.pool.query(`SELECT * FROM api_instance WHERE account_id = $1 AND deleted_at IS NULL${listClause(f, params)}`, params);
    return page(r.rows.map(instanceRow), f.limit);
  }
  async getInstance(accountId: string, id: string): Promise<InstanceRow | null> {
    // Named (prepared) statement: the hottest read, planned once per connection.
    const r = await this.pool.query({ name: 'get-instance', text: 'SELECT * FROM api_instance WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL', values: [accountId, id] });
    return r.rows[0] ? instanceRow(r.rows[0] as Row) : null;
  }
  async createInstance(p: Principal, input: { name: string; labels: Record<string, string>; spec: InstanceSpec }) {
    return this.tx(async (c) => {
      const id = newId('ins');
      const now = new Date();
      const expires = input.spec.billing.mode === 'prepaid' ? addMonths(now, input.spec.billing.periodMonths ?? 1) : null;
      let r;
      try {
        r = await c.query(
          `INSERT INTO api_instance (id, account_id, name, labels, spec, generation, phase, billing_started_at, billing_expires_at, created_at, updated_at)
           VALUES ($1,$2,$3,$4,$5,1,'Creating',$6,$7,$6,$6) RETURNING *`,
          [id, p.accountId, input.name, JSON.stringify(input.labels), JSON.stringify(input.spec), now, expires],
        );
      } catch (err) {
        if (isUniqueViolation(err)) throw new ApiError('already-exists', `an instance named "${input.name}" already exists`, { errors: [{ in: 'body', path: '/name', message: 'already in use' }] });
        throw err;
      }
      const instance = instanceRow(r.rows[0] as Row);
      const operation = await this.operation(c, p, 'instance.create', 'instance', id, 1, { spec: input.spec });
      await this.recordUsage(c, id, input.spec);
      return { instance, operation };
    });
  }
  async updateInstance(p: Principal, id: string, input: { labels: Record<string, string>; spec: InstanceSpec }, expectedVersion?: number) {
    return this.tx(async (c) => {
      const r = await c.query(
        `UPDATE api_instance SET labels = $3, spec = $4, generation = generation + 1, version = version + 1,
           phase = CASE WHEN phase IN ('Creating') THEN phase ELSE 'Updating' END, updated_at = now()
         WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL AND ($5::int IS NULL OR version = $5) RETURNING *`,
        [p.accountId, id, JSON.stringify(input.labels), JSON.stringify(input.spec), expectedVersion ?? null],
      );
      if (!r.rows[0]) throw await this.missingOrStale(c, 'api_instance', id);
      const instance = instanceRow(r.rows[0] as Row);
      const operation = await this.operation(c, p, 'instance.update', 'instance', id, instance.generation, { spec: input.spec });
      await this.recordUsage(c, id, input.spec);
      return { instance, operation };
    });
  }
  async deleteInstance(p: Principal, id: string, opts: { force: boolean; expectedVersion?: number }) {
    return this.tx(async (c) => {
      const topics = Number((await c.query('SELECT count(*) AS n FROM api_topic WHERE instance_id = $1 AND deleted_at IS NULL', [id])).rows[0].n);
      if (topics > 0 && !opts.force) throw new ApiError('instance-has-topics', `instance still has ${topics} topic(s); repeat with ?force=true to delete them too`);
      const r = await c.query(
        `UPDATE api_instance SET phase = 'Deleting', generation = generation + 1, version = version + 1, updated_at = now()
         WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL AND ($3::int IS NULL OR version = $3) RETURNING *`,
        [p.accountId, id, opts.expectedVersion ?? null],
      );
      if (!r.rows[0]) throw await this.missingOrStale(c, 'api_instance', id);
      // The row stays until the operator has torn the cluster down; the name is freed now.
      await c.query("UPDATE api_instance SET deleted_at = now() WHERE id = $1", [id]);
      await c.query("UPDATE api_topic SET deleted_at = now(), phase = 'Deleting' WHERE instance_id = $1 AND deleted_at IS NULL", [id]);
      const instance = instanceRow(r.rows[0] as Row);
      const operation = await this.operation(c, p, 'instance.delete', 'instance', id, instance.generation, { force: opts.force, topics });
      await this.recordUsage(c, id, null);
      return { instance, operation };
    });
  }
  private async missingOrStale(c: Q, table: 'api_instance' | 'api_topic', id: string): Promise<ApiError> {
    const r = await c.query(`SELECT version FROM ${table} WHERE id = $1 AND deleted_at IS NULL`, [id]);
    return r.rows[0] ? new ApiError('precondition-failed', 'the resource changed since it was read; GET it again for the current ETag') : notFound(table === 'api_topic' ? 'topic' : 'instance');
  }

  async listTopics(instanceId: string, f: ListFilter): Promise<Page<TopicRow>> {
    const params: unknown[] = [instanceId];
    const r = await this.pool.query(`SELECT * FROM api_topic WHERE instance_id = $1 AND deleted_at IS NULL${listClause(f, params)}`, params);
    return page(r.rows.map(topicRow), f.limit);
  }
  async getTopic(instanceId: string, name: string): Promise<TopicRow | null> {
    const r = await this.pool.query('SELECT * FROM api_topic WHERE instance_id = $1 AND name = $2 AND deleted_at IS NULL', [instanceId, name]);
    return r.rows[0] ? topicRow(r.rows[0] as Row) : null;
  }
  async topicUsage(instanceId: string) {
    const r = await this.pool.query('SELECT count(*)::int AS topics, coalesce(sum(partitions), 0)::int AS partitions FROM api_topic WHERE instance_id = $1 AND deleted_at IS NULL', [instanceId]);
    return { topics: r.rows[0].topics as number, partitions: r.rows[0].partitions as number };
  }
  async createTopic(p: Principal, instance: InstanceRow, input: TopicCreate) {
    return this.tx(async (c) => {
      // Serialise topic creation per instance so two concurrent creates cannot both pass the limits.
      await c.query('SELECT 1 FROM api_instance WHERE id = $1 FOR UPDATE', [instance.id]);
      const usage = (await c.query('SELECT count(*)::int AS topics, coalesce(sum(partitions), 0)::int AS partitions FROM api_topic WHERE instance_id = $1 AND deleted_at IS NULL', [instance.id])).rows[0];
      if (usage.topics + 1 > instance.spec.topicLimit) throw limitExceeded('topicLimit', instance.spec.topicLimit, usage.topics, 1);
      if (usage.partitions + input.partitions > instance.spec.partitionLimit) throw limitExceeded('partitionLimit', instance.spec.partitionLimit, usage.partitions, input.partitions);
      const id = newId('top');
      let r;
      try {
        r = await c.query(
          `INSERT INTO api_topic (id, instance_id, name, partitions, replication_factor, configs, labels, generation, phase)
           VALUES ($1,$2,$3,$4,$5,$6,$7,1,'Creating') RETURNING *`,
          [id, instance.id, input.name, input.partitions, input.replicationFactor, JSON.stringify(input.configs), JSON.stringify(input.labels)],
        );
      } catch (err) {
        if (isUniqueViolation(err)) throw new ApiError('already-exists', `topic "${input.name}" already exists`, { errors: [{ in: 'body', path: '/name', message: 'already in use' }] });
        throw err;
      }
      const topic = topicRow(r.rows[0] as Row);
      const operation = await this.operation(c, p, 'topic.create', 'topic', id, 1, input);
      return { topic, operation };
    });
  }
  async updateTopic(p: Principal, topic: TopicRow, change: { configs?: Record<string, string>; labels?: Record<string, string>; partitions?: number }, expectedVersion?: number) {
    return this.tx(async (c) => {
      if (change.partitions !== undefined) {
        const inst = (await c.query('SELECT spec FROM api_instance WHERE id = $1 FOR UPDATE', [topic.instanceId])).rows[0];
        const limit = (inst.spec as InstanceSpec).partitionLimit;
        const used = (await c.query('SELECT coalesce(sum(partitions), 0)::int AS n FROM api_topic WHERE instance_id = $1 AND deleted_at IS NULL', [topic.instanceId])).rows[0].n as number;
        const more = change.partitions - topic.partitions;
        if (used + more > limit) throw limitExceeded('partitionLimit', limit, used, more);
      }
      const r = await c.query(
        `UPDATE api_topic SET configs = coalesce($3, configs), labels = coalesce($4, labels),
           partitions = CASE WHEN $5::int IS NULL THEN partitions ELSE greatest(partitions, $5::int) END,
           generation = generation + 1, version = version + 1,
           phase = CASE WHEN phase = 'Creating' THEN phase ELSE 'Updating' END, updated_at = now()
         WHERE id = $1 AND deleted_at IS NULL AND ($2::int IS NULL OR version = $2)
           AND ($5::int IS NULL OR partitions < $5::int) RETURNING *`,
        [topic.id, expectedVersion ?? null, change.configs ? JSON.stringify(change.configs) : null, change.labels ? JSON.stringify(change.labels) : null, change.partitions ?? null],
      );
      if (!r.rows[0]) throw await this.missingOrStale(c, 'api_topic', topic.id);
      const updated = topicRow(r.rows[0] as Row);
      const kind = change.partitions !== undefined ? 'topic.partitions' : 'topic.update';
      const operation = await this.operation(c, p, kind, 'topic', topic.id, updated.generation, change);
      return { topic: updated, operation };
    });
  }
  async deleteTopic(p: Principal, topic: TopicRow, expectedVersion?: number) {
    return this.tx(async (c) => {
      const r = await c.query(
        `UPDATE api_topic SET phase = 'Deleting', deleted_at = now(), generation = generation + 1, version = version + 1, updated_at = now()
         WHERE id = $1 AND deleted_at IS NULL AND ($2::int IS NULL OR version = $2) RETURNING *`,
        [topic.id, expectedVersion ?? null],
      );
      if (!r.rows[0]) throw await this.missingOrStale(c, 'api_topic', topic.id);
      const deleted = topicRow(r.rows[0] as Row);
      const operation = await this.operation(c, p, 'topic.delete', 'topic', topic.id, deleted.generation, {});
      return { topic: deleted, operation };
    });
  }

  async getOperation(accountId: string, id: string): Promise<Operation | null> {
    const r = await this.pool.query('SELECT * FROM api_operation WHERE account_id = $1 AND id = $2', [accountId, id]);
    return r.rows[0] ? operationRow(r.rows[0] as Row) : null;
  }

  async listObjects(instanceId: string, kind: ObjectKind, f: ListFilter): Promise<Page<ObjectRow>> {
    const params: unknown[] = [instanceId, kind];
    const r = await this.pool.query(`SELECT * FROM api_instance_object WHERE instance_id = $1 AND kind = $2 AND deleted_at IS NULL${listClause({ ...f, label: undefined }, params)}`, params);
    return page(r.rows.map(objectRow), f.limit);
  }
  async getObject(instanceId: string, kind: ObjectKind, name: string): Promise<ObjectRow | null> {
    const r = await this.pool.query('SELECT * FROM api_instance_object WHERE instance_id = $1 AND kind = $2 AND (name = $3 OR id = $3) AND deleted_at IS NULL', [instanceId, kind, name]);
    return r.rows[0] ? objectRow(r.rows[0] as Row) : null;
  }
  async countObjects(instanceId: string, kind: ObjectKind): Promise<number> {
    const r = await this.pool.query('SELECT count(*)::int AS n FROM api_instance_object WHERE instance_id = $1 AND kind = $2 AND deleted_at IS NULL', [instanceId, kind]);
    return r.rows[0].n as number;
  }
  async createObject(p: Principal, instance: InstanceRow, kind: ObjectKind, name: string, data: Record<string, unknown>, limit?: { name: string; max: number }) {
    return this.tx(async (c) => {
      await c.query('SELECT 1 FROM api_instance WHERE id = $1 FOR UPDATE', [instance.id]);
      if (limit) {
        const n = (await c.query('SELECT count(*)::int AS n FROM api_instance_object WHERE instance_id = $1 AND kind = $2 AND deleted_at IS NULL', [instance.id, kind])).rows[0].n as number;
        if (n + 1 > limit.max) throw limitExceeded(limit.name, limit.max, n, 1);
      }
      const id = newId(kind.slice(0, 3));
      let r;
      try {
        r = await c.query('INSERT INTO api_instance_object (id, instance_id, kind, name, data) VALUES ($1,$2,$3,$4,$5) RETURNING *', [id, instance.id, kind, name, JSON.stringify(data)]);
      } catch (err) {
        if (isUniqueViolation(err)) throw new ApiError('already-exists', `${TARGET[kind]} "${name}" already exists`);
        throw err;
      }
      const object = objectRow(r.rows[0] as Row);
      const operation = await this.operation(c, p, `${TARGET[kind]}.create`, TARGET[kind], id, 1, { name });
      return { object, operation };
    });
  }
  async updateObject(p: Principal, object: ObjectRow, data: Record<string, unknown>, expectedVersion?: number) {
    return this.tx(async (c) => {
      const r = await c.query(
        'UPDATE api_instance_object SET data = $3, version = version + 1, updated_at = now() WHERE id = $1 AND deleted_at IS NULL AND ($2::int IS NULL OR version = $2) RETURNING *',
        [object.id, expectedVersion ?? null, JSON.stringify(data)],
      );
      if (!r.rows[0]) throw new ApiError('precondition-failed', 'the resource changed since it was read; GET it again for the current ETag');
      const updated = objectRow(r.rows[0] as Row);
      const operation = await this.operation(c, p, `${TARGET[object.kind]}.update`, TARGET[object.kind], object.id, updated.version, { name: object.name });
      return { object: updated, operation };
    });
  }
  async deleteObject(p: Principal, object: ObjectRow, expectedVersion?: number) {
    return this.tx(async (c) => {
      const r = await c.query(
        'UPDATE api_instance_object SET deleted_at = now(), version = version + 1, updated_at = now() WHERE id = $1 AND deleted_at IS NULL AND ($2::int IS NULL OR version = $2) RETURNING *',
        [object.id, expectedVersion ?? null],
      );
      if (!r.rows[0]) throw new ApiError('precondition-failed', 'the resource changed since it was read; GET it again for the current ETag');
      const deleted = objectRow(r.rows[0] as Row);
      const operation = await this.operation(c, p, `${TARGET[object.kind]}.delete`, TARGET[object.kind], object.id, deleted.version, { name: object.name });
      return { object: deleted, operation };
    });
  }

  async listAccounts(accountId: string | null, f: ListFilter): Promise<Page<AccountRow>> {
    const params: unknown[] = [accountId];
    const r = await this.pool.query(`SELECT * FROM api_account WHERE ($1::text IS NULL OR id = $1)${listClause({ ...f, label: undefined }, params)}`, params);
    return page(r.rows.map((x: Row) => ({ id: x['id'] as string, name: x['name'] as string, email: x['email'] as string | null, createdAt: x['created_at'] as Date, updatedAt: x['updated_at'] as Date })), f.limit);
  }
  async insertAccount(name: string, email: string | null): Promise<AccountRow> {
    const id = await this.createAccount(name, email);
    return (await this.listAccounts(id, { limit: 1 })).items[0]!;
  }
  async listApiKeys(accountId: string, f: ListFilter): Promise<Page<ApiKeyRow>> {
    const params: unknown[] = [accountId];
    const r = await this.pool.query(`SELECT * FROM api_key WHERE account_id = $1 AND revoked_at IS NULL${listClause({ ...f, label: undefined }, params)}`, params);
    return page(r.rows.map(apiKeyRow), f.limit);
  }
  async insertApiKey(accountId: string, name: string, role: Role, prefix: string, hash: string): Promise<ApiKeyRow> {
    const r = await this.pool.query('INSERT INTO api_key (id, account_id, name, role, prefix, hash) VALUES ($1,$2,$3,$4,$5,$6) RETURNING *', [newId('key'), accountId, name, role, prefix, hash]);
    return apiKeyRow(r.rows[0] as Row);
  }
  async revokeApiKey(accountId: string, id: string): Promise<ApiKeyRow | null> {
    const r = await this.pool.query('UPDATE api_key SET revoked_at = now() WHERE account_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING *', [accountId, id]);
    if (r.rows[0]) this.keyCache.delete(r.rows[0].hash as string);
    return r.rows[0] ? apiKeyRow(r.rows[0] as Row) : null;
  }
  async listUsage(accountId: string, f: { limit: number; cursor?: string | undefined; instanceId?: string | undefined; from?: string | undefined; to?: string | undefined }): Promise<Page<UsageRow>> {
    const params: unknown[] = [accountId, f.instanceId ?? null, f.from ?? null, f.to ?? null];
    let sql = `SELECT u.id::text AS id, u.instance_id, u.meter, u.quantity::float8 AS quantity, u.period_start, u.period_end, u.source, u.created_at
      FROM api_usage_record u JOIN api_instance i ON i.id = u.instance_id
      WHERE i.account_id = $1 AND ($2::text IS NULL OR u.instance_id = $2) AND ($3::timestamptz IS NULL OR u.period_start >= $3) AND ($4::timestamptz IS NULL OR u.period_start < $4)`;
    if (f.cursor !== undefined) {
      const c = decodeCursor(f.cursor);
      params.push(c.createdAt, Number(c.id));
      sql += ` AND (date_trunc('milliseconds', u.created_at), u.id) > ($${params.length - 1}, $${params.length})`;
    }
    params.push(f.limit + 1);
    const r = await this.pool.query(`${sql} ORDER BY date_trunc('milliseconds', u.created_at), u.id LIMIT $${params.length}`, params);
    return page(r.rows.map((x: Row) => ({
      id: x['id'] as string, instanceId: x['instance_id'] as string, meter: x['meter'] as string, quantity: x['quantity'] as number,
      periodStart: x['period_start'] as Date, periodEnd: x['period_end'] as Date | null, source: x['source'] as string, createdAt: x['created_at'] as Date,
    })), f.limit);
  }
  async listInvoices(accountId: string, f: ListFilter): Promise<Page<InvoiceRow>> {
    const params: unknown[] = [accountId];
    const r = await this.pool.query(`SELECT * FROM api_invoice WHERE account_id = $1${listClause({ ...f, name: undefined, label: undefined }, params)}`, params);
    return page(r.rows.map((x: Row) => ({
      id: x['id'] as string, accountId: x['account_id'] as string, periodStart: x['period_start'] as Date, periodEnd: x['period_end'] as Date,
      status: x['status'] as string, currency: x['currency'] as string, totalMicros: Number(x['total_micros']), lines: x['lines'] as InvoiceRow['lines'], createdAt: x['created_at'] as Date,
    })), f.limit);
  }

  /** Idempotency records: the first request with a key reserves it, its response is replayed for 24 h. */
  async idempotencyBegin(keyId: string, idemKey: string, bodyHash: string): Promise<IdempotencyBegin> {
    await this.pool.query("DELETE FROM api_idempotency WHERE created_at < now() - interval '24 hours'");
    const ins = await this.pool.query('INSERT INTO api_idempotency (key_id, idem_key, body_hash) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING RETURNING 1', [keyId, idemKey, bodyHash]);
    if (ins.rowCount === 1) return { state: 'new' };
    const r = (await this.pool.query('SELECT * FROM api_idempotency WHERE key_id = $1 AND idem_key = $2', [keyId, idemKey])).rows[0] as Row | undefined;
    if (!r) return { state: 'new' };
    if (r['body_hash'] !== bodyHash) return { state: 'mismatch' };
    if (r['status'] === null) return { state: 'in-flight' };
    return { state: 'replay', status: r['status'] as number, response: r['response'], headers: (r['headers'] ?? {}) as Record<string, string> };
  }
  async idempotencyFinish(keyId: string, idemKey: string, status: number, response: unknown, headers: Record<string, string>) {
    await this.pool.query('UPDATE api_idempotency SET status = $3, response = $4, headers = $5 WHERE key_id = $1 AND idem_key = $2', [keyId, idemKey, status, JSON.stringify(response), JSON.stringify(headers)]);
  }
  async idempotencyAbandon(keyId: string, idemKey: string) {
    await this.pool.query('DELETE FROM api_idempotency WHERE key_id = $1 AND idem_key = $2 AND status IS NULL', [keyId, idemKey]);
  }
}

function addMonths(d: Date, months: number): Date {
  const out = new Date(d);
  out.setUTCMonth(out.getUTCMonth() + months);
  return out;
}
