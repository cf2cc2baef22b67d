import { randomBytes } from 'node:crypto';
import { createDb, createPool, FastReads, InstanceCache, isUniqueViolation, migrate, Prisma, specColumns, specOf, type Db } from '@tributary/db';
import type { Acl, ApiKey, ClientQuota, ConsumerGroupQuota, Instance, KafkaUser, Operation as OperationModel, Topic } from '@tributary/db';
import type { InstanceSpec, Operation, Role, TopicCreate } from '@tributary/contracts';
import type pg from 'pg';
import { ApiError, limitExceeded, notFound } from '../errors.ts';
import { decodeCursor, encodeCursor, parseLabelFilter } from '../http.ts';
import type { AccountRow, ApiKeyRow, IdempotencyBegin, InstanceCacheStatus, InvoiceRow, UsageRow, InstanceRow, ListFilter, ObjectKind, ObjectRow, Page, PriceBookView, Principal, Store, TopicRow } from './types.ts';

export const newId = (prefix: string) => `${prefix}-${randomBytes(8).toString('hex')}`;

type Tx = Prisma.TransactionClient;

const instanceRow = (r: Instance): InstanceRow => ({
  id: r.id, accountId: r.accountId, name: r.name, labels: r.labels as Record<string, string>, spec: specOf(r),
  generation: r.generation, observedGeneration: r.observedGeneration, phase: r.phase, statusBrokers: r.statusBrokers,
  bootstrapServers: r.bootstrapServers, saslBootstrapServers: r.saslBootstrapServers, conditions: r.conditions as unknown[],
  billingStatus: r.billingStatus, billingStartedAt: r.billingStartedAt, billingExpiresAt: r.billingExpiresAt,
  version: r.version, createdAt: r.createdAt, updatedAt: r.updatedAt,
});
const topicRow = (r: Topic): TopicRow => ({
  id: r.id, instanceId: r.instanceId, name: r.name, partitions: r.partitions, replicationFactor: r.replicationFactor,
  configs: r.configs as Record<string, string>, labels: r.labels as Record<string, string>, generation: r.generation,
  observedGeneration: r.observedGeneration, phase: r.phase, version: r.version, createdAt: r.createdAt, updatedAt: r.updatedAt,
});
const apiKeyRow = (r: ApiKey): ApiKeyRow => ({ id: r.id, accountId: r.accountId, name: r.name, role: r.role, prefix: r.prefix, lastUsedAt: r.lastUsedAt, createdAt: r.createdAt });
const operationRow = (r: OperationModel): Operation => ({
  id: r.id, accountId: r.accountId, kind: r.kind, targetType: r.targetType as Operation['targetType'], targetId: r.targetId,
  generation: r.generation, state: r.state, error: r.error, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(),
});

/**
 * Users, ACLs, client quotas and consumer-group quotas have a table each (typed columns); the routes
 * see them through one shape (ObjectRow with `data`), so each kind maps its columns to and from data.
 */
type ObjectModel = KafkaUser | Acl | ClientQuota | ConsumerGroupQuota;
interface ObjectTable {
  model: 'kafkaUser' | 'acl' | 'clientQuota' | 'consumerGroupQuota';
  target: Operation['targetType'];
  data(row: ObjectModel): Record<string, unknown>;
  columns(data: Record<string, unknown>): Record<string, unknown>;
}
const opt = <T>(v: unknown) => (v === undefined ? null : (v as T));
const dropNulls = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null));
const OBJECT_TABLES: Record<ObjectKind, ObjectTable> = {
  users: {
    model: 'kafkaUser', target: 'user',
    data: (r) => { const u = r as KafkaUser; return { mechanism: u.mechanism, iterations: u.iterations, salt: u.salt, storedKey: u.storedKey, serverKey: u.serverKey, saltedPassword: u.saltedPassword }; },
    columns: (d) => ({ mechanism: d['mechanism'], iterations: d['iterations'], salt: d['salt'], storedKey: d['storedKey'], serverKey: d['serverKey'], saltedPassword: d['saltedPassword'] }),
  },
  acls: {
    model: 'acl', target: 'acl',
    data: (r) => { const a = r as Acl; return { resourceType: a.resourceType, resourceName: a.resourceName, patternType: a.patternType, principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType }; },
    columns: (d) => ({ resourceType: d['resourceType'], resourceName: d['resourceName'], patternType: d['patternType'], principal: d['principal'], host: d['host'], operation: d['operation'], permissionType: d['permissionType'] }),
  },
  'client-quotas': {
    model: 'clientQuota', target: 'client-quota',
    data: (r) => { const q = r as ClientQuota; return dropNulls({ user: q.user, clientId: q.clientId, producerByteRate: q.producerByteRate, consumerByteRate: q.consumerByteRate, requestPercentage: q.requestPercentage }); },
    columns: (d) => ({ user: opt(d['user']), clientId: opt(d['clientId']), producerByteRate: opt(d['producerByteRate']), consumerByteRate: opt(d['consumerByteRate']), requestPercentage: opt(d['requestPercentage']) }),
  },
  'consumer-group-quotas': {
    model: 'consumerGroupQuota', target: 'consumer-group-quota',
    data: (r) => { const q = r as ConsumerGroupQuota; return dropNulls({ maxMembers: q.maxMembers, consumerByteRate: q.consumerByteRate }); },
    columns: (d) => ({ maxMembers: opt(d['maxMembers']), consumerByteRate: opt(d['consumerByteRate']) }),
  },
};
/** The four delegates share these calls; Prisma's types cannot express "any of them", hence this view. */
interface ObjectDelegate {
  findMany(args: object): Promise<ObjectModel[]>;
  findFirst(args: object): Promise<ObjectModel | null>;
  findUniqueOrThrow(args: object): Promise<ObjectModel>;
  count(args: object): Promise<number>;
  create(args: object): Promise<ObjectModel>;
  updateMany(args: object): Promise<{ count: number }>;
}
const delegate = (db: Db | Tx, kind: ObjectKind) => db[OBJECT_TABLES[kind].model] as unknown as ObjectDelegate;
const objectRow = (kind: ObjectKind, r: ObjectModel): ObjectRow => ({
  id: r.id, instanceId: r.instanceId, kind, name: r.name, data: OBJECT_TABLES[kind].data(r), version: r.version, createdAt: r.createdAt, updatedAt: r.updatedAt,
});

/** LIKE metacharacters in a prefix filter match themselves (Prisma's startsWith does not escape them). */
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => '\\' + c);

/** Prisma `where` parts for name/label filters and the cursor; lists order by (createdAt, id). */
function listWhere(f: ListFilter): object[] {
  const and: object[] = [];
  if (f.name !== undefined) and.push(f.name.endsWith('*') ? { name: { startsWith: likeEscape(f.name.slice(0, -1)) } } : { name: f.name });
  if (f.label !== undefined) {
    const [k, v] = parseLabelFilter(f.label);
    and.push({ labels: { path: [k], equals: v } });
  }
  if (f.cursor !== undefined) {
    const c = decodeCursor(f.cursor);
    and.push({ OR: [{ createdAt: { gt: c.createdAt } }, { createdAt: c.createdAt, id: { gt: c.id } }] });
  }
  return and;
}
const LIST_ORDER = [{ createdAt: 'asc' as const }, { id: 'asc' as const }];
function page<T extends { id: string; createdAt: Date }>(rows: T[], limit: number): Page<T> {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1]!;
  return { items, nextCursor: encodeCursor(last.createdAt, last.id) };
}

/** The spec's billable quantities, recorded on every spec change (metering proper comes later). */
function usageOfSpec(spec: InstanceSpec): [string, number][] {
  return [['broker-hour', spec.brokers], ['bandwidth-mbps-hour', spec.bandwidthMBps], ['disk-gib-hour', spec.diskGiB]];
}
const stale = () => new ApiError('precondition-failed', 'the resource changed since it was read; GET it again for the current ETag');
const json = (v: unknown) => (v ?? {}) as Prisma.InputJsonValue;

/**
 * The API's persistence on the Prisma schema (prisma/schema.prisma) through libs/db. Every mutating
 * method is one transaction that also writes the Operation, the AuditEvent and, for spec changes, the
 * UsageRecords, so the trail cannot diverge from the state.
 */
export class PrismaStore implements Store {
  readonly db: Db;
  readonly #pool: pg.Pool;
  readonly #fast: FastReads;
  /** Instance rows in memory, invalidated by NOTIFY (libs/db InstanceCache); null: every read queries. */
  readonly instanceCache: InstanceCache | null;
  /**
   * One pool for both: Prisma and the few plain-SQL hot reads (libs/db FastReads). With
   * `instanceCacheUrl` instance reads go through an InstanceCache listening on that database.
   */
  constructor(pool: pg.Pool, opts: { instanceCacheUrl?: string } = {}) {
    this.#pool = pool;
    this.db = createDb(pool);
    this.#fast = new FastReads(pool);
    this.instanceCache = opts.instanceCacheUrl === undefined ? null : new InstanceCache({
      connectionString: opts.instanceCacheUrl,
      load: (id) => this.#fast.instanceById(id),
    });
  }

  /**
   * Applies pending migrations (prisma/migrations), then connects. The instance cache is on unless
   * `instanceCache: false`; its first LISTEN attempt is awaited (reads bypass it until one succeeds).
   */
  static async connect(databaseUrl: string, opts: { instanceCache?: boolean } = {}): Promise<PrismaStore> {
    await migrate(databaseUrl);
    const store = new PrismaStore(createPool(databaseUrl, 10), opts.instanceCache === false ? {} : { instanceCacheUrl: databaseUrl });
    await store.instanceCache?.start();
    return store;
  }
  /**
   * Waits (up to `drainMs`) for transactions still running — fastify's close does not wait for
   * handlers whose client went away — then disconnects. Prisma's $disconnect under an open
   * interactive transaction leaves that transaction's connection checked out for good, and the
   * pool's end() would then wait forever.
   */
  async close(drainMs = 10_000) {
    const bounded = <T>(p: Promise<T>) => Promise.race([p, new Promise<void>((r) => setTimeout(r, drainMs).unref())]);
    await bounded(Promise.allSettled([...this.#inflight]));
    await this.instanceCache?.close();
    await this.db.$disconnect();
    await bounded(this.#pool.end());
  }
  instanceCacheStatus(): InstanceCacheStatus | null {
    const c = this.instanceCache;
    return c && { usable: c.usable, size: c.size, ...c.stats };
  }
  async ping() { await this.db.$queryRaw`SELECT 1`; }

  /**
   * A transaction that changes instance `id`; its cached row is dropped once the transaction has
   * ended (committed or not), so this process reads its own write at once. Dropping it earlier would
   * let a read racing the commit cache the old row again.
   */
  private async instanceWrite<T>(id: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    try {
      return await this.tx(fn);
    } finally {
      this.instanceCache?.invalidate(id);
    }
  }

  readonly #inflight = new Set<Promise<unknown>>();
  private tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const p = this.db.$transaction(fn);
    this.#inflight.add(p);
    void p.then(() => this.#inflight.delete(p), () => this.#inflight.delete(p));
    return p;
  }
  /** Serialises writes that check a limit of the instance (SELECT … FOR UPDATE on its row). */
  private async lockInstance(tx: Tx, id: string) {
    await tx.$queryRaw`SELECT 1 FROM "instance" WHERE id = ${id} FOR UPDATE`;
  }

  async createAccount(name: string, email: string | null = null, id = newId('acc')): Promise<string> {
    await this.db.account.createMany({ data: [{ id, name, email }], skipDuplicates: true });
    return id;
  }
  async createApiKey(accountId: string, name: string, role: Role, prefix: string, hash: string): Promise<string> {
    const id = newId('key');
    await this.db.apiKey.createMany({ data: [{ id, accountId, name, role, prefix, hash }], skipDuplicates: true });
    return id;
  }
  async countApiKeys(): Promise<number> {
    return this.db.apiKey.count();
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
    const row = await this.db.apiKey.findFirst({ where: { hash, revokedAt: null }, select: { id: true, accountId: true, role: true } });
    const principal = row ? { keyId: row.id, accountId: row.accountId, role: row.role } : null;
    if (this.keyCache.size > 10_000) this.keyCache.clear();
    // Unknown keys are not cached: a key created elsewhere must work at once.
    if (principal) this.keyCache.set(hash, { principal, until: Date.now() + PrismaStore.KEY_CACHE_MS });
    return principal;
  }

  private async operation(tx: Tx, p: Principal, kind: string, targetType: Operation['targetType'], targetId: string, generation: number, detail: unknown): Promise<Operation> {
    const op = await tx.operation.create({ data: { id: newId('op'), accountId: p.accountId, kind, targetType, targetId, generation, state: 'Pending' } });
    await this.audit(tx, p, kind, targetType, targetId, detail, generation);
    return operationRow(op);
  }
  /** Who did what: `accountId` and `keyId` are the actor's (a platform admin acting on another account is recorded as itself). */
  private async audit(tx: Tx, p: Principal, action: string, targetType: string, targetId: string, detail: unknown, generation = 1) {
    await tx.auditEvent.create({ data: { accountId: p.accountId, keyId: p.keyId, action, targetType, targetId, generation, detail: json(detail) } });
  }
  /** Closes the instance's open usage records and, unless it is being deleted, opens the new spec's. */
  private async recordUsage(tx: Tx, instanceId: string, spec: InstanceSpec | null) {
    const now = new Date();
    await tx.usageRecord.updateMany({ where: { instanceId, periodEnd: null }, data: { periodEnd: now } });
    if (!spec) return;
    await tx.usageRecord.createMany({ data: usageOfSpec(spec).map(([meter, quantity]) => ({ instanceId, meter, quantity, periodStart: now, source: 'spec-change' })) });
  }

  async listInstances(accountId: string, f: ListFilter): Promise<Page<InstanceRow>> {
    const rows = await this.db.instance.findMany({ where: { AND: [{ accountId, deletedAt: null }, ...listWhere(f)] }, orderBy: LIST_ORDER, take: f.limit + 1 });
    return page(rows.map(instanceRow), f.limit);
  }
  /**
   * The hottest read (every instance-scoped route starts with it): from the instance cache, else plain
   * SQL (libs/db InstanceCache, FastReads). The result is frozen, and a cached row (itself frozen and
   * replaced on every change) maps to the same InstanceRow object each time, so callers may memoise
   * work per row object (GET /v1/instances/{id} keeps its serialised body).
   */
  async getInstance(accountId: string, id: string): Promise<InstanceRow | null> {
    const r = await (this.instanceCache ? this.instanceCache.get(id) : this.#fast.instanceById(id));
    if (!r || r.accountId !== accountId || r.deletedAt !== null) return null;
    let row = this.#instanceRows.get(r);
    if (!row) {
      row = instanceRow(r);
      Object.freeze(row.spec);
      Object.freeze(row.spec.billing);
      Object.freeze(row.spec.brokerConfig);
      Object.freeze(row);
      this.#instanceRows.set(r, row);
    }
    return row;
  }
  readonly #instanceRows = new WeakMap<Instance, InstanceRow>();
  async createInstance(p: Principal, input: { name: string; labels: Record<string, string>; spec: InstanceSpec }) {
    return this.tx(async (tx) => {
      const id = newId('ins');
      const now = new Date();
      const expires = input.spec.billing.mode === 'prepaid' ? addMonths(now, input.spec.billing.periodMonths ?? 1) : null;
      let row;
      try {
        row = await tx.instance.create({
          data: {
            id, accountId: p.accountId, name: input.name, labels: input.labels, ...specColumns(input.spec), generation: 1, phase: 'Creating',
            billingStartedAt: now, billingExpiresAt: expires, createdAt: now, updatedAt: now,
          },
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw new ApiError('already-exists', `an instance named "${input.name}" already exists`, { errors: [{ in: 'body', path: '/name', message: 'already in use' }] });
        throw err;
      }
      const instance = instanceRow(row);
      const operation = await this.operation(tx, p, 'instance.create', 'instance', id, 1, { spec: input.spec });
      await this.recordUsage(tx, id, input.spec);
      return { instance, operation };
    });
  }
  async updateInstance(p: Principal, id: string, input: { labels: Record<string, string>; spec: InstanceSpec }, expectedVersion?: number) {
    return this.instanceWrite(id, async (tx) => {
      const { count } = await tx.instance.updateMany({
        where: { id, accountId: p.accountId, deletedAt: null, ...(expectedVersion !== undefined ? { version: expectedVersion } : {}) },
        data: { labels: input.labels, ...specColumns(input.spec), generation: { increment: 1 }, version: { increment: 1 } },
      });
      if (count === 0) throw await this.missingOrStale(tx, 'instance', id);
      // A change before the first reconcile finished is still part of creating it.
      await tx.instance.updateMany({ where: { id, phase: { not: 'Creating' } }, data: { phase: 'Updating' } });
      const instance = instanceRow(await tx.instance.findUniqueOrThrow({ where: { id } }));
      const operation = await this.operation(tx, p, 'instance.update', 'instance', id, instance.generation, { spec: input.spec });
      await this.recordUsage(tx, id, input.spec);
      return { instance, operation };
    });
  }
  async deleteInstance(p: Principal, id: string, opts: { force: boolean; expectedVersion?: number }) {
    return this.instanceWrite(id, async (tx) => {
      const topics = await tx.topic.count({ where: { instanceId: id, deletedAt: null } });
      if (topics > 0 && !opts.force) throw new ApiError('instance-has-topics', `instance still has ${topics} topic(s); repeat with ?force=true to delete them too`);
      const now = new Date();
      // The row stays until the operator has torn the cluster down; the name is freed now.
      const { count } = await tx.instance.updateMany({
        where: { id, accountId: p.accountId, deletedAt: null, ...(opts.expectedVersion !== undefined ? { version: opts.expectedVersion } : {}) },
        data: { phase: 'Deleting', deletedAt: now, generation: { increment: 1 }, version: { increment: 1 } },
      });
      if (count === 0) throw await this.missingOrStale(tx, 'instance', id);
      await tx.topic.updateMany({ where: { instanceId: id, deletedAt: null }, data: { deletedAt: now, phase: 'Deleting' } });
      const instance = instanceRow(await tx.instance.findUniqueOrThrow({ where: { id } }));
      const operation = await this.operation(tx, p, 'instance.delete', 'instance', id, instance.generation, { force: opts.force, topics });
      await this.recordUsage(tx, id, null);
      return { instance, operation };
    });
  }
  private async missingOrStale(tx: Tx, what: 'instance' | 'topic', id: string): Promise<ApiError> {
    const live = what === 'instance'
      ? await tx.instance.count({ where: { id, deletedAt: null } })
      : await tx.topic.count({ where: { id, deletedAt: null } });
    return live > 0 ? stale() : notFound(what);
  }

  async listTopics(instanceId: string, f: ListFilter): Promise<Page<TopicRow>> {
    const rows = await this.db.topic.findMany({ where: { AND: [{ instanceId, deletedAt: null }, ...listWhere(f)] }, orderBy: LIST_ORDER, take: f.limit + 1 });
    return page(rows.map(topicRow), f.limit);
  }
  async getTopic(instanceId: string, name: string): Promise<TopicRow | null> {
    const r = await this.db.topic.findFirst({ where: { instanceId, name, deletedAt: null } });
    return r ? topicRow(r) : null;
  }
  async topicUsage(instanceId: string, tx: Tx | Db = this.db) {
    const r = await tx.topic.aggregate({ where: { instanceId, deletedAt: null }, _count: { _all: true }, _sum: { partitions: true } });
    return { topics: r._count._all, partitions: r._sum.partitions ?? 0 };
  }
  async createTopic(p: Principal, instance: InstanceRow, input: TopicCreate) {
    return this.tx(async (tx) => {
      const id = newId('top');
      // The trail first, the lock last: creates of one instance queue on its row lock, so fewer
      // statements run while holding it (each Prisma statement costs a compile on this thread; the
      // gain could not be measured on the loaded bench machine). A failed check rolls the trail back.
      const operation = await this.operation(tx, p, 'topic.create', 'topic', id, 1, input);
      // Serialise topic creation per instance so two concurrent creates cannot both pass the limits.
      await this.lockInstance(tx, instance.id);
      const usage = await this.topicUsage(instance.id, tx);
      if (usage.topics + 1 > instance.spec.topicLimit) throw limitExceeded('topicLimit', instance.spec.topicLimit, usage.topics, 1);
      if (usage.partitions + input.partitions > instance.spec.partitionLimit) throw limitExceeded('partitionLimit', instance.spec.partitionLimit, usage.partitions, input.partitions);
      let row;
      try {
        row = await tx.topic.create({
          data: { id, instanceId: instance.id, name: input.name, partitions: input.partitions, replicationFactor: input.replicationFactor, configs: input.configs, labels: input.labels, generation: 1, phase: 'Creating' },
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw new ApiError('already-exists', `topic "${input.name}" already exists`, { errors: [{ in: 'body', path: '/name', message: 'already in use' }] });
        throw err;
      }
      return { topic: topicRow(row), operation };
    });
  }
  async updateTopic(p: Principal, topic: TopicRow, change: { configs?: Record<string, string>; labels?: Record<string, string>; partitions?: number }, expectedVersion?: number) {
    return this.tx(async (tx) => {
      if (change.partitions !== undefined) {
        await this.lockInstance(tx, topic.instanceId);
        const inst = await tx.instance.findUniqueOrThrow({ where: { id: topic.instanceId }, select: { partitionLimit: true } });
        const used = (await this.topicUsage(topic.instanceId, tx)).partitions;
        const more = change.partitions - topic.partitions;
        if (used + more > inst.partitionLimit) throw limitExceeded('partitionLimit', inst.partitionLimit, used, more);
      }
      const { count } = await tx.topic.updateMany({
        where: {
          id: topic.id, deletedAt: null,
          ...(expectedVersion !== undefined ? { version: expectedVersion } : {}),
          // Partitions only grow: a stale request cannot shrink them.
          ...(change.partitions !== undefined ? { partitions: { lt: change.partitions } } : {}),
        },
        data: {
          ...(change.configs ? { configs: change.configs } : {}),
          ...(change.labels ? { labels: change.labels } : {}),
          ...(change.partitions !== undefined ? { partitions: change.partitions } : {}),
          generation: { increment: 1 }, version: { increment: 1 },
        },
      });
      if (count === 0) throw await this.missingOrStale(tx, 'topic', topic.id);
      await tx.topic.updateMany({ where: { id: topic.id, phase: { not: 'Creating' } }, data: { phase: 'Updating' } });
      const updated = topicRow(await tx.topic.findUniqueOrThrow({ where: { id: topic.id } }));
      const kind = change.partitions !== undefined ? 'topic.partitions' : 'topic.update';
      const operation = await this.operation(tx, p, kind, 'topic', topic.id, updated.generation, change);
      return { topic: updated, operation };
    });
  }
  async deleteTopic(p: Principal, topic: TopicRow, expectedVersion?: number) {
    return this.tx(async (tx) => {
      const { count } = await tx.topic.updateMany({
        where: { id: topic.id, deletedAt: null, ...(expectedVersion !== undefined ? { version: expectedVersion } : {}) },
        data: { phase: 'Deleting', deletedAt: new Date(), generation: { increment: 1 }, version: { increment: 1 } },
      });
      if (count === 0) throw await this.missingOrStale(tx, 'topic', topic.id);
      const deleted = topicRow(await tx.topic.findUniqueOrThrow({ where: { id: topic.id } }));
      const operation = await this.operation(tx, p, 'topic.delete', 'topic', topic.id, deleted.generation, {});
      return { topic: deleted, operation };
    });
  }

  async getOperation(accountId: string, id: string): Promise<Operation | null> {
    const r = await this.db.operation.findFirst({ where: { id, accountId } });
    return r ? operationRow(r) : null;
  }

  async listObjects(instanceId: string, kind: ObjectKind, f: ListFilter): Promise<Page<ObjectRow>> {
    const rows = await delegate(this.db, kind).findMany({ where: { AND: [{ instanceId, deletedAt: null }, ...listWhere({ ...f, label: undefined })] }, orderBy: LIST_ORDER, take: f.limit + 1 });
    return page(rows.map((r) => objectRow(kind, r)), f.limit);
  }
  async getObject(instanceId: string, kind: ObjectKind, name: string): Promise<ObjectRow | null> {
    const r = await delegate(this.db, kind).findFirst({ where: { instanceId, deletedAt: null, OR: [{ name }, { id: name }] } });
    return r ? objectRow(kind, r) : null;
  }
  async countObjects(instanceId: string, kind: ObjectKind): Promise<number> {
    return delegate(this.db, kind).count({ where: { instanceId, deletedAt: null } });
  }
  async createObject(p: Principal, instance: InstanceRow, kind: ObjectKind, name: string, data: Record<string, unknown>, limit?: { name: string; max: number }) {
    const table = OBJECT_TABLES[kind];
    return this.tx(async (tx) => {
      await this.lockInstance(tx, instance.id);
      if (limit) {
        const n = await delegate(tx, kind).count({ where: { instanceId: instance.id, deletedAt: null } });
        if (n + 1 > limit.max) throw limitExceeded(limit.name, limit.max, n, 1);
      }
      const id = newId(kind.slice(0, 3));
      let row;
      try {
        row = await delegate(tx, kind).create({ data: { id, instanceId: instance.id, name, ...table.columns(data) } });
      } catch (err) {
        if (isUniqueViolation(err)) throw new ApiError('already-exists', `${table.target} "${name}" already exists`);
        throw err;
      }
      const operation = await this.operation(tx, p, `${table.target}.create`, table.target, id, 1, { name });
      return { object: objectRow(kind, row), operation };
    });
  }
  async updateObject(p: Principal, object: ObjectRow, data: Record<string, unknown>, expectedVersion?: number) {
    const table = OBJECT_TABLES[object.kind];
    return this.tx(async (tx) => {
      const { count } = await delegate(tx, object.kind).updateMany({
        where: { id: object.id, deletedAt: null, ...(expectedVersion !== undefined ? { version: expectedVersion } : {}) },
        data: { ...table.columns(data), version: { increment: 1 } },
      });
      if (count === 0) throw stale();
      const updated = objectRow(object.kind, await delegate(tx, object.kind).findUniqueOrThrow({ where: { id: object.id } }));
      const operation = await this.operation(tx, p, `${table.target}.update`, table.target, object.id, updated.version, { name: object.name });
      return { object: updated, operation };
    });
  }
  async deleteObject(p: Principal, object: ObjectRow, expectedVersion?: number) {
    const table = OBJECT_TABLES[object.kind];
    return this.tx(async (tx) => {
      const { count } = await delegate(tx, object.kind).updateMany({
        where: { id: object.id, deletedAt: null, ...(expectedVersion !== undefined ? { version: expectedVersion } : {}) },
        data: { deletedAt: new Date(), version: { increment: 1 } },
      });
      if (count === 0) throw stale();
      const deleted = objectRow(object.kind, await delegate(tx, object.kind).findUniqueOrThrow({ where: { id: object.id } }));
      const operation = await this.operation(tx, p, `${table.target}.delete`, table.target, object.id, deleted.version, { name: object.name });
      return { object: deleted, operation };
    });
  }

  async listAccounts(accountId: string | null, f: ListFilter): Promise<Page<AccountRow>> {
    const rows = await this.db.account.findMany({ where: { AND: [accountId === null ? {} : { id: accountId }, ...listWhere({ ...f, label: undefined })] }, orderBy: LIST_ORDER, take: f.limit + 1 });
    return page(rows, f.limit);
  }
  async insertAccount(name: string, email: string | null, actor: Principal): Promise<AccountRow> {
    return this.tx(async (tx) => {
      const account = await tx.account.create({ data: { id: newId('acc'), name, email } });
      await this.audit(tx, actor, 'account.create', 'account', account.id, { name, email });
      return account;
    });
  }
  async listApiKeys(accountId: string, f: ListFilter): Promise<Page<ApiKeyRow>> {
    const rows = await this.db.apiKey.findMany({ where: { AND: [{ accountId, revokedAt: null }, ...listWhere({ ...f, label: undefined })] }, orderBy: LIST_ORDER, take: f.limit + 1 });
    return page(rows.map(apiKeyRow), f.limit);
  }
  async insertApiKey(accountId: string, name: string, role: Role, prefix: string, hash: string, actor: Principal): Promise<ApiKeyRow> {
    return this.tx(async (tx) => {
      const key = await tx.apiKey.create({ data: { id: newId('key'), accountId, name, role, prefix, hash } });
      await this.audit(tx, actor, 'api-key.create', 'api-key', key.id, { accountId, name, role, prefix });
      return apiKeyRow(key);
    });
  }
  async revokeApiKey(accountId: string, id: string, actor: Principal): Promise<ApiKeyRow | null> {
    const row = await this.tx(async (tx) => {
      const { count } = await tx.apiKey.updateMany({ where: { id, accountId, revokedAt: null }, data: { revokedAt: new Date() } });
      if (count === 0) return null;
      await this.audit(tx, actor, 'api-key.revoke', 'api-key', id, { accountId });
      return tx.apiKey.findUniqueOrThrow({ where: { id } });
    });
    if (!row) return null;
    this.keyCache.delete(row.hash);
    return apiKeyRow(row);
  }
  async listUsage(accountId: string, f: { limit: number; cursor?: string | undefined; instanceId?: string | undefined; from?: string | undefined; to?: string | undefined }): Promise<Page<UsageRow>> {
    const and: Prisma.UsageRecordWhereInput[] = [{ instance: { accountId } }];
    if (f.instanceId !== undefined) and.push({ instanceId: f.instanceId });
    if (f.from !== undefined) and.push({ periodStart: { gte: new Date(f.from) } });
    if (f.to !== undefined) and.push({ periodStart: { lt: new Date(f.to) } });
    if (f.cursor !== undefined) {
      const c = decodeCursor(f.cursor);
      let id: bigint;
      try { id = BigInt(c.id); } catch { throw new ApiError('validation-failed', 'cursor is not one this API returned', { errors: [{ in: 'query', path: '/cursor', message: 'invalid cursor' }] }); }
      and.push({ OR: [{ createdAt: { gt: c.createdAt } }, { createdAt: c.createdAt, id: { gt: id } }] });
    }
    const rows = await this.db.usageRecord.findMany({ where: { AND: and }, orderBy: LIST_ORDER, take: f.limit + 1 });
    return page(rows.map((u) => ({
      id: String(u.id), instanceId: u.instanceId, meter: u.meter, quantity: u.quantity.toNumber(), periodStart: u.periodStart, periodEnd: u.periodEnd, source: u.source, createdAt: u.createdAt,
    })), f.limit);
  }
  async listInvoices(accountId: string, f: ListFilter): Promise<Page<InvoiceRow>> {
    const rows = await this.db.invoice.findMany({
      where: { AND: [{ accountId }, ...listWhere({ ...f, name: undefined, label: undefined })] }, orderBy: LIST_ORDER, take: f.limit + 1,
      include: { lines: { orderBy: { id: 'asc' } } },
    });
    return page(rows.map((x) => ({
      id: x.id, accountId: x.accountId, periodStart: x.periodStart, periodEnd: x.periodEnd, status: x.status, currency: x.currency, totalMicros: Number(x.totalMicros),
      lines: x.lines.map((l) => ({ instanceId: l.instanceId, meter: l.meter, quantity: l.quantity.toNumber(), amountMicros: Number(l.amountMicros) })), createdAt: x.createdAt,
    })), f.limit);
  }

  /**
   * Price books change rarely and every role reads them: the one in effect is kept for a minute, so
   * a new book (or one whose effectiveFrom has come) is served within a minute of taking effect.
   */
  #priceBook: { view: PriceBookView | null; until: number } | null = null;
  static readonly PRICE_BOOK_CACHE_MS = 60_000;
  async getPriceBook(): Promise<PriceBookView | null> {
    if (this.#priceBook && this.#priceBook.until > Date.now()) return this.#priceBook.view;
    const book = await this.db.priceBook.findFirst({
      where: { effectiveFrom: { lte: new Date() } }, orderBy: [{ effectiveFrom: 'desc' }, { id: 'desc' }], include: { rates: { orderBy: { meter: 'asc' } } },
    });
    const view = book && {
      id: book.id, currency: book.currency, effectiveFrom: book.effectiveFrom.toISOString(), prepaidDiscountPercent: book.prepaidDiscountPercent,
      rates: book.rates.map((r) => ({ meter: r.meter as PriceBookView['rates'][number]['meter'], unitPriceMicros: Number(r.priceMicros) })),
    };
    this.#priceBook = { view, until: Date.now() + PrismaStore.PRICE_BOOK_CACHE_MS };
    return view;
  }

  /** Idempotency records: the first request with a key reserves it, its response is replayed for 24 h. */
  async idempotencyBegin(keyId: string, idemKey: string, bodyHash: string): Promise<IdempotencyBegin> {
    await this.db.idempotencyRecord.deleteMany({ where: { createdAt: { lt: new Date(Date.now() - 24 * 3600_000) } } });
    const { count } = await this.db.idempotencyRecord.createMany({ data: [{ keyId, idemKey, bodyHash }], skipDuplicates: true });
    if (count === 1) return { state: 'new' };
    const r = await this.db.idempotencyRecord.findUnique({ where: { keyId_idemKey: { keyId, idemKey } } });
    if (!r) return { state: 'new' };
    if (r.bodyHash !== bodyHash) return { state: 'mismatch' };
    if (r.status === null) return { state: 'in-flight' };
    return { state: 'replay', status: r.status, response: r.response, headers: (r.headers ?? {}) as Record<string, string> };
  }
  async idempotencyFinish(keyId: string, idemKey: string, status: number, response: unknown, headers: Record<string, string>) {
    await this.db.idempotencyRecord.updateMany({ where: { keyId, idemKey }, data: { status, response: (response ?? Prisma.JsonNull) as Prisma.InputJsonValue, headers } });
  }
  async idempotencyAbandon(keyId: string, idemKey: string) {
    await this.db.idempotencyRecord.deleteMany({ where: { keyId, idemKey, status: null } });
  }
}

function addMonths(d: Date, months: number): Date {
  const out = new Date(d);
  out.setUTCMonth(out.getUTCMonth() + months);
  return out;
}
