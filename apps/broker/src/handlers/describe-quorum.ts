import { ErrorCode, errorInfo, ZERO_UUID } from '@tributary/protocol';
import { METADATA_PARTITION, METADATA_TOPIC, PROGRESS_CLIENT_PREFIX, type QuorumVoter } from '../cluster/metadata-quorum.ts';
import { defineApi } from './api-module.ts';
import { onCluster } from './cluster-admin.ts';

/**
 * DescribeQuorum (KIP-595; v1 timestamps, KIP-836; v2 directory ids and nodes, KIP-853): what
 * `kafka-metadata-quorum describe` shows. Tributary's metadata lives in etcd; the mapping of the
 * controller, its epoch, etcd revisions and the brokers onto Kafka's KRaft quorum is in
 * cluster/metadata-quorum.ts. Any broker answers (Kafka's broker forwards to the active
 * controller), DESCRIBE on the cluster as Kafka's controller checks it. As Kafka's Raft client:
 * UNKNOWN_TOPIC_OR_PARTITION for each partition when the request names anything but
 * `__cluster_metadata`-0, NOT_LEADER_OR_FOLLOWER while there is no leader (no controller elected).
 */
export const describeQuorumApi = defineApi({
  api: 'DescribeQuorum',
  minVersion: 0,
  maxVersion: 2,
  serves: 'any-broker',
  authorization: onCluster('DESCRIBE'),
  handle: async (ctx, request) => {
    const req = request.body;
    const v = request.apiVersion;
    const only = req.topics.length === 1 && req.topics[0]!.topicName === METADATA_TOPIC && req.topics[0]!.partitions.length === 1 && req.topics[0]!.partitions[0]!.partitionIndex === METADATA_PARTITION;
    if (!only) {
      // Kafka's DescribeQuorumRequest.getPartitionLevelErrorResponse: every named partition, the error's own text.
      const e = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      return { errorCode: 0, topics: req.topics.map((t) => ({ topicName: t.topicName, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: e, errorMessage: errorInfo(e).message })) })) };
    }
    // Another broker asking how far this one's view has got (metadata-quorum.ts): its own entry only.
    const ownOnly = request.header.clientId?.startsWith(PROGRESS_CLIENT_PREFIX) ?? false;
    const quorum = await ctx.cluster.describeQuorum(ownOnly);
    if (!quorum) {
      const e = ErrorCode.NOT_LEADER_OR_FOLLOWER;
      return { errorCode: 0, topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: METADATA_PARTITION, errorCode: e, errorMessage: errorInfo(e).message }] }] };
    }
    const state = (r: QuorumVoter) => ({ replicaId: r.nodeId, replicaDirectoryId: ZERO_UUID, logEndOffset: r.logEndOffset, lastFetchTimestamp: r.lastFetchTimestamp, lastCaughtUpTimestamp: r.lastCaughtUpTimestamp });
    return {
      errorCode: 0,
      topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: METADATA_PARTITION, errorCode: 0, leaderId: quorum.leaderId, leaderEpoch: quorum.leaderEpoch, highWatermark: quorum.highWatermark, currentVoters: quorum.voters.map(state), observers: [] }] }],
      // v2 (KIP-853): each voter's endpoints; before, the field does not exist.
      ...(v >= 2 ? { nodes: quorum.voters.map((r) => ({ nodeId: r.nodeId, listeners: r.listeners.map((l) => ({ name: l.name, host: l.host, port: l.port })) })) } : {}),
    };
  },
});
