import { ErrorCode } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import type { TopicLookup } from '../group/consumer-coordinator.ts';
import { defineApi } from './api-module.ts';
import { admitGroupJoin } from '../quota/instance-limits.ts';
import type { BrokerContext } from './context.ts';

/** The topic registry as the consumer-group coordinator needs it (ids and partition counts by name). */
export function topicLookup(ctx: BrokerContext): TopicLookup {
  return {
    byName: (name) => {
      const t = ctx.topics.get(name);
      return t?.topicId ? { topicId: t.topicId, partitions: t.partitions } : undefined;
    },
    names: () => ctx.topics.list().map((t) => t.name),
    nameOf: (topicId) => ctx.topics.byId(topicId)?.name,
    metadataVersion: () => ctx.cluster.metadataVersion(),
  };
}

/** The group's own session timeout and heartbeat interval (KIP-848 GROUP configs), where set. */
function groupOverrides(configs: Record<string, string>): { groupSessionTimeoutMs?: number; groupHeartbeatIntervalMs?: number } {
  const session = configs['consumer.session.timeout.ms'];
  const interval = configs['consumer.heartbeat.interval.ms'];
  return { ...(session !== undefined ? { groupSessionTimeoutMs: Number(session) } : {}), ...(interval !== undefined ? { groupHeartbeatIntervalMs: Number(interval) } : {}) };
}

/**
 * ConsumerGroupHeartbeat (KIP-848): join, heartbeat, reconcile and leave a "consumer" group in
 * one request (group/consumer-coordinator.ts). v1 (KIP-1082): the client names itself.
 */
export const consumerGroupHeartbeatApi = defineApi({
  api: 'ConsumerGroupHeartbeat',
  minVersion: 0,
  maxVersion: 1,
  serves: 'group-coordinator',
  groupOf: (request) => request.body.groupId,
  authorization: {
    kind: 'before',
    acl: 'READ on the group; DESCRIBE on each subscribed topic name (TOPIC_AUTHORIZATION_FAILED); an expression resolves to the topics with DESCRIBE',
    allowed: (ctx, request, session) => allowed(ctx, session, Op.READ, ResourceType.GROUP, request.body.groupId),
    deniedCode: ErrorCode.GROUP_AUTHORIZATION_FAILED,
  },
  handle: async (ctx, request, session) => {
    const req = request.body;
    const describable = (topic: string) => allowed(ctx, session, Op.DESCRIBE, ResourceType.TOPIC, topic);
    // As Kafka's KafkaApis: subscribed topic names the principal may not describe (existing or not)
    // refuse the whole heartbeat, without a message.
    if (req.subscribedTopicNames !== null && !req.subscribedTopicNames.every(describable)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
    }
    // A member joining (epoch 0) may create the group: the instance's group limit applies, as to JoinGroup.
    const admission = req.memberEpoch === 0 ? await admitGroupJoin(ctx, req.groupId) : null;
    if (admission?.refused) {
      ctx.logger.log('warn', 'consumer group refused', { group: req.groupId, reason: admission.refused.message });
      return { throttleTimeMs: 0, errorCode: admission.refused.errorCode, errorMessage: admission.refused.message, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
    }
    let result;
    try {
      // Answered once the group's records are replicated (GroupCoordinator.consumerGroupHeartbeat),
      // so a new coordinator after a failover knows what this member was told.
      result = await ctx.groups.consumerGroupHeartbeat(
        {
          apiVersion: request.apiVersion,
          groupId: req.groupId,
          memberId: req.memberId,
          memberEpoch: req.memberEpoch,
          instanceId: req.instanceId,
          rackId: req.rackId,
          rebalanceTimeoutMs: req.rebalanceTimeoutMs,
          subscribedTopicNames: req.subscribedTopicNames,
          subscribedTopicRegex: request.apiVersion >= 1 ? req.subscribedTopicRegex : null,
          serverAssignor: req.serverAssignor,
          topicPartitions: req.topicPartitions?.map((t) => ({ topicId: t.topicId, partitions: t.partitions })) ?? null,
          clientId: request.header.clientId ?? '',
          clientHost: `/${session.host}`,
          canDescribeTopic: describable,
          ...groupOverrides(ctx.groupConfigs.get(req.groupId)),
        },
        topicLookup(ctx),
      );
    } finally {
      // The heartbeat created the group (or refused to): the place held for it goes.
      admission?.release();
    }
    return { throttleTimeMs: 0, ...result };
  },
});
