import { afterAll, beforeAll, expect, it } from 'vitest';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { startE2eStack, type E2eStack } from '../support/e2e-stack.ts';
import { untilInstanceRunning } from '../support/instance-running.ts';
import { until } from '../support/until.ts';
import { elasticSpec, operationEnded } from './elastic-support.ts';

/**
 * Racks end to end (issue 20) on the real local stack with the operator's local runtime standing for
 * two zones: the brokers of an instance report the zone they were placed in as their rack in
 * Metadata, and after a 3 → 4 scale-up through the REST API the operator's rebalance leaves every
 * partition of a replication-factor-2 topic on both zones, with the replicas balanced (±1).
 */
const KEY = 'trib_e2e_racks_admin_key_0123456789abcd';
const ZONES = ['zone-a', 'zone-b'];
let stack: E2eStack;

beforeAll(async () => {
  stack = await startE2eStack({ key: KEY, etcd: true, stopGraceMs: 30_000, zones: ZONES });
}, 120_000);
afterAll(async () => stack?.stop(), 180_000);

it('brokers report their zone as rack, and a scale-up rebalance keeps every partition on both zones', { timeout: 420_000 }, async () => {
  const created = await stack.api('POST', '/v1/instances', { name: 'racks', spec: elasticSpec(3) });
  expect(created.statusCode, created.body).toBe(202);
  const id = created.json().resource.id as string;
  const read = async () => (await stack.api('GET', `/v1/instances/${id}`)).json();
  await untilInstanceRunning(read, 'the instance to be Running', { ms: 120_000 });
  const topic = await stack.api('POST', `/v1/instances/${id}/topics`, { name: 'spread', partitions: 8, replicationFactor: 2 });
  expect(topic.statusCode, topic.body).toBe(202);
  expect((await operationEnded(stack, topic.json().operation.id, 90_000)).state).toBe('Succeeded');

  const scaled = await stack.api('PUT', `/v1/instances/${id}`, { spec: elasticSpec(4) });
  expect(scaled.statusCode, scaled.body).toBe(202);
  const op = await operationEnded(stack, scaled.json().operation.id, 240_000);
  expect(op.state, JSON.stringify(op)).toBe('Succeeded');

  const admin = await KafkaAdminClient.connect((await stack.runtime.observe(id))!.internalBootstrapServers[0]!);
  try {
    const md = await until(async () => {
      const m = await admin.metadata(['spread']);
      return m.brokers.length === 4 && m.topics[0]!.partitions.every((p) => p.isr.length === 2) ? m : null;
    }, 'four brokers and spread fully replicated', 120_000);
    const rackOf = new Map(md.brokers.map((b) => [b.nodeId, b.rack]));
    expect([...rackOf].sort(([a], [b]) => a - b).map(([, r]) => r)).toEqual(['zone-a', 'zone-b', 'zone-a', 'zone-b']);
    const partitions = md.topics[0]!.partitions;
    for (const p of partitions) expect(new Set(p.replicas.map((r) => rackOf.get(r))).size, `spread-${p.partition} on ${p.replicas}`).toBe(2);
    const perBroker = [1, 2, 3, 4].map((b) => partitions.filter((p) => p.replicas.includes(b)).length);
    expect(Math.max(...perBroker) - Math.min(...perBroker), `replicas per broker ${perBroker}`).toBeLessThanOrEqual(1);
    // The new broker got its share: the rebalance moved replicas onto it.
    expect(perBroker[3]).toBeGreaterThanOrEqual(3);
  } finally {
    admin.close();
  }
});
