import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2eStack, type E2eStack } from '../support/e2e-stack.ts';
import { untilInstanceRunning } from '../support/instance-running.ts';
import { until } from '../support/until.ts';
import { elasticSpec, operationEnded, startLoad, untilBalanced, type Load } from './elastic-support.ts';

/**
 * Issue 20's elasticity through the REST API on the real local stack (API, operator with etcd, local
 * runtime, brokers), under load the whole time: an idempotent acks=all producer of each client
 * (kafkajs, and librdkafka through python3-confluent-kafka) and a consumer group of each, all logged
 * in with SCRAM on the instance's client endpoint. 3 → 5 brokers (PUT of the instance) ends balanced;
 * the topic's replication factor 2 → 3 in place (PATCH of the topic); 5 → 3 drains brokers 4 and 5
 * and then removes them. Each step's operation ends Succeeded with replicas, leaders and the
 * topic's replicas within ±1 per broker; at the end no send failed, and both the log and each
 * group's reads hold every acknowledged message once, where it was acknowledged.
 */
const KEY = 'trib_e2e_elastic_admin_key_0123456789ab';
const TOPIC = 'elastic';
let stack: E2eStack;
let id: string;
let load: Load | undefined;

beforeAll(async () => {
  stack = await startE2eStack({ key: KEY, etcd: true, stopGraceMs: 30_000 });
}, 120_000);
afterAll(async () => {
  // A failed run still stops its clients before the brokers go.
  await load?.stop();
  await stack?.stop();
}, 180_000);

const read = async () => (await stack.api('GET', `/v1/instances/${id}`)).json();
const internal = async () => (await stack.runtime.observe(id))!.internalBootstrapServers[0]!;

describe('an elastic 3-broker instance under kafkajs and librdkafka load', () => {
  it('runs, with a RF 2 topic, two idempotent acks=all producers and two consumer groups', async () => {
    const created = await stack.api('POST', '/v1/instances', { name: 'elastic', spec: elasticSpec(3) });
    expect(created.statusCode, created.body).toBe(202);
    id = created.json().resource.id as string;
    await untilInstanceRunning(read, 'the instance to be Running', { ms: 120_000 });
    const topic = await stack.api('POST', `/v1/instances/${id}/topics`, { name: TOPIC, partitions: 6, replicationFactor: 2, configs: { 'min.insync.replicas': '2' } });
    expect(topic.statusCode, topic.body).toBe(202);
    expect((await operationEnded(stack, topic.json().operation.id, 90_000)).state).toBe('Succeeded');
    load = await startLoad(stack, id, TOPIC);
  }, 300_000);

  it('3 → 5 brokers: the scale operation ends with the placement balanced over all five', async () => {
    const scaled = await stack.api('PUT', `/v1/instances/${id}`, { spec: elasticSpec(5) });
    expect(scaled.statusCode, scaled.body).toBe(202);
    const op = await operationEnded(stack, scaled.json().operation.id, 240_000);
    expect(op.state, JSON.stringify(op)).toBe('Succeeded');
    expect((await read()).status.brokers).toBe(5);
    const b = await untilBalanced(internal, [1, 2, 3, 4, 5], TOPIC, 'the placement balanced over 5 brokers');
    // The topic's 12 replicas reached the new brokers: 2 or 3 on each of the five.
    expect([4, 5].map((n) => b.byTopic[TOPIC]![n] ?? 0).every((n) => n >= 2)).toBe(true);
  }, 300_000);

  it('replication factor 2 → 3 in place: every partition gets a third in-sync replica, still balanced', async () => {
    const changed = await stack.api('PATCH', `/v1/instances/${id}/topics/${TOPIC}`, { replicationFactor: 3 });
    expect(changed.statusCode, changed.body).toBe(202);
    const op = await operationEnded(stack, changed.json().operation.id, 240_000);
    expect(op.state, JSON.stringify(op)).toBe('Succeeded');
    const partitions = await until(async () => {
      const r = await stack.api('GET', `/v1/instances/${id}/topics/${TOPIC}/partitions`);
      const body = r.statusCode === 200 ? (r.json().partitions as { replicas: number[]; isr: number[] }[]) : null;
      return body?.every((p) => p.replicas.length === 3 && p.isr.length === 3) ? body : null;
    }, 'every partition with 3 in-sync replicas', 120_000);
    expect(partitions).toHaveLength(6);
    await untilBalanced(internal, [1, 2, 3, 4, 5], TOPIC, 'the placement balanced after the RF change');
  }, 300_000);

  it('5 → 3 brokers: brokers 4 and 5 are drained, then removed, and the three left are balanced', async () => {
    const scaled = await stack.api('PUT', `/v1/instances/${id}`, { spec: elasticSpec(3) });
    expect(scaled.statusCode, scaled.body).toBe(202);
    const op = await operationEnded(stack, scaled.json().operation.id, 240_000);
    expect(op.state, JSON.stringify(op)).toBe('Succeeded');
    const running = await untilInstanceRunning(read, 'the instance Running on 3 brokers', { ms: 120_000, also: (b) => b.status!.brokers === 3 });
    expect(running.status!.brokers).toBe(3);
    expect((await stack.runtime.observe(id))!.brokers.map((b) => b.nodeId)).toEqual([1, 2, 3]);
    const b = await untilBalanced(internal, [1, 2, 3], TOPIC, 'the placement balanced over 3 brokers');
    expect(b.byTopic[TOPIC]).toEqual({ 1: 6, 2: 6, 3: 6 });
  }, 300_000);

  it('no send failed, and the log and both groups hold every acknowledged message once', async () => {
    await load!.stopAndCheck();
    load = undefined;
  }, 300_000);
});
