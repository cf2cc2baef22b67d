import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminError, KafkaAdminClient } from '@tributary/kafka-admin';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';

// libs/kafka-admin against a real broker process; a kafkajs consumer provides a live group.
const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');
let broker: BrokerProcess;
let admin: KafkaAdminClient;

beforeAll(async () => {
  broker = await startBroker({ settings: { 'group.initial.rebalance.delay.ms': '0', 'auto.create.topics.enable': 'false' } });
  admin = await KafkaAdminClient.connect(broker.bootstrap);
});
afterAll(async () => {
  admin?.close();
  await broker?.destroy();
});

describe('KafkaAdminClient', () => {
  it('negotiates versions from ApiVersions', () => {
    expect(admin.version(3)).toBe(12); // Metadata: both sides speak v12
    expect(() => admin.version(76)).toThrow(AdminError); // ShareGroupHeartbeat: the broker does not offer it
  });

  it('creates, describes, reconfigures, grows and deletes topics, with Kafka errors as data', async () => {
    const created = await admin.createTopics([
      { name: 'orders', partitions: 3, replicationFactor: 1, configs: { 'retention.ms': '60000' } },
      { name: 'bad name', partitions: 1, replicationFactor: 1 },
    ]);
    expect(created.get('orders')).toBeNull();
    expect(created.get('bad name')).toMatchObject({ errorName: 'INVALID_TOPIC_EXCEPTION', retriable: false });

    const meta = await admin.metadata(['orders']);
    expect(meta.brokers).toEqual([{ nodeId: 1, rack: null, host: '127.0.0.1', port: broker.port }]);
    expect(meta.topics[0]!.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    await expect(admin.metadata(['missing'])).rejects.toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' });

    expect((await admin.describeTopicConfigs('orders'))['retention.ms']).toEqual({ value: '60000', isDefault: false });
    await admin.alterTopicConfigs('orders', { 'retention.ms': null, 'cleanup.policy': 'compact' });
    const configs = await admin.describeTopicConfigs('orders');
    expect(configs['retention.ms']!.isDefault).toBe(true);
    expect(configs['cleanup.policy']).toEqual({ value: 'compact', isDefault: false });
    await expect(admin.alterTopicConfigs('orders', { 'retention.ms': 'forever' })).rejects.toMatchObject({ errorName: 'INVALID_CONFIG' });

    await admin.createPartitions('orders', 5);
    expect((await admin.metadata(['orders'])).topics[0]!.partitions).toHaveLength(5);
    await expect(admin.createPartitions('orders', 2)).rejects.toMatchObject({ errorName: 'INVALID_PARTITIONS' });

    expect((await admin.deleteTopics(['orders'])).get('orders')).toBeNull();
    expect((await admin.deleteTopics(['orders'])).get('orders')).toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });

  it('reports partition sizes from the broker\'s log directory (DescribeLogDirs)', async () => {
    await admin.createTopics([{ name: 'sized', partitions: 2, replicationFactor: 1 }]);
    const kafka = new Kafka({ clientId: 'sizes', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'sized', acks: -1, messages: Array.from({ length: 50 }, () => ({ partition: 1, value: 'x'.repeat(1000) })) });
    await producer.disconnect();
    const [dir] = await admin.describeLogDirs([{ topic: 'sized', partitions: [0, 1, 7] }]);
    expect(dir!.logDir).toBe(broker.dataDir);
    expect(dir!.totalBytes).toBeGreaterThan(0n);
    expect(dir!.usableBytes).toBeGreaterThan(0n);
    // Partition 7 does not exist: absent, as in Kafka. Partition 1 holds the 50 KB just written.
    expect(dir!.partitions.map((p) => p.partition)).toEqual([0, 1]);
    expect(dir!.partitions[0]!.sizeBytes).toBe(0n);
    expect(dir!.partitions[1]!.sizeBytes).toBeGreaterThan(50_000n);
    const all = await admin.describeLogDirs();
    expect(all[0]!.partitions.some((p) => p.topic === 'sized' && p.partition === 1)).toBe(true);
  });

  it('reads a live group, its lag inputs, and resets offsets once the group is empty', { timeout: 60_000 }, async () => {
    await admin.createTopics([{ name: 'events', partitions: 2, replicationFactor: 1 }]);
    const kafka = new Kafka({ clientId: 'lag', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'events', messages: Array.from({ length: 20 }, (_, i) => ({ value: String(i), partition: i % 2 })) });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'readers', sessionTimeout: 10_000, heartbeatInterval: 300 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'events', fromBeginning: true });
    let seen = 0;
    await consumer.run({ eachMessage: async () => void seen++ });
    for (let i = 0; i < 200 && seen < 20; i++) await new Promise((r) => setTimeout(r, 50));

    expect((await admin.listGroups()).map((g) => g.groupId)).toContain('readers');
    const group = await admin.describeGroup('readers');
    expect(group).toMatchObject({ state: 'Stable', protocolType: 'consumer' });
    expect(group.members).toHaveLength(1);
    const latest = await admin.listOffsets('events', [0, 1], 'latest');
    expect([...latest.values()]).toEqual([10n, 10n]);
    await expect(admin.commitOffsets('readers', [{ topic: 'events', partition: 0, offset: 0n }])).rejects.toMatchObject({ errorName: 'UNKNOWN_MEMBER_ID' });

    await consumer.disconnect();
    const committed = await admin.committedOffsets('readers');
    expect(committed.map((c) => c.offset).sort()).toEqual([10n, 10n]);
    const earliest = await admin.listOffsets('events', [0, 1], 'earliest');
    await admin.commitOffsets('readers', [...earliest].map(([partition, offset]) => ({ topic: 'events', partition, offset })));
    expect((await admin.committedOffsets('readers', [{ topic: 'events', partitions: [0, 1] }])).map((c) => c.offset)).toEqual([0n, 0n]);
    expect((await admin.deleteGroups(['readers'])).get('readers')).toBeNull();
  });
  it('sets, reads and removes client and consumer-group quotas, with bad quotas refused as data', async () => {
    await admin.alterClientQuotas({ user: 'alice' }, { producer_byte_rate: 1_048_576, consumer_byte_rate: 2_097_152 });
    await admin.alterClientQuotas({ user: 'alice', clientId: 'etl' }, { request_percentage: 50 });
    await admin.alterClientQuotas({ clientId: null }, { producer_byte_rate: 4096 }); // Kafka's <default> client id
    await admin.alterClientQuotas({ group: 'billing' }, { consumer_byte_rate: 65_536 });
    const byKey = (list: Awaited<ReturnType<KafkaAdminClient['describeClientQuotas']>>) =>
      new Map(list.map((q) => [JSON.stringify(q.entity, Object.keys(q.entity).sort()), q.values]));
    let quotas = byKey(await admin.describeClientQuotas());
    expect(quotas.get(JSON.stringify({ user: 'alice' }))).toEqual({ producer_byte_rate: 1_048_576, consumer_byte_rate: 2_097_152 });
    expect(quotas.get(JSON.stringify({ clientId: 'etl', user: 'alice' }))).toEqual({ request_percentage: 50 });
    expect(quotas.get(JSON.stringify({ clientId: null }))).toEqual({ producer_byte_rate: 4096 });
    expect(quotas.get(JSON.stringify({ group: 'billing' }))).toEqual({ consumer_byte_rate: 65_536 });

    // Kafka's filters: exact name, <default>, any name; strict leaves out entities with more types.
    const entities = async (filter: Parameters<KafkaAdminClient['describeClientQuotas']>[0]) =>
      [...byKey(await admin.describeClientQuotas(filter)).keys()].sort();
    expect(await entities({ user: 'alice' })).toEqual([JSON.stringify({ clientId: 'etl', user: 'alice' }), JSON.stringify({ user: 'alice' })]);
    expect(await entities({ user: 'alice', strict: true })).toEqual([JSON.stringify({ user: 'alice' })]);
    expect(await entities({ clientId: null })).toEqual([JSON.stringify({ clientId: null })]);
    expect(await entities({ clientId: undefined })).toEqual([JSON.stringify({ clientId: 'etl', user: 'alice' }), JSON.stringify({ clientId: null })]);
    expect(await entities({ group: 'billing', strict: true })).toEqual([JSON.stringify({ group: 'billing' })]);
    expect(await entities({ user: 'bob' })).toEqual([]);
    expect(await entities({ strict: true })).toEqual([]);
    await expect(admin.describeClientQuotas({ clientId: undefined, user: 'x', group: undefined })).resolves.toEqual([]);

    // Removing one value keeps the others; removing the last one removes the entity.
    await admin.alterClientQuotas({ user: 'alice' }, { consumer_byte_rate: null });
    await admin.alterClientQuotas({ clientId: null }, { producer_byte_rate: null });
    quotas = byKey(await admin.describeClientQuotas());
    expect(quotas.get(JSON.stringify({ user: 'alice' }))).toEqual({ producer_byte_rate: 1_048_576 });
    expect(quotas.has(JSON.stringify({ clientId: null }))).toBe(false);

    await expect(admin.alterClientQuotas({ user: 'alice' }, { bogus_rate: 1 })).rejects.toMatchObject({ errorName: 'INVALID_REQUEST' });
    await expect(admin.alterClientQuotas({ user: 'alice' }, { producer_byte_rate: -5 })).rejects.toMatchObject({ errorName: 'INVALID_REQUEST' });
    await expect(admin.alterClientQuotas({ user: 'alice' }, { producer_byte_rate: 1024.5 })).rejects.toMatchObject({ errorName: 'INVALID_REQUEST' });
    await expect(admin.alterClientQuotas({ group: 'billing' }, { group_max_members: 2.5 })).rejects.toMatchObject({ errorName: 'INVALID_REQUEST' });
    await admin.alterClientQuotas({ user: 'alice', clientId: 'etl' }, { request_percentage: 12.5 }); // a DOUBLE in Kafka
    quotas = byKey(await admin.describeClientQuotas());
    expect(quotas.get(JSON.stringify({ user: 'alice' }))).toEqual({ producer_byte_rate: 1_048_576 });
    expect(quotas.get(JSON.stringify({ clientId: 'etl', user: 'alice' }))).toEqual({ request_percentage: 12.5 });
  });
});
