import { ErrorCode } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import { defineApi } from './api-module.ts';
import { OFFSET_METADATA_MAX_BYTES } from './offset-commit.ts';
import { OFFSETS_TOPIC } from '../topics/internal-topics.ts';
import { addOffsetsImplicitly } from './txn-implicit-add.ts';
import { namedByTopicId, unknownTopicId } from './topic-ids.ts';

/**
 * TxnOffsetCommit, at the group coordinator: the offsets a transactional producer commits for a
 * consumer group (sendOffsetsToTransaction) are written in the producer's transactional batch to
 * `__consumer_offsets` and become the group's committed offsets only when the transaction's COMMIT
 * marker is written there (an ABORT drops them). Kafka's checks in its order: WRITE on the
 * transactional id, READ on the group (every partition fails), then READ on each topic and unknown
 * partitions (a request left with none is answered at once); then at the coordinator the group's
 * generation and member (KIP-447, v3+) and metadata too large per partition.
 * v5 is a producer of transaction version 2, which sends no AddOffsetsToTxn: the group's
 * `__consumer_offsets` partition joins its transaction here first (txn-implicit-add.ts). v6 names
 * each topic by its id (KIP-1319): resolved to its name through the topic registry as Produce v13
 * does; an id no topic has (the zero id too) is UNKNOWN_TOPIC_ID on each of its partitions, and the
 * answer names each topic by the id the request used.
 */
export const txnOffsetCommitApi = defineApi({
  api: 'TxnOffsetCommit',
  minVersion: 0,
  maxVersion: 6,
  serves: 'group-coordinator',
  groupOf: (request) => request.body.groupId,
  authorization: { kind: 'per-resource', acl: 'WRITE on the transactional id, READ on the group, READ on each topic' },
  handle: async (ctx, request, session) => {
    const body = request.body;
    // From here on every topic has its name (v6 names them by id; an unknown id is refused below).
    const req = request.apiVersion >= 6 ? { ...body, topics: namedByTopicId(ctx, body.topics) } : body;
    const known = (t: { name: string }) => request.apiVersion < 6 || !unknownTopicId(t);
    const all = (errorCode: number) => ({ throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })) });
    if (!allowed(ctx, session, Op.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) return all(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    if (!allowed(ctx, session, Op.READ, ResourceType.GROUP, req.groupId)) return all(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    // Per partition, the checks Kafka's KafkaApis makes before the coordinator sees the request:
    // topic ids, topic READ, partitions that exist (each checked once: ACL lookups among them).
    const apiError = (t: { name: string }, p: { partitionIndex: number }) =>
      !known(t) ? ErrorCode.UNKNOWN_TOPIC_ID
      : !allowed(ctx, session, Op.READ, ResourceType.TOPIC, t.name) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
      : !ctx.cluster.partition(t.name, p.partitionIndex) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
      : 0;
    const v = request.apiVersion;
    const checked = req.topics.flatMap((t) => t.partitions.map((p) => ({ t, p, refused: apiError(t, p) })));
    // Nothing left for the coordinator: Kafka answers at once (KafkaApis: authorizedTopicCommittedOffsets
    // empty), so no group is created, no partition added to the transaction, nothing waited for.
    const reaching = checked.filter(({ refused }) => refused === 0);
    let errorCode = 0;
    const tooLarge = (p: { committedMetadata: string | null }) => p.committedMetadata !== null && p.committedMetadata.length > OFFSET_METADATA_MAX_BYTES;
    if (reaching.length > 0) {
      if (request.apiVersion >= 5) {
        const added = await addOffsetsImplicitly(ctx, req.transactionalId, req.producerId, req.producerEpoch, [{ topic: OFFSETS_TOPIC, partition: ctx.groups.partitionFor(req.groupId) }]);
        if (added !== 0) return all(added);
      }
      const now = Date.now();
      // The coordinator's own check, per partition after the group's: metadata over offset.metadata.max.bytes.
      const offsets = reaching
        .filter(({ p }) => !tooLarge(p))
        .map(({ t, p }) => ({ topic: t.name, partition: p.partitionIndex, value: { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata, commitTimestamp: now } }));
      // A write operation: answered once its batch (or, writing none, the pending writes) is committed.
      errorCode = await ctx.groups.txnCommitOffsets(req.groupId, req.producerId, req.producerEpoch, { memberId: v >= 3 ? req.memberId : '', groupInstanceId: v >= 3 ? req.groupInstanceId : null }, v >= 3 ? req.generationIdOrMemberEpoch : -1, offsets);
    }
    // Kafka's answer lists the partitions refused here first and then merges in the coordinator's
    // results, so a topic appears where its first refused partition put it (checked against Kafka
    // 4.4 with a known and an unknown topic id in one request).
    const answer = new Map<string, { name: string; topicId: string; partitions: { partitionIndex: number; errorCode: number }[] }>();
    const add = (t: { name: string; topicId: string }, partitionIndex: number, code: number) => {
      const key = v >= 6 ? t.topicId : t.name;
      const entry = answer.get(key) ?? { name: t.name, topicId: t.topicId, partitions: [] };
      answer.set(key, entry);
      entry.partitions.push({ partitionIndex, errorCode: code });
    };
    for (const { t, p, refused } of checked) if (refused !== 0) add(t, p.partitionIndex, refused);
    for (const { t, p, refused } of checked) if (refused === 0) add(t, p.partitionIndex, errorCode || (tooLarge(p) ? ErrorCode.OFFSET_METADATA_TOO_LARGE : 0));
    return { throttleTimeMs: 0, topics: [...answer.values()] };
  },
});
