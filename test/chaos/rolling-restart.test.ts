import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { startCluster, type TestCluster } from '../support/cluster.ts';
import { checkDelivery, readAll, startKafkajsProducer, startPythonProducer } from './producers.ts';

/**
 * A rolling restart the way an operator does it: SIGTERM one broker (controlled shutdown moves its
 * leadership away first), start it again, wait until every partition is fully replicated, next.
 * Producers with retries must not see a single failed request.
 */
let cluster: TestCluster;
const TOPIC = 'rolling';

beforeAll(async () => {
  cluster = await startCluster({ brokers: 3, settings: { 'min.insync.replicas': '2', 'leader.imbalance.check.interval.seconds': '2' } });
  const controller = await cluster.controllerId();
  const admin = await KafkaAdminClient.connect(cluster.brokers.get(controller)!.bootstrap);
  try {
    expect((await admin.createTopics([{ name: TOPIC, partitions: 3, replicationFactor: 3 }])).get(TOPIC)).toBeNull();
  } finally {
    admin.close();
  }
  for (let p = 0; p < 3; p++) await cluster.waitForIsr(TOPIC, p, 3);
}, 120_000);
afterAll(async () => cluster?.stop(), 60_000);

describe('rolling restart under load', () => {
  it('restarts all three brokers one at a time with zero failed produce requests', async () => {
    const kjs = startKafkajsProducer(() => cluster.bootstrap, TOPIC, 'kjs');
    const py = startPythonProducer(cluster.bootstrap.join(','), TOPIC, 'py');
    await new Promise((r) => setTimeout(r, 2000));
    for (const id of [1, 2, 3]) {
      const broker = cluster.brokers.get(id)!;
      const code = await broker.stop();
      expect(code, `broker ${id} exit code`).toBe(0);
      // Controlled shutdown: the controller moved every leadership away before the broker stopped.
      expect(broker.output()).toMatch(/"msg":"controlled shutdown: done".*"stillLeads":0/);
      cluster.brokers.set(id, await broker.restart());
      for (let p = 0; p < 3; p++) await cluster.waitForIsr(TOPIC, p, 3, 60_000);
    }
    await new Promise((r) => setTimeout(r, 2000));
    const outcomes = [await kjs.stop(), await py.stop()];
    for (const o of outcomes) {
      expect(o.failed, `${o.tag} failures`).toEqual([]);
      expect(o.acked.length).toBeGreaterThan(100);
    }
    expect(checkDelivery(await readAll(cluster.bootstrap, TOPIC), outcomes)).toEqual([]);
  }, 300_000);
});
