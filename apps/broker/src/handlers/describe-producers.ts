import { ErrorCode, errorInfo } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import { defineApi } from './api-module.ts';

/**
 * DescribeProducers (KIP-664, `kafka-transactions describe-producers` and `find-hanging`): the
 * producer state a replica keeps for each partition, with the first offset of a running
 * transaction. Any replica answers (the tool's --broker-id asks a follower), as Kafka's
 * ReplicaManager.activeProducerState: READ on the topic (else TOPIC_AUTHORIZATION_FAILED),
 * UNKNOWN_TOPIC_OR_PARTITION for a partition the cluster does not have, NOT_LEADER_OR_FOLLOWER
 * for one this broker holds no replica of. As in Kafka, the errors KafkaApis finds itself (topic
 * denied or unknown) carry the error's message; those of the replica manager none.
 */
export const describeProducersApi = defineApi({
  api: 'DescribeProducers',
  minVersion: 0,
  maxVersion: 0,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'READ on each topic' },
  handle: (ctx, request, session) => ({
    throttleTimeMs: 0,
    topics: request.body.topics.map((t) => {
      const permitted = allowed(ctx, session, Op.READ, ResourceType.TOPIC, t.name);
      return {
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => {
          const failed = (errorCode: number, withMessage = false) => ({ partitionIndex, errorCode, errorMessage: withMessage ? errorInfo(errorCode).message : null, activeProducers: [] });
          if (!permitted) return failed(ErrorCode.TOPIC_AUTHORIZATION_FAILED, true);
          if (!ctx.cluster.partition(t.name, 0)) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, true);
          if (!ctx.cluster.partition(t.name, partitionIndex)) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          const log = ctx.topics.log(t.name, partitionIndex);
          if (!log) return failed(ErrorCode.NOT_LEADER_OR_FOLLOWER);
          const activeProducers = log.activeProducers().map((p) => ({ producerId: p.producerId, producerEpoch: p.epoch, lastSequence: p.lastSequence, lastTimestamp: BigInt(p.lastTimestamp), coordinatorEpoch: p.coordinatorEpoch, currentTxnStartOffset: BigInt(p.currentTxnStartOffset) }));
          return { partitionIndex, errorCode: 0, errorMessage: null, activeProducers };
        }),
      };
    }),
  }),
});
