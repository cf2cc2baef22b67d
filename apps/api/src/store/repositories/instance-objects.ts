import { isUniqueViolation, type Acl, type ClientQuota, type ConsumerGroupQuota, type Db, type KafkaUser } from '@tributary/db';
import type { Operation } from '@tributary/contracts';
import type { Connection, Tx } from '../connection.ts';
import type { ObjectKind, ObjectRow } from '../types.ts';
import { LIST_ORDER, listWhere, type ListQuery } from './list.ts';
import { fail, ok, type RepoResult } from './result.ts';

/**
 * Users, ACLs, client quotas and consumer-group quotas: four aggregates with a table each (typed
 * columns) and the same life cycle. The routes see them through one shape (ObjectRow with `data`),
 * so each kind maps its columns to and from data; one ObjectRepository serves one kind.
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
/** The operation/audit target type of a kind (`users` → `user`). */
export const objectTarget = (kind: ObjectKind): Operation['targetType'] => OBJECT_TABLES[kind].target;

/** The four delegates share these calls; Prisma's types cannot express "any of them", hence this view. */
interface ObjectDelegate {
  findMany(args: object): Promise<ObjectModel[]>;
  findFirst(args: object): Promise<ObjectModel | null>;
  findUniqueOrThrow(args: object): Promise<ObjectModel>;
  count(args: object): Promise<number>;
  create(args: object): Promise<ObjectModel>;
  updateMany(args: object): Promise<{ count: number }>;
}

export class ObjectRepository {
  readonly #c: Connection;
  readonly kind: ObjectKind;
  readonly #table: ObjectTable;
  constructor(c: Connection, kind: ObjectKind) { this.#c = c; this.kind = kind; this.#table = OBJECT_TABLES[kind]; }

  #of(db: Db | Tx) { return db[this.#table.model] as unknown as ObjectDelegate; }
  #row(r: ObjectModel): ObjectRow {
    return { id: r.id, instanceId: r.instanceId, kind: this.kind, name: r.name, data: this.#table.data(r), labels: r.labels as Record<string, string>, version: r.version, createdAt: r.createdAt, updatedAt: r.updatedAt };
  }

  async list(instanceId: string, q: ListQuery): Promise<ObjectRow[]> {
    const rows = await this.#of(this.#c.db).findMany({ where: { AND: [{ instanceId, deletedAt: null }, ...listWhere(q)] }, orderBy: LIST_ORDER, take: q.limit + 1 });
    return rows.map((r) => this.#row(r));
  }
  /** By name or by id. */
  async get(instanceId: string, key: string): Promise<ObjectRow | null> {
    const r = await this.#of(this.#c.db).findFirst({ where: { instanceId, deletedAt: null, OR: [{ name: key }, { id: key }] } });
    return r ? this.#row(r) : null;
  }
  async count(instanceId: string, tx: Tx | Db = this.#c.db): Promise<number> {
    return this.#of(tx).count({ where: { instanceId, deletedAt: null } });
  }
  async insert(tx: Tx, id: string, instanceId: string, name: string, data: Record<string, unknown>, labels: Record<string, string> = {}): Promise<RepoResult<ObjectRow>> {
    try {
      return ok(this.#row(await this.#of(tx).create({ data: { id, instanceId, name, labels, ...this.#table.columns(data) } })));
    } catch (err) {
      if (isUniqueViolation(err)) return fail('duplicate');
      throw err;
    }
  }
  /** `data` replaces the kind's columns (none when undefined); `labels` the labels when given. */
  async update(tx: Tx, id: string, data: Record<string, unknown> | undefined, expectedVersion?: number, labels?: Record<string, string>): Promise<RepoResult<ObjectRow>> {
    const { count } = await this.#of(tx).updateMany({
      where: { id, deletedAt: null, ...(expectedVersion !== undefined ? { version: expectedVersion } : {}) },
      data: { ...(data ? this.#table.columns(data) : {}), ...(labels ? { labels } : {}), version: { increment: 1 } },
    });
    if (count === 0) return fail('stale');
    return ok(this.#row(await this.#of(tx).findUniqueOrThrow({ where: { id } })));
  }
  async markDeleted(tx: Tx, id: string, expectedVersion?: number): Promise<RepoResult<ObjectRow>> {
    const { count } = await this.#of(tx).updateMany({
      where: { id, deletedAt: null, ...(expectedVersion !== undefined ? { version: expectedVersion } : {}) },
      data: { deletedAt: new Date(), version: { increment: 1 } },
    });
    if (count === 0) return fail('stale');
    return ok(this.#row(await this.#of(tx).findUniqueOrThrow({ where: { id } })));
  }
}
