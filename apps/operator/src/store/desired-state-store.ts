import { createDb, SEALED_COLUMNS, SecretBox, specOf, type Db, type Prisma } from '@tributary/db';
import { limitSettings } from '../reconcile/instance-limits.ts';
import type { DesiredAccess, DesiredAcl, DesiredInstance, DesiredUser, InstanceStatus } from '../reconcile/desired-instance.ts';

/**
 * The operator's side of the control plane's database (prisma/schema.prisma through libs/db): it
 * reads desired state (spec, generation, topics, users, ACLs, quotas) and writes only status columns
 * (phase, observedGeneration, brokers, bootstrap servers, conditions) and operation outcomes, all
 * through the Prisma client (no raw SQL); it never migrates (libs/db README, "Table ownership").
 */
export class DesiredStateStore {
  readonly #db: Db;
  /**
   * What the last load() of each instance saw: a status pass may mark only those topics, users,
   * ACLs and quotas done. Anything the API added meanwhile waits for the next pass, which applies it.
   */
  readonly #loaded = new Map<string, { topics: { id: string; generation: number }[]; deletedTopicIds: string[]; accessIds: string[] }>();

  /** Opens the sealed salted passwords (the API seals them; libs/db SecretBox). */
  readonly #secrets: SecretBox | null;

  constructor(databaseUrl: string, opts: { secrets?: SecretBox | null } = {}) {
    this.#db = createDb(databaseUrl, { max: 4 });
    this.#secrets = opts.secrets ?? null;
  }

  #saltedPassword(value: string): string {
    if (!SecretBox.isSealed(value)) return value; // written before encryption at rest; the API re-seals it on start
    if (!this.#secrets) throw new Error(`${SEALED_COLUMNS.kafkaUserSaltedPassword} is encrypted: give the operator the API's TRIBUTARY_SECRET_KEY`);
    return this.#secrets.open(value, SEALED_COLUMNS.kafkaUserSaltedPassword);
  }

  async close(): Promise<void> {
    await this.#db.$disconnect();
  }

  /** Ids of every instance that still exists or is being deleted, for the periodic resync. */
  async instanceIds(): Promise<string[]> {
    const rows = await this.#db.instance.findMany({ where: { OR: [{ deletedAt: null }, { phase: 'Deleting' }] }, select: { id: true } });
    return rows.map((r) => r.id);
  }

  async load(instanceId: string): Promise<{ desired: DesiredInstance; status: InstanceStatus } | null> {
    const row = await this.#db.instance.findUnique({ where: { id: instanceId } });
    if (!row) return null;
    const topics = await this.#db.topic.findMany({ where: { instanceId }, select: { id: true, generation: true, name: true, partitions: true, replicationFactor: true, configs: true, deletedAt: true } });
    const accessIds = (await Promise.all([
      this.#db.kafkaUser.findMany({ where: { instanceId }, select: { id: true } }), this.#db.acl.findMany({ where: { instanceId }, select: { id: true } }),
      this.#db.clientQuota.findMany({ where: { instanceId }, select: { id: true } }), this.#db.consumerGroupQuota.findMany({ where: { instanceId }, select: { id: true } }),
    ])).flat().map((o) => o.id);
    this.#loaded.set(instanceId, {
      topics: topics.filter((t) => t.deletedAt === null).map((t) => ({ id: t.id, generation: t.generation })),
      deletedTopicIds: topics.filter((t) => t.deletedAt !== null).map((t) => t.id),
      accessIds,
    });
    const spec = specOf(row);
    const split = (s: string | null) => (s ? s.split(',') : []);
    return {
      desired: {
        id: row.id,
        generation: row.generation,
        brokers: spec.brokers,
        // The sold limits go last so that no override loosens them; a change rolls the brokers.
        brokerConfig: { ...spec.brokerConfig, ...limitSettings(spec) },
        topics: topics.filter((t) => t.deletedAt === null).map((t) => ({ name: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor, configs: (t.configs ?? {}) as Record<string, string> })),
        deletedTopics: topics.filter((t) => t.deletedAt !== null).map((t) => t.name),
        deleting: row.deletedAt !== null || row.phase === 'Deleting',
        access: await this.#access(instanceId),
      },
      status: {
        phase: row.phase as InstanceStatus['phase'], observedGeneration: row.observedGeneration, internalBootstrapServers: split(row.internalBootstrapServers),
        clientBootstrapServers: split(row.clientBootstrapServers), brokers: [], conditions: (row.conditions ?? []) as unknown as InstanceStatus['conditions'], events: [],
      },
    };
  }

  /** The instance's SCRAM users, ACLs and quotas as brokers name them (API field names → Kafka's). */
  async #access(instanceId: string): Promise<DesiredAccess> {
    const live = { where: { instanceId, deletedAt: null } };
    const [users, acls, clientQuotas, groupQuotas] = await Promise.all([
      this.#db.kafkaUser.findMany(live), this.#db.acl.findMany(live), this.#db.clientQuota.findMany(live), this.#db.consumerGroupQuota.findMany(live),
    ]);
    const access: DesiredAccess = { users: [], acls: [], quotas: [] };
    for (const u of users) {
      access.users.push({ name: u.name, mechanism: u.mechanism as DesiredUser['mechanism'], iterations: u.iterations, salt: u.salt, saltedPassword: this.#saltedPassword(u.saltedPassword) });
    }
    for (const a of acls) {
      access.acls.push({ resourceType: a.resourceType, resourceName: a.resourceName, patternType: a.patternType, principal: a.principal, host: a.host, operation: a.operation, permission: a.permissionType } as DesiredAcl);
    }
    for (const q of clientQuotas) {
      const values: Record<string, number> = {};
      if (q.producerByteRate !== null) values['producer_byte_rate'] = q.producerByteRate;
      if (q.consumerByteRate !== null) values['consumer_byte_rate'] = q.consumerByteRate;
      if (q.requestPercentage !== null) values['request_percentage'] = q.requestPercentage;
      access.quotas.push({ entity: { ...(q.user !== null ? { user: q.user } : {}), ...(q.clientId !== null ? { clientId: q.clientId } : {}) }, values });
    }
    for (const q of groupQuotas) {
      const values: Record<string, number> = {};
      if (q.consumerByteRate !== null) values['consumer_byte_rate'] = q.consumerByteRate;
      if (q.maxMembers !== null) values['group_max_members'] = q.maxMembers;
      // A group quota with no values only counts against the instance's group limit; nothing to apply.
      if (Object.keys(values).length > 0) access.quotas.push({ entity: { group: q.name }, values });
    }
    return access;
  }

  /** Writes the status half only; operations up to the observed generation are settled. */
  async saveStatus(instanceId: string, status: InstanceStatus, failure: string | null = null): Promise<void> {
    await this.#db.$transaction(async (tx) => {
      await tx.instance.updateMany({
        where: { id: instanceId },
        data: {
          phase: status.phase === 'Deleted' ? 'Deleting' : status.phase,
          observedGeneration: status.observedGeneration,
          statusBrokers: status.brokers.filter((b) => b.ready).length,
          internalBootstrapServers: status.internalBootstrapServers.join(',') || null,
          clientBootstrapServers: status.clientBootstrapServers.join(',') || null,
          conditions: status.conditions as unknown as Prisma.InputJsonValue,
        },
      });
      const open = { in: ['Pending' as const, 'Running' as const] };
      if (status.phase === 'Running') {
        const loaded = this.#loaded.get(instanceId) ?? { topics: [], deletedTopicIds: [], accessIds: [] };
        // Only the topics this pass read (at the generation it read) are Ready; a topic created or
        // changed since then has not been applied yet.
        for (const t of loaded.topics) {
          await tx.topic.updateMany({ where: { id: t.id, generation: t.generation, deletedAt: null }, data: { phase: 'Ready', observedGeneration: t.generation } });
        }
        // Users, ACLs and quotas read by this pass were applied with it: their operations are done.
        // A Running pass deleted every topic it read as deleted (or found it gone): those deletes are done.
        if (loaded.deletedTopicIds.length > 0) await tx.operation.updateMany({ where: { targetId: { in: loaded.deletedTopicIds }, kind: 'topic.delete', state: open }, data: { state: 'Succeeded' } });
        const objectIds = loaded.accessIds;
        if (objectIds.length > 0) await tx.operation.updateMany({ where: { targetId: { in: objectIds }, state: open }, data: { state: 'Succeeded' } });
        // The instance's and its topics' operations up to the generation now running are done.
        await tx.operation.updateMany({ where: { targetId: instanceId, state: open, generation: { lte: status.observedGeneration } }, data: { state: 'Succeeded' } });
        for (const t of await tx.topic.findMany({ where: { instanceId }, select: { id: true, observedGeneration: true } })) {
          await tx.operation.updateMany({ where: { targetId: t.id, state: open, generation: { lte: t.observedGeneration } }, data: { state: 'Succeeded' } });
        }
      } else if (status.phase === 'Deleted') {
        await tx.operation.updateMany({ where: { targetId: instanceId, state: open }, data: { state: 'Succeeded' } });
        // The cluster is gone, and with it every topic, user, ACL and quota: deletes of them are done,
        // anything else still open can never be applied (it ends Failed rather than Pending for ever).
        const [topics, objects] = await Promise.all([
          tx.topic.findMany({ where: { instanceId }, select: { id: true } }),
          Promise.all([tx.kafkaUser, tx.acl, tx.clientQuota, tx.consumerGroupQuota].map((m) => (m as typeof tx.acl).findMany({ where: { instanceId }, select: { id: true } }))),
        ]);
        const ids = [...topics, ...objects.flat()].map((r) => r.id);
        if (ids.length > 0) {
          await tx.operation.updateMany({ where: { targetId: { in: ids }, state: open, kind: { endsWith: '.delete' } }, data: { state: 'Succeeded' } });
          await tx.operation.updateMany({ where: { targetId: { in: ids }, state: open }, data: { state: 'Failed', error: 'the instance was deleted before this change was applied' } });
        }
      } else if (failure !== null || status.phase === 'Failed') {
        const error = failure ?? status.conditions.find((c) => c.type === 'NotSupported')?.message ?? 'reconcile failed';
        await tx.operation.updateMany({ where: { targetId: instanceId, state: open }, data: { state: 'Failed', error } });
      } else {
        await tx.operation.updateMany({ where: { targetId: instanceId, state: 'Pending' }, data: { state: 'Running' } });
      }
    });
  }
}
