import { ErrorCode } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed, allowedOnCluster } from '../security/request-guards.ts';
import { TRANSACTION_VERSION_2 } from '../txn/transaction-coordinator.ts';
import { defineApi } from './api-module.ts';
import { fencedFor, transactionCoordinatorFor, transactionStateReplicated } from './transaction-guard.ts';

/**
 * AddPartitionsToTxn as clients send it (v0–3): the partitions join the producer's transaction at
 * its coordinator. Kafka's checks, in its order: WRITE on the transactional id (every partition
 * gets TRANSACTIONAL_ID_AUTHORIZATION_FAILED); then per partition WRITE on its topic
 * (TOPIC_AUTHORIZATION_FAILED) and its existence (UNKNOWN_TOPIC_OR_PARTITION), the others of a
 * refused request getting OPERATION_NOT_ATTEMPTED; then the coordinator's answer for all.
 * v4+ is what brokers send each other (CLUSTER_ACTION, else CLUSTER_AUTHORIZATION_FAILED for the
 * request), several transactions at once: verify-only asks whether the partitions are in the
 * running transaction (KIP-890 part 1: TRANSACTION_ABORTABLE for those that are not); otherwise, v5,
 * a leader adds them for a producer of transaction version 2 (txn-implicit-add.ts).
 */
export const addPartitionsToTxnApi = defineApi({
  api: 'AddPartitionsToTxn',
  minVersion: 0,
  maxVersion: 5,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'WRITE on the transactional id, WRITE on each topic (v0–3); CLUSTER_ACTION (v4+)' },
  handle: async (ctx, request, session) => {
    const req = request.body;
    if (request.apiVersion >= 4) {
      if (!allowedOnCluster(ctx, session, Op.CLUSTER_ACTION)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, resultsByTransaction: [] };
      const resultsByTransaction = await Promise.all(req.transactions.map(async (tx) => {
        const asked = tx.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
        const lookup = ctx.transactions.lookup(tx.transactionalId);
        let errorOf: (p: { topic: string; partition: number }) => number;
        if (!lookup.ok) errorOf = () => lookup.errorCode;
        else if (tx.verifyOnly) errorOf = (p) => lookup.coordinator.verify(tx.transactionalId, tx.producerId, tx.producerEpoch, p);
        else {
          const code = lookup.coordinator.addPartitions(tx.transactionalId, tx.producerId, tx.producerEpoch, asked, request.apiVersion >= 5 ? TRANSACTION_VERSION_2 : 0);
          const persisted = code || (await transactionStateReplicated(ctx, tx.transactionalId));
          errorOf = () => persisted;
        }
        return { transactionalId: tx.transactionalId, topicResults: tx.topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: errorOf({ topic: t.name, partition: partitionIndex }) })) })) };
      }));
      return { throttleTimeMs: 0, errorCode: 0, resultsByTransaction };
    }
    const asked = req.v3AndBelowTopics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
    const answer = (errorOf: (p: { topic: string; partition: number }) => number) => {
      const byTopic = new Map<string, { partitionIndex: number; partitionErrorCode: number }[]>();
      for (const p of asked) {
        const list = byTopic.get(p.topic) ?? [];
        list.push({ partitionIndex: p.partition, partitionErrorCode: errorOf(p) });
        byTopic.set(p.topic, list);
      }
      return { throttleTimeMs: 0, resultsByTopicV3AndBelow: [...byTopic].map(([name, resultsByPartition]) => ({ name, resultsByPartition })) };
    };
    if (!allowed(ctx, session, Op.WRITE, ResourceType.TRANSACTIONAL_ID, req.v3AndBelowTransactionalId)) return answer(() => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const refused = new Map<string, number>();
    for (const p of asked) {
      const code = !allowed(ctx, session, Op.WRITE, ResourceType.TOPIC, p.topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : !ctx.cluster.partition(p.topic, p.partition) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : 0;
      if (code !== 0) refused.set(`${p.topic}\0${p.partition}`, code);
    }
    if (refused.size > 0) return answer((p) => refused.get(`${p.topic}\0${p.partition}`) ?? ErrorCode.OPERATION_NOT_ATTEMPTED);
    const lookup = transactionCoordinatorFor(ctx, session, req.v3AndBelowTransactionalId);
    if (!lookup.ok) return answer(() => lookup.errorCode);
    const errorCode = fencedFor(lookup.coordinator.addPartitions(req.v3AndBelowTransactionalId, req.v3AndBelowProducerId, req.v3AndBelowProducerEpoch, asked), request.apiVersion < 2);
    const persisted = errorCode || (await transactionStateReplicated(ctx, req.v3AndBelowTransactionalId));
    return answer(() => persisted);
  },
});
