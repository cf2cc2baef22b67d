import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { startCluster, type TestCluster } from '../support/cluster.ts';
import { until } from '../support/until.ts';

// Transactions on a 3-broker cluster: the transaction coordinator (leader of the transactional
// id's __transaction_state partition) has its markers written on partitions other brokers lead
// (WriteTxnMarkers) and on the group coordinator's __consumer_offsets; then the coordinator is
// killed -9 in the middle of a transaction, and the producer commits it through the new one.
// read_committed consumers see exactly the committed records.
let cluster: TestCluster;
let kafka: Kafka;
const TOPIC = 'ctx';

beforeAll(async () => {
  cluster = await startCluster({ brokers: 3, settings: { 'transaction.state.log.num.partitions': '3', 'transaction.state.log.replication.factor': '3', 'replica.lag.time.max.ms': '3000' } });
  kafka = new Kafka({ clientId: 'cluster-txn', brokers: cluster.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 15, initialRetryTime: 200, maxRetryTime: 3000 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true });
  await admin.disconnect();
}, 120_000);
afterAll(async () => cluster?.stop(), 60_000);

/** Every value a read_committed consumer reads once it has `expected` of them. */
async function readCommitted(expected: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `reader-${Date.now()}`, readUncommitted: false });
  const seen: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
  try {
    await until(async () => (seen.length >= expected ? true : null), `${expected} committed records, got ${seen.length}`, 90_000);
  } finally {
    await consumer.disconnect();
  }
  return seen.sort();
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
