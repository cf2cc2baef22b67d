import { defineApi } from './api-module.ts';
import { fencedFor, transactionCoordinatorFor, transactionStateReplicated } from './transaction-guard.ts';

/**
 * EndTxn (transaction version 1 clients: v0–4): the coordinator persists PrepareCommit or
 * PrepareAbort and answers; the markers follow (txn/transaction-coordinator.ts), and until they
 * are written the producer's next transaction gets CONCURRENT_TRANSACTIONS, which clients retry.
 * v5 (KIP-890 part 2: an epoch bump per transaction) is not advertised, so Kafka 4 clients use v4.
 */
export const endTxnApi = defineApi({
  api: 'EndTxn',
  minVersion: 0,
  maxVersion: 4,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'WRITE on the transactional id' },
  handle: async (ctx, request, session) => {
    const req = request.body;
    const lookup = transactionCoordinatorFor(ctx, session, req.transactionalId);
    if (!lookup.ok) return { throttleTimeMs: 0, errorCode: lookup.errorCode };
    const errorCode = fencedFor(lookup.coordinator.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed), request.apiVersion < 2);
    return { throttleTimeMs: 0, errorCode: errorCode || (await transactionStateReplicated(ctx, req.transactionalId)) };
  },
});
