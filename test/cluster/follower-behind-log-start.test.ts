import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { BrokerConnection, KafkaAdminClient } from '@tributary/kafka-admin';
import { ApiKey } from '@tributary/protocol';
import { startCluster, type TestCluster } from '../support/cluster.ts';
import { until } from '../support/until.ts';

/**
 * A follower that was down while its leader deleted records past the follower's log end must
 * restart its log at the leader's log start and rejoin the ISR, as Kafka's follower does, also when
 * that start falls inside a batch (the leader serves the whole batch); and every follower takes the
 * leader's log start from its fetches, so the next leader serves nothing that was deleted. Found by
 * test/conformance/cluster-failover.test.ts (2026-12-02): kafka-delete-records while a broker was
 * dead left that broker out of the ISR for good once it restarted ("replicated batch at offset 200
 * is below the log end 250"), and followers kept records DeleteRecords had removed on the leader.
 */
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster({ brokers: 3, settings: { 'replica.lag.time.max.ms': '3000', 'leader.imbalance.check.interval.seconds': '3600' }, timeoutMs: 90_000 });
}, 180_000);
afterAll(async () => cluster?.stop(), 60_000);

const kafka = () => new Kafka({ clientId: 'behind-log-start', brokers: cluster.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });

describe('a follower restarted behind its leader\'s log start', () => {
  it('starts its log again at the leader\'s log start and rejoins the ISR', async () => {
    const admin = kafka().admin();
    await admin.connect();
    const producer = kafka().producer({ idempotent: true });
    await producer.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'behind', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
      await cluster.waitForIsr('behind', 0, 3, 60_000);
      const send = (from: number) => producer.send({ topic: 'behind', acks: -1, messages: Array.from({ length: 100 }, (_, i) => ({ value: `m${from + i}` })) });
      await send(0);
      const leader = await cluster.leaderOf('behind', 0);
      const follower = [1, 2, 3].find((id) => id !== leader)!;
      await cluster.brokers.get(follower)!.kill();
      await send(100);
      await send(200);
      // Past the killed follower's log end (100).
      // On the leader (kafkajs's admin asks its whole broker list, the dead one among them).
      const [host, port] = cluster.brokers.get(leader)!.bootstrap.split(':');
      const conn = await BrokerConnection.open(host!, Number(port), 'behind-log-start', 10_000);
      try {
        const r = await conn.send<{ topics: { partitions: { errorCode: number; lowWatermark: bigint }[] }[] }>(ApiKey.DeleteRecords, 2, { topics: [{ name: 'behind', partitions: [{ partitionIndex: 0, offset: 250n }] }], timeoutMs: 30_000 });
        expect(r.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, lowWatermark: 250n });
      } finally {
        conn.close();
      }
      await cluster.restart(follower);
      expect([...(await cluster.waitForIsr('behind', 0, 3, 60_000))].sort()).toEqual([1, 2, 3]);
      // Every follower took the leader's log start: whichever leads next serves nothing below 250.
      await cluster.brokers.get(leader)!.kill();
      const next = await cluster.leaderOf('behind', 0, { not: leader });
      const earliest = await until(async () => {
        const a = await KafkaAdminClient.connect(cluster.brokers.get(next)!.bootstrap, { timeoutMs: 5000 });
        try {
          return (await a.listOffsets('behind', [0], 'earliest')).get(0) ?? null;
        } catch {
          return null; // the new leader may not serve yet
        } finally {
          a.close();
        }
      }, 'the new leader answering ListOffsets', 60_000);
      expect(earliest).toBe(250n);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  }, 180_000);
});
