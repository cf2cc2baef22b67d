import { ApiKey, errorInfo, type DecodedRequest } from '@tributary/protocol';
import type * as P from '@tributary/protocol';

/**
 * The answer a request gets when its handler throws, as Kafka's `AbstractRequest.getErrorResponse`
 * builds it: the error code at every level the response has (top level, each topic/partition, each
 * resource, group or filter the request named), offsets and ids at their "unknown" values, and no
 * error message for UNKNOWN_SERVER_ERROR (Kafka leaves it null so as not to leak internals). One
 * request then costs one error answer, not the connection.
 *
 * Checked byte for byte against Kafka 4.4's own getErrorResponse for every API and version the
 * broker advertises (test/broker/error-responses.test.ts).
 */
export function errorResponseFor(request: Pick<DecodedRequest, 'api' | 'apiVersion' | 'body'>, errorCode: number, message: string | null = null): unknown {
  const build = BUILDERS[request.api.apiKey];
  if (!build) throw new Error(`no error response for API key ${request.api.apiKey}`);
  return build(request.body as never, request.apiVersion, errorCode, message);
}

type Builder<Req> = (req: Req, v: number, e: number, msg: string | null) => unknown;

/** Some of Kafka's builders fall back to the error's generic text where others leave null. */
const orDefault = (e: number, msg: string | null) => msg ?? errorInfo(e).message;

const UNKNOWN_UUID = '00000000-0000-0000-0000-000000000000';
/** DescribeGroups' and Metadata's "authorized operations not asked for". */
const OPERATIONS_OMITTED = -2147483648;

const BUILDERS: Record<number, Builder<never>> = {
  [ApiKey.Produce]: ((r: P.ProduceRequest, _v, e, msg) => ({
    throttleTimeMs: 0,
    // Kafka answers per partition (a topic naming none is left out).
    responses: r.topicData.filter((t) => t.partitionData.length > 0).map((t) => ({ name: t.name, topicId: t.topicId, partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode: e, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: msg })) })),
  })) as Builder<P.ProduceRequest>,
  [ApiKey.Fetch]: ((r: P.FetchRequest, v, e) => ({
    throttleTimeMs: 0,
    errorCode: e,
    sessionId: r.sessionId,
    // From v13 the top-level code says it all; before, every partition carries it too.
    responses:
      v >= 13
        ? []
        : r.topics.map((t) => ({
            topic: t.topic,
            topicId: t.topicId,
            partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: e, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, abortedTransactions: [], preferredReadReplica: -1, records: Buffer.alloc(0) })),
          })),
  })) as Builder<P.FetchRequest>,
  [ApiKey.ListOffsets]: ((r: P.ListOffsetsRequest, _v, e) => ({
    throttleTimeMs: 0,
    topics: r.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: e, oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 })) })),
  })) as Builder<P.ListOffsetsRequest>,
  [ApiKey.Metadata]: ((r: P.MetadataRequest, _v, e) => ({
    throttleTimeMs: 0,
    brokers: [],
    clusterId: null,
    controllerId: -1,
    topics: (r.topics ?? []).map((t) => ({ errorCode: e, name: t.name ?? '', topicId: t.topicId, isInternal: false, partitions: [], topicAuthorizedOperations: OPERATIONS_OMITTED })),
    clusterAuthorizedOperations: OPERATIONS_OMITTED,
    // v13's top-level error code carries it too.
    errorCode: e,
  })) as Builder<P.MetadataRequest>,
  [ApiKey.CreateTopics]: ((r: P.CreateTopicsRequest, _v, e, msg) => ({
    throttleTimeMs: 0,
    topics: r.topics.map((t) => ({ name: t.name, topicId: UNKNOWN_UUID, errorCode: e, errorMessage: msg, topicConfigErrorCode: 0, numPartitions: -1, replicationFactor: -1, configs: [] })),
  })) as Builder<P.CreateTopicsRequest>,
  [ApiKey.DeleteTopics]: ((r: P.DeleteTopicsRequest, v, e, msg) => ({
    throttleTimeMs: 0,
    responses: v >= 6 ? r.topics.map((t) => ({ name: t.name, topicId: t.topicId, errorCode: e, errorMessage: msg })) : r.topicNames.map((name) => ({ name, topicId: UNKNOWN_UUID, errorCode: e, errorMessage: msg })),
  })) as Builder<P.DeleteTopicsRequest>,
  [ApiKey.CreatePartitions]: ((r: P.CreatePartitionsRequest, _v, e, msg) => ({ throttleTimeMs: 0, results: r.topics.map((t) => ({ name: t.name, errorCode: e, errorMessage: msg })) })) as Builder<P.CreatePartitionsRequest>,
  [ApiKey.DescribeConfigs]: ((r: P.DescribeConfigsRequest, _v, e, msg) => ({
    throttleTimeMs: 0,
    results: r.resources.map((res) => ({ errorCode: e, errorMessage: orDefault(e, msg), resourceType: res.resourceType, resourceName: res.resourceName, configs: [] })),
  })) as Builder<P.DescribeConfigsRequest>,
  [ApiKey.AlterConfigs]: ((r: P.AlterConfigsRequest, _v, e, msg) => ({ throttleTimeMs: 0, responses: r.resources.map((res) => ({ errorCode: e, errorMessage: msg, resourceType: res.resourceType, resourceName: res.resourceName })) })) as Builder<P.AlterConfigsRequest>,
  [ApiKey.IncrementalAlterConfigs]: ((r: P.IncrementalAlterConfigsRequest, _v, e, msg) => ({
    throttleTimeMs: 0,
    responses: r.resources.map((res) => ({ errorCode: e, errorMessage: msg, resourceType: res.resourceType, resourceName: res.resourceName })),
  })) as Builder<P.IncrementalAlterConfigsRequest>,
  [ApiKey.DeleteRecords]: ((r: P.DeleteRecordsRequest, _v, e) => ({
    throttleTimeMs: 0,
    topics: r.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: e })) })),
  })) as Builder<P.DeleteRecordsRequest>,
  [ApiKey.OffsetForLeaderEpoch]: ((r: P.OffsetForLeaderEpochRequest, _v, e) => ({
    throttleTimeMs: 0,
    topics: r.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ errorCode: e, partition: p.partition, leaderEpoch: -1, endOffset: -1n })) })),
  })) as Builder<P.OffsetForLeaderEpochRequest>,
  [ApiKey.DescribeCluster]: ((_r: P.DescribeClusterRequest, _v, e, msg) => ({ throttleTimeMs: 0, errorCode: e, errorMessage: msg, endpointType: 1, clusterId: '', controllerId: -1, brokers: [], clusterAuthorizedOperations: OPERATIONS_OMITTED })) as Builder<P.DescribeClusterRequest>,
  [ApiKey.DescribeLogDirs]: ((_r: P.DescribeLogDirsRequest, _v, e) => ({ throttleTimeMs: 0, errorCode: e, results: [] })) as Builder<P.DescribeLogDirsRequest>,
  [ApiKey.InitProducerId]: ((_r: P.InitProducerIdRequest, _v, e) => ({ throttleTimeMs: 0, errorCode: e, producerId: -1n, producerEpoch: -1 })) as Builder<P.InitProducerIdRequest>,
  [ApiKey.FindCoordinator]: ((r: P.FindCoordinatorRequest, v, e, msg) =>
    v >= 4
      ? { throttleTimeMs: 0, coordinators: r.coordinatorKeys.map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode: e, errorMessage: orDefault(e, msg) })) }
      : { throttleTimeMs: 0, errorCode: e, errorMessage: orDefault(e, msg), nodeId: -1, host: '', port: -1 }) as Builder<P.FindCoordinatorRequest>,
  [ApiKey.JoinGroup]: ((_r: P.JoinGroupRequest, v, e) => ({ throttleTimeMs: 0, errorCode: e, generationId: -1, protocolType: null, protocolName: v >= 7 ? null : '', leader: '', skipAssignment: false, memberId: '', members: [] })) as Builder<P.JoinGroupRequest>,
  [ApiKey.SyncGroup]: ((_r: P.SyncGroupRequest, _v, e) => ({ throttleTimeMs: 0, errorCode: e, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) })) as Builder<P.SyncGroupRequest>,
  [ApiKey.AddPartitionsToTxn]: ((r: P.AddPartitionsToTxnRequest, v, e) =>
    v >= 4
      ? { throttleTimeMs: 0, errorCode: e, resultsByTransaction: [] }
      : { throttleTimeMs: 0, resultsByTopicV3AndBelow: r.v3AndBelowTopics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: e })) })) }) as Builder<P.AddPartitionsToTxnRequest>,
  [ApiKey.AddOffsetsToTxn]: ((_r: P.AddOffsetsToTxnRequest, _v, e) => ({ throttleTimeMs: 0, errorCode: e })) as Builder<P.AddOffsetsToTxnRequest>,
  [ApiKey.EndTxn]: ((_r: P.EndTxnRequest, _v, e) => ({ throttleTimeMs: 0, errorCode: e, producerId: -1n, producerEpoch: -1 })) as Builder<P.EndTxnRequest>,
  [ApiKey.TxnOffsetCommit]: ((r: P.TxnOffsetCommitRequest, _v, e) => ({
    throttleTimeMs: 0,
    topics: r.topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: e })) })),
  })) as Builder<P.TxnOffsetCommitRequest>,
  // Kafka builds this one through maps: one result per producer id, one entry per partition.
  [ApiKey.WriteTxnMarkers]: ((r: P.WriteTxnMarkersRequest, _v, e) => {
    const byProducer = new Map<bigint, Map<string, Set<number>>>();
    for (const m of r.markers) {
      const topics = byProducer.get(m.producerId) ?? new Map<string, Set<number>>();
      byProducer.set(m.producerId, topics);
      for (const t of m.topics) for (const p of t.partitionIndexes) topics.set(t.name, (topics.get(t.name) ?? new Set()).add(p));
    }
    return { markers: [...byProducer].map(([producerId, topics]) => ({ producerId, topics: [...topics].map(([name, ps]) => ({ name, partitions: [...ps].map((partitionIndex) => ({ partitionIndex, errorCode: e })) })) })) };
  }) as Builder<P.WriteTxnMarkersRequest>,
  [ApiKey.Heartbeat]: ((_r: P.HeartbeatRequest, _v, e) => ({ throttleTimeMs: 0, errorCode: e })) as Builder<P.HeartbeatRequest>,
  [ApiKey.ConsumerGroupDescribe]: ((r: P.ConsumerGroupDescribeRequest, _v, e) => ({ throttleTimeMs: 0, groups: r.groupIds.map((groupId) => ({ errorCode: e, errorMessage: null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: -2147483648 })) })) as Builder<P.ConsumerGroupDescribeRequest>,
  [ApiKey.ConsumerGroupHeartbeat]: ((_r: P.ConsumerGroupHeartbeatRequest, _v, e) => ({ throttleTimeMs: 0, errorCode: e, errorMessage: null, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null })) as Builder<P.ConsumerGroupHeartbeatRequest>,
  [ApiKey.LeaveGroup]: ((_r: P.LeaveGroupRequest, _v, e) => ({ throttleTimeMs: 0, errorCode: e, members: [] })) as Builder<P.LeaveGroupRequest>,
  [ApiKey.OffsetCommit]: ((r: P.OffsetCommitRequest, _v, e) => ({
    throttleTimeMs: 0,
    topics: r.topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: e })) })),
  })) as Builder<P.OffsetCommitRequest>,
  [ApiKey.OffsetFetch]: ((r: P.OffsetFetchRequest, v, e) => {
    if (v >= 8) return { throttleTimeMs: 0, groups: r.groups.map((g) => ({ groupId: g.groupId, topics: [], errorCode: e })) };
    // v0–1 have no top-level error code: every asked partition carries it.
    const topics = (r.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: e })) }));
    return { throttleTimeMs: 0, errorCode: e, topics: v >= 2 ? [] : topics };
  }) as Builder<P.OffsetFetchRequest>,
  [ApiKey.ListGroups]: ((_r: P.ListGroupsRequest, _v, e) => ({ throttleTimeMs: 0, errorCode: e, groups: [] })) as Builder<P.ListGroupsRequest>,
  [ApiKey.DescribeGroups]: ((r: P.DescribeGroupsRequest, _v, e) => ({
    throttleTimeMs: 0,
    groups: r.groups.map((groupId) => ({ errorCode: e, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: OPERATIONS_OMITTED })),
  })) as Builder<P.DescribeGroupsRequest>,
  [ApiKey.SaslHandshake]: ((_r: P.SaslHandshakeRequest, _v, e) => ({ errorCode: e, mechanisms: [] })) as Builder<P.SaslHandshakeRequest>,
  [ApiKey.SaslAuthenticate]: ((_r: P.SaslAuthenticateRequest, _v, e, msg) => ({ errorCode: e, errorMessage: msg, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n })) as Builder<P.SaslAuthenticateRequest>,
  [ApiKey.ApiVersions]: ((_r: P.ApiVersionsRequest, _v, e) => ({ errorCode: e, apiKeys: [], throttleTimeMs: 0 })) as Builder<P.ApiVersionsRequest>,
  [ApiKey.DescribeUserScramCredentials]: ((r: P.DescribeUserScramCredentialsRequest, _v, e, msg) => ({
    throttleTimeMs: 0,
    errorCode: e,
    errorMessage: msg,
    // One result per asked user, its name left empty: what Kafka 4.4 sends.
    results: (r.users ?? []).map(() => ({ user: '', errorCode: e, errorMessage: msg, credentialInfos: [] })),
  })) as Builder<P.DescribeUserScramCredentialsRequest>,
  [ApiKey.AlterUserScramCredentials]: ((r: P.AlterUserScramCredentialsRequest, _v, e, msg) => ({
    throttleTimeMs: 0,
    results: [...new Set([...r.deletions.map((d) => d.name), ...r.upsertions.map((u) => u.name)])].map((user) => ({ user, errorCode: e, errorMessage: msg })),
  })) as Builder<P.AlterUserScramCredentialsRequest>,
  [ApiKey.DescribeClientQuotas]: ((_r: P.DescribeClientQuotasRequest, _v, e, msg) => ({ throttleTimeMs: 0, errorCode: e, errorMessage: msg, entries: null })) as Builder<P.DescribeClientQuotasRequest>,
  [ApiKey.AlterClientQuotas]: ((r: P.AlterClientQuotasRequest, _v, e, msg) => ({
    throttleTimeMs: 0,
    entries: r.entries.map((entry) => ({ errorCode: e, errorMessage: orDefault(e, msg), entity: entry.entity.map((x) => ({ entityType: x.entityType, entityName: x.entityName })) })),
  })) as Builder<P.AlterClientQuotasRequest>,
  [ApiKey.CreateAcls]: ((r: P.CreateAclsRequest, _v, e, msg) => ({ throttleTimeMs: 0, results: r.creations.map(() => ({ errorCode: e, errorMessage: msg })) })) as Builder<P.CreateAclsRequest>,
  [ApiKey.DescribeAcls]: ((_r: P.DescribeAclsRequest, _v, e, msg) => ({ throttleTimeMs: 0, errorCode: e, errorMessage: msg, resources: [] })) as Builder<P.DescribeAclsRequest>,
  [ApiKey.DeleteAcls]: ((r: P.DeleteAclsRequest, _v, e, msg) => ({ throttleTimeMs: 0, filterResults: r.filters.map(() => ({ errorCode: e, errorMessage: msg, matchingAcls: [] })) })) as Builder<P.DeleteAclsRequest>,
  [ApiKey.DeleteGroups]: ((r: P.DeleteGroupsRequest, _v, e) => ({ throttleTimeMs: 0, results: r.groupsNames.map((groupId) => ({ groupId, errorCode: e })) })) as Builder<P.DeleteGroupsRequest>,
  [ApiKey.DescribeTopicPartitions]: ((r: P.DescribeTopicPartitionsRequest, _v, e) => ({
    throttleTimeMs: 0,
    topics: r.topics.map((t) => ({ errorCode: e, name: t.name, topicId: UNKNOWN_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: OPERATIONS_OMITTED })),
    nextCursor: null,
  })) as Builder<P.DescribeTopicPartitionsRequest>,
  [ApiKey.OffsetDelete]: ((_r: P.OffsetDeleteRequest, _v, e) => ({ errorCode: e, throttleTimeMs: 0, topics: [] })) as Builder<P.OffsetDeleteRequest>,
  [ApiKey.AlterPartitionReassignments]: ((r: P.AlterPartitionReassignmentsRequest, _v, e, msg) => ({
    throttleTimeMs: 0,
    // v1's allowReplicationFactorChange stays at its default (true) whatever was asked: Kafka 4.4's
    // getErrorResponse does not copy it (test/broker/error-responses.test.ts).
    errorCode: e,
    errorMessage: msg,
    responses: r.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: e, errorMessage: msg })) })),
  })) as Builder<P.AlterPartitionReassignmentsRequest>,
  [ApiKey.ListPartitionReassignments]: ((r: P.ListPartitionReassignmentsRequest, _v, e, msg) => ({
    throttleTimeMs: 0,
    errorCode: e,
    errorMessage: msg,
    topics: (r.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, replicas: [], addingReplicas: [], removingReplicas: [] })) })),
  })) as Builder<P.ListPartitionReassignmentsRequest>,
  [ApiKey.ElectLeaders]: ((r: P.ElectLeadersRequest, v, e, msg) => ({
    throttleTimeMs: 0,
    // v0 has no top-level error code: the partitions carry it.
    errorCode: v >= 1 ? e : 0,
    replicaElectionResults: (r.topicPartitions ?? []).map((t) => ({ topic: t.topic, partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode: e, errorMessage: msg })) })),
  })) as Builder<P.ElectLeadersRequest>,
  [ApiKey.DescribeProducers]: ((r: P.DescribeProducersRequest, _v, e) => ({
    throttleTimeMs: 0,
    topics: r.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: e, errorMessage: null, activeProducers: [] })) })),
  })) as Builder<P.DescribeProducersRequest>,
  // Every asked transactional id with the error, its other fields at their schema defaults.
  [ApiKey.DescribeTransactions]: ((r: P.DescribeTransactionsRequest, _v, e) => ({
    throttleTimeMs: 0,
    transactionStates: r.transactionalIds.map((transactionalId) => ({ errorCode: e, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: 0n, producerId: 0n, producerEpoch: 0, topics: [] })),
  })) as Builder<P.DescribeTransactionsRequest>,
  [ApiKey.ListTransactions]: ((_r: P.ListTransactionsRequest, _v, e) => ({ throttleTimeMs: 0, errorCode: e, unknownStateFilters: [], transactionStates: [] })) as Builder<P.ListTransactionsRequest>,
  // Kafka's DescribeQuorumRequest.getTopLevelErrorResponse: the code and its generic text, no topics.
  [ApiKey.DescribeQuorum]: ((_r: P.DescribeQuorumRequest, _v, e) => ({ errorCode: e, errorMessage: errorInfo(e).message, topics: [], nodes: [] })) as Builder<P.DescribeQuorumRequest>,
  [ApiKey.UnregisterBroker]: ((_r: P.UnregisterBrokerRequest, _v, e, msg) => ({ throttleTimeMs: 0, errorCode: e, errorMessage: msg })) as Builder<P.UnregisterBrokerRequest>,
  [ApiKey.UpdateFeatures]: ((_r: P.UpdateFeaturesRequest, _v, e, msg) => ({ throttleTimeMs: 0, errorCode: e, errorMessage: msg, results: [] })) as Builder<P.UpdateFeaturesRequest>,
  [ApiKey.ListConfigResources]: ((_r: P.ListConfigResourcesRequest, _v, e) => ({ throttleTimeMs: 0, errorCode: e, configResources: [] })) as Builder<P.ListConfigResourcesRequest>,
};

/** APIs with an error-response builder (every API the broker answers must have one). */
export const ERROR_RESPONSE_APIS: ReadonlySet<number> = new Set(Object.keys(BUILDERS).map(Number));
