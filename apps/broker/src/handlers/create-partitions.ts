import { ErrorCode } from '@tributary/protocol';
import { TopicError } from '../topics/topic-registry.ts';
import { addedAssignment } from '../topics/manual-assignment.ts';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import { topicLimitProblem } from '../quota/instance-limits.ts';
import { MutationGate } from '../quota/mutation-gate.ts';
import { defineApi } from './api-module.ts';
import { deadlinePassedAnswer } from './controller-deadline.ts';

function errorOf(err: unknown): { errorCode: number; errorMessage: string } {
  if (err instanceof TopicError) return { errorCode: err.errorCode, errorMessage: err.message };
  throw err;
}

export const createPartitionsApi = defineApi({
  api: 'CreatePartitions',
  minVersion: 0,
  maxVersion: 3,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'ALTER on each topic' },
  handle: async (ctx, request, session) => {
    const req = request.body;
    const late = deadlinePassedAnswer(request, req.timeoutMs);
    if (late) return late;
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
  },
});
