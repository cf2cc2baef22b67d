import { ErrorCode } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import { defineApi } from './api-module.ts';
import type { BrokerContext, RequestSession } from './context.ts';
import { Group, type CommittedOffset } from '../group/group.ts';

/** A group's offsets by Group.offsetKey (topic NUL partition). */
type Offsets = ReadonlyMap<string, CommittedOffset>;

/**
 * `offsets` is what the answer reads: the offsets at the partition's last committed offset, or as
 * written for `requireStable` (below). `requireStable` (v7+, KIP-447: what read_committed Java
 * consumers send): a partition whose offset a running transaction has committed (TxnOffsetCommit,
 * before its marker) answers UNSTABLE_OFFSET_COMMIT, and the consumer asks again, instead of
 * reading the older offset.
 */
function fetchOffsets(ctx: BrokerContext, session: RequestSession, groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, v: number, requireStable: boolean, offsets: Offsets) {
  const wanted = topics ?? (() => {
    const byTopic = new Map<string, number[]>();
    for (const key of offsets.keys()) {
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
      const c = offsets.get(Group.offsetKey(t.name, partitionIndex));
      return { partitionIndex, committedOffset: c?.offset ?? -1n, metadata: c?.metadata ?? '', errorCode: 0, ...(v >= 5 ? { committedLeaderEpoch: c?.leaderEpoch ?? -1 } : {}) };
    }),
  }));
}

/**
 * Kafka 4.4 reads offsets in a read operation at the partition's last committed offset, so a commit
 * not yet replicated is not shown; with `requireStable` in a write operation instead: the offsets
 * as written, answered once the partition's pending writes are committed. A write that fails
 * meanwhile answers the group NOT_COORDINATOR (Kafka's handleOffsetFetchException remaps the
 * timeout, which clients before 3.9 would not retry, and a lost leadership alike).
 */
async function readOffsets<T>(ctx: BrokerContext, groupId: string, requireStable: boolean, read: (offsets: Offsets) => T): Promise<{ errorCode: number; topics: T | null }> {
  if (!requireStable) return { errorCode: 0, topics: read(ctx.groups.committedOffsets(groupId)) };
  const topics = read(ctx.groups.latestOffsets(groupId));
  const code = await ctx.groups.writesCommitted(groupId);
  return code === 0 ? { errorCode: 0, topics } : { errorCode: ErrorCode.NOT_COORDINATOR, topics: null };
}

type AskedTopic = { name: string; topicId?: string; partitionIndexes: number[] };

/**
 * v10 names topics by id: each is resolved to its name, and the answer names topics by id (an id
 * this cluster does not know answers UNKNOWN_TOPIC_ID for its partitions; all offsets, asked with
 * null, come with the ids of their topics).
 */
function byTopicId(ctx: BrokerContext, session: RequestSession, groupId: string, topics: AskedTopic[] | null, v: number, requireStable: boolean, offsets: Offsets) {
  const withId = (answered: ReturnType<typeof fetchOffsets>) => answered.map(({ name, partitions }) => ({ topicId: ctx.topics.get(name)?.topicId ?? ZERO_UUID, partitions }));
  if (topics === null) return withId(fetchOffsets(ctx, session, groupId, null, v, requireStable, offsets));
  return topics.flatMap((t) => {
    const name = ctx.topics.byId(t.topicId!)?.name;
    if (name === undefined) return [{ topicId: t.topicId!, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNKNOWN_TOPIC_ID })) }];
    return withId(fetchOffsets(ctx, session, groupId, [{ name, partitionIndexes: t.partitionIndexes }], v, requireStable, offsets));
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
  handle: async (ctx, request, session) => {
    const req = request.body;
    const v = request.apiVersion;
    const mayDescribe = (groupId: string) => allowed(ctx, session, Op.DESCRIBE, ResourceType.GROUP, groupId);
    // An unknown (or dead) group has no offsets: every partition answers -1 without error, as in
    // Kafka; the empty group id is a valid group here.
    const requireStable = v >= 7 && req.requireStable;
    const answer = async (groupId: string, topics: AskedTopic[] | null, memberId: string | null = null, memberEpoch = -1) => {
      if (!mayDescribe(groupId)) return { groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
      if (!ctx.groups.coordinates(groupId)) return { groupId, errorCode: ErrorCode.NOT_COORDINATOR, topics: [] };
      // v9+: a consumer group's member reads at its current epoch (KIP-848).
      const memberError = ctx.groups.validateOffsetFetch(groupId, memberId, memberEpoch);
      if (memberError !== 0) return { groupId, errorCode: memberError, topics: [] };
      const read = await readOffsets(ctx, groupId, requireStable, (offsets) => (v >= 10 ? byTopicId(ctx, session, groupId, topics, v, requireStable, offsets) : fetchOffsets(ctx, session, groupId, topics, v, requireStable, offsets)));
      return { groupId, errorCode: read.errorCode, topics: read.topics ?? [] };
    };
    if (v >= 8) return { groups: await Promise.all(req.groups.map((g) => (v >= 9 ? answer(g.groupId, g.topics, g.memberId ?? null, g.memberEpoch) : answer(g.groupId, g.topics)))) };
    if (!mayDescribe(req.groupId)) return v >= 2 ? { topics: [], errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED } : { topics: (req.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, metadata: '', errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED })) })) };
    // requireStable exists from v7, whose group error is the top-level one.
    const read = await readOffsets(ctx, req.groupId, requireStable, (offsets) => fetchOffsets(ctx, session, req.groupId, req.topics, v, requireStable, offsets));
    return { topics: read.topics ?? [], ...(v >= 2 ? { errorCode: read.errorCode } : {}) };
  },
});
