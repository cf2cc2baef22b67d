import { ErrorCode } from '@tributary/protocol';
import { MutationGate } from '../quota/mutation-gate.ts';
import { TopicError } from '../topics/topic-registry.ts';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';


import { defineApi } from './api-module.ts';
import { deadlinePassedAnswer } from './controller-deadline.ts';

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * DeleteTopics by name (v0–5) or by name or topic id (v6+). From v6 every answer carries the
 * topic's id, as Kafka's does: the deleted topic's id, or the id asked for; an id no topic has is
 * UNKNOWN_TOPIC_ID with a null name.
 */
export const deleteTopicsApi = defineApi({
  api: 'DeleteTopics',
  minVersion: 0,
  maxVersion: 6,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'DELETE on each topic' },
  handle: async (ctx, request, session) => {
    const req = request.body;
    const v = request.apiVersion;
    const late = deadlinePassedAnswer(request, req.timeoutMs);
    if (late) return late;
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
  },
});
