import type { InstanceSpec, Operation } from '@tributary/contracts';
import { specOf, type Instance } from '@tributary/db';
import { addMonths, planPrepaidChange, samePending, withPending } from '@tributary/pricing';
import { ApiError, limitBelowUsage, notFound } from '../../errors.ts';
import type { Connection, Tx } from '../connection.ts';
import { newId } from '../repositories/ids.ts';
import { pendingOf, type InstanceRepository } from '../repositories/instances.ts';
import type { TopicRepository } from '../repositories/topics.ts';
import type { UsageRepository } from '../repositories/usage.ts';
import type { OutboxRepository } from '../repositories/outbox.ts';
import { instanceJob } from '../../jobs/reconcile-jobs.ts';
import type { InstanceRow, ListFilter, Page, Principal } from '../types.ts';
import { orProblem } from './errors.ts';
import { listQuery, page } from './list.ts';
import type { Trail } from './trail.ts';
import { sizeOf, type InvoiceService } from './invoices.ts';

/** The spec's billable quantities, recorded on every spec change (metering proper comes later). */
export function usageOfSpec(spec: InstanceSpec): [string, number][] {
  return [['broker-hour', spec.brokers], ['bandwidth-mbps-hour', spec.bandwidthMBps], ['disk-gib-hour', spec.diskGiB]];
}
/**
 * What of a requested spec applies now and what waits (libs/pricing `planPrepaidChange`). Inside a
 * paid prepaid period a lower sold level waits for the renewal (the spec keeps the paid level);
 * outside one (postpaid, or a prepaid instance past its expiry, whose next period is priced at the
 * renewal) everything applies now, a waiting downgrade included. Once the renewal at the pending
 * size is paid (`effectiveAt` set), the pending levels are fixed: a request that would change them
 * is refused with `pending-change-renewed`.
 */
function prepaidSplit(before: Instance, requested: InstanceSpec, inPaidPeriod: boolean, now: Date): { spec: InstanceSpec; pending: InstanceRow['pending'] } {
  const was = pendingOf(before);
  const plan = planPrepaidChange(sizeOf(specOf(before)), sizeOf(requested), was?.size ?? null);
  if (!inPaidPeriod) return { spec: { ...requested, ...withPending(plan.now, plan.pending) }, pending: null };
  if (was?.effectiveAt && !samePending(plan.pending, was.size)) {
    throw new ApiError('pending-change-renewed', `the renewal from ${was.effectiveAt.toISOString()} is paid at the pending size; its sold size can change again once that applies`, {
      errors: [{ in: 'body', path: '/spec', message: 'the sold size is fixed until the paid downgrade applies' }],
    });
  }
  const pending = plan.pending
    ? { size: plan.pending, requestedAt: was && samePending(plan.pending, was.size) ? was.requestedAt : now, effectiveAt: was?.effectiveAt ?? null }
    : null;
  return { spec: { ...requested, ...plan.now }, pending };
}

const nameTaken = (name: string) => () => new ApiError('already-exists', `an instance named "${name}" already exists`, { errors: [{ in: 'body', path: '/name', message: 'already in use' }] });

/**
 * Instances: every change is one transaction with its Operation, AuditEvent, UsageRecords (the
 * open records of the old spec closed, the new spec's opened) and reconcile job (outbox), so neither
 * the trail nor the operator's work can diverge from the spec. Rules that depend on other rows (limits not below usage, no delete with topics unless
 * forced) are checked under the instance's row lock.
 */
export class InstanceService {
  readonly #c: Connection;
  readonly #instances: InstanceRepository;
  readonly #topics: TopicRepository;
  readonly #usage: UsageRepository;
  readonly #outbox: OutboxRepository;
  readonly #trail: Trail;
  readonly #invoices: InvoiceService;
  constructor(c: Connection, repos: { instances: InstanceRepository; topics: TopicRepository; usage: UsageRepository; outbox: OutboxRepository; invoices: InvoiceService }, trail: Trail) {
    this.#c = c; this.#instances = repos.instances; this.#topics = repos.topics; this.#usage = repos.usage; this.#outbox = repos.outbox; this.#trail = trail;
    this.#invoices = repos.invoices;
  }

  async list(accountId: string, f: ListFilter): Promise<Page<InstanceRow>> {
    return page(await this.#instances.list(accountId, listQuery(f)), f.limit);
  }
  get(accountId: string, id: string): Promise<InstanceRow | null> { return this.#instances.get(accountId, id); }

  async create(p: Principal, input: { name: string; labels: Record<string, string>; spec: InstanceSpec }): Promise<{ instance: InstanceRow; operation: Operation }> {
    return this.#c.tx(async (tx) => {
      const id = newId('ins');
      const now = new Date();
      const expires = input.spec.billing.mode === 'prepaid' ? addMonths(now, input.spec.billing.periodMonths ?? 1) : null;
      const instance = orProblem(
        await this.#instances.insert(tx, { id, accountId: p.accountId, name: input.name, labels: input.labels, spec: input.spec, billingStartedAt: now, billingExpiresAt: expires }),
        { missing: 'instance', duplicate: nameTaken(input.name) },
      );
      const operation = await this.#trail.operation(tx, p, 'instance.create', 'instance', id, 1, { spec: input.spec });
      await this.#usage.restart(tx, id, now, usageOfSpec(input.spec), 'spec-change');
      if (input.spec.billing.mode === 'prepaid') {
        // The prepaid period is paid at creation: its invoice, finalised, in the same transaction.
        const months = input.spec.billing.periodMonths ?? 1;
        await this.#invoices.purchase(tx, p.accountId, id, { quote: 'create', size: sizeOf(input.spec), months, at: now.toISOString() }, `prepaid:${id}:create`, now);
      }
      await this.#outbox.add(tx, instanceJob({ instanceId: id, generation: instance.generation, reason: 'created', operationId: operation.id }));
      return { instance, operation };
    });
  }

  async update(p: Principal, id: string, input: { labels: Record<string, string>; spec: InstanceSpec }, expectedVersion?: number): Promise<{ instance: InstanceRow; operation: Operation }> {
    return this.#c.instanceWrite(id, async (tx) => {
      await this.#lock(tx, id);
      const usage = await this.#topics.usage(id, tx);
      if (input.spec.topicLimit < usage.topics) throw limitBelowUsage('topicLimit', input.spec.topicLimit, usage.topics);
      if (input.spec.partitionLimit < usage.partitions) throw limitBelowUsage('partitionLimit', input.spec.partitionLimit, usage.partitions);
      const before = await tx.instance.findFirst({ where: { id, accountId: p.accountId, deletedAt: null } });
      const now = new Date();
      const paidUntil = before && before.billingMode === 'prepaid' && before.billingExpiresAt && before.billingExpiresAt > now ? before.billingExpiresAt : null;
      const { spec, pending } = before ? prepaidSplit(before, input.spec, paidUntil !== null, now) : { spec: input.spec, pending: null };
      const instance = orProblem(await this.#instances.updateSpec(tx, p.accountId, id, { labels: input.labels, spec }, expectedVersion), { missing: 'instance' });
      if (before && (before.pendingSize !== null || pending !== null)) await this.#instances.setPending(tx, id, pending);
      const detail = { spec: input.spec, ...(pending ? { applied: sizeOf(spec), pendingChange: { ...pending.size, requestedAt: pending.requestedAt.toISOString() } } : {}) };
      const operation = await this.#trail.operation(tx, p, 'instance.update', 'instance', id, instance.generation, detail);
      await this.#usage.restart(tx, id, now, usageOfSpec(spec), 'spec-change');
      if (before && paidUntil) {
        // An upgrade mid-period is charged now for the rest of the period; a lower level waits for the renewal (pending), costing nothing now.
        await this.#invoices.purchase(tx, p.accountId, id, { quote: 'change', from: sizeOf(specOf(before)), to: sizeOf(spec), expiresAt: paidUntil.toISOString(), at: now.toISOString() }, `prepaid:${id}:change:${instance.generation}`, now);
      }
      await this.#outbox.add(tx, instanceJob({ instanceId: id, generation: instance.generation, reason: 'updated', operationId: operation.id }));
      return { instance: { ...instance, pending }, operation };
    });
  }

  /**
   * `onlyIf` (the billing sweep's retention deletion) is checked first inside the transaction, under
   * the row lock it takes: false answers 409 conflict and changes nothing (e.g. renewed meanwhile).
   */
  async delete(p: Principal, id: string, opts: { force: boolean; expectedVersion?: number; reason?: string; onlyIf?: (tx: Tx) => Promise<boolean> }): Promise<{ instance: InstanceRow; operation: Operation }> {
    return this.#c.instanceWrite(id, async (tx) => {
      if (opts.onlyIf && !(await opts.onlyIf(tx))) throw new ApiError('conflict', 'the instance is no longer due for deletion');
      const topics = await this.#topics.countLive(tx, id);
      if (topics > 0 && !opts.force) throw new ApiError('instance-has-topics', `instance still has ${topics} topic(s); repeat with ?force=true to delete them too`);
      const now = new Date();
      const instance = orProblem(await this.#instances.markDeleted(tx, p.accountId, id, now, opts.expectedVersion), { missing: 'instance' });
      await this.#topics.markAllDeleted(tx, id, now);
      const operation = await this.#trail.operation(tx, p, 'instance.delete', 'instance', id, instance.generation, { force: opts.force, topics, ...(opts.reason ? { reason: opts.reason } : {}) });
      await this.#usage.restart(tx, id, new Date(), [], 'spec-change');
      await this.#outbox.add(tx, instanceJob({ instanceId: id, generation: instance.generation, reason: 'deleted', operationId: operation.id }));
      return { instance, operation };
    });
  }

  async #lock(tx: Tx, id: string) {
    const limits = await this.#instances.lock(tx, id);
    if (!limits) throw notFound('instance');
    return limits;
  }
}
