import { ErrorCode, KafkaProtocolError, type FindCoordinatorResponseCoordinator as CoordinatorAnswer } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import { listenerFor } from '../config/broker-config.ts';
import type { BrokerContext, RequestSession } from './context.ts';
import { defineApi } from './api-module.ts';

/**
 * A group (key type 0) is coordinated by the leader of its `__consumer_offsets` partition
 * (Kafka's partitioning, group/group-coordinators.ts); a transactional id (key type 1) by the
 * leader of its `__transaction_state` partition (txn/transaction-coordinators.ts); each topic is
 * created on the first request that needs it, as Kafka creates them. A key type
 * Kafka does not know fails the whole request as Kafka's CoordinatorType.forId does:
 * INVALID_REQUEST for every key (FindCoordinatorRequest.getErrorResponse), before any
 * authorization check.
 */
export const findCoordinatorApi = defineApi({
  api: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 5,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'DESCRIBE on each group or transactional id asked for' },
  handle: async (ctx, request, session) => {
    const req = request.body;
    const keyType = request.apiVersion >= 1 ? req.keyType : 0;
    if (keyType !== 0 && keyType !== 1) throw new KafkaProtocolError(ErrorCode.INVALID_REQUEST);
    const answer = (key: string) => (keyType === 0 ? groupCoordinator(ctx, session, key) : transactionCoordinator(ctx, session, key));
    if (request.apiVersion >= 4) return { coordinators: await Promise.all(req.coordinatorKeys.map(answer)) };
    const { key: _key, ...single } = await answer(req.key);
    return request.apiVersion >= 1 ? single : { errorCode: single.errorCode, nodeId: single.nodeId, host: single.host, port: single.port };
  },
});

const none = (key: string, errorCode: number, errorMessage: string): CoordinatorAnswer => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage });

/** The broker `nodeId` as the client reaches it (the listener it came on); Kafka's found coordinator carries Errors.NONE's text, "NONE". */
function found(ctx: BrokerContext, session: RequestSession, key: string, nodeId: number, missing: string): CoordinatorAnswer {
  const broker = ctx.cluster.brokers().find((b) => b.nodeId === nodeId);
  const node = broker ? listenerFor(broker.listeners, session.listener) : null;
  return node ? { key, nodeId, host: node.host, port: node.port, errorCode: 0, errorMessage: 'NONE' } : none(key, ErrorCode.COORDINATOR_NOT_AVAILABLE, missing);
}

async function groupCoordinator(ctx: BrokerContext, session: RequestSession, key: string): Promise<CoordinatorAnswer> {
  if (!allowed(ctx, session, Op.DESCRIBE, ResourceType.GROUP, key)) return none(key, ErrorCode.GROUP_AUTHORIZATION_FAILED, `${session.principal} may not describe group ${key}`);
  if (!(await ctx.groups.ensureTopic())) return none(key, ErrorCode.COORDINATOR_NOT_AVAILABLE, '__consumer_offsets cannot be created yet');
  return found(ctx, session, key, ctx.groups.coordinatorNode(key), `no broker leads the __consumer_offsets partition of ${key} yet`);
}

async function transactionCoordinator(ctx: BrokerContext, session: RequestSession, key: string): Promise<CoordinatorAnswer> {
  if (!allowed(ctx, session, Op.DESCRIBE, ResourceType.TRANSACTIONAL_ID, key)) return none(key, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, `${session.principal} may not use transactional id ${key}`);
  if (!(await ctx.transactions.ensureTopic())) return none(key, ErrorCode.COORDINATOR_NOT_AVAILABLE, '__transaction_state cannot be created yet');
  return found(ctx, session, key, ctx.transactions.coordinatorNode(key), `no broker leads the __transaction_state partition of ${key} yet`);
}
