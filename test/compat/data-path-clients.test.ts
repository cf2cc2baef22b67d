import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';

// Issue 13's data-path defects through real clients: librdkafka (kcat, confluent-kafka Python)
// and kafkajs. Fetch limits (KIP-74, defect 7), ListOffsets by time inside compressed batches
// (defect 9), keyless records on a compacted topic (KIP-467, defect 9).
const run = promisify(execFile);
let broker: BrokerProcess;
let kafka: Kafka;

beforeAll(async () => {
  broker = await startBroker();
  kafka = new Kafka({ clientId: 'data-path-clients', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: 'big-batches', numPartitions: 4 },
      { topic: 'by-time', numPartitions: 1 },
      { topic: 'compacted', numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ],
  });
  await admin.disconnect();
}, 60_000);
afterAll(async () => broker?.destroy());

describe('real clients on the data path', () => {
  it('kcat reads partitions whose batches together exceed fetch.max.bytes with receive.message.max.bytes at its minimum (KIP-74)', async () => {
    const producer = kafka.producer();
    await producer.connect();
    // Four partitions, three ~15 KB batches each: one response may carry only one partition's first batch past 20 KB.
    for (let round = 0; round < 3; round++) {
      for (let p = 0; p < 4; p++) await producer.send({ topic: 'big-batches', messages: [{ partition: p, value: `${p}-${round}-`.padEnd(15_000, 'x') }] });
    }
    await producer.disconnect();
    // librdkafka refuses any response larger than receive.message.max.bytes ("Invalid response size").
    const { stdout, stderr } = await run('kcat', ['-C', '-b', broker.bootstrap, '-t', 'big-batches', '-o', 'beginning', '-e', '-f', '%p %o\n', '-X', 'message.max.bytes=20000', '-X', 'fetch.max.bytes=20000', '-X', 'receive.message.max.bytes=20512', '-X', 'fetch.wait.max.ms=100'], { timeout: 60_000 });
    expect(stderr).not.toMatch(/Invalid response size|receive\.message\.max\.bytes/);
    expect(stdout.trim().split('\n').sort()).toEqual(['0 0', '0 1', '0 2', '1 0', '1 1', '1 2', '2 0', '2 1', '2 2', '3 0', '3 1', '3 2']);
  });

  it('kcat finds offsets by time to the record inside compressed batches (ListOffsets per record)', async () => {
    const producer = kafka.producer();
    await producer.connect();
    const t0 = Date.now() - 600_000;
    // One gzip batch whose records are out of time order, then one more batch.
    await producer.send({ topic: 'by-time', compression: CompressionTypes.GZIP, messages: [{ value: 'a', timestamp: String(t0 + 500) }, { value: 'b', timestamp: String(t0 + 100) }, { value: 'c', timestamp: String(t0 + 900) }] });
    await producer.send({ topic: 'by-time', messages: [{ value: 'd', timestamp: String(t0 + 1000) }] });
    await producer.disconnect();
    const from = async (ts: number) => (await run('kcat', ['-C', '-b', broker.bootstrap, '-t', 'by-time', '-p', '0', '-o', `s@${ts}`, '-e', '-f', '%o:%s\n'], { timeout: 30_000 })).stdout.trim().split('\n');
    // ≥ t0+600: the first record in offset order with a timestamp at least that is c (offset 2), not the batch start.
    expect(await from(t0 + 600)).toEqual(['2:c', '3:d']);
    expect(await from(t0 + 200)).toEqual(['0:a', '1:b', '2:c', '3:d']);
    expect(await from(t0 + 950)).toEqual(['3:d']);
  });

  it('confluent-kafka (librdkafka) gets INVALID_RECORD for keyless records on a compacted topic, and nothing is written', async () => {
    const script = [
      'import json, sys',
      'from confluent_kafka import Producer',
      'p = Producer({"bootstrap.servers": sys.argv[1], "linger.ms": 50})',
      'out = []',
      'cb = lambda err, msg: out.append(err.name() if err else "ok")',
      'p.produce("compacted", key=b"k1", value=b"1", on_delivery=cb)',
      'p.flush(20)',
      'p.produce("compacted", value=b"no-key", on_delivery=cb)',
      'p.flush(20)',
      'print(json.dumps(out))',
    ].join('\n');
    const { stdout } = await run('/usr/bin/python3', ['-c', script, broker.bootstrap], { timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual(['ok', 'INVALID_RECORD']);
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets('compacted');
    await admin.disconnect();
    expect(offsets[0]).toMatchObject({ low: '0', high: '1' });
  });

  it('kafkajs gets INVALID_TIMESTAMP for a record two hours ahead (message.timestamp.after.max.ms, Kafka 4 default one hour)', async () => {
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    await expect(producer.send({ topic: 'by-time', messages: [{ value: 'future', timestamp: String(Date.now() + 7_200_000) }] })).rejects.toMatchObject({ type: 'INVALID_TIMESTAMP' });
    await producer.disconnect();
  });
});
