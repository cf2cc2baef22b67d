import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerConnection, KafkaAdminClient } from '@tributary/kafka-admin';
import { ApiKey, type FetchResponse, type ListOffsetsResponse } from '@tributary/protocol';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';
import { until } from '../support/until.ts';

// Kafka transactions end to end with kafkajs on one broker: committed and aborted transactions
// seen by read_committed and read_uncommitted consumers, sendOffsets (TxnOffsetCommit) visible
// only on commit, a zombie producer fenced by a new one with the same transactional id, and the
// last stable offset held back by a running transaction (Fetch and ListOffsets).
const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');

let broker: BrokerProcess;
let admin: KafkaAdminClient;
let kafka: InstanceType<typeof Kafka>;

beforeAll(async () => {
  broker = await startBroker({ metrics: true, settings: { 'group.initial.rebalance.delay.ms': '0', 'transaction.state.log.num.partitions': '5', 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '200' } });
  admin = await KafkaAdminClient.connect(broker.bootstrap);
  await admin.createTopics(['tx-in', 'tx-out', 'tx-lso', 'tx-zombie', 'tx-timeout'].map((name) => ({ name, partitions: 2, replicationFactor: 1 })));
  kafka = new Kafka({ clientId: 'txn-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
}, 60_000);
afterAll(async () => {
  admin?.close();
  await broker?.destroy();
});

const producerFor = (transactionalId: string, transactionTimeout = 60_000) => kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout });

/** LATEST of partition 0 for read_committed (1) or read_uncommitted (0), through a raw connection. */
async function latest(topic: string, isolationLevel: number): Promise<bigint> {
  const [host, port] = broker.bootstrap.split(':');
  const conn = await BrokerConnection.open(host!, Number(port), 'txn-latest');
  try {
    const r = await conn.send<ListOffsetsResponse>(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] });
    return r.topics[0]!.partitions[0]!.offset;
  } finally {
    conn.close();
  }
}

/** Every value of `topic` a consumer of that isolation reads, once it has read up to the partitions' ends. */
async function readAll(topic: string, readUncommitted: boolean, expected: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${readUncommitted}-${Date.now()}`, readUncommitted });
  const seen: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }: { message: { value: Buffer } }) => void seen.push(message.value.toString()) });
  try {
    await until(async () => (seen.length >= expected ? true : null), `${expected} records of ${topic} (${readUncommitted ? 'read_uncommitted' : 'read_committed'}), got ${seen.length}`, 60_000);
  } finally {
    await consumer.disconnect();
  }
  return seen.sort();
}

describe('transactions with kafkajs', () => {
  it('read_committed consumers see committed transactions only; read_uncommitted see every record', async () => {
    const producer = producerFor('tx-commit-abort');
    await producer.connect();
    const commitTx = async (values: string[], commit: boolean) => {
      const tx = await producer.transaction();
      for (const value of values) await tx.send({ topic: 'tx-in', messages: [{ key: value, value }] });
      if (commit) await tx.commit();
      else await tx.abort();
    };
    await commitTx(['c1', 'c2', 'c3'], true);
    await commitTx(['a1', 'a2'], false);
    await commitTx(['c4', 'c5'], true);
    await producer.disconnect();
    // A non-transactional record after the last transaction: read_committed must reach it (the LSO moved past every marker).
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: 'tx-in', messages: [{ key: 'p1', value: 'p1' }] });
    await plain.disconnect();
    expect(await readAll('tx-in', false, 6)).toEqual(['c1', 'c2', 'c3', 'c4', 'c5', 'p1']);
    expect(await readAll('tx-in', true, 8)).toEqual(['a1', 'a2', 'c1', 'c2', 'c3', 'c4', 'c5', 'p1']);
  }, 120_000);

  it('sendOffsets commits the group offsets with the transaction, and an abort drops them', async () => {
    const producer = producerFor('tx-offsets');
    await producer.connect();
    const group = 'tx-offsets-group';
    const offsetOf = async () => (await admin.committedOffsets(group, [{ topic: 'tx-in', partitions: [0] }])).find((o) => o.partition === 0)?.offset ?? -1n;
    let tx = await producer.transaction();
    await tx.send({ topic: 'tx-out', messages: [{ value: 'derived-1' }] });
    await tx.sendOffsets({ consumerGroupId: group, topics: [{ topic: 'tx-in', partitions: [{ partition: 0, offset: '2' }] }] });
    // Pending until the commit: the group has no committed offset yet.
    expect(await offsetOf()).toBe(-1n);
    await tx.commit();
    expect(await offsetOf()).toBe(2n);
    tx = await producer.transaction();
    await tx.send({ topic: 'tx-out', messages: [{ value: 'derived-2' }] });
    await tx.sendOffsets({ consumerGroupId: group, topics: [{ topic: 'tx-in', partitions: [{ partition: 0, offset: '5' }] }] });
    await tx.abort();
    expect(await offsetOf()).toBe(2n);
    await producer.disconnect();
    expect(await readAll('tx-out', false, 1)).toEqual(['derived-1']);
  }, 120_000);

  it('fences a zombie: a second producer with the same transactional id aborts the first one\'s transaction', async () => {
    const zombie = producerFor('tx-zombie-id');
    await zombie.connect();
    const tx = await zombie.transaction();
    await tx.send({ topic: 'tx-zombie', messages: [{ partition: 0, value: 'from-zombie' }] });
    const successor = producerFor('tx-zombie-id');
    // Its InitProducerId bumps the epoch, which aborts the zombie's running transaction.
    await successor.connect();
    const next = await successor.transaction();
    await next.send({ topic: 'tx-zombie', messages: [{ partition: 0, value: 'from-successor' }] });
    await next.commit();
    await expect(tx.commit()).rejects.toThrow(/fenced|epoch|INVALID_PRODUCER_EPOCH|PRODUCER_FENCED/i);
    await successor.disconnect();
    await zombie.disconnect();
    expect(await readAll('tx-zombie', false, 1)).toEqual(['from-successor']);
  }, 120_000);

  it('aborts a transaction that outlives transaction.timeout.ms: the LSO moves on, its records are never read committed, its producer is fenced', async () => {
    const producer = producerFor('tx-timeout-id', 5000);
    await producer.connect();
    const tx = await producer.transaction();
    await tx.send({ topic: 'tx-timeout', messages: [{ partition: 0, value: 'hung' }] });
    expect(await latest('tx-timeout', 1)).toBe(0n);
    // The coordinator aborts it past its timeout and writes the ABORT marker: read_committed reaches the log end.
    await until(async () => ((await latest('tx-timeout', 1)) === (await latest('tx-timeout', 0)) ? true : null), 'the LSO of tx-timeout to reach the high watermark', 30_000);
    expect(await latest('tx-timeout', 0)).toBe(2n);
    await expect(tx.commit()).rejects.toThrow(/fenced|epoch|INVALID_PRODUCER_EPOCH|PRODUCER_FENCED/i);
    await producer.disconnect();
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: 'tx-timeout', messages: [{ partition: 0, value: 'after' }] });
    await plain.disconnect();
    expect(await readAll('tx-timeout', false, 1)).toEqual(['after']);
  }, 120_000);

  it('holds the last stable offset at a running transaction: Fetch and ListOffsets of read_committed stop there', async () => {
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: 'tx-lso', messages: [{ partition: 0, value: 'before' }] });
    const producer = producerFor('tx-lso-id');
    await producer.connect();
    const tx = await producer.transaction();
    await tx.send({ topic: 'tx-lso', messages: [{ partition: 0, value: 'open-1' }] });
    await plain.send({ topic: 'tx-lso', messages: [{ partition: 0, value: 'after' }] });
    const [host, port] = broker.bootstrap.split(':');
    const conn = await BrokerConnection.open(host!, Number(port), 'txn-lso');
    try {
      const latest = async (isolationLevel: number) => {
        const r = await conn.send<ListOffsetsResponse>(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel, topics: [{ name: 'tx-lso', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] });
        return r.topics[0]!.partitions[0]!.offset;
      };
      const fetch = async (isolationLevel: number) => {
        const r = await conn.send<FetchResponse>(ApiKey.Fetch, 11, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'tx-lso', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' });
        return r.responses[0]!.partitions[0]!;
      };
      // Offsets: 0 'before', 1 'open-1' (running), 2 'after'.
      expect(await latest(0)).toBe(3n);
      expect(await latest(1)).toBe(1n);
      const committed = await fetch(1);
      expect({ hw: committed.highWatermark, lso: committed.lastStableOffset }).toEqual({ hw: 3n, lso: 1n });
      // The broker's LastStableOffsetLag: read_committed readers are held 2 offsets behind.
      const metrics = await (await globalThis.fetch(`http://127.0.0.1:${broker.metricsPort}/metrics`)).text();
      expect(metrics).toContain('tributary_broker_last_stable_offset_lag{topic="tx-lso",partition="0"} 2');
      await tx.abort();
      expect(await latest(1)).toBe(4n);
      const afterAbort = await fetch(1);
      expect(afterAbort.lastStableOffset).toBe(4n);
      expect(await (await globalThis.fetch(`http://127.0.0.1:${broker.metricsPort}/metrics`)).text()).toContain('tributary_broker_last_stable_offset_lag{topic="tx-lso",partition="0"} 0');
      // The aborted transaction is listed for read_committed, from its first offset.
      expect(afterAbort.abortedTransactions?.map((a) => a.firstOffset)).toEqual([1n]);
      expect((await fetch(0)).abortedTransactions).toBeNull();
    } finally {
      conn.close();
      await producer.disconnect();
      await plain.disconnect();
    }
    expect(await readAll('tx-lso', false, 2)).toEqual(['after', 'before']);
  }, 120_000);
});
