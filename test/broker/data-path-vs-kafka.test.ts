import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiKey,
  BatchHeader,
  Compression,
  computeBatchCrc,
  decodeResponse,
  encodeRecordBatch,
  encodeRequest,
  splitBatches,
  type BatchInput,
  type FetchResponse,
  type ListOffsetsResponse,
  type MetadataResponse,
  type ProduceResponse,
} from '@tributary/protocol';
import { startKafka, type TestKafka } from '@tributary/testkit';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';
import { until } from '../support/until.ts';

// Issue 13, defects 2, 3, 7 and 9: the same raw requests to Apache Kafka 4.4 and to Tributary,
// and the raw response fields compared — Produce refusals (KIP-467 record errors and messages,
// timestamps, one batch per partition), ListOffsets by time / MAX_TIMESTAMP / -4 / -5, Fetch error
// partitions and KIP-74 limits — plus which fields of every response are null.
let kafka: TestKafka;
let ours: BrokerProcess;
const brokers = () => [
  { name: 'kafka', address: kafka.bootstrap },
  { name: 'tributary', address: ours.bootstrap },
];
const T = Date.now() - 60_000;

beforeAll(async () => {
  [kafka, ours] = await Promise.all([startKafka(), startBroker()]);
  for (const b of brokers()) {
    await call(b.address, ApiKey.CreateTopics, 5, {
      topics: [
        { name: 'dp', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] },
        { name: 'dp-compact', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }] },
      ],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    await waitForLeaders(b.address, ['dp', 'dp-compact']);
    const produce = setupProduce;
    // dp-0: a gzip batch sent with maxTimestamp -1 whose records are out of time order, then one more batch.
    expect(await produce(b.address, 'dp', 0, [sentWithoutMaxTimestamp({ compression: Compression.gzip, records: [{ value: 'a', timestamp: T - 300 }, { value: 'b', timestamp: T - 100 }, { value: 'c', timestamp: T - 200 }] }), ])).toMatchObject({ errorCode: 0 });
    expect(await produce(b.address, 'dp', 0, [encodeRecordBatch({ records: [{ value: 'd', timestamp: T - 250 }] })])).toMatchObject({ errorCode: 0 });
    // dp-1 and dp-2: two ~10 KB batches each, for the fetch limits.
    for (let round = 0; round < 2; round++) for (const p of [1, 2]) expect(await produce(b.address, 'dp', p, [encodeRecordBatch({ records: [{ value: Buffer.alloc(10_000, p) }] })])).toMatchObject({ errorCode: 0 });
  }
  // Kafka creates __consumer_offsets on the first FindCoordinator; group answers are compared once it coordinates.
  await until(async () => (await call<{ coordinators: { errorCode: number }[] }>(kafka.bootstrap, ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['audit-group'] })).coordinators[0]!.errorCode === 0, 'Kafka coordinating groups');
}, 180_000);

afterAll(async () => {
  await Promise.all([kafka?.stop(), ours?.destroy()]);
});

let correlation = 0;
async function call<T>(address: string, apiKey: number, version: number, body: unknown): Promise<T> {
  const [host, port] = address.split(':') as [string, string];
  const frame = Buffer.concat(encodeRequest({ apiKey, apiVersion: version, correlationId: ++correlation, clientId: 'data-path-vs-kafka' }, body));
  const raw = await new Promise<Buffer>((resolve, reject) => {
    const s = connect({ host, port: Number(port) }, () => s.write(frame));
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer from ${address} within 20 s`));
    }, 20_000);
    s.on('data', (d) => {
      data = Buffer.concat([data, d]);
      if (data.length >= 4 && data.length >= 4 + data.readInt32BE(0)) {
        clearTimeout(timer);
        s.destroy();
        resolve(data.subarray(4, 4 + data.readInt32BE(0)));
      }
    });
    s.on('close', () => reject(new Error(`${address} closed the connection`)));
    s.on('error', reject);
  });
  return decodeResponse(raw, apiKey, version).body as T;
}

async function waitForLeaders(address: string, topics: string[]): Promise<void> {
  let last: MetadataResponse | undefined;
  await until(async () => {
    last = await call<MetadataResponse>(address, ApiKey.Metadata, 12, { topics: topics.map((name) => ({ topicId: '00000000-0000-0000-0000-000000000000', name })), allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    return last.topics.every((t) => t.errorCode === 0 && t.partitions.length > 0 && t.partitions.every((p) => p.leaderId >= 0));
  }, `leaders for ${topics} on ${address}`, 30_000, () => JSON.stringify(last?.topics.map((t) => [t.name, t.errorCode])));
}

function sentWithoutMaxTimestamp(input: BatchInput): Buffer {
  const batch = encodeRecordBatch(input);
  batch.writeBigInt64BE(-1n, BatchHeader.MAX_TIMESTAMP);
  batch.writeUInt32BE(computeBatchCrc(batch), BatchHeader.CRC);
  return batch;
}

/** Set-up writes: retried while a just-created partition's leader is not ready (Kafka answers NOT_LEADER_OR_FOLLOWER for a moment). */
async function setupProduce(address: string, topic: string, partition: number, batches: Buffer[]): Promise<PartitionProduceResponse> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await produce(address, topic, partition, batches.map((b) => Buffer.from(b)));
    if (r.errorCode !== 6 || Date.now() > deadline) return r;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

type PartitionProduceResponse = ProduceResponse['responses'][number]['partitionResponses'][number];
async function produce(address: string, topic: string, partition: number, batches: Buffer[], version = 9): Promise<PartitionProduceResponse> {
  const r = await call<ProduceResponse>(address, ApiKey.Produce, version, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: partition, records: Buffer.concat(batches) }] }] });
  return r.responses[0]!.partitionResponses[0]!;
}

/** What may differ between two brokers: wall-clock numbers in messages. */
function normalized<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? v.replace(/-?\d{12,}/g, '<time>') : v))) as T;
}

/** Field paths whose value is null, with array indexes folded to []. */
function nullPaths(value: unknown, path = ''): string[] {
  if (value === null) return [path];
  if (Buffer.isBuffer(value) || typeof value !== 'object') return [];
  if (Array.isArray(value)) return [...new Set(value.flatMap((v) => nullPaths(v, `${path}[]`)))];
  return Object.entries(value as Record<string, unknown>).filter(([k]) => k !== '_unknownTaggedFields').flatMap(([k, v]) => nullPaths(v, path ? `${path}.${k}` : k));
}

/** Every error code in a response, by path, in order. */
function errorCodes(value: unknown, path = ''): string[] {
  if (value === null || Buffer.isBuffer(value) || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((v) => errorCodes(v, `${path}[]`));
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => (k === 'errorCode' ? [`${path}.errorCode=${v}`] : errorCodes(v, path ? `${path}.${k}` : k)));
}

async function both<T>(ask: (address: string) => Promise<T>): Promise<{ kafka: T; tributary: T }> {
  const [k, t] = await Promise.all([ask(kafka.bootstrap), ask(ours.bootstrap)]);
  return { kafka: k, tributary: t };
}

describe('Produce refusals, against Kafka 4.4', () => {
  const refusals: [string, (address: string) => Promise<PartitionProduceResponse>][] = [
    ['keyless records on a compacted topic (KIP-467)', (a) => produce(a, 'dp-compact', 0, [encodeRecordBatch({ records: [{ key: 'k', value: '1' }, { key: null, value: '2' }, { key: 'k', value: '3' }, { key: null, value: '4' }] })])],
    ['a timestamp two hours ahead (message.timestamp.after.max.ms)', (a) => produce(a, 'dp', 0, [encodeRecordBatch({ records: [{ value: 'x', timestamp: Date.now() }, { value: 'y', timestamp: Date.now() + 7_200_000 }] })])],
    ['two batches for one partition in Produce v9', (a) => produce(a, 'dp', 0, [encodeRecordBatch({ records: [{ value: 'x' }] }), encodeRecordBatch({ records: [{ value: 'y' }] })])],
    ['a control batch from a client', (a) => produce(a, 'dp', 0, [encodeRecordBatch({ isControl: true, records: [{ key: Buffer.from([0, 0, 0, 0]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }] })])],
    ['a record count that does not match the offset range', (a) => produce(a, 'dp', 0, [encodeRecordBatch({ records: [{ value: 'x', offsetDelta: 0 }, { value: 'y', offsetDelta: 3 }] })])],
    ['zstd in Produce v6', (a) => produce(a, 'dp', 0, [encodeRecordBatch({ compression: Compression.zstd, records: [{ value: 'x' }] })], 6)],
  ];
  it.each(refusals)('%s: the same error code, message and record errors; nothing written', async (_name, send) => {
    const answers = await both(send);
    const pick = (r: PartitionProduceResponse) => normalized({ errorCode: r.errorCode, baseOffset: r.baseOffset, errorMessage: r.errorMessage, recordErrors: r.recordErrors, logAppendTimeMs: r.logAppendTimeMs });
    expect(pick(answers.tributary)).toEqual(pick(answers.kafka));
    expect(answers.kafka.errorCode).not.toBe(0);
  });

  // An intended difference: Kafka 4.4 answers a compressed batch whose inner offsets skip with
  // UNKNOWN_SERVER_ERROR (its validator fails while describing the record it refuses); we answer
  // what its validator means to say, INVALID_RECORD with the record error. Both write nothing.
  it('a compressed batch whose inner offsets skip: INVALID_RECORD here, UNKNOWN_SERVER_ERROR from Kafka 4.4; nothing written', async () => {
    const answers = await both((a) => produce(a, 'dp', 0, [encodeRecordBatch({ compression: Compression.lz4, records: [{ value: 'x', offsetDelta: 0 }, { value: 'y', offsetDelta: 2 }, { value: 'z', offsetDelta: 2 }] })]));
    expect(answers.kafka).toMatchObject({ errorCode: -1, errorMessage: null, recordErrors: [] });
    expect(answers.tributary).toMatchObject({ errorCode: 87, errorMessage: 'Inner record at offset 2 inside the compressed record batch does not have incremental offsets, expected offset is 1 in topic partition dp-0.', recordErrors: [{ batchIndex: 1, batchIndexErrorMessage: null }] });
  });

  it('then both logs hold the same four records of dp-0', async () => {
    const ends = await both((a) => call<ListOffsetsResponse>(a, ApiKey.ListOffsets, 8, listOffsets([-1n])));
    expect(ends.tributary.topics[0]!.partitions[0]!.offset).toBe(4n);
    expect(ends.kafka.topics[0]!.partitions[0]!.offset).toBe(4n);
  });
});

function listOffsets(timestamps: bigint[], partition = 0) {
  return { replicaId: -1, isolationLevel: 0, timeoutMs: 5000, topics: [{ name: 'dp', partitions: timestamps.map((timestamp) => ({ partitionIndex: partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })) }] };
}

describe('ListOffsets, against Kafka 4.4', () => {
  const cases: [string, bigint, number][] = [
    ['by timestamp before everything', BigInt(T - 1000), 8],
    ['by timestamp between records of a compressed batch sent with maxTimestamp -1', BigInt(T - 250), 8],
    ['by timestamp matching the second batch only', BigInt(T - 260), 8],
    ['by timestamp after everything', BigInt(T - 99), 8],
    ['MAX_TIMESTAMP (-3)', -3n, 8],
    ['EARLIEST (-2)', -2n, 8],
    ['LATEST (-1)', -1n, 8],
    ['EARLIEST_LOCAL (-4)', -4n, 8],
    ['LATEST_TIERED (-5)', -5n, 9],
  ];
  it.each(cases)('%s: the same offset, timestamp and leader epoch', async (_name, timestamp, version) => {
    const r = await both((a) => call<ListOffsetsResponse>(a, ApiKey.ListOffsets, version, listOffsets([timestamp])));
    const pick = (x: ListOffsetsResponse) => normalized(x.topics[0]!.partitions[0]!);
    expect(pick(r.tributary)).toEqual(pick(r.kafka));
  });
});

function fetchRequest(partitions: { partition: number; fetchOffset?: bigint; partitionMaxBytes?: number }[], maxBytes: number, topic = 'dp', isolationLevel = 0) {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes,
    isolationLevel,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId: '00000000-0000-0000-0000-000000000000', partitions: partitions.map((p) => ({ partition: p.partition, currentLeaderEpoch: -1, fetchOffset: p.fetchOffset ?? 0n, logStartOffset: -1n, lastFetchedEpoch: -1, partitionMaxBytes: p.partitionMaxBytes ?? 1 << 20 })) }],
    forgottenTopicsData: [],
    rackId: '',
  };
}

describe('Fetch, against Kafka 4.4', () => {
  it('error partitions: the same codes and an empty (not null) record set', async () => {
    const r = await both((a) => call<FetchResponse>(a, ApiKey.Fetch, 12, { ...fetchRequest([{ partition: 7 }], 1 << 20), topics: [...fetchRequest([{ partition: 7 }], 1 << 20).topics, ...fetchRequest([{ partition: 0, fetchOffset: 99n }], 1 << 20).topics] }));
    // Kafka lists the partitions it read before those it refused up front; compared by error code.
    const pick = (x: FetchResponse) =>
      normalized(x.responses.flatMap((t) => t.partitions.map((p) => ({ errorCode: p.errorCode, records: (p.records as Buffer | null) === null ? null : (p.records as Buffer).length, abortedTransactions: p.abortedTransactions, highWatermark: p.highWatermark, logStartOffset: p.logStartOffset })))).sort((a, b) => a.errorCode - b.errorCode);
    expect(pick(r.tributary)).toEqual(pick(r.kafka));
    expect(pick(r.tributary).map((p) => p.records)).toEqual([0, 0]);
  });

  const limits: [string, { partition: number; fetchOffset?: bigint; partitionMaxBytes?: number }[], number][] = [
    ['max_bytes below the first batch', [{ partition: 1 }, { partition: 2 }], 1],
    ['max_bytes between one and two batches', [{ partition: 1 }, { partition: 2 }], 15_000],
    ['max_bytes for three batches', [{ partition: 1 }, { partition: 2 }], 30_000],
    ['partition_max_bytes below each batch', [{ partition: 1, partitionMaxBytes: 100 }, { partition: 2, partitionMaxBytes: 100 }], 1 << 20],
    ['an empty first partition', [{ partition: 1, fetchOffset: 2n }, { partition: 2 }], 1],
  ];
  it.each(limits)('KIP-74, %s: the same whole batches per partition', async (_name, partitions, maxBytes) => {
    const r = await both((a) => call<FetchResponse>(a, ApiKey.Fetch, 12, fetchRequest(partitions, maxBytes)));
    const whole = (x: FetchResponse) => x.responses.flatMap((t) => t.partitions.map((p) => splitBatches(p.records as Buffer).batches.length));
    expect(whole(r.tributary)).toEqual(whole(r.kafka));
  });

  it('read_committed lists aborted transactions as [], read_uncommitted as null, as Kafka', async () => {
    for (const isolation of [0, 1]) {
      const r = await both((a) => call<FetchResponse>(a, ApiKey.Fetch, 12, fetchRequest([{ partition: 0 }], 1 << 20, 'dp', isolation)));
      expect(r.tributary.responses[0]!.partitions[0]!.abortedTransactions).toEqual(r.kafka.responses[0]!.partitions[0]!.abortedTransactions);
    }
  });
});

describe('null fields of data-path responses, against Kafka 4.4', () => {
  const requests: [string, number, number, () => unknown][] = [
    ['Produce v9 success', ApiKey.Produce, 9, () => ({ transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'dp', partitionData: [{ index: 2, records: encodeRecordBatch({ records: [{ value: 'n' }] }) }] }] })],
    ['Produce v9 unknown partition', ApiKey.Produce, 9, () => ({ transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'dp', partitionData: [{ index: 9, records: encodeRecordBatch({ records: [{ value: 'n' }] }) }] }] })],
    ['Fetch v12', ApiKey.Fetch, 12, () => fetchRequest([{ partition: 0 }, { partition: 9 }], 1 << 20)],
    ['Fetch v4', ApiKey.Fetch, 4, () => fetchRequest([{ partition: 0 }, { partition: 1, fetchOffset: 99n }], 1 << 20)],
    ['ListOffsets v8', ApiKey.ListOffsets, 8, () => ({ ...listOffsets([-1n, -3n]), topics: [...listOffsets([-1n, -3n]).topics, { name: 'no-such', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] })],
    ['Metadata v12', ApiKey.Metadata, 12, () => ({ topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'dp' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })],
    ['Metadata v12 unknown topic', ApiKey.Metadata, 12, () => ({ topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'no-such' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })],
    ['ApiVersions v3', ApiKey.ApiVersions, 3, () => ({ clientSoftwareName: 'audit', clientSoftwareVersion: '1' })],
    ['CreateTopics v7 existing topic', ApiKey.CreateTopics, 7, () => ({ topics: [{ name: 'dp', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: true })],
    ['CreateTopics v7 validate-only', ApiKey.CreateTopics, 7, () => ({ topics: [{ name: 'audit-new', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: true })],
    ['DeleteTopics v6 unknown', ApiKey.DeleteTopics, 6, () => ({ topics: [{ name: 'no-such', topicId: '00000000-0000-0000-0000-000000000000' }], timeoutMs: 5000 })],
    ['CreatePartitions v3 invalid', ApiKey.CreatePartitions, 3, () => ({ topics: [{ name: 'dp', count: 1, assignments: null }], timeoutMs: 5000, validateOnly: true })],
    ['DeleteRecords v2', ApiKey.DeleteRecords, 2, () => ({ topics: [{ name: 'dp', partitions: [{ partitionIndex: 1, offset: 0n }, { partitionIndex: 9, offset: 0n }] }], timeoutMs: 5000 })],
    ['OffsetForLeaderEpoch v4', ApiKey.OffsetForLeaderEpoch, 4, () => ({ replicaId: -1, topics: [{ topic: 'dp', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }, { partition: 9, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] })],
    ['InitProducerId v4', ApiKey.InitProducerId, 4, () => ({ transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 })],
    ['FindCoordinator v4', ApiKey.FindCoordinator, 4, () => ({ keyType: 0, coordinatorKeys: ['audit-group'] })],
    ['FindCoordinator v3', ApiKey.FindCoordinator, 3, () => ({ key: 'audit-group', keyType: 0 })],
    ['ListGroups v4', ApiKey.ListGroups, 4, () => ({ statesFilter: [] })],
    ['DescribeGroups v5 unknown group', ApiKey.DescribeGroups, 5, () => ({ groups: ['no-such-group'], includeAuthorizedOperations: false })],
    ['OffsetFetch v7 unknown group', ApiKey.OffsetFetch, 7, () => ({ groupId: 'no-such-group', topics: [{ name: 'dp', partitionIndexes: [0] }], requireStable: false })],
    ['OffsetFetch v8 unknown group', ApiKey.OffsetFetch, 8, () => ({ groups: [{ groupId: 'no-such-group', topics: [{ name: 'dp', partitionIndexes: [0] }] }], requireStable: false })],
    ['Heartbeat v4 unknown group', ApiKey.Heartbeat, 4, () => ({ groupId: 'no-such-group', generationId: 1, memberId: 'm', groupInstanceId: null })],
    ['DescribeConfigs v4 topic', ApiKey.DescribeConfigs, 4, () => ({ resources: [{ resourceType: 2, resourceName: 'dp', configurationKeys: ['retention.ms', 'cleanup.policy'] }], includeSynonyms: true, includeDocumentation: false })],
    ['DescribeConfigs v4 unknown topic', ApiKey.DescribeConfigs, 4, () => ({ resources: [{ resourceType: 2, resourceName: 'no-such', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false })],
    ['DescribeCluster v1', ApiKey.DescribeCluster, 1, () => ({ includeClusterAuthorizedOperations: false, endpointType: 1 })],
    ['DescribeLogDirs v4', ApiKey.DescribeLogDirs, 4, () => ({ topics: [{ topic: 'dp', partitions: [0] }] })],
    ['DescribeClientQuotas v1', ApiKey.DescribeClientQuotas, 1, () => ({ components: [], strict: false })],
    ['DescribeUserScramCredentials v0', ApiKey.DescribeUserScramCredentials, 0, () => ({ users: [{ name: 'nobody' }] })],
  ];
  // Kafka answers these while it still loads the freshly created __consumer_offsets partitions
  // (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS): their nulls are compared, not their codes.
  const loading = new Set(['InitProducerId v4', 'ListGroups v4', 'DescribeGroups v5 unknown group', 'OffsetFetch v7 unknown group', 'OffsetFetch v8 unknown group', 'Heartbeat v4 unknown group']);
  it.each(requests)('%s: null exactly where Kafka sends null', async (name, apiKey, version, body) => {
    const r = await both((a) => call<unknown>(a, apiKey, version, body()));
    const codes = (x: unknown) => (loading.has(name) ? [] : errorCodes(x).sort());
    expect({ nulls: nullPaths(r.tributary).sort(), errorCodes: codes(r.tributary) }).toEqual({ nulls: nullPaths(r.kafka).sort(), errorCodes: codes(r.kafka) });
  });
});
