import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { ApiKey, ErrorCode, encodeRecordBatch, type DescribeTransactionsResponse, type EndTxnResponse, type InitProducerIdResponse, type ProduceResponse } from '@tributary/protocol';
import { BrokerConnection, KafkaAdminClient } from '@tributary/kafka-admin';
import { startCluster, type TestCluster } from '../support/cluster.ts';
import { until } from '../support/until.ts';

// Transactions on a 3-broker cluster: the transaction coordinator (leader of the transactional
// id's __transaction_state partition) has its markers written on partitions other brokers lead
// (WriteTxnMarkers) and on the group coordinator's __consumer_offsets; then the coordinator is
// killed -9 in the middle of a transaction, and the producer commits it through the new one.
// read_committed consumers see exactly the committed records.
// Then raw requests where the coordinator is another broker than the partition leader: KIP-890
// part 1 (a version-1 client's batch to a partition it did not add is refused after the leader
// asks the remote coordinator, verify-only) and part 2 (Produce v12 adds the partition at the
// remote coordinator; the coordinator killed -9 mid-transaction, the transaction goes on and
// commits through its successor).
let cluster: TestCluster;
let kafka: Kafka;
const TOPIC = 'ctx';
/** The topic of the raw-request transactions. */
const RAW = 'ctx-raw';

beforeAll(async () => {
  cluster = await startCluster({ brokers: 3, settings: { 'transaction.state.log.num.partitions': '3', 'transaction.state.log.replication.factor': '3', 'replica.lag.time.max.ms': '3000' } });
  kafka = new Kafka({ clientId: 'cluster-txn', brokers: cluster.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 15, initialRetryTime: 200, maxRetryTime: 3000 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 3 }, { topic: RAW, numPartitions: 4, replicationFactor: 3 }], waitForLeaders: true });
  await admin.disconnect();
}, 120_000);
afterAll(async () => cluster?.stop(), 60_000);

/** Every value a read_committed consumer reads once it has `expected` of them. */
async function readCommitted(expected: number, topic = TOPIC): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `reader-${Date.now()}`, readUncommitted: false });
  const seen: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
  try {
    await until(async () => (seen.length >= expected ? true : null), `${expected} committed records, got ${seen.length}`, 90_000);
  } finally {
    await consumer.disconnect();
  }
  return seen.sort();
}

/** A raw connection to broker `nodeId`. */
async function connectTo(nodeId: number): Promise<BrokerConnection> {
  const [host, port] = cluster.brokers.get(nodeId)!.bootstrap.split(':');
  return BrokerConnection.open(host!, Number(port), 'cluster-txn-raw', 30_000);
}

/** The coordinator of `transactionalId` as a live broker names it, once it is not `not`. */
async function coordinatorOf(transactionalId: string, not = -1): Promise<number> {
  return until(async () => {
    const live = [...cluster.brokers].filter(([id, b]) => id !== not && b.process.exitCode === null && b.process.signalCode === null);
    const admin = await KafkaAdminClient.connect(live[0]![1].bootstrap, { timeoutMs: 5000 }).catch(() => null);
    if (!admin) return null;
    try {
      const { nodeId } = await admin.findCoordinator(transactionalId, 'transaction');
      return nodeId !== not ? nodeId : null;
    } catch {
      return null; // COORDINATOR_NOT_AVAILABLE while __transaction_state elects a leader
    } finally {
      admin.close();
    }
  }, `a coordinator for ${transactionalId} other than broker ${not}`, 90_000);
}

/** InitProducerId at the coordinator, retried while it loads (COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR…). */
async function initProducerId(conn: BrokerConnection, transactionalId: string, version: number): Promise<{ producerId: bigint; producerEpoch: number }> {
  return until(async () => {
    const r = await conn.send<InitProducerIdResponse>(ApiKey.InitProducerId, version, { transactionalId, transactionTimeoutMs: 120_000, producerId: -1n, producerEpoch: -1 });
    if (r.errorCode !== 0) return null;
    return { producerId: r.producerId, producerEpoch: r.producerEpoch };
  }, `InitProducerId for ${transactionalId}`, 60_000);
}

/** One transactional record to RAW's `partition` at its leader; the partition's error code. */
async function produceTo(partition: number, version: number, transactionalId: string, p: { producerId: bigint; producerEpoch: number }, sequence: number, value: string): Promise<number> {
  const conn = await connectTo(await cluster.leaderOf(RAW, partition));
  try {
    const records = encodeRecordBatch({ baseOffset: 0n, isTransactional: true, producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: sequence, records: [{ value }] });
    const r = await conn.send<ProduceResponse>(ApiKey.Produce, version, { transactionalId, acks: -1, timeoutMs: 30_000, topicData: [{ name: RAW, partitionData: [{ index: partition, records }] }] });
    return r.responses[0]!.partitionResponses[0]!.errorCode;
  } finally {
    conn.close();
  }
}

/** RAW's partitions whose leader is not `node`. */
async function partitionsNotLedBy(node: number): Promise<number[]> {
  const leaders = await Promise.all([0, 1, 2, 3].map((p) => cluster.leaderOf(RAW, p)));
  return [0, 1, 2, 3].filter((p) => leaders[p] !== node);
}

const toEveryPartition = (prefix: string) => [0, 1, 2].map((partition) => ({ partition, value: `${prefix}-${partition}` }));

describe('transactions on a 3-broker cluster', () => {
  it('writes markers on partitions led by other brokers and on __consumer_offsets', async () => {
    const admin = await KafkaAdminClient.connect(cluster.bootstrap[0]!);
    const coordinator = (await admin.findCoordinator('cluster-tx', 'transaction')).nodeId;
    // The partitions' leaders are spread over the brokers: some markers must go to another broker than the coordinator.
    const leaders = await Promise.all([0, 1, 2].map((p) => cluster.leaderOf(TOPIC, p)));
    expect(leaders.some((l) => l !== coordinator)).toBe(true);
    const producer = kafka.producer({ transactionalId: 'cluster-tx', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    let tx = await producer.transaction();
    await tx.send({ topic: TOPIC, acks: -1, messages: toEveryPartition('c') });
    await tx.sendOffsets({ consumerGroupId: 'cluster-tx-group', topics: [{ topic: TOPIC, partitions: [{ partition: 1, offset: '4' }] }] });
    await tx.commit();
    tx = await producer.transaction();
    await tx.send({ topic: TOPIC, acks: -1, messages: toEveryPartition('a') });
    await tx.abort();
    await producer.disconnect();
    // A plain record after the aborted transaction on every partition: reading it means the consumer went past the aborted records.
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: TOPIC, acks: -1, messages: toEveryPartition('end') });
    await plain.disconnect();
    try {
      expect((await admin.committedOffsets('cluster-tx-group', [{ topic: TOPIC, partitions: [1] }])).find((o) => o.partition === 1)?.offset).toBe(4n);
    } finally {
      admin.close();
    }
    expect(await readCommitted(6)).toEqual(['c-0', 'c-1', 'c-2', 'end-0', 'end-1', 'end-2']);
  }, 180_000);

  it('KIP-890 part 1: a version-1 client\'s batch to a partition it did not add is refused after asking the coordinator on another broker', async () => {
    const id = 'cluster-verify';
    const coordinator = await coordinatorOf(id);
    const remote = await partitionsNotLedBy(coordinator);
    // Three of four partitions led elsewhere than the coordinator leave at least two here.
    expect(remote.length).toBeGreaterThanOrEqual(2);
    const [added, other] = remote as [number, number];
    const conn = await connectTo(coordinator);
    try {
      const p = await initProducerId(conn, id, 4);
      // The error codes Apache Kafka 4.4 answers (test/conformance/protocol-transactions.test.ts).
      expect(await produceTo(added, 9, id, p, 0, 'not added')).toBe(ErrorCode.INVALID_TXN_STATE);
      expect(await produceTo(added, 11, id, p, 0, 'not added')).toBe(ErrorCode.TRANSACTION_ABORTABLE);
      const add = await conn.send<{ resultsByTopicV3AndBelow: { resultsByPartition: { partitionErrorCode: number }[] }[] }>(ApiKey.AddPartitionsToTxn, 3, { v3AndBelowTransactionalId: id, v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: [{ name: RAW, partitions: [added] }] });
      expect(add.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode).toBe(0);
      expect(await produceTo(added, 9, id, p, 0, 'v1-added')).toBe(0);
      expect(await produceTo(other, 9, id, p, 0, 'v1-other')).toBe(ErrorCode.INVALID_TXN_STATE);
      const end = await conn.send<EndTxnResponse>(ApiKey.EndTxn, 3, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, committed: true });
      expect(end.errorCode).toBe(0);
    } finally {
      conn.close();
    }
    expect(await readCommitted(1, RAW)).toEqual(['v1-added']);
  }, 180_000);

  it('transaction version 2: Produce v12 adds partitions at a coordinator on another broker, and the transaction commits through the next coordinator after a kill -9', async () => {
    const id = 'cluster-tv2';
    const coordinator = await coordinatorOf(id);
    const remote = await partitionsNotLedBy(coordinator);
    const [first, second] = remote as [number, number];
    let conn = await connectTo(coordinator);
    const p = await initProducerId(conn, id, 5);
    expect(await produceTo(first, 12, id, p, 0, 'v2-first')).toBe(0);
    const described = await conn.send<DescribeTransactionsResponse>(ApiKey.DescribeTransactions, 0, { transactionalIds: [id] });
    conn.close();
    expect(described.transactionStates[0]).toMatchObject({ errorCode: 0, transactionState: 'Ongoing', topics: [{ topic: RAW, partitions: [first] }] });
    await cluster.brokers.get(coordinator)!.kill();
    try {
      const next = await coordinatorOf(id, coordinator);
      // The second partition joins through the new coordinator (its leader may have moved too).
      await until(async () => ((await produceTo(second, 12, id, p, 0, 'v2-second')) === 0 ? true : null), `Produce v12 to ${RAW}-${second} after the coordinator's kill`, 90_000);
      conn = await connectTo(next);
      try {
        const end = await until(async () => {
          const r = await conn.send<EndTxnResponse>(ApiKey.EndTxn, 5, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, committed: true });
          return r.errorCode === ErrorCode.CONCURRENT_TRANSACTIONS || r.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? null : r;
        }, 'EndTxn v5 at the new coordinator', 60_000);
        // The end bumps the epoch (KIP-890 part 2) for the producer's next transaction.
        expect(end).toMatchObject({ errorCode: 0, producerId: p.producerId, producerEpoch: p.producerEpoch + 1 });
      } finally {
        conn.close();
      }
      expect(await readCommitted(3, RAW)).toEqual(['v1-added', 'v2-first', 'v2-second']);
    } finally {
      await cluster.restart(coordinator);
    }
  }, 300_000);

  it('commits a transaction whose coordinator was killed -9 in its middle, through the new coordinator', async () => {
    const producer = kafka.producer({ transactionalId: 'cluster-tx-failover', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const admin = await KafkaAdminClient.connect(cluster.bootstrap[0]!);
    const coordinator = (await admin.findCoordinator('cluster-tx-failover', 'transaction')).nodeId;
    admin.close();
    const tx = await producer.transaction();
    await tx.send({ topic: TOPIC, acks: -1, messages: toEveryPartition('f') });
    await cluster.brokers.get(coordinator)!.kill();
    await tx.commit();
    await producer.disconnect();
    expect(await readCommitted(9)).toEqual(['c-0', 'c-1', 'c-2', 'end-0', 'end-1', 'end-2', 'f-0', 'f-1', 'f-2']);
  }, 240_000);
});
