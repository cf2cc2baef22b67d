import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { BROKER_NODE_FLAGS } from '@tributary/contracts';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { LocalRuntime } from '../runtimes/local/local-runtime.ts';
import type { BrokerClusterSpec, ClusterObservation } from '../runtimes/runtime.ts';
import { billingSettings } from './instance-limits.ts';
import { until } from '@tributary/testkit';

// Billing isolation on a real broker: the settings the operator gives a suspended instance make
// every SASL login fail with a clear reason while the data stays; removing them (renewal, resume)
// serves the same client again, every message intact.
const brokerBin = resolve(import.meta.dirname, '../../../../node_modules/.bin/tributary-broker');
// Test brokers keep 3 __consumer_offsets partitions, not Kafka's 50 (test/support/broker-process.ts TEST_BROKER_SETTINGS).
const TEST_BROKER_ARGS = ['--set', 'offsets.topic.num.partitions=3'];
const ID = 'ins-isolation';
const active: BrokerClusterSpec = { instanceId: ID, brokers: 1, brokerConfig: { ...billingSettings('active') }, configHash: 'active' };
const suspended: BrokerClusterSpec = { ...active, brokerConfig: { ...billingSettings('suspended') }, configHash: 'suspended' };
let root: string;
let runtime: LocalRuntime;
let client: KafkaConfig;

const accepts = (address: string) => new Promise<boolean>((resolve) => {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const s = connect({ host, port }, () => { s.destroy(); resolve(true); });
  s.on('error', () => resolve(false));
});
/** Ready as the runtime sees it (internal listener) and the client listener accepting too. */
async function ready(): Promise<ClusterObservation> {
  return until(async () => {
    const o = await runtime.observe(ID);
    return o && o.brokers.length === 1 && o.brokers.every((b) => b.ready) && o.clientBootstrapServers.length === 1 && (await accepts(o.clientBootstrapServers[0]!)) ? o : null;
  }, 'the broker ready on both listeners', 120_000);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tributary-isolation-'));
  runtime = new LocalRuntime({ rootDir: root, brokerCommand: [process.execPath, ...BROKER_NODE_FLAGS, brokerBin, ...TEST_BROKER_ARGS], stopGraceMs: 10_000 });
  await runtime.ensureBrokers(active);
  const obs = await ready();
  const admin = await KafkaAdminClient.connect(obs.internalBootstrapServers[0]!);
  try {
    await admin.createTopics([{ name: 'kept', partitions: 1, replicationFactor: 1 }]);
    await admin.alterUserScramCredentials([{ user: 'payer', mechanism: 'SCRAM-SHA-512', password: 'payer-secret', iterations: 4096 }]);
    const allow = (resourceType: 'TOPIC' | 'GROUP', resourceName: string, operation: 'READ' | 'WRITE' | 'DESCRIBE') => ({ resourceType, resourceName, patternType: 'LITERAL' as const, principal: 'User:payer', host: '*', operation, permission: 'ALLOW' as const });
    await admin.createAcls([allow('TOPIC', 'kept', 'WRITE'), allow('TOPIC', 'kept', 'READ'), allow('TOPIC', 'kept', 'DESCRIBE'), allow('GROUP', 'kept-reader', 'READ')]);
  } finally {
    admin.close();
  }
  client = { clientId: 'payer-app', brokers: obs.clientBootstrapServers, sasl: { mechanism: 'scram-sha-512', username: 'payer', password: 'payer-secret' }, logLevel: logLevel.NOTHING };
}, 240_000);
afterAll(async () => {
  await runtime?.deleteCluster(ID);
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('billing isolation (real broker, kafkajs over SASL)', () => {
  it('isolated: the client is refused with the reason; renewed: it reads every message', { timeout: 180_000 }, async () => {
    const producer = new Kafka({ ...client, retry: { retries: 10 } }).producer();
    await producer.connect();
    for (let i = 0; i < 4; i++) await producer.send({ topic: 'kept', acks: -1, messages: Array.from({ length: 25 }, (_, j) => ({ key: String(i * 25 + j), value: `message ${i * 25 + j}` })) });
    await producer.disconnect();

    await runtime.restartBroker(suspended, 1);
    await ready();
    const refused = new Kafka({ ...client, retry: { retries: 0 } }).producer();
    const err = await refused.connect().then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(/instance isolated: billing suspended this instance/);
    await refused.disconnect().catch(() => undefined);

    await runtime.restartBroker(active, 1);
    await ready();
    const consumer = new Kafka({ ...client, retry: { retries: 10 } }).consumer({ groupId: 'kept-reader' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'kept', fromBeginning: true });
    const seen = new Set<string>();
    await consumer.run({ eachMessage: async ({ message }) => { seen.add(message.value!.toString()); } });
    await until(() => seen.size >= 100, '100 messages read', 60_000, () => `read ${seen.size}`);
    await consumer.disconnect();
    expect([...seen].sort()).toEqual(Array.from({ length: 100 }, (_, i) => `message ${i}`).sort());
  });
});
