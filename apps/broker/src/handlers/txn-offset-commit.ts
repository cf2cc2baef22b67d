import { ErrorCode } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import { defineApi } from './api-module.ts';
import { OFFSET_METADATA_MAX_BYTES, replicated } from './offset-commit.ts';
import { OFFSETS_TOPIC } from '../topics/internal-topics.ts';
import { addOffsetsImplicitly } from './txn-implicit-add.ts';

/**
 * TxnOffsetCommit, at the group coordinator: the offsets a transactional producer commits for a
 * consumer group (sendOffsetsToTransaction) are written in the producer's transactional batch to
 * `__consumer_offsets` and become the group's committed offsets only when the transaction's COMMIT
 * marker is written there (an ABORT drops them). Kafka's checks in its order: WRITE on the
 * transactional id, READ on the group (every partition fails), then READ on each topic, unknown
 * partitions, metadata too large; then the group's generation and member (KIP-447, v3+).
 * v5 is a producer of transaction version 2, which sends no AddOffsetsToTxn: the group's
 * `__consumer_offsets` partition joins its transaction here first (txn-implicit-add.ts). v6 names
 * topics by id (not implemented).
 */
export const txnOffsetCommitApi = defineApi({
  api: 'TxnOffsetCommit',
  minVersion: 0,
  maxVersion: 5,
  serves: 'group-coordinator',
  authorization: { kind: 'per-resource', acl: 'WRITE on the transactional id, READ on the group, READ on each topic' },
  handle: async (ctx, request, session) => {
    const req = request.body;
    const all = (errorCode: number) => ({ throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })) });
    if (!allowed(ctx, session, Op.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) return all(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    if (!allowed(ctx, session, Op.READ, ResourceType.GROUP, req.groupId)) return all(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    if (request.apiVersion >= 5) {
      const added = await addOffsetsImplicitly(ctx, req.transactionalId, req.producerId, req.producerEpoch, [{ topic: OFFSETS_TOPIC, partition: 0 }]);
      if (added !== 0) return all(added);
    }
    const partitionError = (topic: string, p: { partitionIndex: number; committedMetadata: string | null }) =>
      !allowed(ctx, session, Op.READ, ResourceType.TOPIC, topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
      : !ctx.cluster.partition(topic, p.partitionIndex) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
      : p.committedMetadata !== null && p.committedMetadata.length > OFFSET_METADATA_MAX_BYTES ? ErrorCode.OFFSET_METADATA_TOO_LARGE
      : 0;
    const now = Date.now();
    const offsets = req.topics.flatMap((t) =>
      t.partitions.filter((p) => partitionError(t.name, p) === 0).map((p) => ({ topic: t.name, partition: p.partitionIndex, value: { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata, commitTimestamp: now } })),
    );
    const v = request.apiVersion;
    let errorCode = ctx.groups.txnCommit(req.groupId, req.producerId, req.producerEpoch, { memberId: v >= 3 ? req.memberId : '', groupInstanceId: v >= 3 ? req.groupInstanceId : null }, v >= 3 ? req.generationIdOrMemberEpoch : -1, offsets);
    if (errorCode === 0 && offsets.length > 0) errorCode = await replicated(ctx);
    return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: partitionError(t.name, p) || errorCode })) })) };
  },
});
