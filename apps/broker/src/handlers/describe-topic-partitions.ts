import { ErrorCode } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed, authorizedOperations } from '../security/request-guards.ts';
import { defineApi } from './api-module.ts';

/** Kafka's cap on partitions in one answer (max.request.partition.size.limit). */
const MAX_PARTITIONS = 2000;

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * DescribeTopicPartitions (KIP-966), what Kafka 4 admin clients describe topics with: topics in
 * name order (all describable ones when none are named), paged by partitions with a cursor.
 * Unknown topics answer UNKNOWN_TOPIC_OR_PARTITION (with the caller's operations on the name, as
 * Kafka's DescribeTopicPartitionsRequestHandler does), undescribable ones TOPIC_AUTHORIZATION_FAILED;
 * nothing is auto-created.
 */
export const describeTopicPartitionsApi = defineApi({
  api: 'DescribeTopicPartitions',
  minVersion: 0,
  maxVersion: 0,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'DESCRIBE on each topic' },
  handle: (ctx, request, session) => {
    const req = request.body;
    const limit = Math.max(1, Math.min(req.responsePartitionLimit, MAX_PARTITIONS));
    const cursor = req.cursor;
    const live = new Set(ctx.cluster.brokers().map((b) => b.nodeId));
    const named = req.topics.length > 0;
    let names = named ? [...new Set(req.topics.map((t) => t.name))] : ctx.topics.list().map((t) => t.name).filter((n) => allowed(ctx, session, Op.DESCRIBE, ResourceType.TOPIC, n));
    names.sort();
    if (cursor) {
      names = names.filter((n) => n >= cursor.topicName);
    }
    const topics = [];
    let budget = limit;
    let nextCursor: { topicName: string; partitionIndex: number } | null = null;
    for (const name of names) {
      if (budget === 0) {
        nextCursor = { topicName: name, partitionIndex: 0 };
        break;
      }
      const refused = (errorCode: number) => ({ errorCode, name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: -2147483648 });
      const topic = ctx.topics.get(name);
      if (named && !allowed(ctx, session, Op.DESCRIBE, ResourceType.TOPIC, name)) {
        topics.push(refused(ErrorCode.TOPIC_AUTHORIZATION_FAILED));
        continue;
      }
      if (!topic) {
        // Kafka's handler fills in the operations of every describable topic it answers, unknown ones
        // included (only TOPIC_AUTHORIZATION_FAILED answers leave the field at INT_MIN).
        topics.push({ ...refused(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION), topicAuthorizedOperations: authorizedOperations(ctx, session, 'topic', name) });
        continue;
      }
      const first = cursor && cursor.topicName === name ? Math.max(0, cursor.partitionIndex) : 0;
      const last = Math.min(topic.partitions, first + budget);
      const partitions = [];
      for (let p = first; p < last; p++) {
        const state = ctx.cluster.partition(name, p);
        partitions.push(
          state
            ? { errorCode: state.leader < 0 ? ErrorCode.LEADER_NOT_AVAILABLE : 0, partitionIndex: p, leaderId: state.leader, leaderEpoch: state.leaderEpoch, replicaNodes: state.replicas, isrNodes: state.isr, eligibleLeaderReplicas: state.elr ?? [], lastKnownElr: state.lastKnownElr ?? [], offlineReplicas: state.replicas.filter((id) => !live.has(id)) }
            : { errorCode: ErrorCode.LEADER_NOT_AVAILABLE, partitionIndex: p, leaderId: -1, leaderEpoch: -1, replicaNodes: [], isrNodes: [], eligibleLeaderReplicas: [], lastKnownElr: [], offlineReplicas: [] },
        );
      }
      budget -= partitions.length;
      topics.push({ errorCode: 0, name, topicId: topic.topicId, isInternal: name.startsWith('__'), partitions, topicAuthorizedOperations: authorizedOperations(ctx, session, 'topic', name) });
      if (last < topic.partitions) {
        nextCursor = { topicName: name, partitionIndex: last };
        break;
      }
    }
    return { throttleTimeMs: 0, topics, nextCursor };
  },
});
