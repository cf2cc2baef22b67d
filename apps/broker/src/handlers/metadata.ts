import { ErrorCode, type MetadataRequest } from '@tributary/protocol';
import { advertisedFor, settingNumber } from '../config/broker-config.ts';
import { TopicError, topicNameProblem, type TopicState } from '../topics/topic-registry.ts';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed, allowedOnCluster, authorizedOperations } from '../security/request-guards.ts';
import { topicLimitProblem } from '../quota/instance-limits.ts';
import type { BrokerContext, Handler } from './context.ts';

export const handleMetadata: Handler = (ctx: BrokerContext, request, session) => {
  const req = request.body as MetadataRequest;
  const v = request.apiVersion;
  const advertised = advertisedFor(ctx.config, session.listener);
  const autoCreate = ctx.config.settings['auto.create.topics.enable'] === 'true' && (v < 4 || req.allowAutoTopicCreation);
  // v0 asks for all topics with an empty list; v1+ with null.
  const all = req.topics === null || (v === 0 && req.topics.length === 0);
  const names = all ? ctx.topics.list().map((t) => t.name).filter((name) => allowed(ctx, session, Op.DESCRIBE, ResourceType.TOPIC, name)) : req.topics!.map((t) => t.name ?? ctx.topics.byId(t.topicId)?.name ?? '');

  const topics = names.map((name) => {
    let topic: TopicState | undefined = ctx.topics.get(name);
    let errorCode = 0;
    const mayCreate = () => allowedOnCluster(ctx, session, Op.CREATE) || allowed(ctx, session, Op.CREATE, ResourceType.TOPIC, name);
    if (!all && (topic ? !allowed(ctx, session, Op.DESCRIBE, ResourceType.TOPIC, name) : autoCreate && !topicNameProblem(name) && !mayCreate())) {
      return { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, name, topicId: undefined, isInternal: false, partitions: [] };
    }
    if (!topic && autoCreate && !topicNameProblem(name)) {
      try {
        const limit = topicLimitProblem(ctx, 1, settingNumber(ctx.config, 'num.partitions'));
        if (limit) throw new TopicError(ErrorCode.POLICY_VIOLATION, limit);
        topic = ctx.topics.create(name, settingNumber(ctx.config, 'num.partitions'));
        ctx.logger.log('info', 'topic auto-created', { topic: name, partitions: topic.partitions });
        // Kafka answers LEADER_NOT_AVAILABLE while a new topic's leaders are elected; here they exist at once.
      } catch (err) {
        errorCode = err instanceof TopicError ? err.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR;
      }
    } else if (!topic) {
      errorCode = topicNameProblem(name) ? ErrorCode.INVALID_TOPIC_EXCEPTION : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    }
    return {
      errorCode,
      name,
      topicId: topic?.topicId,
      isInternal: name.startsWith('__'),
      ...(v >= 8 && req.includeTopicAuthorizedOperations && topic ? { topicAuthorizedOperations: authorizedOperations(ctx, session, 'topic', name) } : {}),
      partitions: Array.from({ length: topic?.partitions ?? 0 }, (_, p) => ({
        errorCode: 0,
        partitionIndex: p,
        leaderId: ctx.config.nodeId,
        leaderEpoch: 0,
        replicaNodes: [ctx.config.nodeId],
        isrNodes: [ctx.config.nodeId],
        offlineReplicas: [],
      })),
    };
  });
  return {
    brokers: [{ nodeId: ctx.config.nodeId, host: advertised.host, port: advertised.port, rack: null }],
    clusterId: ctx.clusterId,
    controllerId: ctx.config.nodeId,
    topics,
    ...(v >= 8 && v <= 10 && req.includeClusterAuthorizedOperations ? { clusterAuthorizedOperations: authorizedOperations(ctx, session, 'cluster') } : {}),
  };
};
