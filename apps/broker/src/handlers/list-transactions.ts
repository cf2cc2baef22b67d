import { ErrorCode, KafkaProtocolError } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import { TxnState, txnStateName } from '../txn/transaction-records.ts';
import { compileIdPattern } from '../txn/transactional-id-pattern.ts';
import { defineApi } from './api-module.ts';

const STATE_NAMES = new Set(Object.keys(TxnState));

/**
 * ListTransactions (KIP-664; v1 adds KIP-994's duration filter): the transactional ids this broker
 * coordinates (the admin client asks every broker), filtered as Kafka's TransactionStateManager
 * filters them: by state name (names Kafka does not know come back in `unknownStateFilters`), by
 * producer id, and by running longer than the duration (measured from the transaction's start, so
 * an id with no transaction, start -1, passes any duration as on Kafka), and (v2, KIP-1152) by an
 * RE2 pattern the whole id must match; an invalid pattern fails the request with
 * INVALID_REGULAR_EXPRESSION, as Kafka's InvalidRegularExpression does. Only ids with DESCRIBE.
 */
export const listTransactionsApi = defineApi({
  api: 'ListTransactions',
  minVersion: 0,
  maxVersion: 2,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'DESCRIBE on each transactional id listed' },
  handle: (ctx, request, session) => {
    const req = request.body;
    const states = new Set(req.stateFilters);
    const producerIds = new Set(req.producerIdFilters);
    const duration = request.apiVersion >= 1 ? Number(req.durationFilter) : -1;
    const pattern = compileIdPattern(request.apiVersion >= 2 ? req.transactionalIdPattern : null);
    if (!pattern.ok) throw new KafkaProtocolError(ErrorCode.INVALID_REGULAR_EXPRESSION, `Transaction ID pattern \`${req.transactionalIdPattern}\` is not a valid regular expression: ${pattern.reason}.`);
    const now = Date.now();
    const transactionStates = ctx.transactions
      .led()
      .flatMap((c) => c.list())
      .filter(([, t]) => t.state !== TxnState.Dead)
      .filter(([, t]) => producerIds.size === 0 || producerIds.has(t.producerId))
      .filter(([, t]) => states.size === 0 || states.has(txnStateName(t.state)))
      .filter(([, t]) => duration < 0 || now - t.startMs > duration)
      .filter(([id]) => pattern.matches(id))
      .filter(([id]) => allowed(ctx, session, Op.DESCRIBE, ResourceType.TRANSACTIONAL_ID, id))
      .map(([transactionalId, t]) => ({ transactionalId, producerId: t.producerId, transactionState: txnStateName(t.state) }));
    return { throttleTimeMs: 0, errorCode: 0, unknownStateFilters: [...states].filter((s) => !STATE_NAMES.has(s)), transactionStates };
  },
});
