import { createDb, Prisma, SEALED_COLUMNS, SecretBox, specOf, type Db } from '@tributary/db';
import { MESSAGE_PRINCIPAL_PREFIX, REBALANCE_CANCEL_KIND } from '@tributary/contracts';
import { placementKey, type CancelResult } from '../reconcile/rebalance-hold.ts';
import { billingSettings, limitSettings } from '../reconcile/instance-limits.ts';
import type { DesiredAccess, DesiredAcl, DesiredInstance, DesiredUser, InstanceStatus } from '../reconcile/desired-instance.ts';

/**
 * The operator's side of the control plane's database (prisma/schema.prisma through libs/db): it
 * reads desired state (the API's tables: instances, topics, users, ACLs, quotas, operations) and
 * writes only its own tables — instance_status, topic_status, operation_outcome — all through the
 * Prisma client (no raw SQL); it never migrates (libs/db README, "Table ownership"; the ownership
 * test, test/control-plane/table-ownership.test.ts, fails on a write to any other table).
 */
/** An operation with no final outcome yet. */
const OPEN = { OR: [{ outcome: { is: null } }, { outcome: { state: { in: ['Pending', 'Running'] as ('Pending' | 'Running')[] } } }] } satisfies Prisma.OperationWhereInput;

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
    // A deleted instance is resynced until this operator has reported it Deleted (torn down).
    const rows = await this.#db.instance.findMany({ where: { OR: [{ deletedAt: null }, { status: { is: null } }, { status: { phase: { not: 'Deleted' } } }] }, select: { id: true } });
    return rows.map((r) => r.id);
  }

  async load(instanceId: string): Promise<{ desired: DesiredInstance; status: InstanceStatus } | null> {
    const row = await this.#db.instance.findUnique({ where: { id: instanceId }, include: { status: true } });
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
    const cancels = await this.#db.operation.findMany({ where: { targetId: instanceId, kind: REBALANCE_CANCEL_KIND, state: 'Pending', ...OPEN }, select: { id: true }, orderBy: { createdAt: 'asc' } });
    const split = (s: string | null) => (s ? s.split(',') : []);
    return {
      desired: {
        id: row.id,
        generation: row.generation,
        brokers: spec.brokers,
        size: { bandwidthMBps: spec.bandwidthMBps, diskGiB: spec.diskGiB },
        // The sold limits go last so that no override loosens them; a change rolls the brokers.
        brokerConfig: { ...spec.brokerConfig, ...limitSettings(spec), ...billingSettings(row.billingStatus) },
        topics: topics.filter((t) => t.deletedAt === null).map((t) => ({ name: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor, configs: (t.configs ?? {}) as Record<string, string> })),
        deletedTopics: topics.filter((t) => t.deletedAt !== null).map((t) => t.name),
        deleting: row.deletedAt !== null,
        access: { ...(await this.#access(instanceId)), apiPrincipals: await this.#apiPrincipals(row.accountId) },
        placementKey: placementKey(row.generation, topics.filter((t) => t.deletedAt === null)),
        rebalanceCancels: cancels.map((c) => c.id),
      },
      // What this operator reported last (its own row), or the status of an instance never reconciled.
      status: row.status ? {
        phase: row.status.phase as InstanceStatus['phase'], observedGeneration: row.status.observedGeneration, internalBootstrapServers: split(row.status.internalBootstrapServers),
        clientBootstrapServers: split(row.status.clientBootstrapServers), clientSecurityProtocol: row.status.clientSecurityProtocol as InstanceStatus['clientSecurityProtocol'], brokers: [], conditions: row.status.conditions as unknown as InstanceStatus['conditions'], events: [],
        rebalance: row.status.rebalance as unknown as InstanceStatus['rebalance'] ?? null,
        rebalanceHold: row.status.rebalanceHold as unknown as InstanceStatus['rebalanceHold'] ?? null,
      } : { phase: 'Creating', observedGeneration: 0, internalBootstrapServers: [], clientBootstrapServers: [], brokers: [], conditions: [], events: [] },
    };
  }

  /** SCRAM user names of the account's live API keys (the API's own principals on its instances). */
  async #apiPrincipals(accountId: string): Promise<string[]> {
    const keys = await this.#db.apiKey.findMany({ where: { accountId, revokedAt: null }, select: { id: true } });
    return keys.map((k) => `${MESSAGE_PRINCIPAL_PREFIX}${k.id}`);
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

  /**
   * Writes this operator's report of an instance: its status row, the status rows of the topics the
   * last load() read, and the outcomes of the operations the pass settled. It writes no other table.
   */
  async saveStatus(instanceId: string, status: InstanceStatus, failure: string | null = null): Promise<void> {
    await this.#db.$transaction(async (tx) => {
      const data = {
        phase: status.phase,
        observedGeneration: status.observedGeneration,
        readyBrokers: status.brokers.filter((b) => b.ready).length,
        internalBootstrapServers: status.internalBootstrapServers.join(',') || null,
        clientBootstrapServers: status.clientBootstrapServers.join(',') || null,
        ...(status.clientSecurityProtocol !== undefined ? { clientSecurityProtocol: status.clientSecurityProtocol } : {}),
        conditions: status.conditions as unknown as Prisma.InputJsonValue,
        ...(status.rebalance !== undefined ? { rebalance: status.rebalance === null ? Prisma.DbNull : (status.rebalance as unknown as Prisma.InputJsonValue) } : {}),
        ...(status.rebalanceHold !== undefined ? { rebalanceHold: status.rebalanceHold === null ? Prisma.DbNull : (status.rebalanceHold as unknown as Prisma.InputJsonValue) } : {}),
      };
      await tx.instanceStatus.upsert({ where: { instanceId }, create: { instanceId, ...data }, update: data });
      if (status.rebalance) await this.#reportProgress(tx, instanceId, status.rebalance);
      // Before the settles below: a cancelled operation ends Failed even in a pass that reaches Running.
      if (status.cancelled) await this.#settleCancel(tx, instanceId, status.cancelled);
      if (status.phase === 'Running') {
        const loaded = this.#loaded.get(instanceId) ?? { topics: [], deletedTopicIds: [], accessIds: [] };
        // The topics this pass read were applied at the generation it read: that is what it observed
        // (a topic changed since reads Updating: the API compares with its generation). An older
        // generation never overwrites a newer one a later pass already reported.
        for (const t of loaded.topics) {
          await tx.topicStatus.createMany({ data: [{ topicId: t.id, phase: 'Ready', observedGeneration: t.generation }], skipDuplicates: true });
          await tx.topicStatus.updateMany({ where: { topicId: t.id, observedGeneration: { lte: t.generation } }, data: { phase: 'Ready', observedGeneration: t.generation } });
        }
        // A Running pass deleted every topic it read as deleted (or found it gone): those deletes are done.
        await this.#settle(tx, { targetId: { in: loaded.deletedTopicIds }, kind: 'topic.delete' }, 'Succeeded');
        // Users, ACLs and quotas read by this pass were applied with it: their operations are done.
        await this.#settle(tx, { targetId: { in: loaded.accessIds } }, 'Succeeded');
        // The instance's and its topics' operations up to the generation now running are done.
        await this.#settle(tx, { targetId: instanceId, generation: { lte: status.observedGeneration }, kind: { not: REBALANCE_CANCEL_KIND } }, 'Succeeded');
        for (const t of await tx.topicStatus.findMany({ where: { topic: { instanceId } }, select: { topicId: true, observedGeneration: true } })) {
          await this.#settle(tx, { targetId: t.topicId, generation: { lte: t.observedGeneration } }, 'Succeeded');
        }
      } else if (status.phase === 'Deleted') {
        await this.#settle(tx, { targetId: instanceId }, 'Succeeded');
        // The cluster is gone, and with it every topic, user, ACL and quota: deletes of them are done,
        // anything else still open can never be applied (it ends Failed rather than Pending for ever).
        const [topics, objects] = await Promise.all([
          tx.topic.findMany({ where: { instanceId }, select: { id: true } }),
          Promise.all([tx.kafkaUser, tx.acl, tx.clientQuota, tx.consumerGroupQuota].map((m) => (m as typeof tx.acl).findMany({ where: { instanceId }, select: { id: true } }))),
        ]);
        const ids = [...topics, ...objects.flat()].map((r) => r.id);
        await this.#settle(tx, { targetId: { in: ids }, kind: { endsWith: '.delete' } }, 'Succeeded');
        await this.#settle(tx, { targetId: { in: ids } }, 'Failed', 'the instance was deleted before this change was applied');
      } else if (failure !== null || status.phase === 'Failed') {
        const error = failure ?? status.conditions.find((c) => c.type === 'NotSupported')?.message ?? 'reconcile failed';
        // A cancel still waiting is not undone by a failed pass: the next pass carries it out.
        await this.#settle(tx, { targetId: instanceId, kind: { not: REBALANCE_CANCEL_KIND } }, 'Failed', error);
      } else {
        await this.#settle(tx, { targetId: instanceId }, 'Running', null, { onlyUnreported: true });
      }
    });
  }

  /**
   * Shows the data movement on the operations that asked for it: the instance's and its topics'
   * operations still open, accepted before the moves started (a later change did not cause them).
   */
  async #reportProgress(tx: Prisma.TransactionClient, instanceId: string, rebalance: NonNullable<InstanceStatus['rebalance']>): Promise<void> {
    const { finished: _finished, ...shown } = rebalance;
    const progress = shown as unknown as Prisma.InputJsonValue;
    const topicIds = (await tx.topic.findMany({ where: { instanceId }, select: { id: true } })).map((t) => t.id);
    const ops = await tx.operation.findMany({
      where: {
        targetId: { in: [instanceId, ...topicIds] }, state: 'Pending', createdAt: { lte: new Date(rebalance.startedAt) },
        OR: [{ outcome: { is: null } }, { outcome: { state: { in: ['Pending', 'Running'] } } }],
      },
      select: { id: true },
    });
    for (const { id } of ops) await tx.operationOutcome.upsert({ where: { operationId: id }, create: { operationId: id, state: 'Running', progress }, update: { progress } });
  }

  /**
   * A pass handled rebalance.cancel operations: when it cancelled moves, the operations whose data
   * was moving (progress reported, still open) end Failed with the reason and the cancels Succeeded;
   * when nothing was moving any more, the cancels end Failed and the moves' operations go on as usual.
   */
  async #settleCancel(tx: Prisma.TransactionClient, instanceId: string, cancelled: CancelResult): Promise<void> {
    if (cancelled.partitions === 0) {
      await this.#settle(tx, { id: { in: cancelled.ids } }, 'Failed', cancelled.message);
      return;
    }
    const topicIds = (await tx.topic.findMany({ where: { instanceId }, select: { id: true } })).map((t) => t.id);
    await this.#settle(tx, {
      targetId: { in: [instanceId, ...topicIds] }, kind: { not: REBALANCE_CANCEL_KIND }, outcome: { progress: { not: Prisma.DbNull } },
    }, 'Failed', `cancelled (operation ${cancelled.ids.join(', ')}): ${cancelled.message}`);
    await this.#settle(tx, { id: { in: cancelled.ids } }, 'Succeeded');
  }

  /**
   * Records `state` as the outcome of the operations matching `where` that the API handed to the
   * operator (Pending in the API's row) and that have no final outcome yet.
   */
  async #settle(tx: Prisma.TransactionClient, where: Prisma.OperationWhereInput, state: 'Running' | 'Succeeded' | 'Failed', error: string | null = null, opts: { onlyUnreported?: boolean } = {}): Promise<void> {
    const open: Prisma.OperationWhereInput = opts.onlyUnreported
      ? { outcome: { is: null } }
      : { OR: [{ outcome: { is: null } }, { outcome: { state: { in: ['Pending', 'Running'] } } }] };
    const ops = await tx.operation.findMany({ where: { AND: [where, { state: 'Pending' }, open] }, select: { id: true } });
    for (const { id } of ops) await tx.operationOutcome.upsert({ where: { operationId: id }, create: { operationId: id, state, error }, update: { state, error } });
  }
}
