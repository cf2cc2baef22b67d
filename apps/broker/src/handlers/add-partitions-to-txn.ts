import { ErrorCode } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import { defineApi } from './api-module.ts';
import { fencedFor, transactionCoordinatorFor, transactionStateReplicated } from './transaction-guard.ts';

/**
 * AddPartitionsToTxn as clients send it (v0–3): the partitions join the producer's transaction at
 * its coordinator. Kafka's checks, in its order: WRITE on the transactional id (every partition
 * gets TRANSACTIONAL_ID_AUTHORIZATION_FAILED); then per partition WRITE on its topic
 * (TOPIC_AUTHORIZATION_FAILED) and its existence (UNKNOWN_TOPIC_OR_PARTITION), the others of a
 * refused request getting OPERATION_NOT_ATTEMPTED; then the coordinator's answer for all. v4+ is
 * the brokers' verification path of KIP-890 (not advertised: this broker's leaders do not verify).
 */
export const addPartitionsToTxnApi = defineApi({
  api: 'AddPartitionsToTxn',
  minVersion: 0,
  maxVersion: 3,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'WRITE on the transactional id, WRITE on each topic' },
  handle: async (ctx, request, session) => {
    const req = request.body;
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
