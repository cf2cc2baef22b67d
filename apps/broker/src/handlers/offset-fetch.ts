import { ErrorCode } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import { defineApi } from './api-module.ts';
import type { BrokerContext, RequestSession } from './context.ts';

/**
 * `requireStable` (v7+, KIP-447: what read_committed Java consumers send): a partition whose offset
 * a running transaction has committed (TxnOffsetCommit, before its marker) answers
 * UNSTABLE_OFFSET_COMMIT, and the consumer asks again, instead of reading the older offset.
 */
function fetchOffsets(ctx: BrokerContext, session: RequestSession, groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, v: number, requireStable: boolean) {
  const wanted = topics ?? (() => {
    const byTopic = new Map<string, number[]>();
    for (const key of ctx.groups.get(groupId)?.offsets.keys() ?? []) {
      const [topic, partition] = key.split('\u0000');
      byTopic.set(topic!, [...(byTopic.get(topic!) ?? []), Number(partition)]);
    }
    // Asked for all: topics the principal may not describe are left out.
    return [...byTopic].filter(([name]) => allowed(ctx, session, Op.DESCRIBE, ResourceType.TOPIC, name)).map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
  })();
  const describable = (topic: string) => topics === null || allowed(ctx, session, Op.DESCRIBE, ResourceType.TOPIC, topic);
  return wanted.map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((partitionIndex) => {
      if (!describable(t.name)) return { partitionIndex, committedOffset: -1n, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, ...(v >= 5 ? { committedLeaderEpoch: -1 } : {}) };
      if (requireStable && ctx.groups.hasPendingOffset(groupId, t.name, partitionIndex)) return { partitionIndex, committedOffset: -1n, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT, ...(v >= 5 ? { committedLeaderEpoch: -1 } : {}) };
      const c = ctx.groups.committed(groupId, t.name, partitionIndex);
      return { partitionIndex, committedOffset: c?.offset ?? -1n, metadata: c?.metadata ?? '', errorCode: 0, ...(v >= 5 ? { committedLeaderEpoch: c?.leaderEpoch ?? -1 } : {}) };
    }),
  }));
}

type AskedTopic = { name: string; topicId?: string; partitionIndexes: number[] };

/**
 * v10 names topics by id: each is resolved to its name, and the answer names topics by id (an id
 * this cluster does not know answers UNKNOWN_TOPIC_ID for its partitions; all offsets, asked with
 * null, come with the ids of their topics).
 */
function byTopicId(ctx: BrokerContext, session: RequestSession, groupId: string, topics: AskedTopic[] | null, v: number, requireStable: boolean) {
  const withId = (answered: ReturnType<typeof fetchOffsets>) => answered.map(({ name, partitions }) => ({ topicId: ctx.topics.get(name)?.topicId ?? ZERO_UUID, partitions }));
  if (topics === null) return withId(fetchOffsets(ctx, session, groupId, null, v, requireStable));
  return topics.flatMap((t) => {
    const name = ctx.topics.byId(t.topicId!)?.name;
    if (name === undefined) return [{ topicId: t.topicId!, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNKNOWN_TOPIC_ID })) }];
    return withId(fetchOffsets(ctx, session, groupId, [{ name, partitionIndexes: t.partitionIndexes }], v, requireStable));
  });
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export const offsetFetchApi = defineApi({
  api: 'OffsetFetch',
  minVersion: 0,
  maxVersion: 10,
  serves: 'group-coordinator',
  // v8+ names several groups: each one this broker does not coordinate is answered NOT_COORDINATOR.
  groupOf: (request) => (request.apiVersion >= 8 ? null : request.body.groupId),
  authorization: { kind: 'per-resource', acl: 'DESCRIBE on each group, DESCRIBE on each topic' },
  handle: (ctx, request, session) => {
    const req = request.body;
    const v = request.apiVersion;
    const mayDescribe = (groupId: string) => allowed(ctx, session, Op.DESCRIBE, ResourceType.GROUP, groupId);
    // An unknown (or dead) group has no offsets: every partition answers -1 without error, as in
    // Kafka; the empty group id is a valid group here.
    const answer = (groupId: string, topics: AskedTopic[] | null, memberId: string | null = null, memberEpoch = -1) => {
      if (!mayDescribe(groupId)) return { groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
      if (!ctx.groups.coordinates(groupId)) return { groupId, errorCode: ErrorCode.NOT_COORDINATOR, topics: [] };
      // v9+: a consumer group's member reads at its current epoch (KIP-848).
      const memberError = ctx.groups.validateOffsetFetch(groupId, memberId, memberEpoch);
      if (memberError !== 0) return { groupId, errorCode: memberError, topics: [] };
      const requireStable = v >= 7 && req.requireStable;
      return { groupId, errorCode: 0, topics: v >= 10 ? byTopicId(ctx, session, groupId, topics, v, requireStable) : fetchOffsets(ctx, session, groupId, topics, v, requireStable) };
    };
    if (v >= 8) return { groups: req.groups.map((g) => (v >= 9 ? answer(g.groupId, g.topics, g.memberId ?? null, g.memberEpoch) : answer(g.groupId, g.topics))) };
    if (!mayDescribe(req.groupId)) return v >= 2 ? { topics: [], errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED } : { topics: (req.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, metadata: '', errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED })) })) };
    return { topics: fetchOffsets(ctx, session, req.groupId, req.topics, v, v >= 7 && req.requireStable), ...(v >= 2 ? { errorCode: 0 } : {}) };
  },
});
