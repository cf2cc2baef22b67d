import {
  ErrorCode,
  type CreatePartitionsRequest,
  type DeleteRecordsRequest,
  type DescribeClusterRequest,
  type OffsetForLeaderEpochRequest,
} from '@tributary/protocol';
import { TopicError } from '../topics/topic-registry.ts';
import { addedAssignment } from '../topics/manual-assignment.ts';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed, allowedOnCluster, authorizedOperations } from '../security/request-guards.ts';
import { topicLimitProblem } from '../quota/instance-limits.ts';
import { MutationGate } from '../quota/mutation-gate.ts';
import type { BrokerContext, Handler } from './context.ts';
import { listenerFor } from '../config/broker-config.ts';

function errorOf(err: unknown): { errorCode: number; errorMessage: string } {
  if (err instanceof TopicError) return { errorCode: err.errorCode, errorMessage: err.message };
  throw err;
}

export const handleCreatePartitions: Handler = async (ctx: BrokerContext, request, session) => {
  const req = request.body as CreatePartitionsRequest;
  const gate = new MutationGate(ctx, session, request.apiVersion >= 3);
  const results = [];
  for (const t of req.topics) results.push(await (async () => {
    if (!allowed(ctx, session, Op.ALTER, ResourceType.TOPIC, t.name)) return { name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: `${session.principal} may not alter topic ${t.name}` };
    if (gate.refuse()) return { name: t.name, errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED, errorMessage: 'the controller mutation rate quota is exceeded; retry after throttle_time_ms' };
    try {
      const current = ctx.topics.get(t.name)?.partitions ?? t.count;
      if (!ctx.topics.get(t.name)) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${t.name}' does not exist.`);
      if (t.count <= current) throw new TopicError(ErrorCode.INVALID_PARTITIONS, `The topic ${t.name} currently has ${current} partition(s); ${t.count} would not be an increase.`);
      let assignment: number[][] | undefined;
      if (t.assignments !== null && t.assignments.length > 0) {
        const replicationFactor = ctx.cluster.partition(t.name, 0)?.replicas.length ?? 1;
        assignment = addedAssignment(t.assignments, t.count - current, new Set(ctx.cluster.brokers().map((b) => b.nodeId)), replicationFactor);
      }
      const limit = topicLimitProblem(ctx, 0, t.count - current);
      if (limit) throw new TopicError(ErrorCode.POLICY_VIOLATION, limit);
      await ctx.cluster.addPartitions(t.name, t.count, req.validateOnly, assignment);
      if (!req.validateOnly) gate.record(t.count - current);
      if (!req.validateOnly) ctx.logger.log('info', 'partitions added', { topic: t.name, partitions: t.count });
      return { name: t.name, errorCode: 0, errorMessage: null };
    } catch (err) {
      return { name: t.name, ...errorOf(err) };
    }
  })());
  return { throttleTimeMs: gate.throttleMs, results };
};

export const handleDeleteRecords: Handler = (ctx: BrokerContext, request, session) => {
  const req = request.body as DeleteRecordsRequest;
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        if (!allowed(ctx, session, Op.DELETE, ResourceType.TOPIC, t.name)) return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
        const lead = ctx.replicas.leaderFor(t.name, p.partitionIndex);
        if (!lead.ok) return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: lead.errorCode };
        const log = lead.log;
        // -1 means "up to the high watermark"; nothing beyond it may be deleted.
        const target = p.offset === -1n ? log.highWatermark : Number(p.offset);
        if (target < 0 || target > log.highWatermark) return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
        return { partitionIndex: p.partitionIndex, lowWatermark: BigInt(log.deleteRecordsBefore(target)), errorCode: 0 };
      }),
    })),
  };
};

/**
 * Where a leader epoch ends in the leader's log (KIP-101/279): followers truncate to it after a
 * leader change, consumers use it to detect log truncation (KIP-320).
 */
export const handleOffsetForLeaderEpoch: Handler = (ctx: BrokerContext, request, session) => {
  const req = request.body as OffsetForLeaderEpochRequest;
  const v = request.apiVersion;
  const follower = v >= 3 && req.replicaId >= 0;
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => {
        const refused = (errorCode: number) => ({ partition: p.partition, errorCode, endOffset: -1n, ...(v >= 1 ? { leaderEpoch: -1 } : {}) });
        if (follower ? !allowedOnCluster(ctx, session, Op.CLUSTER_ACTION) : !allowed(ctx, session, Op.DESCRIBE, ResourceType.TOPIC, t.topic)) return refused(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
        const lead = ctx.replicas.leaderFor(t.topic, p.partition, v >= 2 ? p.currentLeaderEpoch : -1);
        if (!lead.ok) return refused(lead.errorCode);
        const found = lead.log.endOffsetForEpoch(p.leaderEpoch);
        return { partition: p.partition, errorCode: 0, endOffset: BigInt(found.endOffset), ...(v >= 1 ? { leaderEpoch: found.epoch } : {}) };
      }),
    })),
  };
};

/**
 * DescribeCluster answers every principal, as Kafka's AuthHelper.computeDescribeClusterResponse
 * does (the brokers are no secret: Metadata names them too); DESCRIBE on the cluster only decides
 * whether the authorized-operations bitfield a client asks for is filled in (0 without it).
 */
export const handleDescribeCluster: Handler = (ctx: BrokerContext, request, session) => {
  const asked = (request.body as DescribeClusterRequest).includeClusterAuthorizedOperations;
  const operations = allowedOnCluster(ctx, session, Op.DESCRIBE) ? authorizedOperations(ctx, session, 'cluster') : 0;
  return {
    errorCode: 0,
    errorMessage: null,
    clusterId: ctx.clusterId,
    controllerId: ctx.cluster.controllerId(),
    brokers: ctx.cluster.brokers().map((b) => {
      const node = listenerFor(b.listeners, session.listener);
      return { brokerId: b.nodeId, host: node.host, port: node.port, rack: b.rack };
    }),
    ...(asked ? { clusterAuthorizedOperations: operations } : {}),
  };
};
