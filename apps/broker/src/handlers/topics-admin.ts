import { ErrorCode, type CreateTopicsRequest, type DeleteTopicsRequest } from '@tributary/protocol';
import { settingNumber } from '../config/broker-config.ts';
import { CONFIG_SOURCE, effectiveTopicConfigs, validateTopicConfig, validateTopicConfigSet } from '../topics/topic-configs.ts';
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
  // A name given twice is refused once, before anything else, as Kafka's ControllerApis does.
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const t of req.topics) (seen.has(t.name) ? duplicates : seen).add(t.name);
  const topics: object[] = [...duplicates].map((name) => ({ name, errorCode: ErrorCode.INVALID_REQUEST, ...(v >= 1 ? { errorMessage: 'Duplicate topic name.' } : {}), ...(v >= 5 ? { numPartitions: -1, replicationFactor: -1 } : {}) }));
  for (const t of req.topics.filter((x) => !duplicates.has(x.name))) topics.push(await (async () => {
    let replicationFactor = -1;
    // v5+: a created (or validated) topic's configs, every one with its source, as DescribeConfigs
    // would describe them (Kafka's CreatableTopicResult.configs); v7+: its topic id.
    const result = (errorCode: number, errorMessage: string | null, created?: { partitions: number; topicId: string; configs: Record<string, string> }) => ({
      name: t.name,
      errorCode,
      ...(v >= 1 ? { errorMessage } : {}),
      ...(v >= 5
        ? {
            numPartitions: created?.partitions ?? -1,
            replicationFactor: created ? replicationFactor : -1,
            configs: created ? effectiveTopicConfigs(ctx.config, created.configs).map((e) => ({ name: e.name, value: e.value, readOnly: false, configSource: CONFIG_SOURCE[e.source], isSensitive: false })) : [],
          }
        : {}),
      ...(v >= 7 && created ? { topicId: created.topicId } : {}),
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
      return result(0, null, { partitions: topic.partitions, topicId: topic.topicId, configs });
    } catch (err) {
      if (err instanceof TopicError) return result(err.errorCode, err.message);
      throw err;
    }
  })());
  return { throttleTimeMs: gate.throttleMs, topics };
};

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * DeleteTopics by name (v0–5) or by name or topic id (v6+). From v6 every answer carries the
 * topic's id, as Kafka's does: the deleted topic's id, or the id asked for; an id no topic has is
 * UNKNOWN_TOPIC_ID with a null name.
 */
export const handleDeleteTopics: Handler = async (ctx: BrokerContext, request, session) => {
  const req = request.body as DeleteTopicsRequest;
  const v = request.apiVersion;
  const wanted: { name: string | null; topicId: string }[] =
    v >= 6 ? req.topics.map((t) => (t.name !== null ? { name: t.name, topicId: ZERO_UUID } : { name: ctx.topics.byId(t.topicId)?.name ?? null, topicId: t.topicId })) : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
  const gate = new MutationGate(ctx, session, v >= 5);
  const responses = [];
  for (const w of wanted) responses.push(await (async () => {
    const answer = (name: string | null, topicId: string, errorCode: number, errorMessage?: string) => ({ name, ...(v >= 6 ? { topicId } : {}), errorCode, ...(v >= 5 && errorMessage !== undefined ? { errorMessage } : {}) });
    if (w.name === null) return answer(null, w.topicId, ErrorCode.UNKNOWN_TOPIC_ID, `Topic id ${w.topicId} does not exist`);
    const name = w.name;
    if (!allowed(ctx, session, Op.DELETE, ResourceType.TOPIC, name)) return answer(name, w.topicId, ErrorCode.TOPIC_AUTHORIZATION_FAILED, `${session.principal} may not delete topic ${name}`);
    if (gate.refuse()) return answer(name, w.topicId, ErrorCode.THROTTLING_QUOTA_EXCEEDED, 'the controller mutation rate quota is exceeded; retry after throttle_time_ms');
    const topicId = ctx.topics.get(name)?.topicId ?? w.topicId;
    try {
      const partitions = ctx.topics.get(name)?.partitions ?? 0;
      await ctx.cluster.deleteTopic(name);
      gate.record(partitions);
      ctx.logger.log('info', 'topic deleted', { topic: name });
      return answer(name, topicId, 0);
    } catch (err) {
      if (err instanceof TopicError) return answer(name, w.topicId, err.errorCode, err.message);
      throw err;
    }
  })());
  return { throttleTimeMs: gate.throttleMs, responses };
};
