import {
  defaultDescribeClusterResponse,
  defaultHeartbeatResponse,
  defaultJoinGroupResponse,
  defaultLeaveGroupResponse,
  defaultSyncGroupResponse,
  ErrorCode,
  type DecodedRequest,
} from '@tributary/protocol';
import type { BrokerContext, Handler, RequestSession } from '../handlers/context.ts';
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

export const guardJoinGroup = (h: Handler) => guard(readGroup, groupDenied(defaultJoinGroupResponse), h);
export const guardSyncGroup = (h: Handler) => guard(readGroup, groupDenied(defaultSyncGroupResponse), h);
export const guardHeartbeat = (h: Handler) => guard(readGroup, groupDenied(defaultHeartbeatResponse), h);
export const guardLeaveGroup = (h: Handler) => guard(readGroup, groupDenied(defaultLeaveGroupResponse), h);
export const guardDescribeCluster = (h: Handler) =>
  guard((ctx, _r, session) => allowedOnCluster(ctx, session, AclOperation.DESCRIBE), () => ({ ...defaultDescribeClusterResponse(), errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'DESCRIBE on the cluster is not allowed' }), h);
export const guardDescribeLogDirs = (h: Handler) =>
  guard((ctx, _r, session) => allowedOnCluster(ctx, session, AclOperation.DESCRIBE), (v) => (v >= 3 ? { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] } : { throttleTimeMs: 0, results: [] }), h);
