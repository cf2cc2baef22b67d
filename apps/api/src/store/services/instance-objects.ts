import type { Operation } from '@tributary/contracts';
import { ApiError, limitExceeded, notFound } from '../../errors.ts';
import type { Connection } from '../connection.ts';
import { newId } from '../repositories/ids.ts';
import { objectTarget, type ObjectRepository } from '../repositories/instance-objects.ts';
import type { InstanceLimits, InstanceRepository } from '../repositories/instances.ts';
import type { InstanceRow, ListFilter, ObjectKind, ObjectRow, Page, Principal } from '../types.ts';
import { orProblem } from './errors.ts';
import { listQuery, page } from './list.ts';
import type { Trail } from './trail.ts';
import type { OutboxRepository } from '../repositories/outbox.ts';
import { objectsJob } from '../../jobs/reconcile-jobs.ts';

/** The instance limit a kind counts against, if any (checked under the instance's row lock). */
const LIMIT_OF_KIND: Partial<Record<ObjectKind, keyof InstanceLimits>> = { 'consumer-group-quotas': 'consumerGroupLimit' };

/** SCRAM users, ACLs, client quotas and consumer-group quotas of an instance. */
export class InstanceObjectService {
  readonly #c: Connection;
  readonly #instances: InstanceRepository;
  readonly #objects: Record<ObjectKind, ObjectRepository>;
  readonly #outbox: OutboxRepository;
  readonly #trail: Trail;
  constructor(c: Connection, repos: { instances: InstanceRepository; objects: Record<ObjectKind, ObjectRepository>; outbox: OutboxRepository }, trail: Trail) {
    this.#c = c; this.#instances = repos.instances; this.#objects = repos.objects; this.#outbox = repos.outbox; this.#trail = trail;
  }

  async list(instanceId: string, kind: ObjectKind, f: ListFilter): Promise<Page<ObjectRow>> {
    return page(await this.#objects[kind].list(instanceId, listQuery(f)), f.limit);
  }
  get(instanceId: string, kind: ObjectKind, key: string): Promise<ObjectRow | null> { return this.#objects[kind].get(instanceId, key); }
  count(instanceId: string, kind: ObjectKind): Promise<number> { return this.#objects[kind].count(instanceId); }

  async create(p: Principal, instance: InstanceRow, kind: ObjectKind, name: string, data: Record<string, unknown>, labels: Record<string, string> = {}): Promise<{ object: ObjectRow; operation: Operation }> {
    const repo = this.#objects[kind];
    const target = objectTarget(kind);
    return this.#c.tx(async (tx) => {
      const limits = await this.#instances.lock(tx, instance.id);
      if (!limits) throw notFound('instance');
      const limitName = LIMIT_OF_KIND[kind];
      if (limitName) {
        const n = await repo.count(instance.id, tx);
        if (n + 1 > limits[limitName]) throw limitExceeded(limitName, limits[limitName], n, 1);
      }
      const id = newId(kind.slice(0, 3));
      const object = orProblem(await repo.insert(tx, id, instance.id, name, data, labels), {
        missing: target, duplicate: () => new ApiError('already-exists', `${target} "${name}" already exists`),
      });
      const operation = await this.#trail.operation(tx, p, `${target}.create`, target, id, 1, { name });
      await this.#outbox.add(tx, objectsJob({ instanceId: instance.id, kind, reason: 'created' }));
      return { object, operation };
    });
  }
  async update(p: Principal, object: ObjectRow, data: Record<string, unknown>, expectedVersion?: number, labels?: Record<string, string>): Promise<{ object: ObjectRow; operation: Operation }> {
    const target = objectTarget(object.kind);
    return this.#c.tx(async (tx) => {
      const updated = orProblem(await this.#objects[object.kind].update(tx, object.id, data, expectedVersion, labels), { missing: target });
      const operation = await this.#trail.operation(tx, p, `${target}.update`, target, object.id, updated.version, { name: object.name });
      await this.#outbox.add(tx, objectsJob({ instanceId: object.instanceId, kind: object.kind, reason: 'updated' }));
      return { object: updated, operation };
    });
  }
  /**
   * Labels only: the brokers never see them, so no reconcile job and no operation; the version still
   * moves (If-Match of an earlier read is a 412) and the change is audited.
   */
  async relabel(p: Principal, object: ObjectRow, labels: Record<string, string>, expectedVersion?: number): Promise<ObjectRow> {
    const target = objectTarget(object.kind);
    return this.#c.tx(async (tx) => {
      const updated = orProblem(await this.#objects[object.kind].update(tx, object.id, undefined, expectedVersion, labels), { missing: target });
      await this.#trail.audit(tx, p, `${target}.relabel`, target, object.id, { name: object.name, labels }, updated.version);
      return updated;
    });
  }
  async delete(p: Principal, object: ObjectRow, expectedVersion?: number): Promise<{ object: ObjectRow; operation: Operation }> {
    const target = objectTarget(object.kind);
    return this.#c.tx(async (tx) => {
      const deleted = orProblem(await this.#objects[object.kind].markDeleted(tx, object.id, expectedVersion), { missing: target });
      const operation = await this.#trail.operation(tx, p, `${target}.delete`, target, object.id, deleted.version, { name: object.name });
      await this.#outbox.add(tx, objectsJob({ instanceId: object.instanceId, kind: object.kind, reason: 'deleted' }));
      return { object: deleted, operation };
    });
  }
}
