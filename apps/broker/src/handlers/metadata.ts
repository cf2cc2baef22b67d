import { ErrorCode, ZERO_UUID } from '@tributary/protocol';
import { listenerFor, settingNumber } from '../config/broker-config.ts';
import { TopicError, topicNameProblem, type TopicState } from '../topics/topic-registry.ts';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed, allowedOnCluster, authorizedOperations } from '../security/request-guards.ts';
import { topicLimitProblem } from '../quota/instance-limits.ts';
import { defineApi } from './api-module.ts';

export const metadataApi = defineApi({
  api: 'Metadata',
  minVersion: 0,
  maxVersion: 13,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'DESCRIBE on each topic; auto-creation needs CREATE on the cluster or the topic' },
  handle: async (ctx, request, session) => {
    const req = request.body;
    const v = request.apiVersion;
    const autoCreate = ctx.config.settings['auto.create.topics.enable'] === 'true' && (v < 4 || req.allowAutoTopicCreation);
    // v0 asks for all topics with an empty list; v1+ with null.
    const brokers = ctx.cluster.brokers();
    const live = new Set(brokers.map((b) => b.nodeId));
    const all = req.topics === null || (v === 0 && req.topics.length === 0);
    // v12+ may name topics by id (the Java AdminClient's describeTopics by TopicIdCollection): as in
    // Kafka, ids are looked up and never auto-created; an unknown id is UNKNOWN_TOPIC_ID with the id
    // and no name, an id the principal may not describe TOPIC_AUTHORIZATION_FAILED with the id.
    const byId = !all && v >= 12 && req.topics!.some((t) => t.topicId !== undefined && t.topicId !== ZERO_UUID);
    const idLookups = byId ? req.topics!.filter((t) => t.topicId !== ZERO_UUID).map((t) => ({ id: t.topicId, name: ctx.topics.byId(t.topicId)?.name ?? null })) : [];
    const names = all ? ctx.topics.list().map((t) => t.name).filter((name) => allowed(ctx, session, Op.DESCRIBE, ResourceType.TOPIC, name)) : byId ? idLookups.flatMap((l) => (l.name === null ? [] : [l.name])) : req.topics!.map((t) => t.name ?? '');

    const topics = [];
    for (const l of idLookups) if (l.name === null) topics.push({ errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: l.id, isInternal: false, partitions: [] });
    for (const name of names) topics.push(await (async () => {
      let topic: TopicState | undefined = ctx.topics.get(name);
      let errorCode = 0;
      const mayCreate = () => allowedOnCluster(ctx, session, Op.CREATE) || allowed(ctx, session, Op.CREATE, ResourceType.TOPIC, name);
      if (!all && (topic ? !allowed(ctx, session, Op.DESCRIBE, ResourceType.TOPIC, name) : autoCreate && !byId && !topicNameProblem(name) && !mayCreate())) {
        return { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, name: byId ? null : name, topicId: byId ? topic?.topicId : undefined, isInternal: false, partitions: [] };
      }
      if (!topic && autoCreate && !byId && !topicNameProblem(name)) {
        try {
          const limit = topicLimitProblem(ctx, 1, settingNumber(ctx.config, 'num.partitions'));
          if (limit) throw new TopicError(ErrorCode.POLICY_VIOLATION, limit);
          // In a cluster a non-controller forwards the creation to the controller (KIP-590).
          topic = await ctx.cluster.createTopic({ name, partitions: settingNumber(ctx.config, 'num.partitions'), replicationFactor: settingNumber(ctx.config, 'default.replication.factor'), configs: {} }, false, true);
          ctx.logger.log('info', 'topic auto-created', { topic: name, partitions: topic.partitions });
        } catch (err) {
          errorCode = err instanceof TopicError ? err.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR;
          // Another broker created it first, or the controller is moving: the client asks again.
          topic = ctx.topics.get(name);
          if (topic || errorCode === ErrorCode.TOPIC_ALREADY_EXISTS || errorCode === ErrorCode.NOT_CONTROLLER) errorCode = topic ? 0 : ErrorCode.LEADER_NOT_AVAILABLE;
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
        partitions: Array.from({ length: topic?.partitions ?? 0 }, (_, p) => {
          const state = ctx.cluster.partition(name, p);
          if (!state) return { errorCode: ErrorCode.LEADER_NOT_AVAILABLE, partitionIndex: p, leaderId: -1, leaderEpoch: -1, replicaNodes: [], isrNodes: [], offlineReplicas: [] };
          const offline = state.replicas.filter((id) => !live.has(id));
          // Kafka answers LEADER_NOT_AVAILABLE with leader -1 while no replica leads, and also while the
          // recorded leader is not among the live brokers of this response (killed, its lease not yet
          // expired into a new election): a client given a leader id it has no address for cannot
          // route to it (kafka-python's sender then fails with UnknownBrokerIdError every loop).
          const leaderLive = state.leader >= 0 && live.has(state.leader);
          return {
            errorCode: leaderLive ? 0 : ErrorCode.LEADER_NOT_AVAILABLE,
            partitionIndex: p,
            leaderId: leaderLive ? state.leader : -1,
            leaderEpoch: state.leaderEpoch,
            replicaNodes: state.replicas,
            isrNodes: state.isr,
            offlineReplicas: offline,
          };
        }),
      };
    })());
    return {
      brokers: brokers.map((b) => {
        const l = listenerFor(b.listeners, session.listener);
        return { nodeId: b.nodeId, host: l.host, port: l.port, rack: b.rack };
      }),
      clusterId: ctx.clusterId,
      controllerId: ctx.cluster.controllerId(),
      topics,
      ...(v >= 8 && v <= 10 && req.includeClusterAuthorizedOperations ? { clusterAuthorizedOperations: authorizedOperations(ctx, session, 'cluster') } : {}),
    };
  },
});
