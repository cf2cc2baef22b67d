import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode } from '@tributary/protocol';
import { BrokerConnection, KafkaAdminClient } from '@tributary/kafka-admin';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';

// The limits an instance is sold with, as the operator sets them, seen by kafkajs: topic and
// partition counts, the consumer-group count, and disk capacity (with its alert metrics).
const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');

let broker: BrokerProcess;
let kafka: InstanceType<typeof Kafka>;
const DISK = 300_000;

beforeAll(async () => {
  broker = await startBroker({
    metrics: true,
    settings: { 'tributary.instance.max.topics': '2', 'tributary.instance.max.partitions': '5', 'tributary.instance.max.consumer.groups': '1', 'tributary.instance.disk.bytes': String(DISK), 'group.initial.rebalance.delay.ms': '0', 'auto.create.topics.enable': 'false' },
  });
  kafka = new Kafka({ clientId: 'limits', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
});
afterAll(async () => {
  await broker?.destroy();
});

describe('instance limits', () => {
  it('refuses topics and partitions beyond the limits with POLICY_VIOLATION naming the limit', async () => {
    const admin = await KafkaAdminClient.connect(broker.bootstrap);
    const created = await admin.createTopics([{ name: 'a', partitions: 2, replicationFactor: 1 }, { name: 'b', partitions: 2, replicationFactor: 1 }]);
    expect([...created.values()]).toEqual([null, null]);
    const third = (await admin.createTopics([{ name: 'c', partitions: 1, replicationFactor: 1 }])).get('c');
    expect(third?.errorName).toBe('POLICY_VIOLATION');
    expect(third?.message).toMatch(/topic limit is 2/);
    await expect(admin.createPartitions('a', 4)).rejects.toMatchObject({ errorName: 'POLICY_VIOLATION', message: expect.stringMatching(/partition limit is 5; 4 exist/) });
    await admin.createPartitions('a', 3);
    admin.close();
  });

  it('refuses a consumer group beyond the group limit; the existing group goes on', async () => {
    const first = kafka.consumer({ groupId: 'first', sessionTimeout: 10_000 });
    await first.connect();
    await first.subscribe({ topic: 'a', fromBeginning: true });
    await first.run({ eachMessage: async () => undefined });
    const admin = await KafkaAdminClient.connect(broker.bootstrap);
    for (let i = 0; i < 100 && (await admin.listGroups()).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    const second = kafka.consumer({ groupId: 'second', sessionTimeout: 10_000, retry: { retries: 0 } });
    await second.connect();
    await second.subscribe({ topic: 'a' });
    const crashed = new Promise<Error>((resolve) => second.on(second.events.CRASH, (e: { payload: { error: Error } }) => resolve(e.payload.error)));
    await second.run({ eachMessage: async () => undefined });
    const error = await Promise.race([crashed, new Promise<null>((r) => setTimeout(() => r(null), 20_000))]);
    expect(error?.message).toMatch(/policy/i);
    await second.disconnect();
    // A KIP-848 member joining a new group (ConsumerGroupHeartbeat at epoch 0) meets the same limit.
    const [host, port] = broker.bootstrap.split(':');
    const conn = await BrokerConnection.open(host!, Number(port), 'limits-848');
    try {
      const joined = await conn.send<{ errorCode: number; errorMessage: string | null }>(ApiKey.ConsumerGroupHeartbeat, 0, { groupId: 'third', memberId: '', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['a'], serverAssignor: null, topicPartitions: [] });
      expect(joined).toMatchObject({ errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: expect.stringMatching(/consumer-group limit is 1/) });
    } finally {
      conn.close();
    }
    expect((await admin.describeGroup('first')).state).toBe('Stable');
    admin.close();
    await first.disconnect();
  });

  it('refuses produce once the disk is full, raises the 80% and 95% alerts, and accepts again when space is freed', async () => {
    const producer = kafka.producer();
    await producer.connect();
    const value = Buffer.alloc(10_000, 1);
    let refused: Error | null = null;
    for (let i = 0; i < 60 && !refused; i++) {
      try {
        await producer.send({ topic: 'b', acks: 1, messages: [{ value }] });
      } catch (err) {
        refused = err as Error;
      }
    }
    expect(refused?.message).toMatch(/policy/i);
    const metrics = await (await fetch(`http://127.0.0.1:${broker.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/tributary_broker_disk_alert\{threshold="0.8"\} 1/);
    expect(metrics).toMatch(/tributary_broker_disk_alert\{threshold="0.95"\} 1/);
    // Freeing space (here: deleting the topic that filled it) lets produce through again.
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: ['b'] });
    await admin.disconnect();
    await producer.disconnect();
    // A fresh producer: kafkajs's old one keeps asking for the deleted topic's metadata.
    const again = kafka.producer();
    await again.connect();
    await again.send({ topic: 'a', acks: 1, messages: [{ value: 'fits again' }] });
    await again.disconnect();
  });
});
