import { ApiKey, type AddPartitionsToTxnResponse, type ProduceResponse, type InitProducerIdResponse, type ListTransactionsResponse, type OffsetFetchResponse, type TxnOffsetCommitResponse } from '@tributary/protocol';
import { expect } from 'vitest';
import { until } from '../support/until.ts';
import { coordinatorOf, keyCoordinatedBy, relabel, type ClusterSteps, type Relabelling } from './cluster-steps.ts';
import { fetchOffsetsBody } from './group-requests.ts';
import type { Outcome, RawClient } from './raw-client.ts';
import { endOffsets, readCommitted } from './txn-reads.ts';
import { addOffsetsBody, addPartitionsBody, endTxnBody, initProducerIdBody, transactionalBatch, transactionalProduceBody, txnOffsetCommitBody, type TxnProducer } from './txn-requests.ts';

/**
 * Transactions on a cluster whose transaction coordinator is killed -9 in the middle of one
 * (issue 13), for protocol-cluster.test.ts: raw requests of a version-1 transactional producer
 * (AddPartitionsToTxn v3, as librdkafka and kafkajs send them), answers recorded for the comparison
 * with Apache Kafka. The transactional id is coordinated by the broker killed next; its partition
 * is led by another broker, so the kill takes the coordinator and not the partition's leader. The
 * group of its offsets is coordinated by the killed broker too (a group id whose `__consumer_offsets`
 * partition it leads), so its committed offsets must reach the new group coordinator. Before the kill: a whole transaction (records and offsets committed),
 * then a second one left open after AddPartitionsToTxn and Produce. After it, on the new
 * coordinator: FindCoordinator, InitProducerId of the restarted producer (the coordinator aborts
 * the open transaction, then bumps the epoch), what read_committed ListOffsets and Fetch answer
 * once the abort marker is written, DescribeTransactions and ListTransactions, and the offsets the
 * first transaction committed, on the group's new coordinator. The same for a producer of
 * transaction version 2 (KIP-890 part 2: Produce v12 and TxnOffsetCommit v5 add the partition and
 * the group, the partition's leader asking the coordinator on another broker; EndTxn v5 bumps the
 * epoch), on a second partition led elsewhere.
 * Producer ids are per broker: recorded as PRODUCER; the transactional id as TXN.
 */

export const TXN_TOPIC = 'cluster-txn';
/** Enough that two partitions are led by brokers other than the coordinator whatever the placement. */
export const TXN_PARTITIONS = 6;
const RETRIABLE = [14, 15, 16, 51]; // COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, CONCURRENT_TRANSACTIONS
/** Longer than the scenario between the second transaction's start and the restarted producer: no timeout abort may come first. */
const TRANSACTION_TIMEOUT_MS = 600_000;

export interface TxnBeforeKill {
  producer: TxnProducer;
  partition: number;
  toPartitionLeader: RawClient;
  group: string;
  labels: Map<string, string>;
  /** The producer id as PRODUCER, the partition as P (which one another broker leads is placement). */
  more: Relabelling;
  /** The transaction of version 2 left open (PRODUCER2 on P2). */
  v2: { producer: TxnProducer; partition: number; toPartitionLeader: RawClient };
}

const response = (body: unknown): Outcome => ({ kind: 'response', body });

/** Waits until the transaction's markers are on the partition: nothing left unstable, the end at `end`. */
async function settled(c: RawClient, partition: number, end: bigint, what: string) {
  return until(async () => {
    const e = await endOffsets(c, TXN_TOPIC, partition);
    return e.readCommitted === e.readUncommitted && e.readUncommitted === end ? e : null;
  }, what, 60_000);
}

const partitionError = (o: Outcome) => (o.kind === 'response' ? (o.body as AddPartitionsToTxnResponse).resultsByTopicV3AndBelow[0]?.resultsByPartition[0]?.partitionErrorCode : -1);

export async function transactionsBeforeKill(steps: ClusterSteps, o: { leader: number; roles: Map<number, string> }): Promise<TxnBeforeKill> {
  const { cluster } = steps;
  const kind = cluster.kind;
  const toCoordinator = await steps.connect(steps.address.get(o.leader)!);
  const txId = await keyCoordinatedBy(toCoordinator, 1, 'ctx', o.leader, `${kind}: a transactional id coordinated by the leader`);
  // Partitions led by other brokers, so that the kill takes the coordinator only: one for each transaction version.
  const elsewhere: [number, number][] = [];
  for (let p = 0; p < TXN_PARTITIONS && elsewhere.length < 2; p++) {
    const l = await cluster.leaderOf(TXN_TOPIC, p);
    if (l !== o.leader) elsewhere.push([p, l]);
  }
  if (elsewhere.length < 2) throw new Error(`${kind}: fewer than two partitions of ${TXN_TOPIC} led by brokers other than the transaction coordinator`);
  const [[partition, partitionLeader], [partition2, partition2Leader]] = elsewhere as [[number, number], [number, number]];
  const offsetsGroup = await keyCoordinatedBy(toCoordinator, 0, 'ctx-group', o.leader, `${kind}: a group coordinated by the leader`);
  const labels = new Map([[txId, 'TXN'], [offsetsGroup, 'TXN-GROUP']]);
  const producers = new Map<bigint, string>();
  const more: Relabelling = { producers, partitions: new Map([[partition, 'P'], [partition2, 'P2']]) };
  const rec = (name: string, answer: unknown) => steps.record(`txn/${name}`, relabel(answer, labels, more), o.roles);

  rec('find-coordinator', await toCoordinator.send(ApiKey.FindCoordinator, 4, { keyType: 1, coordinatorKeys: [txId] }));
  // Kafka loads the new __transaction_state partition after naming its coordinator.
  const init = await until(async () => {
    const r = await toCoordinator.request<InitProducerIdResponse>(ApiKey.InitProducerId, 4, initProducerIdBody(txId, TRANSACTION_TIMEOUT_MS));
    return RETRIABLE.includes(r.errorCode) ? null : r;
  }, `${kind}: InitProducerId on the coordinator`, 60_000);
  expect(init.errorCode, `${kind}: InitProducerId`).toBe(0);
  producers.set(init.producerId, 'PRODUCER');
  rec('init-producer-id', response(init));
  const producer: TxnProducer = { transactionalId: txId, producerId: init.producerId, producerEpoch: init.producerEpoch };
  const toPartitionLeader = await steps.connect(steps.address.get(partitionLeader)!);
  const toGroupCoordinator = toCoordinator;

  // ---- the first transaction, committed ----
  rec('1/add-partitions', await toCoordinator.send(ApiKey.AddPartitionsToTxn, 3, addPartitionsBody(producer, [{ name: TXN_TOPIC, partitions: [partition] }])));
  rec('1/produce', await toPartitionLeader.send(ApiKey.Produce, 9, transactionalProduceBody(txId, TXN_TOPIC, partition, transactionalBatch(producer, 0, ['t1-a', 't1-b']))));
  rec('1/add-offsets', await toCoordinator.send(ApiKey.AddOffsetsToTxn, 3, addOffsetsBody(producer, offsetsGroup)));
  // Kafka's group coordinator takes the group's partition a while after it is named: asked again on coordinator errors, as clients do.
  const offsetsCommitted = await until(async () => {
    const sent = await toGroupCoordinator.send(ApiKey.TxnOffsetCommit, 3, txnOffsetCommitBody(producer, offsetsGroup, TXN_TOPIC, [[partition, 2n]]));
    const code = sent.kind === 'response' ? (sent.body as TxnOffsetCommitResponse).topics[0]?.partitions[0]?.errorCode : -1;
    return code !== undefined && [14, 15, 16].includes(code) ? null : sent;
  }, `${kind}: TxnOffsetCommit on the group's coordinator`, 60_000);
  rec('1/txn-offset-commit', offsetsCommitted);
  rec('1/end-commit', await toCoordinator.send(ApiKey.EndTxn, 3, endTxnBody(producer, true)));
  // The markers are written after EndTxn answers: two records and the COMMIT marker.
  rec('1/end-offsets', await settled(toPartitionLeader, partition, 3n, `${kind}: the first transaction's marker on the partition`));
  const committedOffset = async () => (await toGroupCoordinator.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 8, fetchOffsetsBody(8, offsetsGroup, [{ name: TXN_TOPIC, partitionIndexes: [partition] }]))).groups[0]?.topics[0]?.partitions[0]?.committedOffset;
  await until(async () => ((await committedOffset()) === 2n ? true : null), `${kind}: the transaction's offset committed`, 60_000);

  // ---- the second transaction, left open: the coordinator dies before EndTxn ----
  // The coordinator completes the first one after its markers (CONCURRENT_TRANSACTIONS meanwhile; clients retry).
  const added = await until(async () => {
    const sent = await toCoordinator.send(ApiKey.AddPartitionsToTxn, 3, addPartitionsBody(producer, [{ name: TXN_TOPIC, partitions: [partition] }]));
    return partitionError(sent) === 51 ? null : sent;
  }, `${kind}: AddPartitionsToTxn of the second transaction`, 60_000);
  rec('2/add-partitions', added);
  rec('2/produce', await toPartitionLeader.send(ApiKey.Produce, 9, transactionalProduceBody(txId, TXN_TOPIC, partition, transactionalBatch(producer, 2, ['t2-a']))));
  rec('2/end-offsets-while-open', await endOffsets(toPartitionLeader, TXN_TOPIC, partition));
  rec('2/describe-transactions', await toCoordinator.send(ApiKey.DescribeTransactions, 0, { transactionalIds: [txId] }));

  // ---- transaction version 2 (KIP-890 part 2): the partition's leader, another broker, adds it at the coordinator ----
  const txId2 = await keyCoordinatedBy(toCoordinator, 1, 'ctx2', o.leader, `${kind}: a second transactional id coordinated by the leader`);
  labels.set(txId2, 'TXN2');
  const init2 = await until(async () => {
    const r = await toCoordinator.request<InitProducerIdResponse>(ApiKey.InitProducerId, 5, initProducerIdBody(txId2, TRANSACTION_TIMEOUT_MS));
    return RETRIABLE.includes(r.errorCode) ? null : r;
  }, `${kind}: InitProducerId v5 on the coordinator`, 60_000);
  expect(init2.errorCode, `${kind}: InitProducerId v5`).toBe(0);
  producers.set(init2.producerId, 'PRODUCER2');
  rec('v2/init-producer-id', response(init2));
  const producer2: TxnProducer = { transactionalId: txId2, producerId: init2.producerId, producerEpoch: init2.producerEpoch };
  const toPartition2Leader = await steps.connect(steps.address.get(partition2Leader)!);
  // Produce v12 and TxnOffsetCommit v5 add the partition and the group themselves; refused while
  // the coordinator cannot take them (a retriable NOT_ENOUGH_REPLICAS or CONCURRENT_TRANSACTIONS), which clients retry.
  const produceV12 = (p: TxnProducer, sequence: number, value: string) =>
    until(async () => {
      const sent = await toPartition2Leader.send(ApiKey.Produce, 12, transactionalProduceBody(txId2, TXN_TOPIC, partition2, transactionalBatch(p, sequence, [value])));
      const code = sent.kind === 'response' ? (sent.body as ProduceResponse).responses[0]?.partitionResponses[0]?.errorCode : -1;
      return code === 19 || code === 51 ? null : sent;
    }, `${kind}: Produce v12 of ${value}`, 60_000);
  rec('v2/1/produce', await produceV12(producer2, 0, 'v2-a'));
  const offsets2 = await until(async () => {
    const sent = await toGroupCoordinator.send(ApiKey.TxnOffsetCommit, 5, txnOffsetCommitBody(producer2, offsetsGroup, TXN_TOPIC, [[partition2, 1n]]));
    const code = sent.kind === 'response' ? (sent.body as TxnOffsetCommitResponse).topics[0]?.partitions[0]?.errorCode : -1;
    return code !== undefined && [14, 15, 16, 51].includes(code) ? null : sent;
  }, `${kind}: TxnOffsetCommit v5 on the group's coordinator`, 60_000);
  rec('v2/1/txn-offset-commit', offsets2);
  const ended = await toCoordinator.request<{ errorCode: number; producerId: bigint; producerEpoch: number }>(ApiKey.EndTxn, 5, endTxnBody(producer2, true));
  rec('v2/1/end-commit', response(ended));
  // EndTxn v5 bumps the epoch: the next transaction runs at the one it names, its sequences from 0.
  const next2: TxnProducer = { ...producer2, producerEpoch: ended.producerEpoch };
  rec('v2/1/end-offsets', await settled(toPartition2Leader, partition2, 2n, `${kind}: the version-2 transaction's marker on the partition`));
  rec('v2/2/produce', await produceV12(next2, 0, 'v2-b'));
  rec('v2/2/end-offsets-while-open', await endOffsets(toPartition2Leader, TXN_TOPIC, partition2));
  rec('v2/2/describe-transactions', await toCoordinator.send(ApiKey.DescribeTransactions, 0, { transactionalIds: [txId2] }));
  return { producer, partition, toPartitionLeader, group: offsetsGroup, labels, more, v2: { producer: next2, partition: partition2, toPartitionLeader: toPartition2Leader } };
}

/** After the coordinator (`killed`) died: the restarted producer on the new one, and what consumers see of the open transaction. */
export async function transactionsAfterKill(steps: ClusterSteps, before: TxnBeforeKill, o: { killed: number; roles: Map<number, string> }): Promise<void> {
  const kind = steps.cluster.kind;
  const { producer, partition, toPartitionLeader, labels, more } = before;
  const txId = producer.transactionalId;
  const rec = (name: string, answer: unknown) => steps.record(`after-kill/txn/${name}`, relabel(answer, labels, more), o.roles);

  const found = await coordinatorOf(toPartitionLeader, 1, txId, o.killed, `${kind}: a new transaction coordinator`);
  rec('find-coordinator', response(found));
  const toNew = await steps.connect(steps.address.get(found.coordinators[0]!.nodeId)!);
  // The producer restarts: InitProducerId without its id. The new coordinator, once it has loaded
  // the transaction, aborts it (CONCURRENT_TRANSACTIONS until the abort is written, which the
  // producer retries) and then bumps the epoch; which answers come before depends on loading.
  const answered: number[] = [];
  const init = await until(async () => {
    const r = await toNew.request<InitProducerIdResponse>(ApiKey.InitProducerId, 4, initProducerIdBody(txId, TRANSACTION_TIMEOUT_MS));
    answered.push(r.errorCode);
    return RETRIABLE.includes(r.errorCode) ? null : r;
  }, `${kind}: InitProducerId on the new coordinator`, 90_000);
  rec('init-producer-id', response(init));
  rec('init-producer-id-answered-concurrent-transactions-first', answered.includes(51));
  // What Apache Kafka 4.4 answered (2026-12-02), explicit so that the test fails if both stopped:
  // the same producer id, its epoch bumped twice (once to fence the open transaction's abort, once
  // for the restarted producer), after CONCURRENT_TRANSACTIONS.
  expect({ errorCode: init.errorCode, sameProducer: init.producerId === producer.producerId, epochBumps: init.producerEpoch - producer.producerEpoch, abortedFirst: answered.includes(51) }, `${kind}: the restarted producer's InitProducerId`).toEqual({ errorCode: 0, sameProducer: true, epochBumps: 2, abortedFirst: true });
  // Two records and COMMIT, one record and ABORT: nothing unstable once the abort marker is written.
  rec('end-offsets', await settled(toPartitionLeader, partition, 5n, `${kind}: the abort marker on the partition`));
  const fetched = await readCommitted(toPartitionLeader, TXN_TOPIC, partition);
  rec('fetch-read-committed', fetched);
  rec('describe-transactions', await toNew.send(ApiKey.DescribeTransactions, 0, { transactionalIds: [txId] }));
  // Each broker lists the transactions it coordinates.
  const listed = await toNew.request<ListTransactionsResponse>(ApiKey.ListTransactions, 1, { stateFilters: [], producerIdFilters: [], durationFilter: -1n });
  rec('list-transactions', { ...listed, transactionStates: listed.transactionStates.filter((t) => t.transactionalId === txId) });

  // ---- the version-2 transaction left open: its producer restarts on the new coordinator ----
  const v2 = before.v2;
  const txId2 = v2.producer.transactionalId;
  const found2 = await coordinatorOf(toPartitionLeader, 1, txId2, o.killed, `${kind}: a new coordinator for the version-2 transaction`);
  rec('v2/find-coordinator', response(found2));
  const toNew2 = await steps.connect(steps.address.get(found2.coordinators[0]!.nodeId)!);
  const answered2: number[] = [];
  const init2 = await until(async () => {
    const r = await toNew2.request<InitProducerIdResponse>(ApiKey.InitProducerId, 5, initProducerIdBody(txId2, TRANSACTION_TIMEOUT_MS));
    answered2.push(r.errorCode);
    return RETRIABLE.includes(r.errorCode) ? null : r;
  }, `${kind}: InitProducerId v5 on the new coordinator`, 90_000);
  rec('v2/init-producer-id', response(init2));
  rec('v2/init-producer-id-answered-concurrent-transactions-first', answered2.includes(51));
  rec('v2/epoch-bumps-since-the-open-transaction', init2.producerEpoch - v2.producer.producerEpoch);
  // As Apache Kafka 4.4 answered (2026-12-02): the same producer id, two bumps from the open transaction's epoch.
  expect({ errorCode: init2.errorCode, sameProducer: init2.producerId === v2.producer.producerId, epochBumps: init2.producerEpoch - v2.producer.producerEpoch, abortedFirst: answered2.includes(51) }, `${kind}: the restarted version-2 producer's InitProducerId`).toEqual({ errorCode: 0, sameProducer: true, epochBumps: 2, abortedFirst: true });
  // One record and COMMIT, one record and ABORT.
  rec('v2/end-offsets', await settled(v2.toPartitionLeader, v2.partition, 4n, `${kind}: the version-2 transaction's abort marker on the partition`));
  rec('v2/fetch-read-committed', await readCommitted(v2.toPartitionLeader, TXN_TOPIC, v2.partition));
  rec('v2/describe-transactions', await toNew2.send(ApiKey.DescribeTransactions, 0, { transactionalIds: [txId2] }));
  // The group's coordinator died too: its new one serves the offset the first transaction committed
  // once it has loaded the group (and, on Kafka, knows the partition's high watermark: see protocol-cluster's one-member group).
  const groupFound = await coordinatorOf(toPartitionLeader, 0, before.group, o.killed, `${kind}: a new coordinator for the transaction's group`);
  const toGroupCoordinator = await steps.connect(steps.address.get(groupFound.coordinators[0]!.nodeId)!);
  // Offset 2 of P by the first transaction, 1 of P2 by the version-2 one.
  const offsets = () => toGroupCoordinator.send(ApiKey.OffsetFetch, 8, fetchOffsetsBody(8, before.group, [{ name: TXN_TOPIC, partitionIndexes: [partition, before.v2.partition] }]));
  await until(async () => {
    const sent = await offsets();
    const got = new Map(sent.kind === 'response' ? (sent.body as OffsetFetchResponse).groups[0]?.topics[0]?.partitions.map((p) => [p.partitionIndex, p.committedOffset]) : []);
    return got.get(partition) === 2n && got.get(before.v2.partition) === 1n ? true : null;
  }, `${kind}: the transactions' committed offsets on the group's new coordinator`, 60_000);
  rec('offsets-committed-before-the-kill', await offsets());
}
