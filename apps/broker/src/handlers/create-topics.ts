import { ErrorCode } from '@tributary/protocol';
import { settingNumber } from '../config/broker-config.ts';
import { CONFIG_SOURCE, effectiveTopicConfigs, validateTopicConfig, validateTopicConfigSet } from '../topics/topic-configs.ts';
import { topicAssignment } from '../topics/manual-assignment.ts';
import { topicLimitProblem } from '../quota/instance-limits.ts';
import { MutationGate } from '../quota/mutation-gate.ts';
import { TopicError } from '../topics/topic-registry.ts';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed, allowedOnCluster } from '../security/request-guards.ts';


import { defineApi } from './api-module.ts';
import { deadlinePassedAnswer } from './controller-deadline.ts';

export const createTopicsApi = defineApi({
  api: 'CreateTopics',
  minVersion: 0,
  maxVersion: 7,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'CREATE on the cluster or on each topic' },
  handle: async (ctx, request, session) => {
    const req = request.body;
    const v = request.apiVersion;
    const late = deadlinePassedAnswer(request, req.timeoutMs);
    if (late) return late;
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
  },
});
