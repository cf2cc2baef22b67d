import { ErrorCode } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import type { Authorization } from './api-module.ts';

/**
 * JoinGroup, SyncGroup, Heartbeat and LeaveGroup concern one group and answer one error code:
 * READ on the group is checked before the handler, a denial is GROUP_AUTHORIZATION_FAILED.
 */
export const READ_GROUP_BEFORE: Authorization<'JoinGroup' | 'SyncGroup' | 'Heartbeat' | 'LeaveGroup'> = {
  kind: 'before',
  acl: 'READ on the group',
  allowed: (ctx, request, session) => allowed(ctx, session, Op.READ, ResourceType.GROUP, request.body.groupId),
  deniedCode: ErrorCode.GROUP_AUTHORIZATION_FAILED,
};
