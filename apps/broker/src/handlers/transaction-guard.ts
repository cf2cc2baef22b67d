import { ErrorCode } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import type { TransactionCoordinator } from '../txn/transaction-coordinator.ts';
import { TRANSACTION_STATE_TOPIC } from '../txn/transaction-state-store.ts';
import type { BrokerContext, RequestSession } from './context.ts';

/**
 * What every transaction API checks first, in Kafka's order: WRITE on the transactional id
 * (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), then that this broker coordinates it (NOT_COORDINATOR,
 * or COORDINATOR_NOT_AVAILABLE while `__transaction_state` has no leader or does not exist).
 */
export function transactionCoordinatorFor(ctx: BrokerContext, session: RequestSession, transactionalId: string): { ok: true; coordinator: TransactionCoordinator } | { ok: false; errorCode: number } {
  if (!allowed(ctx, session, Op.WRITE, ResourceType.TRANSACTIONAL_ID, transactionalId)) return { ok: false, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
  return ctx.transactions.lookup(transactionalId);
}

/**
 * PRODUCER_FENCED as a client of that request version understands it: clients older than the
 * error (EndTxn, AddPartitionsToTxn, AddOffsetsToTxn before v2, InitProducerId before v4) get
 * INVALID_PRODUCER_EPOCH, which they treat the same way, as Kafka's KafkaApis answers them.
 */
export function fencedFor(errorCode: number, oldClient: boolean): number {
  return oldClient && errorCode === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : errorCode;
}

/**
 * A coordinator's answer is sent once its `__transaction_state` record is on every in-sync
 * replica (Kafka appends it with acks=-1), so that a new coordinator after a failover knows the
 * transition: NOT_COORDINATOR when leadership moved meanwhile, COORDINATOR_NOT_AVAILABLE when the
 * replicas did not confirm in time (the client retries).
 */
export async function transactionStateReplicated(ctx: BrokerContext, transactionalId: string): Promise<number> {
  const partition = ctx.transactions.partitionFor(transactionalId);
  const log = ctx.topics.log(TRANSACTION_STATE_TOPIC, partition);
  if (!log) return ErrorCode.NOT_COORDINATOR;
  const code = await ctx.replicas.waitForReplication(TRANSACTION_STATE_TOPIC, partition, log.logEndOffset, 1, 10_000);
  if (code === ErrorCode.NOT_LEADER_OR_FOLLOWER) return ErrorCode.NOT_COORDINATOR;
  return code === 0 ? 0 : ErrorCode.COORDINATOR_NOT_AVAILABLE;
}
