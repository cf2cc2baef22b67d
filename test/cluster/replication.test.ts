import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { BrokerConnection, KafkaAdminClient } from '@tributary/kafka-admin';
import { ApiKey, encodeRecordBatch, ErrorCode, type ProduceResponse } from '@tributary/protocol';
import { startCluster, type TestCluster } from '../support/cluster.ts';

let cluster: TestCluster;

beforeAll(async () => {
  // Generous: at load ~40 (2026-12-02) a broker missed the default 30 s start.
  cluster = await startCluster({ brokers: 3, settings: { 'replica.lag.time.max.ms': '3000', 'leader.imbalance.check.interval.seconds': '3600' }, timeoutMs: 90_000 });
}, 180_000);
afterAll(async () => cluster?.stop(), 60_000);

const kafka = () => new Kafka({ clientId: 'replication-test', brokers: cluster.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });

describe('a 3-broker cluster on etcd', () => {
  it('registers every broker, elects one controller, and creates replicated topics through it', async () => {
    const admin = await KafkaAdminClient.connect(cluster.bootstrap[0]!);
    try {
      const md = await admin.metadata([]);
      expect(md.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
      expect([1, 2, 3]).toContain(md.controllerId);
      expect(md.clusterId).toBe(cluster.clusterId);
    } finally {
      admin.close();
    }
    const k = kafka().admin();
    await k.connect();
    await k.createTopics({ topics: [{ topic: 'orders', numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }], waitForLeaders: true });
    const meta = await k.fetchTopicMetadata({ topics: ['orders'] });
    await k.disconnect();
    const parts = meta.topics[0]!.partitions;
    expect(parts).toHaveLength(3);
    for (const p of parts) expect([...p.replicas].sort()).toEqual([1, 2, 3]);
    // A new partition starts with every replica in its ISR (as in Kafka), but a follower that has not
    // fetched within replica.lag.time.max.ms (3 s here) leaves it again, in Kafka as here: on a
    // loaded machine (load ~34, 2026-12-01) one had left by the time Metadata was asked. So the
    // ISR is awaited, bounded, and must come back whole.
    for (const p of parts) expect([...(await cluster.waitForIsr('orders', p.partitionId, 3, 60_000))].sort()).toEqual([1, 2, 3]);
    // Preferred leaders are spread: each broker leads one partition.
    expect(new Set(parts.map((p) => p.leader)).size).toBe(3);
  }, 90_000);

  it('acks=-1 produce is replicated to every in-sync replica and consumed back in order', async () => {
    const producer = kafka().producer({ idempotent: true });
    await producer.connect();
    for (let i = 0; i < 20; i++) await producer.send({ topic: 'orders', acks: -1, messages: [{ key: `k${i % 3}`, value: `m${i}` }] });
    await producer.disconnect();
    // Every replica holds the same records: the leader's high watermark covers them all.
    for (let p = 0; p < 3; p++) await cluster.waitForIsr('orders', p, 3);
    const consumer = kafka().consumer({ groupId: 'orders-readers' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((done) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value!.toString());
          if (seen.length === 20) done();
        },
      });
    });
    await consumer.disconnect();
    expect(seen.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`).sort());
  }, 60_000);

  it('a killed leader is replaced from the ISR and acknowledged messages survive', async () => {
    const leader = await cluster.leaderOf('orders', 0);
    await cluster.brokers.get(leader)!.kill();
    const started = Date.now();
    const next = await cluster.leaderOf('orders', 0, { not: leader });
    const failoverMs = Date.now() - started;
    expect(next).not.toBe(leader);
    expect(failoverMs).toBeLessThan(20_000);
    const producer = kafka().producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic: 'orders', acks: -1, messages: [{ key: 'k0', value: 'after-failover' }] });
    await producer.disconnect();
    await cluster.restart(leader);
    await cluster.waitForIsr('orders', 0, 3);
  }, 90_000);

  it('acks=-1 is refused with NOT_ENOUGH_REPLICAS when the ISR is smaller than min.insync.replicas, and accepted again once it recovers', async () => {
    const controller = await cluster.controllerId();
    const admin = await KafkaAdminClient.connect(cluster.brokers.get(controller)!.bootstrap);
    try {
      expect((await admin.createTopics([{ name: 'strict', partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '3' } }])).get('strict')).toBeNull();
    } finally {
      admin.close();
    }
    await cluster.waitForIsr('strict', 0, 3);
    const produce = async (acks: number) => {
      const leader = await cluster.leaderOf('strict', 0);
      const [host, port] = cluster.brokers.get(leader)!.bootstrap.split(':');
      const conn = await BrokerConnection.open(host!, Number(port), 'acks-test');
      try {
        const res = await conn.send<ProduceResponse>(ApiKey.Produce, 9, { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: 'strict', partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ value: Buffer.from(`acks ${acks}`) }] }) }] }] });
        return res.responses[0]!.partitionResponses[0]!.errorCode;
      } finally {
        conn.close();
      }
    };
    expect(await produce(-1)).toBe(0);
    const leader = await cluster.leaderOf('strict', 0);
    const victim = [1, 2, 3].find((id) => id !== leader)!;
    await cluster.brokers.get(victim)!.kill();
    await cluster.waitForIsr('strict', 0, 2);
    expect(await produce(-1)).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    expect(await produce(1)).toBe(0); // acks=1 does not need the ISR
    await cluster.restart(victim);
    await cluster.waitForIsr('strict', 0, 3, 60_000);
    expect(await produce(-1)).toBe(0);
  }, 120_000);
});
