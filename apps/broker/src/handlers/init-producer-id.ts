import { ErrorCode } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed, allowedOnCluster } from '../security/request-guards.ts';
import { defineApi } from './api-module.ts';
import { fencedFor, transactionStateReplicated } from './transaction-guard.ts';

export const initProducerIdApi = defineApi({
  api: 'InitProducerId',
  minVersion: 0,
  maxVersion: 5,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'WRITE on the transactional id; IDEMPOTENT_WRITE on the cluster or WRITE on some topic for an idempotent producer' },
  handle: async (ctx, request, session) => {
    const req = request.body;
    if (req.transactionalId !== null) {
      // Kafka checks WRITE on the transactional id first, whatever happens next.
      if (!allowed(ctx, session, Op.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
      const expected = namedProducer(request.apiVersion, req.producerId, req.producerEpoch);
      if (expected === 'invalid') return { errorCode: ErrorCode.INVALID_REQUEST, producerId: -1n, producerEpoch: -1 };
      // Only the coordinator of the id's __transaction_state partition answers (NOT_COORDINATOR elsewhere: the client asks FindCoordinator).
      const lookup = ctx.transactions.lookup(req.transactionalId);
      if (!lookup.ok) return { errorCode: lookup.errorCode, producerId: -1n, producerEpoch: -1 };
      try {
        const result = await lookup.coordinator.initProducerId(req.transactionalId, req.transactionTimeoutMs, expected);
        if (result.errorCode !== 0) return { ...result, errorCode: fencedFor(result.errorCode, request.apiVersion < 4) };
        const persisted = await transactionStateReplicated(ctx, req.transactionalId);
        return persisted === 0 ? result : { errorCode: persisted, producerId: -1n, producerEpoch: -1 };
      } catch {
        // No producer id could be allocated (etcd unreachable): the client retries.
        return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1n, producerEpoch: -1 };
      }
    }
    // KIP-679: IDEMPOTENT_WRITE on the cluster, or WRITE on any topic, lets a producer be idempotent.
    if (!allowedOnCluster(ctx, session, Op.IDEMPOTENT_WRITE) && !ctx.authorizer.mayWriteSomeTopic(session)) return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
    if (namedProducer(request.apiVersion, req.producerId, req.producerEpoch) === 'invalid') return { errorCode: ErrorCode.INVALID_REQUEST, producerId: -1n, producerEpoch: -1 };
    // An idempotent producer always gets a new id at epoch 0, whatever id and epoch it names (Kafka's
    // TransactionCoordinator "blindly accepts" a request without transactional id): bumping the epoch
    // of a named id would let any client take over another producer's id (kafka-go names 0/0).
    try {
      return { errorCode: 0, producerId: await ctx.producerIds.next(), producerEpoch: 0 };
    } catch {
      // etcd unreachable: the client retries (Kafka answers the same while it cannot allocate ids).
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1n, producerEpoch: -1 };
    }
  },
});

/**
 * The producer a request names (v3+, KIP-360): none when both id and epoch are -1 (and below v3,
 * which has neither field), INVALID_REQUEST when only one is, as Kafka's KafkaApis decides after
 * authorization and before the coordinator is asked.
 */
function namedProducer(version: number, producerId: bigint, producerEpoch: number): { producerId: bigint; producerEpoch: number } | null | 'invalid' {
  if (version < 3 || (producerId === -1n && producerEpoch === -1)) return null;
  if (producerId === -1n || producerEpoch === -1) return 'invalid';
  return { producerId, producerEpoch };
}
