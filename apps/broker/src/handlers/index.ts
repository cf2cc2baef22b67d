import type { AnyApiModule } from './api-module.ts';
import { apiVersionsApi } from './api-versions.ts';
import { buildRegistry } from './registry.ts';
import { alterClientQuotasApi } from './alter-client-quotas.ts';
import { alterConfigsApi } from './alter-configs.ts';
import { alterPartitionReassignmentsApi } from './alter-partition-reassignments.ts';
import { electLeadersApi } from './elect-leaders.ts';
import { updateFeaturesApi } from './update-features.ts';
import { listPartitionReassignmentsApi } from './list-partition-reassignments.ts';
import { alterUserScramCredentialsApi } from './alter-user-scram-credentials.ts';
import { createAclsApi } from './create-acls.ts';
import { createPartitionsApi } from './create-partitions.ts';
import { createTopicsApi } from './create-topics.ts';
import { deleteAclsApi } from './delete-acls.ts';
import { deleteGroupsApi } from './delete-groups.ts';
import { deleteRecordsApi } from './delete-records.ts';
import { deleteTopicsApi } from './delete-topics.ts';
import { describeAclsApi } from './describe-acls.ts';
import { describeClientQuotasApi } from './describe-client-quotas.ts';
import { describeClusterApi } from './describe-cluster.ts';
import { describeConfigsApi } from './describe-configs.ts';
import { describeGroupsApi } from './describe-groups.ts';
import { describeLogDirsApi } from './describe-log-dirs.ts';
import { describeTopicPartitionsApi } from './describe-topic-partitions.ts';
import { describeUserScramCredentialsApi } from './describe-user-scram-credentials.ts';
import { fetchApi } from './fetch.ts';
import { findCoordinatorApi } from './find-coordinator.ts';
import { heartbeatApi } from './heartbeat.ts';
import { consumerGroupHeartbeatApi } from './consumer-group-heartbeat.ts';
import { consumerGroupDescribeApi } from './consumer-group-describe.ts';
import { incrementalAlterConfigsApi } from './incremental-alter-configs.ts';
import { initProducerIdApi } from './init-producer-id.ts';
import { joinGroupApi } from './join-group.ts';
import { leaveGroupApi } from './leave-group.ts';
import { listGroupsApi } from './list-groups.ts';
import { listOffsetsApi } from './list-offsets.ts';
import { metadataApi } from './metadata.ts';
import { offsetCommitApi } from './offset-commit.ts';
import { offsetDeleteApi } from './offset-delete.ts';
import { offsetFetchApi } from './offset-fetch.ts';
import { offsetForLeaderEpochApi } from './offset-for-leader-epoch.ts';
import { produceApi } from './produce.ts';
import { saslAuthenticateApi } from './sasl-authenticate.ts';
import { saslHandshakeApi } from './sasl-handshake.ts';
import { syncGroupApi } from './sync-group.ts';
import { addOffsetsToTxnApi } from './add-offsets-to-txn.ts';
import { addPartitionsToTxnApi } from './add-partitions-to-txn.ts';
import { endTxnApi } from './end-txn.ts';
import { txnOffsetCommitApi } from './txn-offset-commit.ts';
import { writeTxnMarkersApi } from './write-txn-markers.ts';
import { describeProducersApi } from './describe-producers.ts';
import { describeTransactionsApi } from './describe-transactions.ts';
import { listTransactionsApi } from './list-transactions.ts';
import { listConfigResourcesApi } from './list-config-resources.ts';
import { describeQuorumApi } from './describe-quorum.ts';
import { unregisterBrokerApi } from './unregister-broker.ts';

/**
 * Every API this broker answers, one module each; ApiVersions advertises exactly their versions.
 * Produce v0–2 and Fetch v0–3 carry the legacy message formats (magic 0/1), converted to and from
 * the stored v2 batches (legacy-produce.ts, legacy-fetch.ts); ListOffsets v0 answers offset
 * arrays; DescribeLogDirs v0 is v1's schema; FindCoordinator v5 only allows an error
 * (TRANSACTION_ABORTABLE) this broker never sends. Not advertised, because not implemented:
 * FindCoordinator v6 (share groups), OffsetCommit/OffsetFetch v10 (topic ids, KIP-848), Fetch v17
 * (a KRaft follower's directory id), AddPartitionsToTxn v4+ (KIP-890 verification between brokers), EndTxn v5 (KIP-890 part 2: transaction version 2), WriteTxnMarkers v0 (Kafka 4 sends v1). Every version a module declares is one it implements.
 */
export const API_MODULES: readonly AnyApiModule[] = [
  produceApi,
  fetchApi,
  listOffsetsApi,
  metadataApi,
  createTopicsApi,
  deleteTopicsApi,
  createPartitionsApi,
  describeConfigsApi,
  alterConfigsApi,
  incrementalAlterConfigsApi,
  listConfigResourcesApi,
  deleteRecordsApi,
  offsetForLeaderEpochApi,
  describeClusterApi,
  describeQuorumApi,
  unregisterBrokerApi,
  describeLogDirsApi,
  initProducerIdApi,
  findCoordinatorApi,
  joinGroupApi,
  syncGroupApi,
  heartbeatApi,
  consumerGroupHeartbeatApi,
  consumerGroupDescribeApi,
  leaveGroupApi,
  offsetCommitApi,
  offsetFetchApi,
  listGroupsApi,
  describeGroupsApi,
  saslHandshakeApi,
  saslAuthenticateApi,
  describeUserScramCredentialsApi,
  alterUserScramCredentialsApi,
  describeClientQuotasApi,
  alterClientQuotasApi,
  createAclsApi,
  describeAclsApi,
  deleteAclsApi,
  deleteGroupsApi,
  describeTopicPartitionsApi,
  offsetDeleteApi,
  alterPartitionReassignmentsApi,
  listPartitionReassignmentsApi,
  electLeadersApi,
  updateFeaturesApi,
  addPartitionsToTxnApi,
  addOffsetsToTxnApi,
  endTxnApi,
  writeTxnMarkersApi,
  txnOffsetCommitApi,
  describeTransactionsApi,
  listTransactionsApi,
  describeProducersApi,
];

/** The handler table the broker dispatches on, by API key (see registry.ts). */
export const HANDLERS = buildRegistry(API_MODULES, apiVersionsApi);
