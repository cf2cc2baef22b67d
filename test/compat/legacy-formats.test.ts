import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, compress, Compression, decodeLegacyMessageSet, decodeResponse, encodeLegacyMessage, encodeRequest, ErrorCode, type DescribeLogDirsResponse, type FetchResponse, type FindCoordinatorResponse, type ListOffsetsResponse, type ProduceResponse } from '@tributary/protocol';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';
import { kcatProduce } from '../support/kcat.ts';

// Clients that speak the message formats before v2 (magic 0 and 1): librdkafka told the broker is
// Kafka 0.8.2 / 0.9 (no ApiVersions request: Produce v0/v1, Fetch v0/v1, ListOffsets v0, the
// group APIs' first versions), and kafkajs's own protocol layer held to Produce v2 / Fetch v2–3
// (magic 1 with timestamps). The broker stores v2 batches and converts both ways.
const run = promisify(execFile);
const require = createRequire(import.meta.url);
let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => {
  await broker?.destroy();
});

const oldClient = (fallback: string) => ['-X', 'api.version.request=false', '-X', `broker.version.fallback=${fallback}`];

function produce(topic: string, lines: string, extra: string[] = []): Promise<string> {
  return kcatProduce(['-b', broker.bootstrap, '-t', topic, '-K:', ...extra], lines);
}

async function consume(topic: string, extra: string[] = [], format = '%k=%s@%o\n'): Promise<{ lines: string[]; stderr: string }> {
  const { stdout, stderr } = await run('kcat', ['-C', '-b', broker.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', format, ...extra], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  return { lines: stdout.split('\n').filter(Boolean), stderr };
}

const keyed = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `key-${i}:${tag}-${i}`).join('\n') + '\n';
const expected = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `key-${i}=${tag}-${i}@${i}`);

describe('librdkafka (kcat) speaking Kafka 0.8.2 / 0.9 protocol versions', () => {
  it('really sends the old versions (no ApiVersions, Produce v1, Fetch v1, ListOffsets v0)', async () => {
    const sent = await produce('legacy-versions', 'k:v\n', [...oldClient('0.9.0'), '-d', 'protocol']);
    expect(sent).not.toContain('ApiVersionRequest');
    expect(sent).toContain('Sent ProduceRequest (v1');
    const { lines, stderr } = await consume('legacy-versions', [...oldClient('0.9.0'), '-d', 'protocol']);
    expect(lines).toEqual(['k=v@0']);
    expect(stderr).toContain('Sent ListOffsetsRequest (v0');
    expect(stderr).toContain('Sent FetchRequest (v1');
    // Metadata v0: an empty topic list means every topic.
    const { stdout: listed } = await run('kcat', ['-L', '-b', broker.bootstrap, ...oldClient('0.9.0')], { timeout: 30_000 });
    expect(listed).toContain('Metadata for all topics');
    expect(listed).toMatch(/topic "legacy-versions" with 1 partitions/);
  });

  it.each([
    ['0.9.0', 'none'],
    ['0.9.0', 'gzip'],
    ['0.9.0', 'snappy'],
    ['0.9.0', 'lz4'],
    ['0.8.2', 'none'],
    ['0.8.2', 'gzip'],
  ])('fallback %s, %s: 2,000 keyed messages produced and consumed back in order by the old client and by a current one', async (fallback, codec) => {
    const topic = `legacy-${fallback}-${codec}`;
    await produce(topic, keyed(2000, codec), [...oldClient(fallback), '-z', codec]);
    const old = await consume(topic, oldClient(fallback));
    expect(old.lines).toHaveLength(2000);
    expect(old.lines).toEqual(expected(2000, codec));
    // What was stored is an ordinary v2 batch: a client on current versions reads the same.
    expect((await consume(topic)).lines).toEqual(expected(2000, codec));
  });

  it.each(['gzip', 'lz4', 'snappy'])('an old consumer reads %s batches a current producer wrote (down-converted to magic 0 wrappers)', async (codec) => {
    const topic = `legacy-down-${codec}`;
    await produce(topic, keyed(3000, codec), ['-z', codec, '-H', 'dropped=yes']);
    expect((await consume(topic, oldClient('0.9.0'))).lines).toEqual(expected(3000, codec));
  });

  it('confluent-kafka (Python) on Kafka 0.9 versions: produce, consume in a group with commits, resume from the committed offsets', async () => {
    const script = resolve(import.meta.dirname, 'python/legacy_client.py');
    const round = async (first: number, count: number, codec: string) => {
      const { stdout } = await run('/usr/bin/python3', [script, broker.bootstrap, 'legacy-python', 'legacy-group', String(first), String(count), codec], { timeout: 120_000 });
      return JSON.parse(stdout) as { delivered: number; failed: string[]; values: number[]; offsets: number[]; errors: string[] };
    };
    const one = await round(0, 400, 'gzip');
    expect(one).toMatchObject({ delivered: 400, failed: [], errors: [] });
    expect(one.values).toEqual(Array.from({ length: 400 }, (_, i) => i));
    // A new consumer in the same group starts after what the first one committed (OffsetCommit v2 / OffsetFetch v1).
    const two = await round(400, 200, 'none');
    expect(two).toMatchObject({ delivered: 200, failed: [], errors: [] });
    expect(two.values).toEqual(Array.from({ length: 200 }, (_, i) => 400 + i));
    expect(two.offsets[0]).toBe(400);
  });
});

/** kafkajs's broker connection with the API versions an old broker would have advertised. */
async function kafkajsPinned(versions: Record<number, number>) {
  const Broker = require('kafkajs/src/broker/index.js');
  const ConnectionPool = require('kafkajs/src/network/connectionPool.js');
  const socketFactory = require('kafkajs/src/network/socketFactory.js');
  const { createLogger, LEVELS } = require('kafkajs/src/loggers/index.js');
  const logger = createLogger({ level: LEVELS.NOTHING, logCreator: () => () => undefined });
  const connectionPool = new ConnectionPool({ host: '127.0.0.1', port: broker.port, logger, socketFactory: socketFactory(), clientId: 'kafkajs-old', requestTimeout: 30_000, connectionTimeout: 10_000, maxInFlightRequests: null, retry: { retries: 0 }, enforceRequestTimeout: true });
  const pinned = Object.fromEntries(Object.entries(versions).map(([key, max]) => [key, { minVersion: 0, maxVersion: max }]));
  const client = new Broker({ connectionPool, logger, versions: pinned, allowAutoTopicCreation: true });
  await client.connect();
  return client;
}

interface KafkajsFetched {
  responses: { partitions: { errorCode: number; highWatermark: string; messages: { offset: string; magicByte: number; timestamp: string; key: Buffer; value: Buffer }[] }[] }[];
}

describe('kafkajs protocol layer held to Produce v2 and Fetch v2/v3 (magic 1)', () => {
  it('produces gzip magic 1 wrappers and reads them back with timestamps; Fetch v3 honours max_bytes', async () => {
    const client = await kafkajsPinned({ [ApiKey.Produce]: 2, [ApiKey.Fetch]: 3, [ApiKey.Metadata]: 0, [ApiKey.ListOffsets]: 0, [ApiKey.ApiVersions]: 0 });
    try {
      await client.metadata(['legacy-kafkajs']).catch(() => undefined);
      const { CompressionTypes } = require('kafkajs');
      const messages = Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `value-${i}-${'x'.repeat(100)}`, timestamp: 1_700_000_000_000 + i }));
      let produced: { topics: { partitions: { errorCode: number; offset: string }[] }[] } | undefined;
      for (let attempt = 0; attempt < 50 && !produced; attempt++) {
        try {
          produced = await client.produce({ acks: 1, compression: CompressionTypes.GZIP, topicData: [{ topic: 'legacy-kafkajs', partitions: [{ partition: 0, messages }] }] });
        } catch (err) {
          // auto-creation may still be under way on the first attempts
          if (attempt === 49) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      expect(produced!.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, offset: '0' });
      await client.produce({ acks: 1, topicData: [{ topic: 'legacy-kafkajs', partitions: [{ partition: 0, messages: [{ key: 'plain', value: 'uncompressed', timestamp: 1_700_000_001_000 }] }] }] });

      const fetched = (await client.fetch({ maxWaitTime: 100, maxBytes: 1 << 20, topics: [{ topic: 'legacy-kafkajs', partitions: [{ partition: 0, fetchOffset: '0', maxBytes: 1 << 20 }] }] })) as KafkajsFetched;
      const partition = fetched.responses[0]!.partitions[0]!;
      expect(partition).toMatchObject({ errorCode: 0, highWatermark: '51' });
      expect(partition.messages).toHaveLength(51);
      expect(partition.messages.every((m) => m.magicByte === 1)).toBe(true);
      expect(partition.messages.map((m) => [m.offset, m.timestamp, m.key.toString()])).toEqual([
        ...messages.map((m, i) => [String(i), String(m.timestamp), m.key]),
        ['50', '1700000001000', 'plain'],
      ]);

      // Fetch v3's response-wide max_bytes: the compressed wrapper (all 50 records) is served whole
      // as the first message; the uncompressed one after it no longer fits.
      const limited = (await client.fetch({ maxWaitTime: 100, maxBytes: 200, topics: [{ topic: 'legacy-kafkajs', partitions: [{ partition: 0, fetchOffset: '0', maxBytes: 1 << 20 }] }] })) as KafkajsFetched;
      expect(limited.responses[0]!.partitions[0]!.messages.map((m) => m.offset)).toEqual(messages.map((_, i) => String(i)));
    } finally {
      await client.disconnect();
    }
  });
});

/** One request on its own connection; the decoded response body. */
function exchange(apiKey: number, apiVersion: number, body: unknown): Promise<unknown> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect({ host: '127.0.0.1', port: broker.port });
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer'));
    }, 15_000);
    socket.on('data', (d) => {
      data = Buffer.concat([data, d]);
      if (data.length >= 4 && data.length >= 4 + data.readInt32BE(0)) {
        clearTimeout(timer);
        socket.destroy();
        resolvePromise(decodeResponse(data.subarray(4, 4 + data.readInt32BE(0)), apiKey, apiVersion).body);
      }
    });
    socket.on('error', reject);
    for (const chunk of encodeRequest({ apiKey, apiVersion, correlationId: 7, clientId: 'legacy-bad-input' }, body)) socket.write(chunk);
  });
}

describe('bad legacy message sets', () => {
  it('refuses a CRC mismatch, a truncated set and nested compression in Produce v1 and appends nothing', async () => {
    await produce('legacy-bad', 'k:first\n', oldClient('0.9.0'));
    const latest = async () => {
      const body = (await exchange(ApiKey.ListOffsets, 0, { replicaId: -1, topics: [{ name: 'legacy-bad', partitions: [{ partitionIndex: 0, timestamp: -1n, maxNumOffsets: 1 }] }] })) as ListOffsetsResponse;
      return body.topics[0]!.partitions[0]!.oldStyleOffsets;
    };
    expect(await latest()).toEqual([1n]);
    const good = encodeLegacyMessage({ offset: 0n, magic: 0, key: Buffer.from('k'), value: Buffer.from('payload') });
    const badCrc = Buffer.from(good);
    badCrc[badCrc.length - 1]! ^= 1;
    const nested = encodeLegacyMessage({ offset: 0n, magic: 0, attributes: Compression.gzip, key: null, value: compress(Compression.gzip, encodeLegacyMessage({ offset: 0n, magic: 0, attributes: Compression.gzip, key: null, value: compress(Compression.gzip, good) })) });
    const cases: [Buffer, number][] = [
      [badCrc, ErrorCode.CORRUPT_MESSAGE],
      [Buffer.concat([good, good.subarray(0, good.length - 4)]), ErrorCode.CORRUPT_MESSAGE],
      [nested, ErrorCode.INVALID_RECORD],
    ];
    for (const [records, errorCode] of cases) {
      const body = (await exchange(ApiKey.Produce, 1, { acks: 1, timeoutMs: 1000, topicData: [{ name: 'legacy-bad', partitionData: [{ index: 0, records }] }] })) as ProduceResponse;
      expect(body.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode, baseOffset: -1n });
    }
    expect(await latest()).toEqual([1n]);
    // A good one still goes through, after the refused ones.
    const ok = (await exchange(ApiKey.Produce, 1, { acks: 1, timeoutMs: 1000, topicData: [{ name: 'legacy-bad', partitionData: [{ index: 0, records: good }] }] })) as ProduceResponse;
    expect(ok.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 1n });
    expect(await latest()).toEqual([2n]);
    expect((await consume('legacy-bad', oldClient('0.9.0'))).lines).toEqual(['k=first@0', 'k=payload@1']);
  });
});

describe('other low and new versions real clients send', () => {
  it('answers zstd data to Fetch v2 with UNSUPPORTED_COMPRESSION_TYPE (magic 1 cannot carry it), and the data before it', async () => {
    await produce('legacy-zstd', 'a:plain\n');
    // librdkafka sends small sets uncompressed when compression would not pay; this one compresses.
    await produce('legacy-zstd', `b:${'packed'.repeat(500)}\n`, ['-z', 'zstd']);
    const fetch = (fetchOffset: bigint) =>
      exchange(ApiKey.Fetch, 2, { replicaId: -1, maxWaitMs: 0, minBytes: 0, topics: [{ topic: 'legacy-zstd', partitions: [{ partition: 0, fetchOffset, partitionMaxBytes: 1 << 20 }] }] }) as Promise<FetchResponse>;
    const fromStart = (await fetch(0n)).responses[0]!.partitions[0]!;
    expect(fromStart.errorCode).toBe(0);
    expect(decodeLegacyMessageSet(fromStart.records as Buffer).map((m) => m.value?.toString())).toEqual(['plain']);
    expect((await fetch(1n)).responses[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, highWatermark: 2n });
  });

  it('answers DescribeLogDirs v0 and FindCoordinator v5', async () => {
    await produce('legacy-dirs', 'k:v\n');
    const dirs = (await exchange(ApiKey.DescribeLogDirs, 0, { topics: null })) as DescribeLogDirsResponse;
    expect(dirs.results[0]!.errorCode).toBe(0);
    expect(dirs.results[0]!.topics.find((t) => t.name === 'legacy-dirs')?.partitions[0]?.partitionSize).toBeGreaterThan(0n);
    const coordinator = (await exchange(ApiKey.FindCoordinator, 5, { keyType: 0, coordinatorKeys: ['legacy-group-v5'] })) as FindCoordinatorResponse;
    expect(coordinator.coordinators).toEqual([expect.objectContaining({ key: 'legacy-group-v5', nodeId: 1, port: broker.port, errorCode: 0 })]);
  });
});
