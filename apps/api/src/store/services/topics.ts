import type { Operation, TopicCreate } from '@tributary/contracts';
import { ApiError, limitExceeded, notFound } from '../../errors.ts';
import type { Connection, Tx } from '../connection.ts';
import { newId } from '../repositories/ids.ts';
import type { InstanceLimits, InstanceRepository } from '../repositories/instances.ts';
import type { TopicChange, TopicRepository } from '../repositories/topics.ts';
import type { InstanceRow, ListFilter, Page, Principal, TopicRow } from '../types.ts';
import { orProblem } from './errors.ts';
import { listQuery, page } from './list.ts';
import type { Trail } from './trail.ts';
import type { OutboxRepository } from '../repositories/outbox.ts';
import { topicJob } from '../../jobs/reconcile-jobs.ts';

/**
 * Topics: the instance's topic and partition limits are checked once, inside the write's
 * transaction and under the instance's row lock (limits read from the locked row), so two
 * concurrent creates cannot both pass them and a limit lowered meanwhile is seen.
 */
export class TopicService {
  readonly #c: Connection;
  readonly #instances: InstanceRepository;
  readonly #topics: TopicRepository;
  readonly #outbox: OutboxRepository;
  readonly #trail: Trail;
  constructor(c: Connection, repos: { instances: InstanceRepository; topics: TopicRepository; outbox: OutboxRepository }, trail: Trail) {
    this.#c = c; this.#instances = repos.instances; this.#topics = repos.topics; this.#outbox = repos.outbox; this.#trail = trail;
  }
  #job(tx: Tx, t: TopicRow, reason: 'created' | 'updated' | 'deleted' | 'partitions-increased', operationId: string) {
    return this.#outbox.add(tx, topicJob({ instanceId: t.instanceId, topicId: t.id, topicName: t.name, generation: t.generation, reason, operationId }));
  }

  async list(instanceId: string, f: ListFilter): Promise<Page<TopicRow>> {
    return page(await this.#topics.list(instanceId, listQuery(f)), f.limit);
  }
  get(instanceId: string, name: string): Promise<TopicRow | null> { return this.#topics.get(instanceId, name); }
  usage(instanceId: string): Promise<{ topics: number; partitions: number }> { return this.#topics.usage(instanceId); }

  async create(p: Principal, instance: InstanceRow, input: TopicCreate): Promise<{ topic: TopicRow; operation: Operation }> {
    return this.#c.tx(async (tx) => {
      const id = newId('top');
      // The trail first, the lock last: creates of one instance queue on its row lock, so fewer
      // statements run while holding it (each Prisma statement costs a compile on this thread; the
      // gain could not be measured on the loaded bench machine). A failed check rolls the trail back.
      const operation = await this.#trail.operation(tx, p, 'topic.create', 'topic', id, 1, input);
      const limits = await this.#lock(tx, instance.id);
      const usage = await this.#topics.usage(instance.id, tx);
      if (usage.topics + 1 > limits.topicLimit) throw limitExceeded('topicLimit', limits.topicLimit, usage.topics, 1);
      if (usage.partitions + input.partitions > limits.partitionLimit) throw limitExceeded('partitionLimit', limits.partitionLimit, usage.partitions, input.partitions);
      const topic = orProblem(await this.#topics.insert(tx, id, instance.id, input), {
        missing: 'topic',
        duplicate: () => new ApiError('already-exists', `topic "${input.name}" already exists`, { errors: [{ in: 'body', path: '/name', message: 'already in use' }] }),
      });
      await this.#job(tx, topic, 'created', operation.id);
      return { topic, operation };
    });
  }

  /** Configs and labels (PUT/PATCH), or more partitions (checked against partitionLimit under the lock). */
  async update(p: Principal, topic: TopicRow, change: TopicChange, expectedVersion?: number): Promise<{ topic: TopicRow; operation: Operation }> {
    return this.#c.tx(async (tx) => {
      if (change.partitions !== undefined) {
        if (change.partitions <= topic.partitions) {
          throw new ApiError('partition-decrease', `topic has ${topic.partitions} partitions; partitions can only increase`, {
            errors: [{ in: 'body', path: '/partitions', message: `must be greater than ${topic.partitions}` }],
          });
        }
        const limits = await this.#lock(tx, topic.instanceId);
        const used = (await this.#topics.usage(topic.instanceId, tx)).partitions;
        const more = change.partitions - topic.partitions;
        if (used + more > limits.partitionLimit) throw limitExceeded('partitionLimit', limits.partitionLimit, used, more);
      }
      const updated = orProblem(await this.#topics.update(tx, topic.id, change, expectedVersion), { missing: 'topic' });
      const kind = change.partitions !== undefined ? 'topic.partitions' : 'topic.update';
      const operation = await this.#trail.operation(tx, p, kind, 'topic', topic.id, updated.generation, change);
      await this.#job(tx, updated, change.partitions !== undefined ? 'partitions-increased' : 'updated', operation.id);
      return { topic: updated, operation };
    });
  }

  async delete(p: Principal, topic: TopicRow, expectedVersion?: number): Promise<{ topic: TopicRow; operation: Operation }> {
    return this.#c.tx(async (tx) => {
      const deleted = orProblem(await this.#topics.markDeleted(tx, topic.id, expectedVersion), { missing: 'topic' });
      const operation = await this.#trail.operation(tx, p, 'topic.delete', 'topic', topic.id, deleted.generation, {});
      await this.#job(tx, deleted, 'deleted', operation.id);
      return { topic: deleted, operation };
    });
  }

  async #lock(tx: Tx, id: string): Promise<InstanceLimits> {
    const limits = await this.#instances.lock(tx, id);
    if (!limits) throw notFound('instance');
    return limits;
  }
}
