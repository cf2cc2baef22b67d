import { ErrorCode, type ApiName, type DecodedRequest } from '@tributary/protocol';
import type { ApiRequest, ApiResponse } from './api-module.ts';

const E = ErrorCode.NOT_COORDINATOR;

type Refusal<N extends ApiName> = (request: ApiRequest<N>) => ApiResponse<N>;

/** The answer each group API gets from a broker that is not the group's coordinator. */
const NOT_COORDINATOR: { [N in ApiName]?: Refusal<N> } = {
  JoinGroup: (r) => ({ errorCode: E, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId: r.body.memberId, members: [] }),
  SyncGroup: () => ({ errorCode: E, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) }),
  Heartbeat: () => ({ errorCode: E }),
  ConsumerGroupDescribe: (r) => ({ throttleTimeMs: 0, groups: r.body.groupIds.map((groupId) => ({ errorCode: E, errorMessage: null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: -2147483648 })) }),
  ConsumerGroupHeartbeat: () => ({ errorCode: E, errorMessage: null, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null }),
  LeaveGroup: () => ({ errorCode: E, members: [] }),
  OffsetCommit: (r) => ({ topics: r.body.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: E })) })) }),
  OffsetFetch: (r) => {
    if (r.apiVersion >= 8) return { groups: r.body.groups.map((g) => ({ groupId: g.groupId, topics: [], errorCode: E })) };
    // v0–1 have no top-level error code: every asked partition carries it (metadata "", never null, as Kafka).
    return { errorCode: E, topics: (r.body.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: E })) })) };
  },
  DescribeGroups: (r) => ({ groups: r.body.groups.map((g) => ({ errorCode: E, groupId: g, groupState: '', protocolType: '', protocolData: '', members: [] })) }),
  DeleteGroups: (r) => ({ results: r.body.groupsNames.map((g) => ({ groupId: g, errorCode: E })) }),
  OffsetDelete: () => ({ errorCode: E, topics: [] }),
  TxnOffsetCommit: (r) => ({ throttleTimeMs: 0, topics: r.body.topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: E })) })) }),
};

/**
 * A group request reaches only the group's coordinator (the leader of the group's
 * `__consumer_offsets` partition); elsewhere it gets NOT_COORDINATOR, and the client looks the
 * coordinator up again with FindCoordinator.
 */
export function notCoordinatorAnswer(request: DecodedRequest): unknown {
  const refuse = NOT_COORDINATOR[request.api.name as ApiName] as Refusal<ApiName> | undefined;
  if (!refuse) throw new Error(`no NOT_COORDINATOR answer for ${request.api.name}`);
  return refuse(request as ApiRequest<ApiName>);
}

/** APIs that have a NOT_COORDINATOR answer (every module serving only the group coordinator needs one). */
export const NOT_COORDINATOR_APIS: ReadonlySet<string> = new Set(Object.keys(NOT_COORDINATOR));
