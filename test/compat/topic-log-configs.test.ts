import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';

// Log compaction in the running broker, seen through real clients: kafkajs writes keyed updates and
// a tombstone, kcat reads what is left after the broker's cleaner ran on its own timer.
const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');
const run = promisify(execFile);

let broker: BrokerProcess;
let kafka: InstanceType<typeof Kafka>;

beforeAll(async () => {
  broker = await startBroker({ settings: { 'log.retention.check.interval.ms': '300', 'offsets.topic.segment.bytes': '1024', 'log.cleaner.delete.retention.ms': '0' } });
  kafka = new Kafka({ clientId: 'compat-compaction', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
});
afterAll(async () => {
  await broker?.destroy();
});

/**
 * offset, key and value (NULL for a tombstone) of every record of partition 0, in log order. kcat's
 * JSON envelope (-J) escapes control bytes, so binary keys and values (__consumer_offsets is Kafka's
 * binary format, whose values hold newline bytes) stay one line per record.
 */
async function readAll(topic: string, isolation: 'read_committed' | 'read_uncommitted' = 'read_committed'): Promise<{ offset: number; key: string; value: string }[]> {
  const { stdout } = await run('kcat', ['-C', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-J', '-X', `isolation.level=${isolation}`], { timeout: 30_000 });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const m = JSON.parse(line) as { offset: number; key: string | null; payload: string | null };
      return { offset: m.offset, key: m.key ?? 'NULL', value: m.payload ?? 'NULL' };
    });
}

async function until<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${ms} ms; last: ${JSON.stringify(v).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** One partition, compacted, in 1 KiB segments (so a few sends roll one), tombstones removed at once. */
async function createCompactedTopic(topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'segment.bytes', value: '1024' }, { name: 'delete.retention.ms', value: '0' }] }] });
  await admin.disconnect();
}

describe('cleanup.policy=compact in the running broker', () => {
  it('keeps the latest value per key, drops tombstoned keys, and never renumbers offsets', async () => {
    const topic = 'compacted';
    await createCompactedTopic(topic);
    const producer = kafka.producer();
    await producer.connect();
    for (let round = 0; round < 10; round++) {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: 10 }, (_, k) => ({ key: `k${k}`, value: `r${round}` })) });
    }
    await producer.send({ topic, acks: -1, messages: [{ key: 'k0', value: null }] });
    // Unique-key filler rolls the updates above into closed segments, which is what the cleaner cleans.
    for (let i = 0; i < 10; i++) await producer.send({ topic, acks: -1, messages: Array.from({ length: 5 }, (_, j) => ({ key: `f${i}-${j}`, value: 'filler-value-filler-value' })) });
    await producer.disconnect();

    // Without compaction the log holds 100 updates + 1 tombstone + 50 filler records; the cleaner
    // runs every 300 ms, possibly already while they are produced, so only the end state is checked.
    const after = await until('compaction', () => readAll(topic), (records) => records.filter((r) => r.key.startsWith('k')).length === 9);
    const updates = after.filter((r) => r.key.startsWith('k'));
    expect(updates.map((r) => `${r.key}=${r.value}`).sort()).toEqual(Array.from({ length: 9 }, (_, k) => `k${k + 1}=r9`));
    // Offsets keep their original values: the survivors are the last round's (offsets 91–99).
    expect(updates.map((r) => r.offset)).toEqual(Array.from({ length: 9 }, (_, k) => 91 + k));
    expect(after.filter((r) => r.key.startsWith('f'))).toHaveLength(50);
    const offsets = after.map((r) => r.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
  });

  it('stops at the last stable offset while a transaction runs: a value written after it began does not replace an older one until it ends (Kafka\'s cleaner)', async () => {
    const topic = 'compacted-txn';
    await createCompactedTopic(topic);
    const plain = kafka.producer();
    const transactional = kafka.producer({ transactionalId: 'compaction-lso', idempotent: true, maxInFlightRequests: 1 });
    await Promise.all([plain.connect(), transactional.connect()]);
    try {
      // All in the first segment, which stays active (nothing to clean) until the filler below rolls it.
      await plain.send({ topic, acks: -1, messages: [{ key: 'k', value: 'k-old' }] });
      for (let i = 0; i < 4; i++) await plain.send({ topic, acks: -1, messages: [{ key: 'f', value: `f${i}` }] });
      const txn = await transactional.transaction();
      await txn.send({ topic, acks: -1, messages: [{ key: 't', value: 't-open' }] });
      await plain.send({ topic, acks: -1, messages: [{ key: 'k', value: 'k-after' }] });
      for (let i = 0; i < 10; i++) await plain.send({ topic, acks: -1, messages: Array.from({ length: 5 }, (_, j) => ({ key: `g${i}-${j}`, value: 'filler-value-filler-value' })) });
      // f's older values going shows a pass ran after the roll, over a log holding k-after. k-after is
      // above the last stable offset (the open transaction's first offset), so it is not k's latest
      // value yet and k-old stays (before 2026-12-03 the bound was the high watermark: k-old went).
      const open = await until('f compacted below the open transaction', () => readAll(topic, 'read_uncommitted'), (records) => records.filter((r) => r.key === 'f').length === 1);
      expect(open.filter((r) => ['k', 'f', 't'].includes(r.key)).map((r) => `${r.key}=${r.value}`)).toEqual(['k=k-old', 'f=f3', 't=t-open', 'k=k-after']);
      // The transaction ends: the last stable offset moves on, and k-after replaces k-old.
      await txn.commit();
      const done = await until('k compacted once the transaction committed', () => readAll(topic), (records) => records.filter((r) => r.key === 'k').length === 1);
      expect(done.filter((r) => ['k', 'f', 't'].includes(r.key)).map((r) => `${r.key}=${r.value}`)).toEqual(['f=f3', 't=t-open', 'k=k-after']);
    } finally {
      await Promise.all([plain.disconnect(), transactional.disconnect()]);
    }
  });

  it('compacts __consumer_offsets, and the last commit survives a restart', async () => {
    const admin = await KafkaAdminClient.connect(broker.bootstrap);
    const topic = 'committed';
    await admin.createTopics([{ name: topic, partitions: 1, replicationFactor: 1 }]);
    for (let i = 1; i <= 150; i++) await admin.commitOffsets('compaction-group', [{ topic, partition: 0, offset: BigInt(i) }]);
    admin.close();
    const count = async () => (await readAll('__consumer_offsets')).filter((r) => r.key.includes('compaction-group')).length;
    // 150 commits wrote 150 records; what is left is the live commit plus whatever sits in the
    // active segment (≤ 1 KiB of records). The cleaner may already be at work, so only the end is checked.
    await until('offsets compaction', count, (n) => n < 30);
    await broker.stop();
    broker = await broker.restart();
    const again = await KafkaAdminClient.connect(broker.bootstrap);
    expect(await again.committedOffsets('compaction-group', [{ topic, partitions: [0] }])).toEqual([{ topic, partition: 0, offset: 150n }]);
    again.close();
  });
});

describe('message.timestamp.type=LogAppendTime', () => {
  it('stamps batches with the broker clock and says so in the produce response', async () => {
    const topic = 'log-append-time';
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const before = Date.now();
    const [result] = await producer.send({ topic, acks: -1, messages: [{ key: 'a', value: 'b', timestamp: '1000' }] });
    const after = Date.now();
    await producer.disconnect();
    const appended = Number(result.logAppendTime);
    expect(appended).toBeGreaterThanOrEqual(before);
    expect(appended).toBeLessThanOrEqual(after);
    // kcat prints the record timestamp: the broker's, not the producer's 1000.
    const { stdout } = await run('kcat', ['-C', '-b', broker.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%T\n'], { timeout: 30_000 });
    expect(stdout.trim()).toBe(String(appended));
  });
});
