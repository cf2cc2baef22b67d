import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import type { LocalRuntime } from '../../apps/operator/src/runtimes/local/local-runtime.ts';
import { checkDelivery, readAll, startKafkajsProducer } from '../chaos/producers.ts';
import { kcatProduce } from '../support/kcat.ts';
import { startE2eStack, type E2eStack } from '../support/e2e-stack.ts';
import { metadataWithoutLogin } from '@tributary/testkit';
import { untilInstanceRunning } from '../support/instance-running.ts';
import { until as untilCondition } from '../support/until.ts';

// Through the REST API only, with an operator that has etcd: a 3-broker instance comes up as one
// replicated cluster whose one endpoint is SASL/SCRAM, a topic with replication factor 3 is created
// through the API, a SCRAM user with ACLs created through the API is what every client logs in as:
// kcat produces with acks=all and consumes, a broker setting change rolls the three brokers one at a time while an
// idempotent acks=-1 kafkajs producer runs (zero failed sends, nothing lost), partitions are added,
// live reads (partitions, a group's lag, an offset reset) work over the cluster, a broker killed with
// SIGKILL is restarted by the operator, and delete removes it all.
const run = promisify(execFile);
const KEY = 'trib_e2e_cluster_admin_key_0123456789ab';
let stack: E2eStack;
let runtime: LocalRuntime;
let root: string;

beforeAll(async () => {
  stack = await startE2eStack({ key: KEY, etcd: true, stopGraceMs: 30_000 });
  ({ runtime, root } = stack);
}, 90_000);
afterAll(async () => stack?.stop(), 120_000);

const api: E2eStack['api'] = (method, url, payload) => stack.api(method, url, payload);

/** The e2e waits here are for a 3-broker instance to settle: 90 s unless a step says otherwise. */
const until = <T>(probe: () => Promise<T | null>, what: string, ms = 90_000) => untilCondition(probe, what, ms);

const spec = { zone: 'zone-a', brokers: 3, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 100, topicLimit: 10, consumerGroupLimit: 10, billing: { mode: 'postpaid' } };

it('runs a 3-broker instance: RF 3 topic, acks=all clients, rolling restart under load with no failed send, live reads, broker kill, delete', { timeout: 400_000 }, async () => {
  const created = await api('POST', '/v1/instances', { name: 'e2e-cluster', spec });
  expect(created.statusCode).toBe(202);
  const id = created.json().resource.id as string;

  const read = async () => (await api('GET', `/v1/instances/${id}`)).json();
  const running = await untilInstanceRunning(read, 'the instance to be Running', { ms: 90_000 });
  let seen: unknown;
  // The instance's one endpoint, SASL/SCRAM on every broker; the test checks the cluster's state
  // (replication, ACLs on each broker) through the internal listener, as the operator does.
  const bootstrap = (running.status.bootstrapServers as string).split(',');
  expect(bootstrap).toHaveLength(3);
  expect(running.status.securityProtocol).toBe('SASL_PLAINTEXT');
  const internal = (await runtime.observe(id))!.internalBootstrapServers;
  expect(internal).toHaveLength(3);
  for (const address of internal) expect(bootstrap).not.toContain(address);
  expect(running.status.brokers).toBe(3);
  expect(running.status.conditions).toContainEqual(expect.objectContaining({ type: 'BrokersHealthy', status: 'True' }));

  expect((await api('POST', `/v1/instances/${id}/topics`, { name: 'orders', partitions: 6, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } })).statusCode).toBe(202);
  await until(async () => ((await api('GET', `/v1/instances/${id}/topics/orders`)).json().status?.phase === 'Ready' ? true : null), 'the topic to be Ready');
  const admin = await KafkaAdminClient.connect(internal[0]!);
  try {
    const orders = await until(async () => {
      const t = (await admin.metadata(['orders'])).topics[0]!;
      return t.partitions.length === 6 && t.partitions.every((p) => p.isr.length === 3) ? t : null;
    }, 'orders fully replicated');
    for (const p of orders.partitions) expect([...p.replicas].sort()).toEqual([1, 2, 3]);
    expect(new Set(orders.partitions.map((p) => p.leader)).size).toBe(3);
  } finally {
    admin.close();
  }

  // A SCRAM user and its ACLs through the API; every client below logs in as it on the client endpoint.
  expect((await api('POST', `/v1/instances/${id}/users`, { name: 'orders-app', password: 'orders-app-password', mechanism: 'SCRAM-SHA-512' })).statusCode).toBe(202);
  const grants = [
    { resourceType: 'TOPIC', resourceName: 'orders', operation: 'WRITE' },
    { resourceType: 'TOPIC', resourceName: 'orders', operation: 'READ' },
    { resourceType: 'GROUP', resourceName: 'e2e-readers', operation: 'READ' },
  ];
  for (const g of grants) expect((await api('POST', `/v1/instances/${id}/acls`, { ...g, patternType: 'LITERAL', principal: 'User:orders-app' })).statusCode).toBe(202);
  for (const server of bootstrap) {
    await until(async () => {
      const user = await KafkaAdminClient.connect(server, { sasl: { mechanism: 'SCRAM-SHA-512', username: 'orders-app', password: 'orders-app-password' } });
      user.close();
      return true;
    }, `orders-app to log in on ${server}`);
  }
  // The ACLs are applied by the operator after the 202 and reach each broker through etcd's watch.
  for (const server of internal) {
    await until(async () => {
      const admin = await KafkaAdminClient.connect(server);
      try {
        return (await admin.describeAcls({ principal: 'User:orders-app' })).length === grants.length ? true : null;
      } finally {
        admin.close();
      }
    }, `the orders-app ACLs on ${server}`);
  }
  const login = ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', 'sasl.username=orders-app', '-X', 'sasl.password=orders-app-password'];
  const sasl = { mechanism: 'scram-sha-512' as const, username: 'orders-app', password: 'orders-app-password' };
  // Without a login the client endpoint of every broker gives nothing.
  for (const server of bootstrap) expect(await metadataWithoutLogin(server)).toEqual({ bytes: 0 });

  // kcat (librdkafka) with acks=all against all three bootstrap servers, then read back.
  await kcatProduce(['-b', bootstrap.join(','), ...login, '-t', 'orders', '-K:', '-X', 'acks=all'], Array.from({ length: 10_000 }, (_, i) => `k${i}:v${i}`).join('\n') + '\n');
  const { stdout } = await run('kcat', ['-C', '-b', bootstrap.join(','), ...login, '-t', 'orders', '-o', 'beginning', '-e', '-q', '-f', '%s\n'], { timeout: 60_000 });
  expect(stdout.split('\n').filter(Boolean).sort()).toEqual(Array.from({ length: 10_000 }, (_, i) => `v${i}`).sort());

  // kafkajs too: 10,000 messages from an idempotent acks=-1 producer (in batches, as an application
  // would send them), every send acknowledged.
  const { Kafka, logLevel } = await import('kafkajs');
  const kafka = new Kafka({ clientId: 'e2e-writer', brokers: bootstrap, sasl, logLevel: logLevel.NOTHING });
  const writer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await writer.connect();
  try {
    for (let i = 0; i < 10_000; i += 500) {
      const sent = await writer.send({ topic: 'orders', acks: -1, messages: Array.from({ length: 500 }, (_, j) => ({ key: `j${i + j}`, value: `js${i + j}` })) });
      expect(sent.every((r) => r.errorCode === 0)).toBe(true);
    }
  } finally {
    await writer.disconnect();
  }
  await kcatProduce(['-b', bootstrap.join(','), '-t', 'orders', '-X', 'acks=all', ...login], 'written by orders-app\n');

  // A broker setting change through the API rolls the brokers while a producer keeps writing.
  const hashes = (await runtime.observe(id))!.brokers.map((b) => b.configHash);
  const producer = startKafkajsProducer(() => bootstrap, 'orders', 'roll', { sasl });
  await new Promise((r) => setTimeout(r, 2_000));
  const updated = await api('PUT', `/v1/instances/${id}`, { spec: { ...spec, brokerConfig: { 'log.retention.ms': '7200000' } } });
  expect(updated.statusCode).toBe(202);
  const generation = updated.json().resource.generation as number;
  const rolled = await untilInstanceRunning(read, 'the rolling restart to finish', { ms: 180_000, also: (body) => body.status!.observedGeneration === generation });
  expect(rolled.status.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'True' }));
  const after = (await runtime.observe(id))!.brokers;
  expect(after.every((b) => b.running && b.configHash !== null && !hashes.includes(b.configHash))).toBe(true);
  await new Promise((r) => setTimeout(r, 2_000));
  const outcome = await producer.stop();
  expect(outcome.failed).toEqual([]);
  expect(outcome.acked.length).toBeGreaterThan(20);
  const log = await readAll(bootstrap, 'orders', login);
  expect(checkDelivery(log, [outcome])).toEqual([]);
  // The kafkajs batches are all there, once each (checkDelivery reports any value seen twice).
  expect(new Set(log.filter((r) => r.value.startsWith('js')).map((r) => r.value)).size).toBe(10_000);

  const total = 20_001 + outcome.acked.length;

  // More partitions through the API; live reads over the cluster: leaders, full ISRs, offsets and sizes from each leader.
  expect((await api('POST', `/v1/instances/${id}/topics/orders/partitions`, { partitions: 8 })).statusCode).toBe(202);
  const partitions = await until(async () => {
    const r = await api('GET', `/v1/instances/${id}/topics/orders/partitions`);
    const body = r.statusCode === 200 ? r.json() : null;
    return body?.partitions.length === 8 && body.partitions.every((p: { isr: number[] }) => p.isr.length === 3) ? body.partitions : null;
  }, 'orders to have 8 fully replicated partitions');
  // Leaders on several brokers (right after a roll the last restarted broker may lead nothing until
  // the brokers' preferred-leader check moves leadership back), so offsets and sizes come from several.
  expect(new Set(partitions.map((p: { leader: number }) => p.leader)).size).toBeGreaterThan(1);
  expect(partitions.reduce((n: number, p: { endOffset: number }) => n + p.endOffset, 0)).toBe(total);
  for (const p of partitions.slice(0, 6)) expect(p.sizeBytes, `size of orders-${p.partition}`).toBeGreaterThan(0);
  const withData = partitions.filter((p: { endOffset: number }) => p.endOffset > 0).length;
  expect(withData).toBe(6);

  // A consumer group on the cluster, its lag and an offset reset, through the API.
  const consumer = new Kafka({ clientId: 'e2e-readers', brokers: bootstrap, sasl, logLevel: logLevel.NOTHING }).consumer({ groupId: 'e2e-readers', sessionTimeout: 10_000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'orders', fromBeginning: true });
  let consumed = 0;
  await consumer.run({ autoCommitInterval: 200, eachMessage: async () => void consumed++ });
  await until(async () => (consumed >= total ? true : null), `${total} messages consumed by the group`);
  await consumer.disconnect();
  const group = await until(async () => {
    const r = await api('GET', `/v1/instances/${id}/consumer-groups/e2e-readers`);
    const body = r.statusCode === 200 ? r.json() : null;
    seen = body;
    // Offsets are committed for the partitions that had records (the two new ones are empty).
    return body?.offsets?.length === withData && body.offsets.every((o: { lag: number }) => o.lag === 0) ? body : null;
  }, 'the group to show lag 0 on every partition').catch((err: Error) => {
    throw new Error(`${err.message}; last seen: ${JSON.stringify(seen)}`);
  });
  expect(group.state).toBe('Empty');
  const reset = await api('POST', `/v1/instances/${id}/consumer-groups/e2e-readers/offsets`, { topic: 'orders', to: { kind: 'earliest' } });
  expect(reset.statusCode, reset.body).toBe(200);
  expect(reset.json().offsets.reduce((n: number, o: { lag: number }) => n + o.lag, 0)).toBe(total);

  // kill -9 one broker: the operator starts it again and the instance is healthy again.
  const state = JSON.parse(readFileSync(join(root, id, 'cluster.json'), 'utf8')) as { brokers: { nodeId: number; pid: number }[] };
  process.kill(state.brokers[1]!.pid, 'SIGKILL');
  await until(async () => {
    const observed = (await runtime.observe(id))!.brokers.find((b) => b.nodeId === 2)!;
    return observed.restarts >= 1 && observed.ready ? true : null;
  }, 'broker 2 to be restarted');
  await untilInstanceRunning(read, 'the instance to be healthy again', { ms: 90_000, also: (body) => !!body.status!.conditions?.some((c: { type: string; status: string }) => c.type === 'BrokersHealthy' && c.status === 'True') });
  const admin2 = await KafkaAdminClient.connect(internal[0]!);
  try {
    await until(async () => ((await admin2.underReplicatedPartitions()).length === 0 ? true : null), 'every ISR full again after the kill');
  } finally {
    admin2.close();
  }

  expect((await api('DELETE', `/v1/instances/${id}?force=true`)).statusCode).toBe(202);
  await until(async () => ((await runtime.observe(id)) === null ? true : null), 'the instance processes and data to be gone');
  await expect(run('kcat', ['-L', '-b', bootstrap.join(','), ...login, '-m', '3'], { timeout: 15_000 })).rejects.toThrow();
});
