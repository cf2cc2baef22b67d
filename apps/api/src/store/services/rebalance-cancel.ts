import type { Operation } from '@tributary/contracts';
import { REBALANCE_CANCEL_KIND } from '@tributary/contracts';
import { ApiError, notFound } from '../../errors.ts';
import { instanceJob } from '../../jobs/reconcile-jobs.ts';
import type { Connection } from '../connection.ts';
import type { OperationRepository } from '../repositories/operations.ts';
import type { OutboxRepository } from '../repositories/outbox.ts';
import type { Principal } from '../types.ts';
import type { Trail } from './trail.ts';

/**
 * Cancelling the data an operation moves between brokers (a scale-up's rebalance, a scale-down's
 * drain, a replication-factor change; issue 20). The API only records the request, as a
 * `rebalance.cancel` operation on the instance with its reconcile job: the operator cancels the
 * brokers' reassignments under its per-instance lease (so no pass of its own can start them again
 * meanwhile), the brokers put the original replicas back (Kafka's cancel), and the operator ends the
 * cancelled operations Failed ("cancelled") and this one Succeeded. It then starts no moves for the
 * instance until its spec or a topic changes again (apps/operator rebalance-hold.ts).
 */
export class RebalanceCancelService {
  readonly #c: Connection;
  readonly #operations: OperationRepository;
  readonly #outbox: OutboxRepository;
  readonly #trail: Trail;
  constructor(c: Connection, repos: { operations: OperationRepository; outbox: OutboxRepository }, trail: Trail) {
    this.#c = c; this.#operations = repos.operations; this.#outbox = repos.outbox; this.#trail = trail;
  }

  /** Accepts a cancel of `operationId`'s moves; a cancel already waiting for the operator is answered again. */
  async cancel(p: Principal, operationId: string): Promise<Operation> {
    const target = await this.#operations.get(p.accountId, operationId);
    if (!target) throw notFound('operation');
    const instanceId = target.targetType === 'instance' ? target.targetId
      : target.targetType === 'topic' ? (await this.#c.db.topic.findUnique({ where: { id: target.targetId }, select: { instanceId: true } }))?.instanceId ?? null
      : null;
    if (target.state === 'Succeeded' || target.state === 'Failed') {
      throw new ApiError('operation-finished', `operation ${operationId} already ended ${target.state}${target.error ? ` (${target.error})` : ''}; there is nothing left to cancel`);
    }
    if (instanceId === null || target.progress === null) {
      throw new ApiError('nothing-to-cancel', `operation ${operationId} (${target.kind}) moves no data between brokers; only a rebalance, a drain or a replication-factor change in progress can be cancelled`);
    }
    return this.#c.instanceWrite(instanceId, async (tx) => {
      const instance = await tx.instance.findFirst({ where: { id: instanceId, accountId: p.accountId, deletedAt: null }, select: { generation: true } });
      if (!instance) throw notFound('instance');
      // One cancel at a time: the operator cancels every reassignment of the instance at once.
      const waiting = await tx.operation.findFirst({
        where: { targetId: instanceId, kind: REBALANCE_CANCEL_KIND, state: 'Pending', OR: [{ outcome: { is: null } }, { outcome: { state: { in: ['Pending', 'Running'] } } }] },
        select: { id: true },
      });
      if (waiting) return (await this.#operations.get(p.accountId, waiting.id))!;
      const op = await this.#trail.operation(tx, p, REBALANCE_CANCEL_KIND, 'instance', instanceId, instance.generation, { cancels: operationId });
      await this.#outbox.add(tx, instanceJob({ instanceId, generation: instance.generation, reason: 'rebalance-cancel', operationId: op.id }));
      return op;
    });
  }
}
