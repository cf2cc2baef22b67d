import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { coordinatorPartitionFor } from '../../apps/broker/src/topics/internal-topics.ts';
import { TEST_BROKER_SETTINGS } from '../support/broker-process.ts';
import { startCluster, type TestCluster } from '../support/cluster.ts';
import { checkDelivery, readAll, startKafkajsProducer, startPythonProducer } from './producers.ts';
import { until } from '../support/until.ts';

/**
 * Issue 6's proof in a bounded form: 3 brokers + etcd, RF=3, min.insync.replicas=2, idempotent
 * acks=-1 producers (kafkajs and librdkafka) running while brokers are killed, paused and
 * restarted. Longer runs and failover timings: bench/cluster.
 */
let cluster: TestCluster;
const TOPIC = 'chaos';

beforeAll(async () => {
  cluster = await startCluster({
    brokers: 3,
    settings: {
      // The paused follower must leave the ISR by lag (1.5 s) well before its lease (6 s) expires.
      'broker.session.timeout.ms': '6000',
      'replica.lag.time.max.ms': '1500',
      'leader.imbalance.check.interval.seconds': '5',
      'min.insync.replicas': '2',
    },
  });
  const admin = await KafkaAdminClient.connect(cluster.bootstrap[0]!);
  try {
    const controller = await cluster.controllerId();
    admin.close();
    const c = await KafkaAdminClient.connect(cluster.brokers.get(controller)!.bootstrap);
    const res = await c.createTopics([{ name: TOPIC, partitions: 3, replicationFactor: 3 }]);
    c.close();
    expect(res.get(TOPIC)).toBeNull();
  } finally {
    admin.close();
  }
  for (let p = 0; p < 3; p++) await cluster.waitForIsr(TOPIC, p, 3);
}, 120_000);
afterAll(async () => cluster?.stop(), 60_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const waitAllIsrs = async (topic: string) => {
  for (let p = 0; p < 3; p++) await cluster.waitForIsr(topic, p, 3, 60_000);
};
/** The first replica of a partition: the leader the preferred-leader check moves leadership to. */
const preferredReplica = async (topic: string, partition: number): Promise<number> => {
  const admin = await KafkaAdminClient.connect(cluster.bootstrap[0]!);
  try {
    return (await admin.metadata([topic])).topics[0]!.partitions[partition]!.replicas[0]!;
  } finally {
    admin.close();
  }
};

describe('chaos: kill -9 the leader, then the controller, pause a follower, restart each', () => {
  it('loses no acknowledged message, duplicates none, and keeps each producer in order', async () => {
    const kjs = startKafkajsProducer(() => cluster.bootstrap, TOPIC, 'kjs');
    const py = startPythonProducer(cluster.bootstrap.join(','), TOPIC, 'py');
    await sleep(3000);

    const leader = await cluster.leaderOf(TOPIC, 0);
    await cluster.brokers.get(leader)!.kill();
    expect(await cluster.leaderOf(TOPIC, 0, { not: leader })).not.toBe(leader);
    await sleep(2000);
    await cluster.restart(leader);
    await waitAllIsrs(TOPIC);

    const controller = await cluster.controllerId();
    await cluster.brokers.get(controller)!.kill();
    let next = controller;
    for (let i = 0; i < 300 && next === controller; i++) {
      await sleep(100);
      next = await cluster.controllerId().catch(() => controller);
    }
    expect(next).not.toBe(controller);
    await sleep(2000);
    await cluster.restart(controller);
    await waitAllIsrs(TOPIC);

    // A follower that stops fetching leaves the ISR after replica.lag.time.max.ms and returns once caught up.
    // Not the preferred replica either: the periodic preferred-leader check may move leadership back
    // to it at any time, and a paused leader could not shrink its own ISR.
    const leader0 = await cluster.leaderOf(TOPIC, 0);
    const preferred = await preferredReplica(TOPIC, 0);
    const follower = [1, 2, 3].find((id) => id !== leader0 && id !== preferred)!;
    cluster.pause(follower);
    try {
      const shrunk = await cluster.waitForIsr(TOPIC, 0, 2, 5000);
      expect(shrunk).not.toContain(follower);
    } finally {
      cluster.resume(follower);
    }
    await waitAllIsrs(TOPIC);
    await sleep(2000);

    const outcomes = [await kjs.stop(), await py.stop()];
    for (const o of outcomes) expect(o.acked.length, `${o.tag} acknowledged messages`).toBeGreaterThan(100);
    await waitAllIsrs(TOPIC);
    const records = await readAll(cluster.bootstrap, TOPIC);
    expect(checkDelivery(records, outcomes)).toEqual([]);
  }, 300_000);

  it('a consumer group resumes from its committed offsets after the coordinator is killed', async () => {
    const kafka = new Kafka({ clientId: 'chaos-group', brokers: cluster.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 60, initialRetryTime: 100, maxRetryTime: 1000 } });
    const group = 'chaos-readers';
    const consume = async (count: number) => {
      const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 500 });
      await consumer.connect();
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      const first = new Map<number, number>();
      let seen = 0;
      await new Promise<void>((done) => {
        void consumer.run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            if (!first.has(partition)) first.set(partition, Number(message.offset));
            if (seen++ < count) await consumer.commitOffsets([{ topic: TOPIC, partition, offset: String(Number(message.offset) + 1) }]);
            if (seen === count) done();
          },
        });
      });
      await consumer.disconnect();
      return first;
    };
    await consume(300);
    const before = await committed(group);
    expect(before.size).toBeGreaterThan(0);

    // The group's coordinator leads the group's __consumer_offsets partition (Kafka's partitioning).
    const partition = coordinatorPartitionFor(group, Number(TEST_BROKER_SETTINGS['offsets.topic.num.partitions']));
    const coordinator = await cluster.leaderOf('__consumer_offsets', partition);
    await cluster.brokers.get(coordinator)!.kill();
    await cluster.leaderOf('__consumer_offsets', partition, { not: coordinator });
    // The new coordinator loaded the group's offsets from its replica of the partition.
    expect(await committed(group)).toEqual(before);
    const resumed = await consume(1);
    for (const [partition, offset] of resumed) expect(offset).toBe(before.get(partition) ?? 0);
    await cluster.restart(coordinator);
  }, 180_000);
});

async function committed(group: string): Promise<Map<number, number>> {
  // Retried while the coordinator moves (a broker was just killed or restarted).
  return until(async () => {
    const admin = await KafkaAdminClient.connect(cluster.bootstrap[0]!);
    let c: Awaited<ReturnType<KafkaAdminClient['findCoordinator']>>;
    try {
      c = await admin.findCoordinator(group, 'group');
    } finally {
      admin.close();
    }
    const direct = await KafkaAdminClient.connect(`${c.host}:${c.port}`);
    try {
      const offsets = await direct.committedOffsets(group, [{ topic: TOPIC, partitions: [0, 1, 2] }]);
      return new Map(offsets.filter((o) => o.offset >= 0n).map((o) => [o.partition, Number(o.offset)]));
    } finally {
      direct.close();
    }
  }, `the committed offsets of ${group}`, 30_000, undefined, 200);
}
