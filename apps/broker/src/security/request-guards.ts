import {
  defaultHeartbeatResponse,
  defaultLeaveGroupResponse,
  defaultSyncGroupResponse,
  ErrorCode,
  type DecodedRequest,
} from '@tributary/protocol';
import type { BrokerContext, Handler, RequestSession } from '../handlers/context.ts';
import { joinGroupError } from '../handlers/join-group-answer.ts';
import { AclOperation, CLUSTER_NAME, ResourceType, type OperationId, type ResourceTypeId } from './acl.ts';

/** Whether the request's principal may do `op` on a resource (the handlers' one question). */
export function allowed(ctx: BrokerContext, session: RequestSession, op: OperationId, type: ResourceTypeId, name: string): boolean {
  return ctx.authorizer.authorize(session, op, type, name);
}

export function allowedOnCluster(ctx: BrokerContext, session: RequestSession, op: OperationId): boolean {
  return ctx.authorizer.authorize(session, op, ResourceType.CLUSTER, CLUSTER_NAME);
}

/**
 * APIs whose whole request concerns one resource and whose response has one error code are
 * checked here, before the handler runs; a denial answers the API's default response with the
 * authorization error. APIs that name many resources (Produce, Fetch, Metadata, offsets, configs,
 * topic admin) check each resource inside their handler and fail only the denied ones, as Kafka does.
 */
function guard(check: (ctx: BrokerContext, request: DecodedRequest, session: RequestSession) => boolean, denied: (v: number) => unknown, handler: Handler): Handler {
  return (ctx, request, session) => (check(ctx, request, session) ? handler(ctx, request, session) : denied(request.apiVersion));
}

const readGroup = (ctx: BrokerContext, request: DecodedRequest, session: RequestSession) => allowed(ctx, session, AclOperation.READ, ResourceType.GROUP, (request.body as { groupId: string }).groupId);
const groupDenied = (defaults: () => object) => () => ({ ...defaults(), errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED });

// JoinGroup's denial depends on the version (protocolName null from v7), as the handler's other refusals.
export const guardJoinGroup = (h: Handler) => guard(readGroup, (v) => joinGroupError(v, ErrorCode.GROUP_AUTHORIZATION_FAILED), h);
export const guardSyncGroup = (h: Handler) => guard(readGroup, groupDenied(defaultSyncGroupResponse), h);
export const guardHeartbeat = (h: Handler) => guard(readGroup, groupDenied(defaultHeartbeatResponse), h);
export const guardLeaveGroup = (h: Handler) => guard(readGroup, groupDenied(defaultLeaveGroupResponse), h);
export const guardDescribeLogDirs = (h: Handler) =>
  guard((ctx, _r, session) => allowedOnCluster(ctx, session, AclOperation.DESCRIBE), (v) => (v >= 3 ? { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] } : { throttleTimeMs: 0, results: [] }), h);

/** The operations Kafka reports per resource type in "authorized operations" bitfields (bit n = operation n). */
const REPORTED: Record<'topic' | 'group' | 'cluster', OperationId[]> = {
  topic: [AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE, AclOperation.DELETE, AclOperation.ALTER, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS],
  group: [AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE],
  cluster: [AclOperation.CREATE, AclOperation.ALTER, AclOperation.DESCRIBE, AclOperation.CLUSTER_ACTION, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS, AclOperation.IDEMPOTENT_WRITE],
};
const TYPE_OF = { topic: ResourceType.TOPIC, group: ResourceType.GROUP, cluster: ResourceType.CLUSTER } as const;

/** KIP-430: the bitfield of operations the principal may perform on a resource, for clients that ask. */
export function authorizedOperations(ctx: BrokerContext, session: RequestSession, kind: 'topic' | 'group' | 'cluster', name = CLUSTER_NAME): number {
  let bits = 0;
  for (const op of REPORTED[kind]) if (ctx.authorizer.authorize(session, op, TYPE_OF[kind], name)) bits |= 1 << op;
  return bits;
}
