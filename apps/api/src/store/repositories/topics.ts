import { isUniqueViolation, type Db, type TopicStatus, type Topic } from '@tributary/db';
import type { TopicCreate } from '@tributary/contracts';
import type { Connection, Tx } from '../connection.ts';
import type { TopicRow } from '../types.ts';
import { LIST_ORDER, listWhere, type ListQuery } from './list.ts';
import { fail, ok, type RepoResult } from './result.ts';
import { lastChange, topicPhase } from './status.ts';

/** The API's row and the operator's status row as one resource (status.ts composes the phase). */
const topicRow = (r: Topic & { status: TopicStatus | null }): TopicRow => ({
  id: r.id, instanceId: r.instanceId, name: r.name, partitions: r.partitions, replicationFactor: r.replicationFactor,
  configs: r.configs as Record<string, string>, labels: r.labels as Record<string, string>, generation: r.generation,
  observedGeneration: r.status?.observedGeneration ?? 0, phase: topicPhase(r.generation, r.deletedAt !== null, r.status),
  version: r.version, createdAt: r.createdAt, updatedAt: lastChange(r.updatedAt, r.status),
});
const withStatus = { include: { status: true } } as const;

export interface TopicChange { configs?: Record<string, string>; labels?: Record<string, string>; partitions?: number; replicationFactor?: number }

/** The Topic aggregate's rows (desired state; the operator reports its status in topic_status). */
export class TopicRepository {
  readonly #c: Connection;
  constructor(c: Connection) { this.#c = c; }

  async list(instanceId: string, q: ListQuery): Promise<TopicRow[]> {
    const rows = await this.#c.db.topic.findMany({ where: { AND: [{ instanceId, deletedAt: null }, ...listWhere(q)] }, orderBy: LIST_ORDER, take: q.limit + 1, ...withStatus });
    return rows.map(topicRow);
  }
  async get(instanceId: string, name: string): Promise<TopicRow | null> {
    const r = await this.#c.db.topic.findFirst({ where: { instanceId, name, deletedAt: null }, ...withStatus });
    return r ? topicRow(r) : null;
  }
  /** Live topics and their partitions on an instance. */
  async usage(instanceId: string, tx: Tx | Db = this.#c.db): Promise<{ topics: number; partitions: number }> {
    const r = await tx.topic.aggregate({ where: { instanceId, deletedAt: null }, _count: { _all: true }, _sum: { partitions: true } });
    return { topics: r._count._all, partitions: r._sum.partitions ?? 0 };
  }

  async insert(tx: Tx, id: string, instanceId: string, input: TopicCreate): Promise<RepoResult<TopicRow>> {
    try {
      const row = await tx.topic.create({
        data: { id, instanceId, name: input.name, partitions: input.partitions, replicationFactor: input.replicationFactor, configs: input.configs, labels: input.labels, generation: 1 },
        ...withStatus,
      });
      return ok(topicRow(row));
    } catch (err) {
      if (isUniqueViolation(err)) return fail('duplicate');
      throw err;
    }
  }

  /** The next generation with `change`; partitions only grow, so a stale request cannot shrink them. */
  async update(tx: Tx, id: string, change: TopicChange, expectedVersion?: number): Promise<RepoResult<TopicRow>> {
    const { count } = await tx.topic.updateMany({
      where: {
        id, deletedAt: null,
        ...(expectedVersion !== undefined ? { version: expectedVersion } : {}),
        ...(change.partitions !== undefined ? { partitions: { lt: change.partitions } } : {}),
      },
      data: {
        ...(change.configs ? { configs: change.configs } : {}),
        ...(change.labels ? { labels: change.labels } : {}),
        ...(change.partitions !== undefined ? { partitions: change.partitions } : {}),
        ...(change.replicationFactor !== undefined ? { replicationFactor: change.replicationFactor } : {}),
        generation: { increment: 1 }, version: { increment: 1 },
      },
    });
    if (count === 0) return fail(await this.missingOrStale(tx, id));
    return ok(topicRow(await tx.topic.findUniqueOrThrow({ where: { id }, ...withStatus })));
  }

  async markDeleted(tx: Tx, id: string, expectedVersion?: number): Promise<RepoResult<TopicRow>> {
    const { count } = await tx.topic.updateMany({
      where: { id, deletedAt: null, ...(expectedVersion !== undefined ? { version: expectedVersion } : {}) },
      data: { deletedAt: new Date(), generation: { increment: 1 }, version: { increment: 1 } },
    });
    if (count === 0) return fail(await this.missingOrStale(tx, id));
    return ok(topicRow(await tx.topic.findUniqueOrThrow({ where: { id }, ...withStatus })));
  }

  async countLive(tx: Tx, instanceId: string): Promise<number> {
    return tx.topic.count({ where: { instanceId, deletedAt: null } });
  }
  /** Every live topic of an instance marked deleted (the instance is being deleted with ?force=true). */
  async markAllDeleted(tx: Tx, instanceId: string, at: Date): Promise<void> {
    await tx.topic.updateMany({ where: { instanceId, deletedAt: null }, data: { deletedAt: at } });
  }

  private async missingOrStale(tx: Tx, id: string): Promise<'missing' | 'stale'> {
    return (await tx.topic.count({ where: { id, deletedAt: null } })) > 0 ? 'stale' : 'missing';
  }
}
