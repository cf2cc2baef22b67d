import { ErrorCode } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import { txnStateName } from '../txn/transaction-records.ts';
import { defineApi } from './api-module.ts';

/**
 * DescribeTransactions (KIP-664, `kafka-transactions describe`): the state of each transactional id
 * this broker coordinates, as Kafka's KafkaApis and TransactionCoordinator answer it: DESCRIBE on
 * the id (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED), NOT_COORDINATOR for ids another broker
 * coordinates, TRANSACTIONAL_ID_NOT_FOUND for unknown ones; the transaction's partitions only on
 * topics the principal may describe.
 */
export const describeTransactionsApi = defineApi({
  api: 'DescribeTransactions',
  minVersion: 0,
  maxVersion: 0,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'DESCRIBE on each transactional id; partitions only of topics with DESCRIBE' },
  handle: (ctx, request, session) => ({
    throttleTimeMs: 0,
    transactionStates: request.body.transactionalIds.map((transactionalId) => {
      const failed = (errorCode: number) => ({ errorCode, transactionalId });
      if (!allowed(ctx, session, Op.DESCRIBE, ResourceType.TRANSACTIONAL_ID, transactionalId)) return failed(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      if (transactionalId === '') return failed(ErrorCode.INVALID_REQUEST);
      const lookup = ctx.transactions.lookup(transactionalId);
      if (!lookup.ok) return failed(lookup.errorCode);
      const t = lookup.coordinator.describe(transactionalId);
      if (!t) return failed(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
      const topics = [...t.partitions].filter(([topic]) => allowed(ctx, session, Op.DESCRIBE, ResourceType.TOPIC, topic)).map(([topic, partitions]) => ({ topic, partitions: [...partitions] }));
      return { errorCode: 0, transactionalId, transactionState: txnStateName(t.state), transactionTimeoutMs: t.timeoutMs, transactionStartTimeMs: BigInt(t.startMs), producerId: t.producerId, producerEpoch: t.producerEpoch, topics };
    }),
  }),
});
