import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, encodeRecordBatch, ErrorCode, type MetadataResponse, type OffsetCommitResponse, type DescribeProducersResponse, type DescribeTransactionsResponse, type FindCoordinatorResponse, type InitProducerIdResponse, type ListOffsetsResponse, type ListTransactionsResponse, type OffsetFetchResponse, type WriteTxnMarkersResponse } from '@tributary/protocol';
import { advertised, expectCovered, type Advertised } from './coverage.ts';
import { compare, createTopic, producerIdsReady, startPair, type Pair, type Side } from './harness.ts';
import type { Outcome, RawClient } from './raw-client.ts';
import { eventually, settle } from './coordinator-retry.ts';
import { coordinatorPartitionFor } from '../../apps/broker/src/topics/internal-topics.ts';
import { commitBody } from './group-requests.ts';
import { addOffsetsBody, addPartitionsBody, endTxnBody, initProducerIdBody, transactionalBatch, transactionalProduceBody, txnOffsetCommitBody, type TxnProducer } from './txn-requests.ts';

/**
 * Differential scenarios for transactions (transaction version 1 requests, and one transaction of
 * version 2): the same raw requests
 * to Apache Kafka 4.4.0 and to Tributary. Each version of AddPartitionsToTxn, AddOffsetsToTxn,
 * TxnOffsetCommit and EndTxn is used in one whole transaction of its own transactional id, with
 * the error paths around it (unknown topic, stale epoch, unknown producer id, EndTxn without a
 * transaction, transactional records without a transactional id); then what consumers see: the committed group offset and the last stable offset.
 * Then the admin side (KIP-664) with one transaction left open: DescribeTransactions,
 * ListTransactions with its filters, DescribeProducers.
 * Producer ids differ between the brokers, so only error codes and epochs are compared.
 */
let pair: Pair;
let adv: Advertised;
/** Per side: the internal topics a fresh broker lists, then after the first group FindCoordinator. */
const internalTopics = new Map<string, { fresh: unknown; afterFindCoordinator: unknown }>();

async function listedInternalTopics(s: Side) {
  const meta = await (await s.client()).request<MetadataResponse>(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  return meta.topics.filter((t) => t.name!.startsWith('__')).map((t) => ({ name: t.name, isInternal: t.isInternal, partitions: t.partitions.length, errorCode: t.errorCode }));
}

beforeAll(async () => {
  // Tributary with its own __consumer_offsets partition count, Kafka's default (50), not the test brokers' 3.
  pair = await startPair({ brokerDefaults: true });
  adv = await advertised(pair);
  await producerIdsReady(pair);
  for (const s of [pair.kafka, pair.tributary]) {
    await createTopic(s, 'txn-t', 2);
    await createTopic(s, 'txn-verify', 2);
    await createTopic(s, 'txn-fence', 1);
    // Kafka creates __consumer_offsets on the first group FindCoordinator; TxnOffsetCommit needs it.
    const fresh = await listedInternalTopics(s);
    await settle<FindCoordinatorResponse>(await s.client(), ApiKey.FindCoordinator, 3, { key: 'warm-up', keyType: 0 }, `${s.name} group coordinator`);
    internalTopics.set(s.name, { fresh, afterFindCoordinator: await listedInternalTopics(s) });
  }
}, 180_000);
afterAll(async () => {
  await pair?.stop();
});

const codeOf = (o: Outcome) => (o.kind === 'response' ? o.body : o);

async function transaction(s: Side, txId: string, v: { add: number; offsets: number; commit: number; end: number }) {
  const c = await s.client();
  await settle<FindCoordinatorResponse>(c, ApiKey.FindCoordinator, 3, { key: txId, keyType: 1 }, `${s.name} FindCoordinator ${txId}`);
  const init = await settle<InitProducerIdResponse>(c, ApiKey.InitProducerId, 4, initProducerIdBody(txId), `${s.name} InitProducerId ${txId}`);
  const pid = init.producerId;
  const epoch = init.producerEpoch;
  const producer: TxnProducer = { transactionalId: txId, producerId: pid, producerEpoch: epoch };
  const group = `group-${txId}`;
  const add = (topics: { name: string; partitions: number[] }[], producerEpoch = epoch) => c.send(ApiKey.AddPartitionsToTxn, v.add, addPartitionsBody({ ...producer, producerEpoch }, topics));
  const end = (committed: boolean, producerId = pid, producerEpoch = epoch) => c.send(ApiKey.EndTxn, v.end, endTxnBody({ transactionalId: txId, producerId, producerEpoch }, committed));
  const out: Record<string, unknown> = { init: { errorCode: init.errorCode, producerEpoch: init.producerEpoch } };
  out.endWithoutTransaction = codeOf(await end(true));
  out.addUnknownTopic = codeOf(await add([{ name: 'txn-t', partitions: [0] }, { name: 'txn-missing', partitions: [0] }]));
  out.addStaleEpoch = codeOf(await add([{ name: 'txn-t', partitions: [0] }], epoch - 1));
  out.add = codeOf(await add([{ name: 'txn-t', partitions: [0, 1] }]));
  const records = transactionalBatch(producer, 0, [`in ${txId}`]);
  // Transactional records without a transactional id: Kafka refuses the whole request before anything else.
  out.produceWithoutTransactionalId = codeOf(await c.send(ApiKey.Produce, 9, transactionalProduceBody(null, 'txn-t', 0, records)));
  out.produce = codeOf(await c.send(ApiKey.Produce, 9, transactionalProduceBody(txId, 'txn-t', 0, records)));
  out.lsoWhileRunning = await lastStable(c);
  out.addOffsets = codeOf(await c.send(ApiKey.AddOffsetsToTxn, v.offsets, addOffsetsBody(producer, group)));
  out.txnOffsetCommit = codeOf(await c.send(ApiKey.TxnOffsetCommit, v.commit, txnOffsetCommitBody(producer, group, 'txn-t', [[0, 1n]])));
  // Only an unknown topic, for a group nobody has: Kafka answers before its coordinator sees the
  // request, so the group is not created (Dead) and nothing joins the transaction.
  out.txnOffsetCommitOnlyUnknownTopic = codeOf(await c.send(ApiKey.TxnOffsetCommit, v.commit, txnOffsetCommitBody(producer, `nothing-${txId}`, 'txn-missing', [[0, 1n]])));
  out.onlyUnknownTopicGroup = await c.send(ApiKey.DescribeGroups, 5, { groups: [`nothing-${txId}`], includeAuthorizedOperations: false });
  out.committedBeforeEnd = await committed(c, group);
  out.requireStableBeforeEnd = await stable(c, group);
  out.endUnknownProducer = codeOf(await end(true, pid + 1_000_000n));
  out.endStaleEpoch = codeOf(await end(true, pid, epoch + 1));
  out.end = codeOf(await end(true));
  out.committedAfterEnd = await eventually(() => committed(c, group), (o) => o === 1n);
  out.lsoAfterEnd = await eventually(() => lastStable(c), (l) => l.committed === l.uncommitted);
  return out;
}

/**
 * Transaction version 2 (KIP-890 part 2) as Kafka 4 clients send it when the feature is finalized:
 * no AddPartitionsToTxn or AddOffsetsToTxn (Produce v12 and TxnOffsetCommit v5 add the partitions
 * at the coordinator), EndTxn v5 bumping the epoch at each end and answering the new one; the
 * brokers' AddPartitionsToTxn v4 (verify only) and v5 about the open transaction. Epochs are
 * compared relative to InitProducerId's.
 */
async function transactionV2(s: Side, txId: string) {
  const c = await s.client();
  await settle<FindCoordinatorResponse>(c, ApiKey.FindCoordinator, 3, { key: txId, keyType: 1 }, `${s.name} FindCoordinator ${txId}`);
  const init = await settle<InitProducerIdResponse>(c, ApiKey.InitProducerId, 5, initProducerIdBody(txId), `${s.name} InitProducerId ${txId}`);
  const pid = init.producerId;
  const e0 = init.producerEpoch;
  const group = `group-${txId}`;
  const out: Record<string, unknown> = { init: { errorCode: init.errorCode } };
  const batch = (epoch: number, sequence: number, value: string) => transactionalBatch({ producerId: pid, producerEpoch: epoch }, sequence, [value]);
  const produce = (epoch: number, sequence: number, value: string) => c.send(ApiKey.Produce, 12, { transactionalId: txId, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'txn-t', partitionData: [{ index: 0, records: batch(epoch, sequence, value) }] }] });
  const end = async (committed: boolean, epoch: number) => {
    const r = await settle<{ errorCode: number; producerId: bigint; producerEpoch: number }>(c, ApiKey.EndTxn, 5, { transactionalId: txId, producerId: pid, producerEpoch: epoch, committed }, `${s.name} EndTxn ${txId}`);
    return { errorCode: r.errorCode, sameProducerId: r.producerId === pid, epochSinceInit: r.producerEpoch - e0 };
  };
  const verify = (version: number, verifyOnly: boolean, partitions: number[], epoch = e0) =>
    c.send(ApiKey.AddPartitionsToTxn, version, { transactions: [{ transactionalId: txId, producerId: pid, producerEpoch: epoch, verifyOnly, topics: [{ name: 'txn-t', partitions }] }] });
  out.produce = codeOf(await produce(e0, 0, `v2 ${txId}`));
  out.verifyOpen = codeOf(await verify(4, true, [0, 1]));
  out.addByBroker = codeOf(await verify(5, false, [1]));
  out.verifyAfterAdd = codeOf(await verify(5, true, [0, 1]));
  out.verifyStaleEpoch = codeOf(await verify(4, true, [0], e0 + 7));
  out.txnOffsetCommit = codeOf(await c.send(ApiKey.TxnOffsetCommit, 5, { transactionalId: txId, groupId: group, producerId: pid, producerEpoch: e0, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: 'txn-t', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: 'm' }] }] }));
  out.lsoWhileRunning = await lastStable(c);
  out.commit = await end(true, e0);
  out.commitRetried = await end(true, e0);
  out.abortRetriedAsCommit = await end(false, e0);
  out.committedAfterEnd = await eventually(() => committed(c, group), (o) => o === 1n);
  // The next transaction runs at the bumped epoch, its sequences from 0; the old epoch is fenced.
  out.produceOldEpoch = codeOf(await produce(e0, 1, 'old epoch'));
  out.produceNextEpoch = codeOf(await produce(e0 + 1, 0, `v2 again ${txId}`));
  out.abort = await end(false, e0 + 1);
  out.abortNothingAdded = await end(false, e0 + 2);
  out.commitNothingAdded = await end(true, e0 + 3);
  out.endFenced = await end(true, e0);
  out.lsoAfterEnd = await eventually(() => lastStable(c), (l) => l.committed === l.uncommitted);
  return out;
}

/**
 * KIP-890 part 1: a client of transaction version 1 (Produce v3–11) that writes a transactional
 * batch to a partition it never added with AddPartitionsToTxn. The leader asks the coordinator
 * (AddPartitionsToTxn verify-only) before writing, and refuses the batch; nothing is written, so
 * the same sequence is sent again at each version. Then the partition added (the batch is
 * written), one not added next to it, and after the commit a batch of the ended transaction.
 */
async function unverifiedProduce(s: Side, txId: string) {
  const c = await s.client();
  await settle<FindCoordinatorResponse>(c, ApiKey.FindCoordinator, 3, { key: txId, keyType: 1 }, `${s.name} FindCoordinator ${txId}`);
  const init = await settle<InitProducerIdResponse>(c, ApiKey.InitProducerId, 4, initProducerIdBody(txId), `${s.name} InitProducerId ${txId}`);
  const pid = init.producerId;
  const epoch = init.producerEpoch;
  const batch = (sequence: number, value: string) => transactionalBatch({ producerId: pid, producerEpoch: epoch }, sequence, [value]);
  const produce = (version: number, partition: number, sequence: number, value: string) =>
    c.send(ApiKey.Produce, version, { transactionalId: txId, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'txn-verify', partitionData: [{ index: partition, records: batch(sequence, value) }] }] });
  const out: Record<string, unknown> = {};
  for (let v = 3; v <= 11; v++) out[`produceNotAddedV${v}`] = codeOf(await produce(v, 0, 0, `not added v${v}`));
  out.add = codeOf(await c.send(ApiKey.AddPartitionsToTxn, 3, { v3AndBelowTransactionalId: txId, v3AndBelowProducerId: pid, v3AndBelowProducerEpoch: epoch, v3AndBelowTopics: [{ name: 'txn-verify', partitions: [0] }] }));
  out.produceAdded = codeOf(await produce(9, 0, 0, 'added'));
  out.produceAddedAgain = codeOf(await produce(9, 0, 1, 'added again'));
  out.produceOtherNotAdded = codeOf(await produce(9, 1, 0, 'other partition'));
  out.commit = codeOf(await c.send(ApiKey.EndTxn, 3, { transactionalId: txId, producerId: pid, producerEpoch: epoch, committed: true }));
  // The markers are written after EndTxn answers: the last stable offset reaching the end says they are.
  const latest = async (isolationLevel: number) => (await c.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel, topics: [{ name: 'txn-verify', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] })).topics[0]!.partitions[0]!.offset;
  out.markersWritten = await eventually(async () => (await latest(1)) === (await latest(0)), (done) => done);
  // Kafka's coordinator completes the transaction once every marker is acknowledged, a moment after
  // the last stable offset moves; until then its leader's verification gets CONCURRENT_TRANSACTIONS
  // and answers NOT_ENOUGH_REPLICAS (seen once under load). The batch after the commit is sent once
  // the coordinator says CompleteCommit.
  out.completed = await eventually(async () => (await c.request<DescribeTransactionsResponse>(ApiKey.DescribeTransactions, 0, { transactionalIds: [txId] })).transactionStates[0]?.transactionState, (state) => state === 'CompleteCommit');
  out.produceAfterCommit = codeOf(await produce(9, 0, 2, 'after commit'));
  return out;
}

/**
 * Produce v13 (KIP-516) names each topic by its id: a known id (the broker's own, from Metadata),
 * a partition that id does not have, an id no topic has, and the zero id; then a transactional
 * batch of transaction version 2 by id, which adds its partition at the coordinator as v12 does.
 * Each broker gives its topics their own ids: the known one is compared as "known".
 */
async function produceByTopicId(s: Side, txId: string) {
  const c = await s.client();
  await createTopic(s, 'txn-v13', 1);
  const md = await c.request<{ topics: { name: string; topicId: string }[] }>(ApiKey.Metadata, 12, { topics: [{ name: 'txn-v13', topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  const id = md.topics[0]!.topicId;
  const masked = (o: Outcome) => JSON.parse(JSON.stringify(codeOf(o), (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v === id ? 'known' : v)) as string) as unknown;
  const produce = (topicId: string, partition: number, records: Buffer, transactionalId: string | null = null) => c.send(ApiKey.Produce, 13, { transactionalId, acks: -1, timeoutMs: 10_000, topicData: [{ topicId, partitionData: [{ index: partition, records }] }] });
  const plain = encodeRecordBatch({ baseOffset: 0n, records: [{ value: 'by id' }] });
  const out: Record<string, unknown> = {};
  out.knownId = masked(await produce(id, 0, plain));
  // Equal answers could be equal refusals: by its id the topic is written on both brokers.
  expect(out.knownId, `${s.name}: Produce v13 to a known topic id`).toMatchObject({ responses: [{ topicId: 'known', partitionResponses: [{ errorCode: 0 }] }] });
  out.unknownPartition = masked(await produce(id, 7, plain));
  out.unknownId = masked(await produce('5b2fb3a0-8a3c-4b8e-9d6f-0c1e2f3a4b5c', 0, plain));
  out.zeroId = masked(await produce(ZERO_UUID, 0, plain));
  await settle<FindCoordinatorResponse>(c, ApiKey.FindCoordinator, 3, { key: txId, keyType: 1 }, `${s.name} FindCoordinator ${txId}`);
  const init = await settle<InitProducerIdResponse>(c, ApiKey.InitProducerId, 5, initProducerIdBody(txId), `${s.name} InitProducerId ${txId}`);
  const records = transactionalBatch(init, 0, ['v13 in a transaction']);
  out.transactional = masked(await produce(id, 0, records, txId));
  expect(out.transactional, `${s.name}: a transactional Produce v13`).toMatchObject({ responses: [{ partitionResponses: [{ errorCode: 0 }] }] });
  const end = await settle<{ errorCode: number }>(c, ApiKey.EndTxn, 5, { transactionalId: txId, producerId: init.producerId, producerEpoch: init.producerEpoch, committed: true }, `${s.name} EndTxn ${txId}`);
  out.commit = end.errorCode;
  return out;
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * TxnOffsetCommit v6 names each topic by its id (KIP-1319), in a transaction of version 2: a known
 * id, a partition that id does not have, an id no topic has, the zero id, and a request with a known
 * and an unknown id together; then the commit, and the group's offset as OffsetFetch (by name)
 * reads it once the marker is written. The known id is compared as "known".
 */
async function txnOffsetCommitByTopicId(s: Side, txId: string) {
  const c = await s.client();
  const group = `group-${txId}`;
  await createTopic(s, 'txn-v6', 1);
  const md = await c.request<{ topics: { name: string; topicId: string }[] }>(ApiKey.Metadata, 12, { topics: [{ name: 'txn-v6', topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  const id = md.topics[0]!.topicId;
  const masked = (o: Outcome) => JSON.parse(JSON.stringify(codeOf(o), (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v === id ? 'known' : v)) as string) as unknown;
  await settle<FindCoordinatorResponse>(c, ApiKey.FindCoordinator, 3, { key: txId, keyType: 1 }, `${s.name} FindCoordinator ${txId}`);
  const init = await settle<InitProducerIdResponse>(c, ApiKey.InitProducerId, 5, initProducerIdBody(txId), `${s.name} InitProducerId ${txId}`);
  const commit = (topics: { topicId: string; partition: number; offset: bigint }[]) => c.send(ApiKey.TxnOffsetCommit, 6, {
    transactionalId: txId, groupId: group, producerId: init.producerId, producerEpoch: init.producerEpoch, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
    topics: topics.map((t) => ({ topicId: t.topicId, partitions: [{ partitionIndex: t.partition, committedOffset: t.offset, committedLeaderEpoch: -1, committedMetadata: 'v6' }] })),
  });
  const fetched = async () => {
    const r = await c.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 8, { groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: [{ name: 'txn-v6', partitionIndexes: [0] }] }], requireStable: false });
    const p = r.groups[0]?.topics[0]?.partitions[0];
    return { errorCode: p?.errorCode ?? -1, offset: p?.committedOffset ?? -2n, metadata: p?.metadata ?? null };
  };
  const unknownId = '5b2fb3a0-8a3c-4b8e-9d6f-0c1e2f3a4b5c';
  const out: Record<string, unknown> = {};
  out.knownId = masked(await commit([{ topicId: id, partition: 0, offset: 3n }]));
  // Equal answers could be equal refusals: by its id the offset is accepted on both brokers.
  expect(out.knownId, `${s.name}: TxnOffsetCommit v6 with a known topic id`).toMatchObject({ topics: [{ topicId: 'known', partitions: [{ partitionIndex: 0, errorCode: 0 }] }] });
  out.unknownPartition = masked(await commit([{ topicId: id, partition: 7, offset: 3n }]));
  out.unknownId = masked(await commit([{ topicId: unknownId, partition: 0, offset: 3n }]));
  out.zeroId = masked(await commit([{ topicId: ZERO_UUID, partition: 0, offset: 3n }]));
  out.knownAndUnknown = masked(await commit([{ topicId: id, partition: 0, offset: 5n }, { topicId: unknownId, partition: 0, offset: 5n }]));
  out.beforeEnd = await fetched();
  const end = await settle<{ errorCode: number }>(c, ApiKey.EndTxn, 5, { transactionalId: txId, producerId: init.producerId, producerEpoch: init.producerEpoch, committed: true }, `${s.name} EndTxn ${txId}`);
  out.commit = end.errorCode;
  out.afterCommit = await eventually(fetched, (f) => f.offset >= 0n);
  return out;
}

/**
 * Opens a transaction on txn-t partition 1 (one record), then asks the admin APIs about it and
 * about the committed transactions of the scenario above. Producer ids are masked: each broker
 * hands out its own.
 */
async function transactionAdmin(s: Side, txId: string) {
  const c = await s.client();
  await settle<FindCoordinatorResponse>(c, ApiKey.FindCoordinator, 3, { key: txId, keyType: 1 }, `${s.name} FindCoordinator ${txId}`);
  const init = await settle<InitProducerIdResponse>(c, ApiKey.InitProducerId, 4, initProducerIdBody(txId), `${s.name} InitProducerId ${txId}`);
  const pid = init.producerId;
  const producer: TxnProducer = { transactionalId: txId, producerId: pid, producerEpoch: init.producerEpoch };
  const out: Record<string, unknown> = {};
  out.add = codeOf(await c.send(ApiKey.AddPartitionsToTxn, 3, addPartitionsBody(producer, [{ name: 'txn-t', partitions: [1] }])));
  out.produce = codeOf(await c.send(ApiKey.Produce, 9, transactionalProduceBody(txId, 'txn-t', 1, transactionalBatch(producer, 0, ['open']))));
  const described = await c.request<DescribeTransactionsResponse>(ApiKey.DescribeTransactions, 0, { transactionalIds: [txId, 'txn-v0', 'txn-missing', ''] });
  out.describe = described.transactionStates.map((t) => ({ ...t, producerId: t.producerId === pid ? 'open' : t.producerId >= 0n, transactionStartTimeMs: t.transactionStartTimeMs > 0n }));
  const list = async (v: number, body: { stateFilters: string[]; producerIdFilters: bigint[]; durationFilter?: bigint; transactionalIdPattern?: string | null }) => {
    const r = await c.request<ListTransactionsResponse>(ApiKey.ListTransactions, v, body);
    return { ...r, transactionStates: r.transactionStates.map((t) => ({ ...t, producerId: t.producerId === pid ? 'open' : t.producerId >= 0n })).sort((a, b) => a.transactionalId.localeCompare(b.transactionalId)) };
  };
  out.listAll = await list(0, { stateFilters: [], producerIdFilters: [] });
  out.listStates = await list(0, { stateFilters: ['Ongoing', 'CompleteAbort', 'Bogus'], producerIdFilters: [] });
  out.listProducer = await list(1, { stateFilters: [], producerIdFilters: [pid], durationFilter: -1n });
  // Running longer than an hour: nothing; longer than 0 ms: everything started before now.
  out.listLongRunning = await list(1, { stateFilters: [], producerIdFilters: [], durationFilter: 3_600_000n });
  out.listDurationZero = await list(1, { stateFilters: ['Ongoing'], producerIdFilters: [], durationFilter: 0n });
  // v2 (KIP-1152): an RE2 pattern the whole id must match; null and empty list all; what RE2
  // refuses (lookahead, an unclosed class) is INVALID_REGULAR_EXPRESSION for the whole request.
  out.listPatternWhole = await list(2, { stateFilters: [], producerIdFilters: [], durationFilter: -1n, transactionalIdPattern: 'txn-admin-.*' });
  out.listPatternPrefixOnly = await list(2, { stateFilters: [], producerIdFilters: [], durationFilter: -1n, transactionalIdPattern: 'txn-admin' });
  out.listPatternClass = await list(2, { stateFilters: ['Ongoing'], producerIdFilters: [], durationFilter: -1n, transactionalIdPattern: '(?i)TXN-[a-z]+-open|nothing' });
  out.listPatternEmpty = await list(2, { stateFilters: [], producerIdFilters: [], durationFilter: -1n, transactionalIdPattern: '' });
  out.listPatternNull = await list(2, { stateFilters: [], producerIdFilters: [], durationFilter: -1n, transactionalIdPattern: null });
  out.listPatternLookahead = await list(2, { stateFilters: [], producerIdFilters: [], durationFilter: -1n, transactionalIdPattern: 'txn(?=-admin).*' });
  out.listPatternUnclosed = await list(2, { stateFilters: [], producerIdFilters: [], durationFilter: -1n, transactionalIdPattern: 'txn-[a' });
  const producers = await c.request<DescribeProducersResponse>(ApiKey.DescribeProducers, 0, { topics: [{ name: 'txn-t', partitionIndexes: [0, 1, 7] }, { name: 'txn-missing', partitionIndexes: [0] }] });
  out.producers = producers.topics.map((t) => ({
    ...t,
    partitions: t.partitions.map((p) => ({ ...p, activeProducers: p.activeProducers.map((a) => ({ ...a, producerId: a.producerId === pid ? 'open' : a.producerId >= 0n, lastTimestamp: a.lastTimestamp > 0n })).sort((a, b) => Object.values(a).join('/').localeCompare(Object.values(b).join('/'))) })),
  }));
  return out;
}

/**
 * A transaction on txn-fence partition 0 committed by the coordinator (its marker at coordinator
 * epoch N0, read back with DescribeProducers), then markers as coordinators of other epochs would
 * send them (raw WriteTxnMarkers v1, the producer's epoch): N = N0 + 2 (a newer coordinator),
 * N - 1 (a zombie: TRANSACTION_COORDINATOR_FENCED, nothing written), N again and N + 1; then one of
 * the next producer epoch, two of the producer's epoch before it (INVALID_PRODUCER_EPOCH, nothing
 * written), and WriteTxnMarkers v2 markers of transaction version 1 and 2 at the current epoch. After each, the partition's end offset and the producer and coordinator epochs the
 * leader keeps for the producer.
 */
async function fencedMarkers(s: Side, txId: string) {
  const c = await s.client();
  await settle<FindCoordinatorResponse>(c, ApiKey.FindCoordinator, 3, { key: txId, keyType: 1 }, `${s.name} FindCoordinator ${txId}`);
  const init = await settle<InitProducerIdResponse>(c, ApiKey.InitProducerId, 4, initProducerIdBody(txId), `${s.name} InitProducerId ${txId}`);
  const pid = init.producerId;
  const txn: TxnProducer = { transactionalId: txId, producerId: pid, producerEpoch: init.producerEpoch };
  const out: Record<string, unknown> = {};
  out.add = codeOf(await c.send(ApiKey.AddPartitionsToTxn, 3, addPartitionsBody(txn, [{ name: 'txn-fence', partitions: [0] }])));
  out.produce = codeOf(await c.send(ApiKey.Produce, 9, transactionalProduceBody(txId, 'txn-fence', 0, transactionalBatch(txn, 0, ['fenced?']))));
  out.end = codeOf(await c.send(ApiKey.EndTxn, 4, endTxnBody(txn, true)));
  const producer = async () => {
    const r = await c.request<DescribeProducersResponse>(ApiKey.DescribeProducers, 0, { topics: [{ name: 'txn-fence', partitionIndexes: [0] }] });
    return r.topics[0]?.partitions[0]?.activeProducers.find((a) => a.producerId === pid);
  };
  const endOffset = async () => (await c.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'txn-fence', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] })).topics[0]!.partitions[0]!.offset;
  // The coordinator's marker is written after EndTxn answers: wait for it (the end offset passes it).
  out.endOffsetAfterCommit = await eventually(endOffset, (o) => o === 2n);
  const committedBy = await producer();
  if (!committedBy) throw new Error(`${s.name}: DescribeProducers does not show producer ${pid} on txn-fence-0`);
  const n = committedBy.coordinatorEpoch + 2;
  out.afterCommit = { producerEpoch: committedBy.producerEpoch - init.producerEpoch, coordinatorEpoch: committedBy.coordinatorEpoch };
  const marker = async (coordinatorEpoch: number, commit: boolean, producerEpoch = committedBy.producerEpoch, transactionVersion = 0) => {
    const version = transactionVersion > 0 ? 2 : 1;
    const sent = await c.request<WriteTxnMarkersResponse>(ApiKey.WriteTxnMarkers, version, { markers: [{ producerId: pid, producerEpoch, transactionResult: commit, coordinatorEpoch, transactionVersion, topics: [{ name: 'txn-fence', partitionIndexes: [0] }] }] });
    // Producer ids differ between the brokers (when other scenarios ran first): masked.
    const answer = { markers: sent.markers.map((m) => ({ ...m, producerId: m.producerId === pid ? 'producer' : m.producerId })) };
    const after = await producer();
    return { answer, endOffset: await endOffset(), coordinatorEpochMinusN: after ? after.coordinatorEpoch - n : 'gone', producerEpochOverCommitted: after ? after.producerEpoch - committedBy.producerEpoch : 'gone' };
  };
  out.newerCoordinator = await marker(n, false);
  out.zombieCoordinator = await marker(n - 1, true);
  out.sameCoordinator = await marker(n, false);
  out.nextCoordinator = await marker(n + 1, false);
  out.zombieAfterNext = await marker(n, true);
  // A marker of a newer producer epoch (a producer that was fenced: its transaction aborted) moves
  // the partition's producer epoch on; one of the older epoch, from the current coordinator or from
  // the zombie, ends a fenced producer's transaction: refused, nothing written.
  out.newerProducerEpoch = await marker(n + 1, false, committedBy.producerEpoch + 1);
  out.olderProducerEpoch = await marker(n + 1, true);
  out.olderProducerEpochFromZombie = await marker(n, true);
  // WriteTxnMarkers v2 at the producer's current epoch, naming transaction version 1 and then 2,
  // then a newer epoch and the same again at 2: Kafka 4.4 writes each (0 on every one; no stricter
  // epoch rule for version 2 markers).
  out.sameProducerEpochV2Tv1 = await marker(n + 1, false, committedBy.producerEpoch + 1, 1);
  out.sameProducerEpochV2Tv2 = await marker(n + 1, false, committedBy.producerEpoch + 1, 2);
  out.newerProducerEpochV2Tv2 = await marker(n + 1, false, committedBy.producerEpoch + 2, 2);
  out.sameProducerEpochV2Tv2Again = await marker(n + 1, false, committedBy.producerEpoch + 2, 2);
  const refused = (errorCode: number) => ({ markers: [{ producerId: 'producer', topics: [{ name: 'txn-fence', partitions: [{ partitionIndex: 0, errorCode }] }] }] });
  // What Apache Kafka 4.4 answered on 2026-12-02 (its leader checks the producer epoch before the
  // coordinator's): kept explicit, so the test fails if both brokers stopped refusing.
  expect({ older: (out.olderProducerEpoch as { answer: unknown }).answer, olderFromZombie: (out.olderProducerEpochFromZombie as { answer: unknown }).answer }, `${s.name}: markers of an older producer epoch`).toEqual({
    older: refused(ErrorCode.INVALID_PRODUCER_EPOCH),
    olderFromZombie: refused(ErrorCode.INVALID_PRODUCER_EPOCH),
  });
  // What Apache Kafka 4.4 answered when this was written (2026-12-02): kept explicit so the test
  // fails if both brokers stopped fencing, not only when they differ.
  expect(Object.fromEntries(Object.entries(out).filter(([k]) => k.startsWith('zombie')).map(([k, v]) => [k, (v as { answer: unknown }).answer])), `${s.name}: zombie markers`).toEqual({
    zombieCoordinator: { markers: [{ producerId: 'producer', topics: [{ name: 'txn-fence', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.TRANSACTION_COORDINATOR_FENCED }] }] }] },
    zombieAfterNext: { markers: [{ producerId: 'producer', topics: [{ name: 'txn-fence', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.TRANSACTION_COORDINATOR_FENCED }] }] }] },
  });
  return out;
}

/** LATEST of txn-t partition 0 as read_committed and read_uncommitted consumers see it. */
async function lastStable(c: RawClient): Promise<{ committed: bigint; uncommitted: bigint }> {
  const latest = async (isolationLevel: number) => (await c.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel, topics: [{ name: 'txn-t', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] })).topics[0]!.partitions[0]!.offset;
  return { committed: await latest(1), uncommitted: await latest(0) };
}

/** OffsetFetch with require_stable, as read_committed Java consumers ask: the partition's error and offset. */
async function stable(c: RawClient, group: string): Promise<{ errorCode: number; offset: bigint }> {
  const r = await c.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 8, { groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: [{ name: 'txn-t', partitionIndexes: [0] }] }], requireStable: true });
  const p = r.groups[0]?.topics[0]?.partitions[0];
  return { errorCode: p?.errorCode ?? -1, offset: p?.committedOffset ?? -2n };
}

async function committed(c: RawClient, group: string): Promise<bigint> {
  const r = await c.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 8, { groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: [{ name: 'txn-t', partitionIndexes: [0] }] }], requireStable: false });
  return r.groups[0]?.topics[0]?.partitions[0]?.committedOffset ?? -2n;
}

/** Kafka's hashCode edge cases among them: Integer.MIN_VALUE (its abs is 0), negative codes, UTF-16 code units beyond ASCII. */
const OFFSETS_GROUPS = ['alpha', 'consumer-group-7', 'polygenelubricants', 'Grüße', 'orders-readers', 'ξ-group-😀'];

/**
 * Where groups' records land in `__consumer_offsets` (offsets.topic.num.partitions at its default on
 * both): a simple commit per group, and the partition whose end offset moved; then a transaction's
 * offsets (AddOffsetsToTxn, TxnOffsetCommit, EndTxn): the partitions that took its offset record
 * and its COMMIT marker.
 */
async function offsetsPartitions(s: Side) {
  const c = await s.client();
  const meta = await c.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [{ name: '__consumer_offsets', topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  const count = meta.topics[0]!.partitions.length;
  const ends = async () => {
    const r = await c.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: '__consumer_offsets', partitions: Array.from({ length: count }, (_, p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1n })) }] });
    return new Map(r.topics[0]!.partitions.filter((p) => p.errorCode === 0).map((p) => [p.partitionIndex, p.offset]));
  };
  // Kafka's partitions answer ListOffsets a moment after the topic is created (their leaders load).
  await eventually(ends, (e) => e.size === count);
  const grown = async <T>(action: () => Promise<T>) => {
    const before = await ends();
    const answer = await action();
    const after = await ends();
    return { answer, grown: [...after].filter(([p, o]) => o !== before.get(p)).map(([p, o]) => ({ partition: p, records: Number(o - before.get(p)!) })) };
  };
  const out: Record<string, unknown> = { partitions: count };
  for (const group of OFFSETS_GROUPS) {
    // A freshly created partition may still be loading on Kafka: asked again as clients do.
    out[`commit ${group}`] = await grown(() => eventually(async () => (await c.request<OffsetCommitResponse>(ApiKey.OffsetCommit, 8, commitBody(8, group, -1, '', 'txn-t', [[0, 3n]]))).topics[0]!.partitions[0]!.errorCode, (code) => ![14, 15, 16].includes(code)));
  }
  const txId = 'txn-offsets-partition';
  await settle<FindCoordinatorResponse>(c, ApiKey.FindCoordinator, 3, { key: txId, keyType: 1 }, `${s.name} FindCoordinator ${txId}`);
  const init = await settle<InitProducerIdResponse>(c, ApiKey.InitProducerId, 4, initProducerIdBody(txId), `${s.name} InitProducerId ${txId}`);
  const producer: TxnProducer = { transactionalId: txId, producerId: init.producerId, producerEpoch: init.producerEpoch };
  const group = 'txn-offsets-group';
  out.transaction = await grown(async () => ({
    addOffsets: codeOf(await c.send(ApiKey.AddOffsetsToTxn, 3, addOffsetsBody(producer, group))),
    txnOffsetCommit: codeOf(await c.send(ApiKey.TxnOffsetCommit, 3, txnOffsetCommitBody(producer, group, 'txn-t', [[0, 4n]]))),
    end: codeOf(await c.send(ApiKey.EndTxn, 3, endTxnBody(producer, true))),
    // The marker is written after EndTxn answers: waited for, as a consumer would.
    committed: await eventually(() => committed(c, group), (o) => o === 4n),
  }));
  return out;
}

describe('differential: Apache Kafka 4.4.0 vs Tributary — transactions', { timeout: 240_000 }, () => {
  it('a fresh broker lists no __consumer_offsets; the first FindCoordinator for a group creates it (50 partitions, internal), as Kafka', async () => {
    await compare(pair, 'transactions/offsets-topic-created', async (s) => internalTopics.get(s.name));
    expect(internalTopics.get('tributary')).toEqual({ fresh: [], afterFindCoordinator: [{ name: '__consumer_offsets', isInternal: true, partitions: 50, errorCode: 0 }] });
  });

  it('groups\' records go to the same __consumer_offsets partitions as on Kafka (50 partitions, Kafka\'s hashing), a transaction\'s offsets and marker to its group\'s partition', async () => {
    const seen = new Map<string, unknown>();
    await compare(pair, 'transactions/offsets-partitions', async (s) => {
      seen.set(s.name, await offsetsPartitions(s));
      return seen.get(s.name);
    });
    // The comparison holds the partition numbers; on both they are Kafka's formula (abs(String.hashCode) mod 50).
    const expected = Object.fromEntries(OFFSETS_GROUPS.map((g) => [`commit ${g}`, { answer: 0, grown: [{ partition: coordinatorPartitionFor(g, 50), records: 1 }] }]));
    for (const side of ['kafka', 'tributary']) expect(seen.get(side), side).toMatchObject({ partitions: 50, ...expected, transaction: { grown: [{ partition: coordinatorPartitionFor('txn-offsets-group', 50), records: 2 }] } });
  });

  it('a whole transaction at every version of AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit and EndTxn, with its error paths', async () => {
    for (let v = 0; v <= 4; v++) {
      await compare(pair, `transactions/v${v}`, (s) => transaction(s, `txn-v${v}`, { add: Math.min(v, 3), offsets: v, commit: v, end: v }));
    }
  });

  it('transaction version 2: Produce v12 and TxnOffsetCommit v5 adding partitions, EndTxn v5 bumping the epoch, AddPartitionsToTxn v4–5 from brokers', async () => {
    await compare(pair, 'transactions/tv2', (s) => transactionV2(s, 'txn-tv2'));
  });

  it('KIP-890 part 1: a transactional batch of a version-1 client to a partition not in its transaction is refused at every Produce version', async () => {
    await compare(pair, 'transactions/verify', (s) => unverifiedProduce(s, 'txn-verify'));
  });

  it('Produce v13 by topic id: a known id, an unknown partition, an unknown and the zero id, a transactional batch of version 2', async () => {
    await compare(pair, 'produce/v13-topic-ids', (s) => produceByTopicId(s, 'txn-v13'));
  });

  it('TxnOffsetCommit v6 by topic id (advertised by both): a known id, an unknown partition, an unknown and the zero id, then the offsets after the commit', async () => {
    expect(adv.kafka.get(ApiKey.TxnOffsetCommit), 'TxnOffsetCommit on Apache Kafka 4.4').toEqual({ min: 0, max: 6 });
    expect(adv.tributary.get(ApiKey.TxnOffsetCommit), 'TxnOffsetCommit on Tributary').toEqual({ min: 0, max: 6 });
    await compare(pair, 'txn-offset-commit/v6-topic-ids', (s) => txnOffsetCommitByTopicId(s, 'txn-v6'));
  });

  it('InitProducerId v6 (KIP-939 two-phase commit) is advertised by neither, and a v6 request closes the connection on both', async () => {
    // Kafka 4.4's spec marks v6 latestVersionUnstable: only `unstable.api.versions.enable=true` (a
    // testing switch) advertises it, not `transaction.two.phase.commit.enable`. If a Kafka release
    // advertises it, this fails and v6 is to be built (apps/broker/src/txn/README.md).
    expect(adv.kafka.get(ApiKey.InitProducerId), 'InitProducerId on Apache Kafka 4.4').toEqual({ min: 0, max: 5 });
    expect(adv.tributary.get(ApiKey.InitProducerId), 'InitProducerId on Tributary').toEqual({ min: 0, max: 5 });
    await compare(pair, 'init-producer-id/v6-unadvertised', async (s) => {
      const out: Record<string, unknown> = {};
      for (const [name, transactionalId, enable2Pc] of [['idempotent', null, false], ['two-phase', 'txn-2pc', true]] as const) {
        // The broker closes the connection: a fresh one per request, not the shared one.
        const c = await s.connect();
        try {
          out[name] = codeOf(await c.send(ApiKey.InitProducerId, 6, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1, enable2Pc, keepPreparedTxn: false }));
        } finally {
          c.close();
        }
      }
      expect(out, `${s.name}: InitProducerId v6`).toEqual({ idempotent: { kind: 'closed' }, 'two-phase': { kind: 'closed' } });
      return out;
    });
  });

  it('WriteTxnMarkers v2 (with the transaction version of the marker)', async () => {
    await compare(pair, 'write-txn-markers/v2', async (s) => {
      const c = await s.client();
      return codeOf(await c.send(ApiKey.WriteTxnMarkers, 2, { markers: [{ producerId: 4243n, producerEpoch: 1, transactionResult: true, coordinatorEpoch: 0, transactionVersion: 2, topics: [{ name: 'txn-t', partitionIndexes: [1] }, { name: 'txn-none', partitionIndexes: [0] }] }] }));
    });
  });

  it('WriteTxnMarkers from a broker: a marker on an existing partition, and on an unknown one', async () => {
    await compare(pair, 'write-txn-markers/v1', async (s) => {
      const c = await s.client();
      return codeOf(await c.send(ApiKey.WriteTxnMarkers, 1, { markers: [{ producerId: 4242n, producerEpoch: 0, transactionResult: false, coordinatorEpoch: 0, topics: [{ name: 'txn-t', partitionIndexes: [1] }, { name: 'txn-none', partitionIndexes: [0] }] }] }));
    });
  });

  it('WriteTxnMarkers from a coordinator older than the one that wrote the producer\'s last marker is fenced (TRANSACTION_COORDINATOR_FENCED), and one of an older producer epoch refused (INVALID_PRODUCER_EPOCH), nothing written', async () => {
    await compare(pair, 'write-txn-markers/coordinator-fenced', (s) => fencedMarkers(s, 'txn-fence'));
  });

  it('DescribeTransactions, ListTransactions (state, producer id, duration and id pattern filters) and DescribeProducers with a transaction open', async () => {
    await compare(pair, 'transaction-admin/v0-2', (s) => transactionAdmin(s, 'txn-admin-open'));
  });

  it('covers every version Tributary advertises of this file\'s APIs', () => {
    expectCovered('protocol-transactions', adv);
  });
});
