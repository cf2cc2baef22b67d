import pg from 'pg';
import { limitSettings, type SoldLimits } from '../reconcile/instance-limits.ts';
import type { DesiredAccess, DesiredAcl, DesiredInstance, DesiredUser, InstanceStatus } from '../reconcile/desired-instance.ts';

/**
 * The operator's side of the control plane's database: it reads desired state (spec, generation,
 * topics) and writes only status columns (phase, observedGeneration, brokers, bootstrap servers,
 * conditions) and operation outcomes. Interim: it uses the API's interim tables (api_instance,
 * api_topic, api_operation) until the Prisma schema and libs/db exist; then this moves onto them.
 */
export class DesiredStateStore {
  readonly #pool: pg.Pool;

  constructor(databaseUrl: string) {
    this.#pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
    // An idle connection dropped by the server (restart, shutdown) is replaced on the next query;
    // without a listener pg would turn it into an uncaught exception.
    this.#pool.on('error', () => undefined);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  /** Ids of every instance that still exists or is being deleted, for the periodic resync. */
  async instanceIds(): Promise<string[]> {
    const { rows } = await this.#pool.query("SELECT id FROM api_instance WHERE deleted_at IS NULL OR phase = 'Deleting'");
    return rows.map((r) => r.id as string);
  }

  async load(instanceId: string): Promise<{ desired: DesiredInstance; status: InstanceStatus } | null> {
    const { rows } = await this.#pool.query('SELECT * FROM api_instance WHERE id = $1', [instanceId]);
    const row = rows[0];
    if (!row) return null;
    const topics = await this.#pool.query('SELECT name, partitions, replication_factor, configs, deleted_at FROM api_topic WHERE instance_id = $1', [instanceId]);
    const spec = row.spec as { brokers: number; brokerConfig?: Record<string, string> } & SoldLimits;
    return {
      desired: {
        id: row.id,
        generation: row.generation,
        brokers: spec.brokers,
        // The sold limits go last so that no override loosens them; a change rolls the brokers.
        brokerConfig: { ...spec.brokerConfig, ...limitSettings(spec) },
        topics: topics.rows.filter((t) => t.deleted_at === null).map((t) => ({ name: t.name, partitions: t.partitions, replicationFactor: t.replication_factor, configs: t.configs ?? {} })),
        deletedTopics: topics.rows.filter((t) => t.deleted_at !== null).map((t) => t.name),
        deleting: row.deleted_at !== null || row.phase === 'Deleting',
        access: await this.#access(instanceId),
      },
      status: { phase: row.phase, observedGeneration: row.observed_generation, bootstrapServers: row.bootstrap_servers ? String(row.bootstrap_servers).split(',') : [], saslBootstrapServers: row.sasl_bootstrap_servers ? String(row.sasl_bootstrap_servers).split(',') : [], brokers: [], conditions: row.conditions ?? [], events: [] },
    };
  }

  /** The instance's SCRAM users, ACLs and quotas as brokers name them (API field names → Kafka's). */
  async #access(instanceId: string): Promise<DesiredAccess> {
    const { rows } = await this.#pool.query('SELECT kind, name, data FROM api_instance_object WHERE instance_id = $1 AND deleted_at IS NULL', [instanceId]);
    const access: DesiredAccess = { users: [], acls: [], quotas: [] };
    for (const { kind, name, data } of rows as { kind: string; name: string; data: Record<string, unknown> }[]) {
      if (kind === 'users') {
        access.users.push({ name, mechanism: data['mechanism'] as DesiredUser['mechanism'], iterations: Number(data['iterations']), salt: (data['salt'] as string | undefined) ?? null, saltedPassword: (data['saltedPassword'] as string | undefined) ?? null });
      } else if (kind === 'acls') {
        access.acls.push({ resourceType: data['resourceType'], resourceName: data['resourceName'], patternType: data['patternType'], principal: data['principal'], host: data['host'], operation: data['operation'], permission: data['permissionType'] } as DesiredAcl);
      } else if (kind === 'client-quotas') {
        const values: Record<string, number> = {};
        if (typeof data['producerByteRate'] === 'number') values['producer_byte_rate'] = data['producerByteRate'];
        if (typeof data['consumerByteRate'] === 'number') values['consumer_byte_rate'] = data['consumerByteRate'];
        if (typeof data['requestPercentage'] === 'number') values['request_percentage'] = data['requestPercentage'];
        access.quotas.push({ entity: { ...(typeof data['user'] === 'string' ? { user: data['user'] } : {}), ...(typeof data['clientId'] === 'string' ? { clientId: data['clientId'] } : {}) }, values });
      } else if (kind === 'consumer-group-quotas') {
        const values: Record<string, number> = {};
        if (typeof data['consumerByteRate'] === 'number') values['consumer_byte_rate'] = data['consumerByteRate'];
        if (typeof data['maxMembers'] === 'number') values['group_max_members'] = data['maxMembers'];
        // A group quota with no values only counts against the instance's group limit; nothing to apply.
        if (Object.keys(values).length > 0) access.quotas.push({ entity: { group: name }, values });
      }
    }
    return access;
  }

  /** Writes the status half only; operations up to the observed generation are settled. */
  async saveStatus(instanceId: string, status: InstanceStatus, failure: string | null = null): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `UPDATE api_instance SET phase = $2, observed_generation = $3, status_brokers = $4, bootstrap_servers = $5, conditions = $6::jsonb, sasl_bootstrap_servers = $7, updated_at = now() WHERE id = $1`,
        [instanceId, status.phase === 'Deleted' ? 'Deleting' : status.phase, status.observedGeneration, status.brokers.filter((b) => b.ready).length, status.bootstrapServers.join(',') || null, JSON.stringify(status.conditions), (status.saslBootstrapServers ?? []).join(',') || null],
      );
      if (status.phase === 'Running') {
        await client.query("UPDATE api_topic SET phase = 'Ready', observed_generation = generation WHERE instance_id = $1 AND deleted_at IS NULL", [instanceId]);
        // Users, ACLs and quotas are applied in the same pass as the instance: their operations are done too.
        await client.query("UPDATE api_operation SET state = 'Succeeded', updated_at = now() WHERE target_id IN (SELECT id FROM api_instance_object WHERE instance_id = $1) AND state IN ('Pending', 'Running')", [instanceId]);
        await client.query("UPDATE api_operation SET state = 'Succeeded', updated_at = now() WHERE target_id IN (SELECT $1::text UNION SELECT id FROM api_topic WHERE instance_id = $1) AND state IN ('Pending', 'Running') AND generation <= (SELECT generation FROM api_topic WHERE api_topic.id = api_operation.target_id UNION ALL SELECT $2::int LIMIT 1)", [instanceId, status.observedGeneration]);
      } else if (status.phase === 'Deleted') {
        await client.query("UPDATE api_operation SET state = 'Succeeded', updated_at = now() WHERE target_id = $1 AND state IN ('Pending', 'Running')", [instanceId]);
      } else if (failure !== null || status.phase === 'Failed') {
        await client.query("UPDATE api_operation SET state = 'Failed', error = $2, updated_at = now() WHERE target_id = $1 AND state IN ('Pending', 'Running')", [instanceId, failure ?? status.conditions.find((c) => c.type === 'NotSupported')?.message ?? 'reconcile failed']);
      } else {
        await client.query("UPDATE api_operation SET state = 'Running', updated_at = now() WHERE target_id = $1 AND state = 'Pending'", [instanceId]);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK');
      throw err;
    } finally {
      client.release();
    }
  }
}
