import { ErrorCode, type CreateTopicsRequest, type DeleteTopicsRequest } from '@tributary/protocol';
import { settingNumber } from '../config/broker-config.ts';
import { validateTopicConfig, validateTopicConfigSet } from '../topics/topic-configs.ts';
import { topicAssignment } from '../topics/manual-assignment.ts';
import { topicLimitProblem } from '../quota/instance-limits.ts';
import { MutationGate } from '../quota/mutation-gate.ts';
import { TopicError } from '../topics/topic-registry.ts';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed, allowedOnCluster } from '../security/request-guards.ts';
import type { BrokerContext, Handler } from './context.ts';


export const handleCreateTopics: Handler = async (ctx: BrokerContext, request, session) => {
  const req = request.body as CreateTopicsRequest;
  const v = request.apiVersion;
  const gate = new MutationGate(ctx, session, v >= 6);
  const topics = [];
  for (const t of req.topics) topics.push(await (async () => {
    let replicationFactor = -1;
    const result = (errorCode: number, errorMessage: string | null, numPartitions = -1) => ({
      name: t.name,
      errorCode,
      ...(v >= 1 ? { errorMessage } : {}),
      ...(v >= 5 ? { numPartitions, replicationFactor: errorCode ? -1 : replicationFactor } : {}),
    });
    if (!allowedOnCluster(ctx, session, Op.CREATE) && !allowed(ctx, session, Op.CREATE, ResourceType.TOPIC, t.name)) return result(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `${session.principal} may not create topic ${t.name}`);
    if (gate.refuse()) return result(ErrorCode.THROTTLING_QUOTA_EXCEEDED, 'the controller mutation rate quota is exceeded; retry after throttle_time_ms');
    try {
      let assignment: number[][] | undefined;
      if (t.assignments.length > 0) {
        if (t.numPartitions !== -1 || t.replicationFactor !== -1) throw new TopicError(ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but numPartitions or replicationFactor was not set to -1.');
        assignment = topicAssignment(t.assignments, new Set(ctx.cluster.brokers().map((b) => b.nodeId)));
      }
      const partitions = assignment ? assignment.length : t.numPartitions === -1 ? settingNumber(ctx.config, 'num.partitions') : t.numPartitions;
      const rf = assignment ? assignment[0]!.length : t.replicationFactor === -1 ? settingNumber(ctx.config, 'default.replication.factor') : t.replicationFactor;
      replicationFactor = rf;
      const limit = topicLimitProblem(ctx, 1, partitions);
      if (limit) throw new TopicError(ErrorCode.POLICY_VIOLATION, limit);
      const configs: Record<string, string> = {};
      for (const c of t.configs) {
        validateTopicConfig(c.name, c.value);
        if (c.value === null) continue;
        configs[c.name] = c.value;
      }
      validateTopicConfigSet(configs);
      const topic = await ctx.cluster.createTopic({ name: t.name, partitions, replicationFactor: rf, configs, ...(assignment ? { assignment } : {}) }, req.validateOnly);
      if (!req.validateOnly) {
        ctx.logger.log('info', 'topic created', { topic: t.name, partitions });
        gate.record(partitions);
      }
      return result(0, null, topic.partitions);
    } catch (err) {
      if (err instanceof TopicError) return result(err.errorCode, err.message);
      throw err;
    }
  })());
  return { throttleTimeMs: gate.throttleMs, topics };
};

export const handleDeleteTopics: Handler = async (ctx: BrokerContext, request, session) => {
  const req = request.body as DeleteTopicsRequest;
  const v = request.apiVersion;
  const names = v >= 6 ? req.topics.map((t) => t.name ?? ctx.topics.byId(t.topicId)?.name ?? '') : req.topicNames;
  const gate = new MutationGate(ctx, session, v >= 5);
  const responses = [];
  for (const name of names) responses.push(await (async () => {
    if (!allowed(ctx, session, Op.DELETE, ResourceType.TOPIC, name)) return { name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, ...(v >= 5 ? { errorMessage: `${session.principal} may not delete topic ${name}` } : {}) };
    if (gate.refuse()) return { name, errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED, ...(v >= 5 ? { errorMessage: 'the controller mutation rate quota is exceeded; retry after throttle_time_ms' } : {}) };
    try {
      const partitions = ctx.topics.get(name)?.partitions ?? 0;
      await ctx.cluster.deleteTopic(name);
      gate.record(partitions);
      ctx.logger.log('info', 'topic deleted', { topic: name });
      return { name, errorCode: 0 };
    } catch (err) {
      if (err instanceof TopicError) return { name, errorCode: err.errorCode, ...(v >= 5 ? { errorMessage: err.message } : {}) };
      throw err;
    }
  })());
  return { throttleTimeMs: gate.throttleMs, responses };
};
