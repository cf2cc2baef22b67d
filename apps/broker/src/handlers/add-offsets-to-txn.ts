import { ErrorCode } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import { OFFSETS_TOPIC } from '../topics/internal-topics.ts';
import { defineApi } from './api-module.ts';
import { fencedFor, transactionCoordinatorFor, transactionStateReplicated } from './transaction-guard.ts';

/**
 * AddOffsetsToTxn: the group's `__consumer_offsets` partition joins the transaction, so that its
 * TxnOffsetCommit offsets get the transaction's marker (the partition its id hashes to, as
 * Kafka's). READ on the group is checked after WRITE on the transactional id, as Kafka does.
 */
export const addOffsetsToTxnApi = defineApi({
  api: 'AddOffsetsToTxn',
  minVersion: 0,
  maxVersion: 4,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'WRITE on the transactional id, READ on the group' },
  handle: async (ctx, request, session) => {
    const req = request.body;
    if (!allowed(ctx, session, Op.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    if (!allowed(ctx, session, Op.READ, ResourceType.GROUP, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const lookup = transactionCoordinatorFor(ctx, session, req.transactionalId);
    if (!lookup.ok) return { throttleTimeMs: 0, errorCode: lookup.errorCode };
    const errorCode = fencedFor(lookup.coordinator.addPartitions(req.transactionalId, req.producerId, req.producerEpoch, [{ topic: OFFSETS_TOPIC, partition: ctx.groups.partitionFor(req.groupId) }]), request.apiVersion < 2);
    return { throttleTimeMs: 0, errorCode: errorCode || (await transactionStateReplicated(ctx, req.transactionalId)) };
  },
});
