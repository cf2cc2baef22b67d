import { afterAll, beforeAll, expect, it } from 'vitest';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { startCluster, type TestCluster } from '../support/cluster.ts';

/**
 * Metadata never names a leader that is not among the brokers of the same response: Kafka answers
 * LEADER_NOT_AVAILABLE with leader -1 while the leader is not alive. A client given a leader it has no
 * address for cannot route to it: kafka-python's producer failed with UnknownBrokerIdError in a loop
 * after a leader was killed (test/compat/kafka-python.test.ts). The window is the time between the
 * survivors dropping the dead broker and a new election; killing the controller as well (it leads
 * the partition) widens it to a controller election, and the survivor is asked without pause.
 */
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ brokers: 2 });
}, 120_000);
afterAll(async () => cluster?.stop(), 60_000);

it('never answers a leader that is not among the live brokers, while a killed leader is replaced', async () => {
  const admin = await KafkaAdminClient.connect(cluster.bootstrap[0]!);
  try {
    expect((await admin.createTopics([{ name: 'dead-leader', partitions: 4, replicationFactor: 1 }])).get('dead-leader')).toBeNull();
  } finally {
    admin.close();
  }
  const victim = await cluster.controllerId();
  const survivor = victim === 1 ? 2 : 1;
  const led = [];
  for (let p = 0; p < 4; p++) if ((await cluster.leaderOf('dead-leader', p)) === victim) led.push(p);
  expect(led.length, 'the controller leads some partition').toBeGreaterThan(0);

  const a = await KafkaAdminClient.connect(cluster.brokers.get(survivor)!.bootstrap);
  const violations: string[] = [];
  let samples = 0;
  try {
    // CreateTopics answers once the controller has the topic; the other brokers learn of it from
    // the etcd watch a moment later (as Kafka's brokers do from the metadata log), and until then
    // answer UNKNOWN_TOPIC_OR_PARTITION. The kill must come after the survivor knows the topic.
    const known = Date.now() + 30_000;
    while (!(await a.metadata(['dead-leader']).then(() => true, () => false))) {
      if (Date.now() > known) throw new Error('the survivor never learned of the topic');
      await new Promise((r) => setTimeout(r, 50));
    }
    await cluster.brokers.get(victim)!.kill();
    const deadline = Date.now() + 30_000;
    for (;;) {
      const md = await a.metadata(['dead-leader']);
      samples++;
      const ids = md.brokers.map((b) => b.nodeId);
      for (const p of md.topics[0]!.partitions) if (p.leader >= 0 && !ids.includes(p.leader)) violations.push(`partition ${p.partition} led by ${p.leader}, brokers ${ids.join(',')}`);
      // Done once the survivor has dropped the dead broker and no partition names it.
      if (ids.length === 1 && md.topics[0]!.partitions.every((p) => p.leader !== victim)) break;
      if (Date.now() > deadline) throw new Error(`the survivor never settled: ${JSON.stringify(md)}`);
    }
  } finally {
    a.close();
  }
  expect(samples).toBeGreaterThan(0);
  expect(violations.slice(0, 5)).toEqual([]);
}, 90_000);
