import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, decodeResponse, encodeRecordBatch, encodeRequest, ErrorCode, splitBatches, type FetchResponse, type ProduceResponse } from '@tributary/protocol';
import { Broker } from '../broker.ts';
import { parseArgs } from '../config/broker-config.ts';

// Fetch against a real in-process broker over a socket: error partitions carry an empty record
// set, never null (defect 2 of issue 13), and the response and partition limits are Kafka's
// (KIP-74, defect 7).
let broker: Broker;
let port: number;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-fetch-'));
  broker = new Broker(parseArgs(['--node-id', '1', '--listeners', 'PLAINTEXT://127.0.0.1:0', '--data-dir', dir]), { log: () => undefined });
  [port] = (await broker.start()) as [number];
  await call(ApiKey.CreateTopics, 5, { topics: ['limits', 'small'].map((name) => ({ name, numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] })), timeoutMs: 5000, validateOnly: false });
  // Three partitions, each with two batches of ~10 KB.
  for (let round = 0; round < 2; round++) for (let p = 0; p < 3; p++) await produce('limits', p, 10_000);
  await produce('small', 0, 1000);
});

afterAll(async () => {
  await broker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

let correlation = 0;
async function call<T>(apiKey: number, version: number, body: unknown): Promise<{ body: T; raw: Buffer }> {
  const frame = Buffer.concat(encodeRequest({ apiKey, apiVersion: version, correlationId: ++correlation, clientId: 'fetch-test' }, body));
  const raw = await new Promise<Buffer>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.write(frame));
    let data = Buffer.alloc(0);
    s.on('data', (d) => {
      data = Buffer.concat([data, d]);
      if (data.length >= 4 && data.length >= 4 + data.readInt32BE(0)) {
        s.destroy();
        resolve(data.subarray(4, 4 + data.readInt32BE(0)));
      }
    });
    s.on('close', () => reject(new Error('closed without an answer')));
    s.on('error', reject);
  });
  return { body: decodeResponse(raw, apiKey, version).body as T, raw };
}

async function produce(topic: string, partition: number, valueBytes: number): Promise<void> {
  const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.alloc(valueBytes, 7) }] });
  const r = await call<ProduceResponse>(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
  expect(r.body.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
}

function fetchBody(topics: { topic: string; partitions: { partition: number; fetchOffset?: bigint; partitionMaxBytes?: number }[] }[], maxBytes: number) {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: topics.map((t) => ({ topic: t.topic, topicId: '00000000-0000-0000-0000-000000000000', partitions: t.partitions.map((p) => ({ partition: p.partition, currentLeaderEpoch: -1, fetchOffset: p.fetchOffset ?? 0n, logStartOffset: -1n, lastFetchedEpoch: -1, partitionMaxBytes: p.partitionMaxBytes ?? 1 << 20 })) })),
    forgottenTopicsData: [],
    rackId: '',
  };
}

const sizes = (r: FetchResponse) => r.responses.flatMap((t) => t.partitions.map((p) => (p.records as Buffer | null)?.length ?? null));
const batchCount = (r: FetchResponse) => r.responses.flatMap((t) => t.partitions.map((p) => splitBatches(p.records as Buffer).batches.length));

describe('Fetch error partitions', () => {
  it.each([4, 11, 12])('v%i: an unknown topic and an out-of-range offset carry an empty record set, not null', async (v) => {
    const r = await call<FetchResponse>(ApiKey.Fetch, v, fetchBody([{ topic: 'no-such-topic', partitions: [{ partition: 0 }] }, { topic: 'small', partitions: [{ partition: 0, fetchOffset: 999n }] }], 1 << 20));
    const partitions = r.body.responses.flatMap((t) => t.partitions);
    expect(partitions.map((p) => p.errorCode)).toEqual([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.OFFSET_OUT_OF_RANGE]);
    expect(partitions.map((p) => p.records)).toEqual([Buffer.alloc(0), Buffer.alloc(0)]);
    // As Kafka: [] for a partition refused before reading, null for an error of the read itself.
    expect(partitions.map((p) => p.abortedTransactions)).toEqual([[], null]);
  });

  it('lists aborted transactions as an empty array for read_committed', async () => {
    const r = await call<FetchResponse>(ApiKey.Fetch, 11, { ...fetchBody([{ topic: 'small', partitions: [{ partition: 0 }] }], 1 << 20), isolationLevel: 1 });
    expect(r.body.responses[0]!.partitions[0]!.abortedTransactions).toEqual([]);
  });
});

describe('Fetch limits (KIP-74)', () => {
  it('v4+: only the first partition with data may exceed the response limit; later ones get whole batches within what is left, or none', async () => {
    const all = [{ topic: 'limits', partitions: [0, 1, 2].map((partition) => ({ partition })) }];
    // 15 KB: partition 0's first batch (~10 KB) fits, its second does not; nothing else fits.
    const r = (await call<FetchResponse>(ApiKey.Fetch, 11, fetchBody(all, 15_000))).body;
    expect(batchCount(r)).toEqual([1, 0, 0]);
    // 1 byte: partition 0's first batch whole (to make progress), nothing more.
    const tiny = (await call<FetchResponse>(ApiKey.Fetch, 11, fetchBody(all, 1))).body;
    expect(batchCount(tiny)).toEqual([1, 0, 0]);
    // 25 KB: partition 0's two batches (~20 KB); partition 1's first batch no longer fits.
    const mid = (await call<FetchResponse>(ApiKey.Fetch, 11, fetchBody(all, 25_000))).body;
    expect(batchCount(mid)).toEqual([2, 0, 0]);
    expect(sizes(mid).reduce((a, b) => a! + b!, 0)).toBeLessThanOrEqual(25_000);
  });

  it('v4+: an empty first partition passes the right to exceed the limit to the next one', async () => {
    const r = (await call<FetchResponse>(ApiKey.Fetch, 11, fetchBody([{ topic: 'limits', partitions: [{ partition: 0, fetchOffset: 2n }, { partition: 1 }, { partition: 2 }] }], 1))).body;
    expect(batchCount(r)).toEqual([0, 1, 0]);
  });

  it('v4+: partition_max_bytes limits each partition, the first batch of the first non-empty one excepted', async () => {
    const parts = [0, 1, 2].map((partition) => ({ partition, partitionMaxBytes: 5000 }));
    const r = (await call<FetchResponse>(ApiKey.Fetch, 11, fetchBody([{ topic: 'limits', partitions: parts }], 1 << 20))).body;
    expect(batchCount(r)).toEqual([1, 0, 0]);
  });

  it('v3: the same response limit, on down-converted message sets', async () => {
    const r = (await call<FetchResponse>(ApiKey.Fetch, 3, fetchBody([{ topic: 'limits', partitions: [0, 1, 2].map((partition) => ({ partition })) }], 15_000))).body;
    const s = sizes(r) as number[];
    expect(s[0]).toBeGreaterThan(10_000);
    expect(s.slice(1)).toEqual([0, 0]);
  });

  it('v0–2: no response limit, and partition_max_bytes is hard: a larger first message comes back cut at the limit', async () => {
    const parts = [0, 1, 2].map((partition) => ({ partition, partitionMaxBytes: 4000 }));
    const r = (await call<FetchResponse>(ApiKey.Fetch, 1, fetchBody([{ topic: 'limits', partitions: parts }], 1))).body;
    expect(sizes(r)).toEqual([4000, 4000, 4000]);
    const whole = (await call<FetchResponse>(ApiKey.Fetch, 1, fetchBody([{ topic: 'limits', partitions: [0, 1, 2].map((partition) => ({ partition, partitionMaxBytes: 15_000 })) }], 1))).body;
    // One whole message each (the second does not fit in 15 KB); the response limit does not apply.
    for (const s of sizes(whole) as number[]) expect(s).toBeGreaterThan(10_000);
    for (const s of sizes(whole) as number[]) expect(s).toBeLessThan(15_000);
  });
});
