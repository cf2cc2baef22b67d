import { ApiKey } from '@tributary/protocol';
import { handleApiVersions } from './api-versions.ts';
import type { HandlerEntry } from './context.ts';
import { coordinatorOnly } from './coordinator-guard.ts';
import { handleCreatePartitions, handleDeleteRecords, handleDescribeCluster, handleOffsetForLeaderEpoch } from './configs-admin.ts';
import { handleAlterConfigs, handleDescribeConfigs, handleIncrementalAlterConfigs } from './configs.ts';
import { handleDescribeLogDirs } from './describe-log-dirs.ts';
import { handleFetch } from './fetch.ts';
import { handleCreateAcls, handleDeleteAcls, handleDescribeAcls } from './acls.ts';
import { handleAlterClientQuotas, handleDescribeClientQuotas } from './client-quotas.ts';
import { guardDescribeLogDirs, guardHeartbeat, guardJoinGroup, guardLeaveGroup, guardSyncGroup } from '../security/request-guards.ts';
import { handleAlterUserScramCredentials, handleDescribeUserScramCredentials } from './scram-credentials.ts';
import { handleSaslOnPlainListener } from './sasl.ts';
import { handleInitProducerId } from './init-producer-id.ts';
import { handleDeleteGroups, handleDescribeGroups, handleFindCoordinator, handleHeartbeat, handleJoinGroup, handleLeaveGroup, handleListGroups, handleOffsetCommit, handleOffsetDelete, handleOffsetFetch, handleSyncGroup } from './groups.ts';
import { handleListOffsets } from './list-offsets.ts';
import { handleMetadata } from './metadata.ts';
import { handleDescribeTopicPartitions } from './describe-topic-partitions.ts';
import { handleProduce } from './produce.ts';
import { handleCreateTopics, handleDeleteTopics } from './topics-admin.ts';

/**
 * Every API this broker answers and the versions it implements. ApiVersions advertises exactly
 * this table. Produce v0–2 and Fetch v0–3 carry the legacy message formats (magic 0/1), converted
 * to and from the stored v2 batches (legacy-produce.ts, legacy-fetch.ts); ListOffsets v0 answers
 * offset arrays; DescribeLogDirs v0 is v1's schema; FindCoordinator v5 only allows an error
 * (TRANSACTION_ABORTABLE) this broker never sends. Not advertised, because not implemented:
 * FindCoordinator v6 (share groups), OffsetCommit/OffsetFetch v9 (KIP-848 member epochs), Fetch v17
 * (a KRaft follower's directory id). Every version below is one the handler implements.
 */
export const HANDLERS: ReadonlyMap<number, HandlerEntry> = (() => {
  const table = new Map<number, HandlerEntry>([
    [ApiKey.Produce, { minVersion: 0, maxVersion: 11, handle: handleProduce }],
    [ApiKey.Fetch, { minVersion: 0, maxVersion: 16, handle: handleFetch }],
    [ApiKey.ListOffsets, { minVersion: 0, maxVersion: 10, handle: handleListOffsets }],
    [ApiKey.Metadata, { minVersion: 0, maxVersion: 12, handle: handleMetadata }],
    [ApiKey.CreateTopics, { minVersion: 0, maxVersion: 7, handle: handleCreateTopics }],
    [ApiKey.DeleteTopics, { minVersion: 0, maxVersion: 6, handle: handleDeleteTopics }],
    [ApiKey.CreatePartitions, { minVersion: 0, maxVersion: 3, handle: handleCreatePartitions }],
    [ApiKey.DescribeConfigs, { minVersion: 0, maxVersion: 4, handle: handleDescribeConfigs }],
    [ApiKey.AlterConfigs, { minVersion: 0, maxVersion: 2, handle: handleAlterConfigs }],
    [ApiKey.IncrementalAlterConfigs, { minVersion: 0, maxVersion: 1, handle: handleIncrementalAlterConfigs }],
    [ApiKey.DeleteRecords, { minVersion: 0, maxVersion: 2, handle: handleDeleteRecords }],
    [ApiKey.OffsetForLeaderEpoch, { minVersion: 0, maxVersion: 4, handle: handleOffsetForLeaderEpoch }],
    [ApiKey.DescribeCluster, { minVersion: 0, maxVersion: 1, handle: handleDescribeCluster }],
    [ApiKey.DescribeLogDirs, { minVersion: 0, maxVersion: 4, handle: guardDescribeLogDirs(handleDescribeLogDirs) }],
    [ApiKey.InitProducerId, { minVersion: 0, maxVersion: 5, handle: handleInitProducerId }],
    [ApiKey.FindCoordinator, { minVersion: 0, maxVersion: 5, handle: handleFindCoordinator }],
    [ApiKey.JoinGroup, { minVersion: 0, maxVersion: 9, handle: coordinatorOnly(ApiKey.JoinGroup, guardJoinGroup(handleJoinGroup)) }],
    [ApiKey.SyncGroup, { minVersion: 0, maxVersion: 5, handle: coordinatorOnly(ApiKey.SyncGroup, guardSyncGroup(handleSyncGroup)) }],
    [ApiKey.Heartbeat, { minVersion: 0, maxVersion: 4, handle: coordinatorOnly(ApiKey.Heartbeat, guardHeartbeat(handleHeartbeat)) }],
    [ApiKey.LeaveGroup, { minVersion: 0, maxVersion: 5, handle: coordinatorOnly(ApiKey.LeaveGroup, guardLeaveGroup(handleLeaveGroup)) }],
    [ApiKey.OffsetCommit, { minVersion: 0, maxVersion: 8, handle: coordinatorOnly(ApiKey.OffsetCommit, handleOffsetCommit) }],
    [ApiKey.OffsetFetch, { minVersion: 0, maxVersion: 8, handle: coordinatorOnly(ApiKey.OffsetFetch, handleOffsetFetch) }],
    [ApiKey.ListGroups, { minVersion: 0, maxVersion: 5, handle: handleListGroups }],
    [ApiKey.DescribeGroups, { minVersion: 0, maxVersion: 5, handle: coordinatorOnly(ApiKey.DescribeGroups, handleDescribeGroups) }],
    [ApiKey.SaslHandshake, { minVersion: 0, maxVersion: 1, handle: handleSaslOnPlainListener }],
    [ApiKey.SaslAuthenticate, { minVersion: 0, maxVersion: 2, handle: handleSaslOnPlainListener }],
    [ApiKey.DescribeUserScramCredentials, { minVersion: 0, maxVersion: 0, handle: handleDescribeUserScramCredentials }],
    [ApiKey.AlterUserScramCredentials, { minVersion: 0, maxVersion: 0, handle: handleAlterUserScramCredentials }],
    [ApiKey.DescribeClientQuotas, { minVersion: 0, maxVersion: 1, handle: handleDescribeClientQuotas }],
    [ApiKey.AlterClientQuotas, { minVersion: 0, maxVersion: 1, handle: handleAlterClientQuotas }],
    [ApiKey.CreateAcls, { minVersion: 0, maxVersion: 3, handle: handleCreateAcls }],
    [ApiKey.DescribeAcls, { minVersion: 0, maxVersion: 3, handle: handleDescribeAcls }],
    [ApiKey.DeleteAcls, { minVersion: 0, maxVersion: 3, handle: handleDeleteAcls }],
    [ApiKey.DeleteGroups, { minVersion: 0, maxVersion: 2, handle: coordinatorOnly(ApiKey.DeleteGroups, handleDeleteGroups) }],
    [ApiKey.DescribeTopicPartitions, { minVersion: 0, maxVersion: 0, handle: handleDescribeTopicPartitions }],
    [ApiKey.OffsetDelete, { minVersion: 0, maxVersion: 0, handle: coordinatorOnly(ApiKey.OffsetDelete, handleOffsetDelete) }],
  ]);
  table.set(ApiKey.ApiVersions, { minVersion: 0, maxVersion: 4, handle: handleApiVersions(table) });
  return table;
})();
