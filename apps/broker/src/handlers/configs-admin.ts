import {
  ErrorCode,
  type AlterConfigsRequest,
  type CreatePartitionsRequest,
  type DeleteRecordsRequest,
  type DescribeClusterRequest,
  type DescribeConfigsRequest,
  type IncrementalAlterConfigsRequest,
  type OffsetForLeaderEpochRequest,
} from '@tributary/protocol';
import { SETTINGS } from '../config/settings.ts';
import { effectiveTopicConfigs, validateTopicConfig } from '../topics/topic-configs.ts';
import { TopicError } from '../topics/topic-registry.ts';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed, allowedOnCluster, authorizedOperations } from '../security/request-guards.ts';
import { topicLimitProblem } from '../quota/instance-limits.ts';
import { MutationGate } from '../quota/mutation-gate.ts';
import type { BrokerContext, Handler, RequestSession } from './context.ts';
import { listenerFor } from '../config/broker-config.ts';

const TOPIC = 2;
const BROKER = 4;
// DescribeConfigs config sources (Kafka's ConfigSource enum).
const SOURCE_TOPIC = 1;
const SOURCE_STATIC_BROKER = 4;
const SOURCE_DEFAULT = 5;

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
      if (t.assignments !== null && t.assignments.length > 0) throw new TopicError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'manual replica assignment is not supported');
      const current = ctx.topics.get(t.name)?.partitions ?? t.count;
      const limit = t.count > current ? topicLimitProblem(ctx, 0, t.count - current) : null;
      if (limit) throw new TopicError(ErrorCode.POLICY_VIOLATION, limit);
      await ctx.cluster.addPartitions(t.name, t.count, req.validateOnly);
      if (!req.validateOnly) gate.record(t.count - current);
      if (!req.validateOnly) ctx.logger.log('info', 'partitions added', { topic: t.name, partitions: t.count });
      return { name: t.name, errorCode: 0, errorMessage: null };
    } catch (err) {
      return { name: t.name, ...errorOf(err) };
    }
  })());
  return { throttleTimeMs: gate.throttleMs, results };
};

export const handleDescribeConfigs: Handler = (ctx: BrokerContext, request, session) => {
  const req = request.body as DescribeConfigsRequest;
  const v = request.apiVersion;
  return {
    throttleTimeMs: 0,
    results: req.resources.map((r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName, errorMessage: null };
      let entries: { name: string; value: string; isDefault: boolean; source: number }[];
      const denied = configAccessDenied(ctx, session, r.resourceType, r.resourceName, Op.DESCRIBE_CONFIGS);
      if (denied) return { ...base, ...denied, configs: [] };
      if (r.resourceType === TOPIC) {
        const topic = ctx.topics.get(r.resourceName);
        if (!topic) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `topic "${r.resourceName}" does not exist`, configs: [] };
        entries = effectiveTopicConfigs(ctx.config, topic.configs).map((e) => ({ ...e, source: e.isDefault ? SOURCE_DEFAULT : SOURCE_TOPIC }));
      } else if (r.resourceType === BROKER && (r.resourceName === '' || r.resourceName === String(ctx.config.nodeId))) {
        entries = Object.entries(ctx.config.settings).map(([name, value]) => ({ name, value, isDefault: value === SETTINGS[name as keyof typeof SETTINGS].default, source: value === SETTINGS[name as keyof typeof SETTINGS].default ? SOURCE_DEFAULT : SOURCE_STATIC_BROKER }));
      } else {
        return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `resource type ${r.resourceType} ${r.resourceName} is not described here`, configs: [] };
      }
      const wanted = r.configurationKeys;
      return {
        ...base,
        errorCode: 0,
        configs: entries
          .filter((e) => wanted === null || wanted.includes(e.name))
          .map((e) => {
            // Secrets (ssl.key.password …) are never sent back, as Kafka marks password configs sensitive.
            const sensitive = e.name.endsWith('.password');
            return { name: e.name, value: sensitive ? null : e.value, readOnly: r.resourceType === BROKER, isSensitive: sensitive, ...(v === 0 ? { isDefault: e.isDefault } : { configSource: e.source }) };
          }),
      };
    }),
  };
};

async function alterTopic(ctx: BrokerContext, resourceName: string, next: (current: Record<string, string>) => Record<string, string>, validateOnly: boolean): Promise<void> {
  const topic = ctx.topics.get(resourceName);
  if (!topic) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${resourceName}" does not exist`);
  const configs = next({ ...topic.configs });
  for (const [name, value] of Object.entries(configs)) validateTopicConfig(name, value);
  if (!validateOnly) {
    await ctx.cluster.setTopicConfigs(resourceName, configs);
    ctx.logger.log('info', 'topic configs changed', { topic: resourceName, configs });
  }
}

type ConfigResource = { resourceType: number; resourceName: string };

/** Answers Alter/IncrementalAlterConfigs: per resource, topic configs only, errors as data. */
async function alterResources<R extends ConfigResource>(ctx: BrokerContext, session: RequestSession, resources: R[], validateOnly: boolean, next: (r: R) => (current: Record<string, string>) => Record<string, string>) {
  const responses = [];
  for (const r of resources) {
    responses.push(await (async () => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      const denied = configAccessDenied(ctx, session, r.resourceType, r.resourceName, Op.ALTER_CONFIGS);
      if (denied) return { ...base, ...denied };
      if (r.resourceType !== TOPIC) return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'only topic configs can be altered; broker settings are static' };
      try {
        await alterTopic(ctx, r.resourceName, next(r), validateOnly);
        return { ...base, errorCode: 0, errorMessage: null };
      } catch (err) {
        return { ...base, ...errorOf(err) };
      }
    })());
  }
  return { throttleTimeMs: 0, responses };
}

/** AlterConfigs replaces a topic's whole override set (Kafka's non-incremental semantics). */
export const handleAlterConfigs: Handler = (ctx: BrokerContext, request, session) => {
  const req = request.body as AlterConfigsRequest;
  return alterResources(ctx, session, req.resources, req.validateOnly, (r) => () => Object.fromEntries(r.configs.filter((c) => c.value !== null).map((c) => [c.name, c.value!])));
};

const SET = 0;
const DELETE = 1;

export const handleIncrementalAlterConfigs: Handler = (ctx: BrokerContext, request, session) => {
  const req = request.body as IncrementalAlterConfigsRequest;
  return alterResources(ctx, session, req.resources, req.validateOnly, (r) => (current) => {
    for (const c of r.configs) {
      if (c.configOperation === SET && c.value !== null) current[c.name] = c.value;
      else if (c.configOperation === DELETE) delete current[c.name];
      else throw new TopicError(ErrorCode.INVALID_CONFIG, `operation ${c.configOperation} on ${c.name} is not supported (APPEND/SUBTRACT apply to list configs only)`);
    }
    return current;
  });
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

export const handleDescribeCluster: Handler = (ctx: BrokerContext, request, session) => {
  const asked = (request.body as DescribeClusterRequest).includeClusterAuthorizedOperations;
  return {
    errorCode: 0,
    errorMessage: null,
    clusterId: ctx.clusterId,
    controllerId: ctx.cluster.controllerId(),
    brokers: ctx.cluster.brokers().map((b) => {
      const node = listenerFor(b.listeners, session.listener);
      return { brokerId: b.nodeId, host: node.host, port: node.port, rack: b.rack };
    }),
    ...(asked ? { clusterAuthorizedOperations: authorizedOperations(ctx, session, 'cluster') } : {}),
  };
};

/** Topic configs need the operation on the topic; broker settings on the cluster (Kafka's rule). */
function configAccessDenied(ctx: BrokerContext, session: RequestSession, resourceType: number, name: string, op: typeof Op.DESCRIBE_CONFIGS | typeof Op.ALTER_CONFIGS): { errorCode: number; errorMessage: string } | null {
  if (resourceType === TOPIC) return allowed(ctx, session, op, ResourceType.TOPIC, name) ? null : { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: `${session.principal} may not access the configs of topic ${name}` };
  if (resourceType === BROKER) return allowedOnCluster(ctx, session, op) ? null : { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: `${session.principal} may not access broker configs` };
  return null;
}
