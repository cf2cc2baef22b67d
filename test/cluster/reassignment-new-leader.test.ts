import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { startTargetCluster, type TargetCluster } from '../support/target-cluster.ts';
import { until } from '../support/until.ts';
import { checkAcknowledged, duplicateCount, readAll, startKafkajsProducer, startPythonProducer, type RunningProducer } from '../chaos/producers.ts';

/**
 * Issue 20: reassignments whose newly added replica becomes the leader the moment it joins the
 * ISR, 20 rounds of all 6 partitions at once, under idempotent acks=all producers (librdkafka at
 * 2,000 msg/s, kafkajs). Each move replaces a partition's leader by the broker that was not a
 * replica ([1,2] → [3,2] → [1,2] …: the removed leader hands over to the first in-sync replica of
 * the target), so every new leader is the follower its predecessor had just proposed for the ISR.
 *
 * It found two defects, fixed in the replica manager: a leader kept acknowledging acks=all batches
 * over the old ISR while its proposal to add the follower was in flight, and a follower's fetch
 * from an earlier epoch or past the leader's log end counted as progress; either way the new leader
 * lacked acknowledged batches, and librdkafka stopped with a fatal OUT_OF_ORDER_SEQUENCE_NUMBER
 * ("sequence desynchronization", elastic-scale in CI run 25; here 1 run in 3 before the fixes).
 *
 * Asserted: no send fails, and every acknowledged message is in the log where it was acknowledged.
 * Not asserted: that no message is in the log twice. A batch the old leader wrote but answered
 * NOT_LEADER_OR_FOLLOWER when its leadership moved (as Kafka answers a pending acks=all produce
 * then) counts as not persisted for librdkafka 2.0.2; when a later batch is then refused out of
 * order it bumps its producer epoch and sends those messages again as new ones. Apache Kafka 4.4
 * shows the same copies under this test (REASSIGN_STRESS_BROKER=kafka: copies in 3 of 4 runs,
 * no failed send, nothing acknowledged missing), so they are printed, not failed.
 */
const TOPIC = 'shuttle';
const MOVES = 20;
const PARTITIONS = 6;
const KIND = process.env.REASSIGN_STRESS_BROKER === 'kafka' ? 'Apache Kafka' : 'Tributary';
let cluster: TargetCluster;
let producers: RunningProducer[] = [];

beforeAll(async () => {
  cluster = await startTargetCluster(KIND, { brokers: 3, timeoutMs: 90_000, settings: { 'min.insync.replicas': '2', 'leader.imbalance.check.interval.seconds': '3600' } });
}, 240_000);
afterAll(async () => {
  await Promise.all(producers.map((p) => p.stop().catch(() => undefined)));
  await cluster?.stop();
}, 120_000);

async function withAdmin<T>(fn: (admin: KafkaAdminClient) => Promise<T>): Promise<T> {
  const admin = await KafkaAdminClient.connect(cluster.live()[0]!, { timeoutMs: 10_000 });
  try {
    return await fn(admin);
  } finally {
    admin.close();
  }
}

const partitions = async () => (await withAdmin((a) => a.metadata([TOPIC]))).topics[0]?.partitions ?? [];

describe(`${KIND}: reassignments that make the newly added replica the leader, again and again, under acks=all producers`, () => {
  it('fail no send and keep every acknowledged message where it was acknowledged', async () => {
    const created = await withAdmin((a) => a.createTopics([{ name: TOPIC, partitions: PARTITIONS, replicationFactor: 2 }]));
    expect(created.get(TOPIC)).toBeNull();
    await until(async () => ((await partitions()).filter((p) => p.isr.length === 2).length === PARTITIONS ? true : null), 'the topic in sync', 60_000);
    producers = [startPythonProducer(cluster.live().join(','), TOPIC, 'py', 2000), startKafkajsProducer(() => cluster.live(), TOPIC, 'kjs')];
    const all = Array.from({ length: PARTITIONS }, (_, p) => p);
    const written = async () => [...(await withAdmin((a) => a.listOffsets(TOPIC, all, 'latest'))).values()].reduce((n, o) => n + Number(o), 0);
    const before = await written();
    await until(async () => ((await written()) > before + 500 ? true : null), 'the producers writing', 60_000);

    for (let move = 0; move < MOVES; move++) {
      const targets = (await partitions()).map((p) => {
        const added = [1, 2, 3].find((id) => !p.replicas.includes(id))!;
        return { topic: TOPIC, partition: p.partition, replicas: [added, ...p.replicas.filter((id) => id !== p.leader)] };
      });
      const answers = await withAdmin((a) => a.alterPartitionReassignments(targets));
      expect([...answers.values()], `move ${move}`).toEqual(targets.map(() => null));
      const mark = await written();
      await until(async () => {
        const now = await partitions();
        const done = targets.every((t) => {
          const p = now.find((x) => x.partition === t.partition);
          // The added replica leads unless an election moved leadership since (a broker whose etcd
          // lease lapsed on a loaded machine is taken for dead): the next round starts from any leader.
          return p !== undefined && p.leader >= 0 && p.replicas.join() === t.replicas.join() && p.isr.length === 2;
        });
        return done ? true : null;
      }, `move ${move}: the targets in place and in sync`, 90_000);
      // Records flow through the new leaders before the next move takes them away again.
      await until(async () => ((await written()) > mark + 200 ? true : null), `move ${move}: writes on the new leaders`, 60_000);
    }

    const outcomes = await Promise.all(producers.map((p) => p.stop()));
    producers = [];
    for (const o of outcomes) {
      expect(o.failed, `${o.tag}'s failed sends`).toEqual([]);
      expect(o.acked.length, `${o.tag}'s acknowledged sends`).toBeGreaterThan(0);
    }
    const records = await readAll(cluster.live(), TOPIC);
    console.log(`${KIND}: ${records.length} records read, ${duplicateCount(records)} of them copies of an earlier one`);
    expect(checkAcknowledged(records, outcomes)).toEqual([]);
  }, 600_000);
});
