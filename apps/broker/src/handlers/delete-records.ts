import { ErrorCode } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import { topicLogConfig } from '../topics/topic-configs.ts';
import type { BrokerContext, RequestSession } from './context.ts';
import { defineApi } from './api-module.ts';

interface PartitionAnswer {
  partitionIndex: number;
  lowWatermark: bigint;
  errorCode: number;
}

/**
 * DeleteRecords as Kafka's ReplicaManager.deleteRecords: the leader moves its log start offset,
 * then the partition is answered once every live replica has moved its own (the low watermark,
 * which followers report in their fetches), or REQUEST_TIMED_OUT after the request's timeout.
 * Partitions are handled side by side, so one slow follower delays only its own partitions' answer.
 */
export const deleteRecordsApi = defineApi({
  api: 'DeleteRecords',
  minVersion: 0,
  maxVersion: 2,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'DELETE on each topic' },
  handle: async (ctx, request, session) => {
    const req = request.body;
    return {
      throttleTimeMs: 0,
      topics: await Promise.all(
        req.topics.map(async (t) => ({
          name: t.name,
          partitions: await Promise.all(t.partitions.map((p) => deletePartition(ctx, session, t.name, p.partitionIndex, p.offset, req.timeoutMs))),
        })),
      ),
    };
  },
});

async function deletePartition(ctx: BrokerContext, session: RequestSession, topic: string, partitionIndex: number, offset: bigint, timeoutMs: number): Promise<PartitionAnswer> {
  const refused = (errorCode: number): PartitionAnswer => ({ partitionIndex, lowWatermark: -1n, errorCode });
  if (!allowed(ctx, session, Op.DELETE, ResourceType.TOPIC, topic)) return refused(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  const lead = ctx.replicas.leaderFor(topic, partitionIndex);
  if (!lead.ok) return refused(lead.errorCode);
  // A compacted topic's records are the cleaner's to remove (Kafka: "Records of partition ... can
  // not be deleted due to the configured policy"); compact,delete topics allow it.
  if (!topicLogConfig(ctx.config, topic, ctx.topics.get(topic)?.configs ?? {}).cleanupPolicy.split(',').includes('delete')) return refused(ErrorCode.POLICY_VIOLATION);
  const log = lead.log;
  // -1 means "up to the high watermark"; nothing beyond it may be deleted.
  const target = offset === -1n ? log.highWatermark : Number(offset);
  if (target < 0 || target > log.highWatermark) return refused(ErrorCode.OFFSET_OUT_OF_RANGE);
  log.deleteRecordsBefore(target);
  const done = await ctx.replicas.waitForLowWatermark(topic, partitionIndex, target, timeoutMs);
  return { partitionIndex, lowWatermark: BigInt(done.lowWatermark), errorCode: done.errorCode };
}
