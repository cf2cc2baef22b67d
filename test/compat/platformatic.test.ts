import { Admin, Consumer, MessagesStreamModes, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';

// @platformatic/kafka speaks the newest flexible versions (Fetch 12+, JoinGroup 6+, Metadata 12 …),
// unlike kafkajs: produce, consume in a group, admin.
let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startBroker({ settings: { 'group.initial.rebalance.delay.ms': '0' } });
});
afterAll(async () => {
  await broker?.destroy();
});

it('creates a topic, produces, consumes it in a group and deletes it', { timeout: 60_000 }, async () => {
  const admin = new Admin({ clientId: 'pk-admin', bootstrapBrokers: [broker.bootstrap] });
  await admin.createTopics({ topics: ['pk-topic'], partitions: 3, replicas: 1 });
  expect(await admin.listTopics()).toContain('pk-topic');

  const producer = new Producer({ clientId: 'pk-producer', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers, idempotent: true });
  await producer.send({ messages: Array.from({ length: 90 }, (_, i) => ({ topic: 'pk-topic', key: `k${i}`, value: `v${i}`, partition: i % 3, headers: { n: String(i) } })) });
  await producer.close();

  const consumer = new Consumer({ groupId: 'pk-group', clientId: 'pk-consumer', bootstrapBrokers: [broker.bootstrap], deserializers: stringDeserializers });
  const stream = await consumer.consume({ topics: ['pk-topic'], mode: MessagesStreamModes.EARLIEST, autocommit: true, sessionTimeout: 10_000, heartbeatInterval: 500 });
  const got = new Set<string>();
  for await (const message of stream) {
    got.add(`${message.key}=${message.value}`);
    if (got.size === 90) break;
  }
  await stream.close();
  await consumer.close();
  expect(got).toEqual(new Set(Array.from({ length: 90 }, (_, i) => `k${i}=v${i}`)));

  await admin.deleteTopics({ topics: ['pk-topic'] });
  expect(await admin.listTopics()).not.toContain('pk-topic');
  await admin.close();
});
