import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compress, Compression, decompress } from '@tributary/protocol';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';

// kafkajs 2.2.4, unchanged: its producer and admin client against the broker. Messages are read
// back with a second, independent client (kcat).
const require = createRequire(import.meta.url);
const { Kafka, CompressionTypes, CompressionCodecs, logLevel } = require('kafkajs');
const run = promisify(execFile);

// kafkajs ships gzip only; applications plug in the others. We plug in our own codecs.
for (const name of ['snappy', 'lz4', 'zstd'] as const) {
  const id = Compression[name];
  CompressionCodecs[id] = () => ({ compress: async (e: { buffer: Buffer }) => compress(id, e.buffer), decompress: async (b: Buffer) => decompress(id, b) });
}

let broker: BrokerProcess;
let kafka: InstanceType<typeof Kafka>;

beforeAll(async () => {
  // No initial rebalance delay: kafkajs's setOffsets/resetOffsets join the group briefly.
  broker = await startBroker({ settings: { 'group.initial.rebalance.delay.ms': '0' } });
  kafka = new Kafka({ clientId: 'compat-kafkajs', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
});
afterAll(async () => {
  await broker?.destroy();
});

async function readBack(topic: string): Promise<string[]> {
  const { stdout } = await run('kcat', ['-C', '-b', broker.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k=%s|%h\n'], { timeout: 30_000 });
  return stdout.split('\n').filter(Boolean);
}

describe('kafkajs producer', () => {
  it.each(['None', 'GZIP', 'Snappy', 'LZ4', 'ZSTD'])('sends batches compressed with %s', async (codec) => {
    const topic = `kafkajs-${codec.toLowerCase()}`;
    const producer = kafka.producer();
    await producer.connect();
    const result = await producer.send({
      topic,
      compression: CompressionTypes[codec],
      acks: -1,
      messages: Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, headers: { n: String(i) } })),
    });
    await producer.send({ topic, compression: CompressionTypes[codec], messages: [{ key: 'last', value: 'one' }] });
    await producer.disconnect();
    expect(result).toEqual([expect.objectContaining({ topicName: topic, partition: 0, errorCode: 0, baseOffset: '0' })]);
    const got = await readBack(topic);
    expect(got).toHaveLength(101);
    expect(got[42]).toBe('k42=v42|n=42');
    expect(got[100]).toBe('last=one|');
  });
});

describe('kafkajs admin', () => {
  it('creates topics, reads metadata and offsets, refuses bad input with Kafka errors, deletes topics', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 3 }, { topic: 'admin-b' }] })).toBe(true);
      expect(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 3 }] })).toBe(false); // already exists
      const meta = await admin.fetchTopicMetadata({ topics: ['admin-a'] });
      expect(meta.topics[0].partitions.map((p: { partitionId: number }) => p.partitionId).sort()).toEqual([0, 1, 2]);
      expect(await admin.listTopics()).toEqual(expect.arrayContaining(['admin-a', 'admin-b']));

      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'admin-a', messages: [{ value: 'x', partition: 1 }, { value: 'y', partition: 1 }] });
      await producer.disconnect();
      const offsets = await admin.fetchTopicOffsets('admin-a');
      expect(offsets.find((o: { partition: number }) => o.partition === 1)).toMatchObject({ low: '0', high: '2' });

      const failure = (topics: object[]) => admin.createTopics({ topics }).then(() => null, (err: { errors?: { type: string; message: string }[] }) => err.errors?.map((e) => `${e.type}: ${e.message}`));
      expect(await failure([{ topic: 'bad name!' }])).toEqual([expect.stringMatching(/^INVALID_TOPIC_EXCEPTION/)]);
      expect(await failure([{ topic: 'zero-partitions', numPartitions: 0 }])).toEqual([expect.stringMatching(/^INVALID_PARTITIONS/)]);

      await admin.deleteTopics({ topics: ['admin-b'] });
      expect(await admin.listTopics()).not.toContain('admin-b');
    } finally {
      await admin.disconnect();
    }
  });
});

describe('kafkajs admin: partitions, configs, records, cluster, offsets', () => {
  it('adds partitions, describes and alters configs, deletes records, describes the cluster, sets group offsets', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'admin-c', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] });
      expect(await admin.createPartitions({ topicPartitions: [{ topic: 'admin-c', count: 4 }] })).toBeUndefined();
      const meta = await admin.fetchTopicMetadata({ topics: ['admin-c'] });
      expect(meta.topics[0].partitions).toHaveLength(4);
      await expect(admin.createPartitions({ topicPartitions: [{ topic: 'admin-c', count: 2 }] })).rejects.toMatchObject({ type: 'INVALID_PARTITIONS' });

      const { resources } = await admin.describeConfigs({ resources: [{ type: 2, name: 'admin-c' }], includeSynonyms: false });
      const retention = resources[0].configEntries.find((e: { configName: string }) => e.configName === 'retention.ms');
      expect(retention).toMatchObject({ configValue: '3600000', isDefault: false });
      // compact,delete: compacted, and DeleteRecords still allowed (a compact-only topic answers POLICY_VIOLATION, as Kafka).
      await admin.alterConfigs({ resources: [{ type: 2, name: 'admin-c', configEntries: [{ name: 'cleanup.policy', value: 'compact,delete' }] }] });
      const after = await admin.describeConfigs({ resources: [{ type: 2, name: 'admin-c', configNames: ['cleanup.policy', 'retention.ms'] }], includeSynonyms: false });
      expect(after.resources[0].configEntries.map((e: { configName: string; configValue: string }) => `${e.configName}=${e.configValue}`).sort()).toEqual(['cleanup.policy=compact,delete', 'retention.ms=604800000']);
      await expect(admin.alterConfigs({ resources: [{ type: 2, name: 'admin-c', configEntries: [{ name: 'retention.ms', value: 'soon' }] }] })).rejects.toMatchObject({ type: 'INVALID_CONFIG' });

      const producer = kafka.producer();
      await producer.connect();
      // admin-c is compacted now: every record needs a key (Kafka refuses keyless ones, KIP-467).
      await producer.send({ topic: 'admin-c', messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: String(i), partition: 0 })) });
      await producer.disconnect();
      await admin.deleteTopicRecords({ topic: 'admin-c', partitions: [{ partition: 0, offset: '6' }] });
      expect((await admin.fetchTopicOffsets('admin-c')).find((o: { partition: number }) => o.partition === 0)).toMatchObject({ low: '6', high: '10' });

      const cluster = await admin.describeCluster();
      expect(cluster).toMatchObject({ controller: 1, brokers: [{ nodeId: 1, host: '127.0.0.1', port: broker.port }] });

      await admin.setOffsets({ groupId: 'offset-setter', topic: 'admin-c', partitions: [{ partition: 0, offset: '8' }] });
      const fetched = await admin.fetchOffsets({ groupId: 'offset-setter', topics: ['admin-c'] });
      expect(fetched[0].partitions.find((p: { partition: number }) => p.partition === 0)).toMatchObject({ offset: '8' });
      await admin.resetOffsets({ groupId: 'offset-setter', topic: 'admin-c', earliest: true });
      const reset = await admin.fetchOffsets({ groupId: 'offset-setter', topics: ['admin-c'] });
      // kafkajs commits "earliest" as the sentinel -2, which its consumer resolves against the log start.
      expect(reset[0].partitions.find((p: { partition: number }) => p.partition === 0)).toMatchObject({ offset: '-2' });
    } finally {
      await admin.disconnect();
    }
  });
});
