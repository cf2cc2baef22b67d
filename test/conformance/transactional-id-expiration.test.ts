import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiKey, encodeRecordBatch, ErrorCode, type DescribeTransactionsResponse, type FindCoordinatorResponse, type InitProducerIdResponse, type ListTransactionsResponse } from '@tributary/protocol';
import { compare, createTopic, producerIdsReady, startPair, type Pair, type Side } from './harness.ts';
import { eventually, settle } from './coordinator-retry.ts';

/**
 * transactional.id.expiration.ms, compared with Apache Kafka 4.4: a pair of its own, both brokers
 * expiring transactional ids idle for 3 s and looking every 0.5 s (Kafka's defaults are 7 days and
 * 1 hour), so that the expiry happens within the test. An id that only initialised and one whose
 * transaction committed are forgotten — DescribeTransactions answers TRANSACTIONAL_ID_NOT_FOUND,
 * ListTransactions no longer lists them, the next InitProducerId starts over with a new producer
 * id at epoch 0 — while an id with a transaction running is kept.
 */
const EXPIRATION = { 'transactional.id.expiration.ms': '3000', 'transaction.remove.expired.transaction.cleanup.interval.ms': '500' };
let pair: Pair;

beforeAll(async () => {
  pair = await startPair({ settings: EXPIRATION });
  await producerIdsReady(pair);
  for (const s of [pair.kafka, pair.tributary]) await createTopic(s, 'expiring', 1);
}, 180_000);
afterAll(async () => {
  await pair?.stop();
});

async function scenario(s: Side) {
  const c = await s.client();
  const ids = ['exp-idle', 'exp-done', 'exp-running'];
  const inits = new Map<string, InitProducerIdResponse>();
  for (const id of ids) {
    await settle<FindCoordinatorResponse>(c, ApiKey.FindCoordinator, 3, { key: id, keyType: 1 }, `${s.name} FindCoordinator ${id}`);
    inits.set(id, await settle<InitProducerIdResponse>(c, ApiKey.InitProducerId, 4, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }, `${s.name} InitProducerId ${id}`));
  }
  const begin = async (id: string) => {
    const { producerId, producerEpoch } = inits.get(id)!;
    await c.request(ApiKey.AddPartitionsToTxn, 3, { v3AndBelowTransactionalId: id, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: [{ name: 'expiring', partitions: [0] }] });
    const records = encodeRecordBatch({ baseOffset: 0n, isTransactional: true, producerId, producerEpoch, baseSequence: 0, records: [{ value: id }] });
    await c.request(ApiKey.Produce, 9, { transactionalId: id, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'expiring', partitionData: [{ index: 0, records }] }] });
  };
  await begin('exp-done');
  const done = inits.get('exp-done')!;
  const ended = await c.request<{ errorCode: number }>(ApiKey.EndTxn, 3, { transactionalId: 'exp-done', producerId: done.producerId, producerEpoch: done.producerEpoch, committed: true });
  await begin('exp-running');
  const describe = async () => (await c.request<DescribeTransactionsResponse>(ApiKey.DescribeTransactions, 0, { transactionalIds: ids })).transactionStates.map((t) => ({ id: t.transactionalId, errorCode: t.errorCode, state: t.transactionState }));
  // Both ended ids gone while the running one stays (its 60 s timeout is far off).
  // Expiry is a background task on both brokers: up to a minute.
  const described = await eventually(describe, (states) => states.filter((t) => t.errorCode !== 0).length === 2, 60_000);
  const listed = (await c.request<ListTransactionsResponse>(ApiKey.ListTransactions, 0, { stateFilters: [], producerIdFilters: [] })).transactionStates.map((t) => t.transactionalId).filter((id) => id.startsWith('exp-')).sort();
  const again = await settle<InitProducerIdResponse>(c, ApiKey.InitProducerId, 4, { transactionalId: 'exp-idle', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }, `${s.name} InitProducerId again`);
  return {
    ended: ended.errorCode,
    described,
    listed,
    initAgain: { errorCode: again.errorCode, producerEpoch: again.producerEpoch, newProducerId: again.producerId !== inits.get('exp-idle')!.producerId },
  };
}

it('forgets transactional ids idle past transactional.id.expiration.ms, never one with a running transaction, as Kafka does', { timeout: 180_000 }, async () => {
  const seen: Record<string, unknown>[] = [];
  await compare(pair, 'transactional-id-expiration', async (s) => {
    const out = await scenario(s);
    seen.push(out);
    return out;
  });
  // What both answered (compare only says they agree): the ended ids expired, the running one did not.
  for (const out of seen) {
    expect(out).toMatchObject({ ended: 0, listed: ['exp-running'], initAgain: { errorCode: 0, producerEpoch: 0, newProducerId: true } });
    expect(out.described).toEqual([
      { id: 'exp-idle', errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, state: '' },
      { id: 'exp-done', errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, state: '' },
      { id: 'exp-running', errorCode: 0, state: 'Ongoing' },
    ]);
  }
});
