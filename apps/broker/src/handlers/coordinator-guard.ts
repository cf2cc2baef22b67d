import { ApiKey, ErrorCode, type DeleteGroupsRequest, type DescribeGroupsRequest, type OffsetCommitRequest, type OffsetFetchRequest } from '@tributary/protocol';
import type { DecodedRequest } from '@tributary/protocol';
import type { BrokerContext, Handler } from './context.ts';

const E = ErrorCode.NOT_COORDINATOR;

/** The answer each group API gets from a broker that is not the group's coordinator. */
const notCoordinator: Record<number, (request: DecodedRequest) => unknown> = {
  [ApiKey.JoinGroup]: (r) => ({ errorCode: E, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId: (r.body as { memberId: string }).memberId, members: [] }),
  [ApiKey.SyncGroup]: () => ({ errorCode: E, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) }),
  [ApiKey.Heartbeat]: () => ({ errorCode: E }),
  [ApiKey.LeaveGroup]: () => ({ errorCode: E, members: [] }),
  [ApiKey.OffsetCommit]: (r) => ({ topics: (r.body as OffsetCommitRequest).topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: E })) })) }),
  [ApiKey.OffsetFetch]: (r) => {
    const body = r.body as OffsetFetchRequest;
    if (r.apiVersion >= 8) return { groups: body.groups.map((g) => ({ groupId: g.groupId, topics: [], errorCode: E })) };
    // v0–1 have no top-level error code: every asked partition carries it (metadata "", never null, as Kafka).
    return { errorCode: E, topics: (body.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: E })) })) };
  },
  [ApiKey.DescribeGroups]: (r) => ({ groups: (r.body as DescribeGroupsRequest).groups.map((g) => ({ errorCode: E, groupId: g, groupState: '', protocolType: '', protocolData: '', members: [] })) }),
  [ApiKey.DeleteGroups]: (r) => ({ results: (r.body as DeleteGroupsRequest).groupsNames.map((g) => ({ groupId: g, errorCode: E })) }),
  [ApiKey.OffsetDelete]: () => ({ errorCode: E, topics: [] }),
};

/**
 * Group requests reach only the broker that coordinates groups (the leader of
 * `__consumer_offsets`); elsewhere they get NOT_COORDINATOR, and clients look the coordinator up
 * again with FindCoordinator.
 */
export function coordinatorOnly(apiKey: number, handler: Handler): Handler {
  const refuse = notCoordinator[apiKey];
  if (!refuse) throw new Error(`no NOT_COORDINATOR answer for API ${apiKey}`);
  return (ctx: BrokerContext, request, session) => (ctx.isGroupCoordinator() ? handler(ctx, request, session) : refuse(request));
}
