import { ErrorCode, KafkaProtocolError } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import { listenerFor } from '../config/broker-config.ts';
import { defineApi } from './api-module.ts';

/**
 * This broker coordinates every group; transactions (key type 1) have no coordinator yet. A key type
 * Kafka does not know fails the whole request as Kafka's CoordinatorType.forId does: INVALID_REQUEST
 * for every key (FindCoordinatorRequest.getErrorResponse), before any authorization check.
 */
export const findCoordinatorApi = defineApi({
  api: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 5,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'DESCRIBE on each group or transactional id asked for' },
  handle: (ctx, request, session) => {
    const req = request.body;
    if (request.apiVersion >= 1 && req.keyType !== 0 && req.keyType !== 1) throw new KafkaProtocolError(ErrorCode.INVALID_REQUEST);
    const coordinator = ctx.cluster.brokers().find((b) => b.nodeId === ctx.groupCoordinatorId());
    const node = coordinator ? listenerFor(coordinator.listeners, session.listener) : null;
    const answer = (key: string) =>
      req.keyType === 0 && !allowed(ctx, session, Op.DESCRIBE, ResourceType.GROUP, key)
        ? { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: `${session.principal} may not describe group ${key}` }
        : req.keyType === 1 && !allowed(ctx, session, Op.DESCRIBE, ResourceType.TRANSACTIONAL_ID, key)
        ? { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, errorMessage: `${session.principal} may not use transactional id ${key}` }
        : req.keyType === 0 && !node
        ? { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'no broker leads __consumer_offsets yet' }
        : req.keyType === 0
        ? // Kafka's found coordinator carries Errors.NONE's text, "NONE", as its message.
          { key, nodeId: coordinator!.nodeId, host: node!.host, port: node!.port, errorCode: 0, errorMessage: 'NONE' }
        : { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'transactions are not supported yet' };
    if (request.apiVersion >= 4) return { coordinators: req.coordinatorKeys.map(answer) };
    const { key: _key, ...single } = answer(req.key);
    return request.apiVersion >= 1 ? single : { errorCode: single.errorCode, nodeId: single.nodeId, host: single.host, port: single.port };
  },
});
