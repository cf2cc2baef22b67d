import { defineApi } from './api-module.ts';
import { fencedFor, transactionCoordinatorFor, transactionStateReplicated } from './transaction-guard.ts';

/**
 * EndTxn: the coordinator persists PrepareCommit or PrepareAbort and answers; the markers follow
 * (txn/transaction-coordinator.ts), and until they are written the producer's next transaction
 * gets CONCURRENT_TRANSACTIONS, which clients retry. v5 is a producer of transaction version 2
 * (KIP-890 part 2): the end bumps its epoch and the answer carries the id and epoch it continues
 * with. Clients send v5 only when ApiVersions finalizes transaction.version 2
 * (`tributary.transaction.version`).
 */
export const endTxnApi = defineApi({
  api: 'EndTxn',
  minVersion: 0,
  maxVersion: 5,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'WRITE on the transactional id' },
  handle: async (ctx, request, session) => {
    const req = request.body;
    const lookup = transactionCoordinatorFor(ctx, session, req.transactionalId);
    if (!lookup.ok) return { throttleTimeMs: 0, errorCode: lookup.errorCode };
    if (request.apiVersion >= 5) {
      const r = await lookup.coordinator.endTxnV2(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
      const errorCode = r.errorCode || (await transactionStateReplicated(ctx, req.transactionalId));
      return errorCode === 0 ? { throttleTimeMs: 0, errorCode, producerId: r.producerId, producerEpoch: r.producerEpoch } : { throttleTimeMs: 0, errorCode };
    }
    const errorCode = fencedFor(lookup.coordinator.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed), request.apiVersion < 2);
    return { throttleTimeMs: 0, errorCode: errorCode || (await transactionStateReplicated(ctx, req.transactionalId)) };
  },
});
