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
  broker = await startBroker();
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
