import { ErrorCode } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import { defineApi } from './api-module.ts';

/** Kafka's default offset.metadata.max.bytes: longer commit metadata is refused with OFFSET_METADATA_TOO_LARGE. */
export const OFFSET_METADATA_MAX_BYTES = 4096;

/**
 * v10 names topics by id (KIP-848's follow-up): ids are resolved to names first, an id this cluster
 * does not know answers UNKNOWN_TOPIC_ID for its partitions, and the answer names topics by id again.
 */
export const offsetCommitApi = defineApi({
  api: 'OffsetCommit',
  minVersion: 0,
  maxVersion: 10,
  serves: 'group-coordinator',
  groupOf: (request) => request.body.groupId,
  authorization: { kind: 'per-resource', acl: 'READ on the group, READ on each topic' },
  handle: async (ctx, request, session) => {
    const v = request.apiVersion;
    const byId = v >= 10;
    // v10: topics by id; an unknown id has no name ('') and answers UNKNOWN_TOPIC_ID.
    const req = { ...request.body, topics: request.body.topics.map((t) => (byId ? { ...t, name: ctx.topics.byId(t.topicId)?.name ?? '' } : t)) };
    const unknownId = (t: { name: string }) => byId && t.name === '';
    const named = (t: { name: string; topicId: string }) => (byId ? { topicId: t.topicId } : { name: t.name });
    const now = Date.now();
    // READ on the group for the commit, READ on each topic for its partitions (Kafka's rule).
    if (!allowed(ctx, session, Op.READ, ResourceType.GROUP, req.groupId)) return { topics: req.topics.map((t) => ({ ...named(t), partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED })) })) };
    const readable = new Set(req.topics.filter((t) => !unknownId(t) && allowed(ctx, session, Op.READ, ResourceType.TOPIC, t.name)).map((t) => t.name));
    // Per partition, the checks Kafka's KafkaApis makes before the coordinator sees the request:
    // topic ids, topic READ, partitions that exist.
    const apiError = (topic: string, p: { partitionIndex: number }) =>
      byId && topic === '' ? ErrorCode.UNKNOWN_TOPIC_ID
      : !readable.has(topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
      : !ctx.cluster.partition(topic, p.partitionIndex) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
      : 0;
    const answer = (coordinatorError: (p: { committedMetadata: string | null }) => number) => ({
      topics: req.topics.map((t) => ({
        ...named(t),
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: apiError(t.name, p) || coordinatorError(p) })),
      })),
    });
    const reaching = req.topics.flatMap((t) => t.partitions.filter((p) => apiError(t.name, p) === 0).map((p) => ({ topic: t.name, p })));
    // Nothing left for the coordinator (no topics, or every partition refused above): Kafka answers at
    // once, without looking at the group (KafkaApis: authorizedTopicsRequest.isEmpty), so nothing
    // waits and no group is created.
    if (reaching.length === 0) return answer(() => 0);
    // The coordinator's own check: metadata over offset.metadata.max.bytes, per partition, after the
    // group's (a group error answers every partition the coordinator saw, as Kafka's thrown errors).
    const tooLarge = (p: { committedMetadata: string | null }) => p.committedMetadata !== null && p.committedMetadata.length > OFFSET_METADATA_MAX_BYTES;
    const offsets = reaching
      .filter(({ p }) => !tooLarge(p))
      .map(({ topic, p }) => ({ topic, partition: p.partitionIndex, value: { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata, commitTimestamp: now } }));
    const generation = v >= 1 ? req.generationIdOrMemberEpoch : -1;
    // A consumer group (KIP-848) checks the epoch at which the member got each partition.
    const topicIds = new Map(req.topics.map((t) => [t.name, ctx.topics.get(t.name)?.topicId ?? '']));
    // A write operation: answered once its records (or, writing none, the partition's pending
    // writes) are committed; refusals at once (GroupCoordinator.commitOffsets).
    const errorCode = await ctx.groups.commitOffsets(req.groupId, { memberId: v >= 1 ? req.memberId : '', groupInstanceId: v >= 7 ? (req.groupInstanceId ?? null) : null }, generation, offsets, v, topicIds);
    return answer((p) => errorCode || (tooLarge(p) ? ErrorCode.OFFSET_METADATA_TOO_LARGE : 0));
  },
});
