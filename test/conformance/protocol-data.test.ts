import { afterAll, beforeAll, describe, it } from 'vitest';
import { ApiKey, BatchHeader, ZERO_UUID, type InitProducerIdResponse } from '@tributary/protocol';
import { advertised, common, expectCovered, expectEveryApiOwned, tributaryOnly, type Advertised } from './coverage.ts';
import { batch, compare, createTopic, patchBatch, produce, produceOk, producerIdsReady, startPair, type Pair, type Side } from './harness.ts';
import type { Outcome } from './raw-client.ts';

/**
 * Differential scenarios for the data path and topic administration: the same raw requests to
 * Apache Kafka 4.4.0 and to Tributary, answers compared after normalise.ts. Each scenario creates
 * its own topics with the same names on both brokers.
 */

const ZERO = '00000000-0000-0000-0000-000000000000';
let pair: Pair;
let adv: Advertised;
let T0: number; // client-chosen record timestamps: 10 minutes before the run, so not taken for broker clock values

beforeAll(async () => {
  pair = await startPair();
  adv = await advertised(pair);
  T0 = pair.runStart - 10 * 60_000;
  await producerIdsReady(pair);
}, 180_000);
afterAll(async () => {
  await pair?.stop();
});

const both = async (fn: (s: Side) => Promise<void>) => {
  await fn(pair.kafka);
  await fn(pair.tributary);
};
const send = async (s: Side, apiKey: number, v: number, body: unknown) => (await s.client()).send(apiKey, v, body);
const recs = (n: number, prefix = 'v', ts?: (i: number) => number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `${prefix}${i}`, headers: [{ key: 'h', value: `x${i}` }], ...(ts ? { timestamp: ts(i) } : {}) }));

function metadataBody(v: number, topics: string[] | null, allowAuto = false) {
  return {
    topics: topics === null ? (v === 0 ? [] : null) : topics.map((name) => ({ name, topicId: ZERO })),
    ...(v >= 4 ? { allowAutoTopicCreation: allowAuto } : {}),
  };
}

function fetchBody(v: number, parts: { topic: string; partition: number; offset: bigint; maxBytes?: number; epoch?: number }[], maxBytes = 1 << 20) {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    ...(v >= 3 ? { maxBytes } : {}),
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [...new Set(parts.map((p) => p.topic))].map((topic) => ({
      topic,
      topicId: ZERO,
      partitions: parts.filter((p) => p.topic === topic).map((p) => ({ partition: p.partition, currentLeaderEpoch: v >= 9 ? (p.epoch ?? -1) : -1, fetchOffset: p.offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: p.maxBytes ?? 1 << 20 })),
    })),
    forgottenTopicsData: [],
    rackId: '',
  };
}

function listOffsetsBody(v: number, topic: string, partitions: { partition: number; timestamp: bigint; epoch?: number }[]) {
  return {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: partitions.map((p) => ({ partitionIndex: p.partition, currentLeaderEpoch: v >= 4 ? (p.epoch ?? -1) : -1, timestamp: p.timestamp, maxNumOffsets: 1 })) }],
    ...(v >= 10 ? { timeoutMs: 10_000 } : {}),
  };
}

const listHas = (list: string | null | undefined, item: string) => (list ?? '').split(',').map((x) => x.trim()).includes(item);

/**
 * Kafka applies an (Incremental)AlterConfigs through its controller, and its broker describes the
 * change once the metadata record has reached it, a moment after the answer (CI saw the old values).
 * So the topic 'cfg' is described until `applied` holds (what a correct broker shows once the change
 * is in) or 15 s have passed, and what was described last is compared: a broker that never applies
 * the change still differs.
 */
async function describeWhenApplied(s: Side, keys: string[], applied: (values: Map<string, string | null>, overridden: Set<string>) => boolean): Promise<Outcome> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const o = await send(s, ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: 'cfg', configurationKeys: keys }], includeSynonyms: false, includeDocumentation: false });
    if (o.kind !== 'response') return o;
    const configs = (o.body as { results: { configs: { name: string; value: string | null; configSource: number }[] }[] }).results[0]?.configs ?? [];
    // `overridden`: the topic's own settings (DYNAMIC_TOPIC_CONFIG), told apart from a default with the same value.
    const overridden = new Set(configs.filter((c) => c.configSource === 1).map((c) => c.name));
    if (applied(new Map(configs.map((c) => [c.name, c.value])), overridden) || Date.now() > deadline) return o;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Fetch responses carry topic ids from v13 on: look partitions up by whichever the version has. */
async function withTopicIds(s: Side, topics: string[]): Promise<Map<string, string>> {
  const c = await s.client();
  const md = await c.request<{ topics: { name: string; topicId: string }[] }>(ApiKey.Metadata, 12, metadataBody(12, topics));
  return new Map(md.topics.map((t) => [t.name, t.topicId]));
}

describe('differential: Apache Kafka 4.4.0 vs Tributary — data path and topic admin', { timeout: 240_000 }, () => {
  it('ApiVersions: ranges of the APIs both offer, at every version, and an unknown version (KIP-511)', async () => {
    await compare(pair, 'api-versions/ranges', async (s) => {
      const mine = s.name === 'kafka' ? adv.kafka : adv.tributary;
      return Object.fromEntries([...adv.tributary.keys()].filter((k) => adv.kafka.has(k)).map((k) => [k, mine.get(k)]));
    });
    await compare(pair, 'api-versions/tributary-only-apis', async (s) => (s.name === 'kafka' ? [] : [...adv.tributary.keys()].filter((k) => !adv.kafka.has(k))));
    for (const v of common(adv, ApiKey.ApiVersions)) {
      await compare(pair, `api-versions/v${v}`, async (s) => {
        const o = await send(s, ApiKey.ApiVersions, v, v >= 3 ? { clientSoftwareName: 'conformance', clientSoftwareVersion: '1.0' } : {});
        if (o.kind !== 'response') return o;
        const body = o.body as { errorCode: number; apiKeys: { apiKey: number }[] };
        // Which APIs each offers is compared above; here the shape of the answer at this version.
        return { errorCode: body.errorCode, hasApiVersions: body.apiKeys.some((k) => k.apiKey === ApiKey.ApiVersions), keys: Object.keys(body).sort() };
      });
    }
    // v5 (KIP-1242): the cluster and node a client means to reach, this broker's own or others.
    if (common(adv, ApiKey.ApiVersions).includes(5)) {
      await compare(pair, 'api-versions/v5/cluster-and-node-check', async (s) => {
        const md = await (await s.client()).request<{ clusterId: string; brokers: { nodeId: number }[] }>(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
        const own = { clusterId: md.clusterId, nodeId: md.brokers[0]!.nodeId };
        const ask = async (clusterId: string | null, nodeId: number) => {
          const o = await send(s, ApiKey.ApiVersions, 5, { clientSoftwareName: 'conformance', clientSoftwareVersion: '1.0', clusterId, nodeId });
          return o.kind === 'response' ? { errorCode: (o.body as { errorCode: number }).errorCode, keys: (o.body as { apiKeys: unknown[] }).apiKeys.length > 0 } : o;
        };
        return {
          own: await ask(own.clusterId, own.nodeId),
          none: await ask(null, -1),
          otherCluster: await ask('AAAAAAAAAAAAAAAAAAAAAA', own.nodeId),
          otherClusterOnly: await ask('AAAAAAAAAAAAAAAAAAAAAA', -1),
          otherNode: await ask(own.clusterId, own.nodeId + 7),
          otherNodeOnly: await ask(null, own.nodeId + 7),
        };
      });
    }
    // An invalid client software name (v3+): INVALID_REQUEST.
    await compare(pair, 'api-versions/invalid-software-name', async (s) => {
      const o = await send(s, ApiKey.ApiVersions, 3, { clientSoftwareName: '!!bad name', clientSoftwareVersion: '1' });
      return o.kind === 'response' ? { errorCode: (o.body as { errorCode: number }).errorCode } : o;
    });
  });

  it('Metadata at every common version: known, unknown and auto-created topics, all topics', async () => {
    await both((s) => createTopic(s, 'md-t', 3));
    for (const v of common(adv, ApiKey.Metadata)) {
      await compare(pair, `metadata/v${v}/known-and-unknown`, async (s) => {
        const o = await send(s, ApiKey.Metadata, v, metadataBody(v, ['md-t', 'md-missing']));
        return o;
      });
    }
    // v12 by topic id (the Java AdminClient's describeTopics by id): a known id, then an unknown one.
    await compare(pair, 'metadata/v12/by-topic-id', async (s) => {
      const byName = await send(s, ApiKey.Metadata, 12, metadataBody(12, ['md-t']));
      const id = byName.kind === 'response' ? (byName.body as { topics: { topicId: string }[] }).topics[0]!.topicId : ZERO_UUID;
      const ask = (topicId: string) => send(s, ApiKey.Metadata, 12, { topics: [{ name: null, topicId }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
      return { known: await ask(id), unknown: await ask('5e1f7a1e-0000-4000-8000-00000000abcd') };
    });
    await compare(pair, 'metadata/v12/invalid-topic-name', async (s) => send(s, ApiKey.Metadata, 12, metadataBody(12, ['bad/name', '.', 'x'.repeat(250)], true)));
    await compare(pair, 'metadata/v12/auto-create', async (s) => {
      const first = await send(s, ApiKey.Metadata, 12, metadataBody(12, ['md-auto'], true));
      return { first };
    });
    await compare(pair, 'metadata/v12/all-topics', async (s) => {
      const o = await send(s, ApiKey.Metadata, 12, metadataBody(12, null));
      if (o.kind !== 'response') return o;
      const b = o.body as { topics: { name: string }[] };
      // md-auto is left out: Kafka creates an auto-created topic asynchronously (table: auto-create-synchronous), so whether it is listed yet is a race.
      return b.topics.map((t) => t.name).filter((n) => !n.startsWith('__') && n !== 'md-auto').sort();
    });
    for (const v of tributaryOnly(adv, ApiKey.Metadata)) await compare(pair, `removed-version/metadata/v${v}`, async (s) => (await send(s, ApiKey.Metadata, v, metadataBody(v, ['md-t']))).kind);
  });

  it('Produce at every common version, then Fetch and ListOffsets of what was written', async () => {
    // One topic per version, so that a version one broker refuses does not shift the offsets of the next.
    for (const v of common(adv, ApiKey.Produce)) {
      await compare(pair, `produce/v${v}/append`, async (s) => {
        await createTopic(s, `ps-v${v}`, 1);
        return {
          first: await produce(s, `ps-v${v}`, 0, batch(recs(3, `p${v}-`), { baseTimestamp: T0 + v }), v),
          second: await produce(s, `ps-v${v}`, 0, batch(recs(2, `q${v}-`), { baseTimestamp: T0 + v + 1 }), v),
          acks0: await produce(s, `ps-v${v}`, 0, batch(recs(1, `r${v}-`), { baseTimestamp: T0 + v + 2 }), v, 1),
        };
      });
    }
    await both(async (s) => {
      await createTopic(s, 'prod-sweep', 1);
      for (let i = 0; i < 6; i++) await produceOk(s, 'prod-sweep', 0, batch(recs(3, `s${i}-`, (j) => T0 + 10 * i + j), { baseTimestamp: T0 + 10 * i, compression: i % 2 ? 1 : 0 }));
    });
    for (const v of tributaryOnly(adv, ApiKey.Produce)) {
      await compare(pair, `removed-version/produce/v${v}`, async (s) => {
        const c = await s.connect();
        try {
          return (await c.send(ApiKey.Produce, v, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'prod-sweep', partitionData: [{ index: 0, records: batch(recs(1), { baseTimestamp: T0 }) }] }] })).kind;
        } finally {
          c.close();
        }
      });
    }
    for (const v of common(adv, ApiKey.Fetch)) {
      await compare(pair, `fetch/v${v}/from-0`, async (s) => {
        const ids = await withTopicIds(s, ['prod-sweep']);
        const body = fetchBody(v, [{ topic: 'prod-sweep', partition: 0, offset: 0n }]);
        if (v >= 13) body.topics[0]!.topicId = ids.get('prod-sweep')!;
        return send(s, ApiKey.Fetch, v, body);
      });
    }
    for (const v of tributaryOnly(adv, ApiKey.Fetch)) {
      await compare(pair, `removed-version/fetch/v${v}`, async (s) => {
        const c = await s.connect();
        try {
          return (await c.send(ApiKey.Fetch, v, fetchBody(v, [{ topic: 'prod-sweep', partition: 0, offset: 0n }]))).kind;
        } finally {
          c.close();
        }
      });
    }
    for (const v of common(adv, ApiKey.ListOffsets)) {
      await compare(pair, `list-offsets/v${v}/earliest-latest-by-time`, async (s) => {
        const out: Record<string, unknown> = {};
        // Every special timestamp at every version: max timestamp (v7+), KIP-405's earliest local (v8+),
        // KIP-1005's latest tiered (v9+), KIP-1023's earliest pending upload (v11+) — no tiered storage on
        // either — and below its version, or a negative value no version knows, UNSUPPORTED_VERSION for
        // the partition (what Sarama configured for Kafka 2.8 gets asking v6 for -3).
        const specs: [string, bigint][] = [['earliest', -2n], ['latest', -1n], ['by-time', BigInt(T0 + 21)], ['after-all', BigInt(T0 + 10_000)], ['max-timestamp', -3n], ['earliest-local', -4n], ['latest-tiered', -5n], ['earliest-pending-upload', -6n], ['unknown-special', -7n]];
        for (const [name, ts] of specs) out[name] = await send(s, ApiKey.ListOffsets, v, listOffsetsBody(v, 'prod-sweep', [{ partition: 0, timestamp: ts }]));
        return out;
      });
    }
    for (const v of tributaryOnly(adv, ApiKey.ListOffsets)) {
      await compare(pair, `removed-version/list-offsets/v${v}`, async (s) => {
        const c = await s.connect();
        try {
          return (await c.send(ApiKey.ListOffsets, v, listOffsetsBody(v, 'prod-sweep', [{ partition: 0, timestamp: -1n }]))).kind;
        } finally {
          c.close();
        }
      });
    }
  });

  it('Produce error paths: unknown topic and partition, acks, corrupt, too large, timestamps, compacted keyless, per-record timestamps', async () => {
    await both(async (s) => {
      await createTopic(s, 'perr', 2);
      await createTopic(s, 'perr-compact', 1, { 'cleanup.policy': 'compact' });
      await createTopic(s, 'perr-small', 1, { 'max.message.bytes': '2000' });
    });
    const one = () => batch(recs(1), { baseTimestamp: T0 });
    // Each error scenario writes to its own topic, so that one difference does not shift the offsets of the next.
    const own = async (s: Side, topic: string, configs: Record<string, string> = {}) => {
      await createTopic(s, topic, 2, configs);
      return topic;
    };
    await compare(pair, 'produce-error/unknown-topic', async (s) => produce(s, 'perr-none', 0, one()));
    await compare(pair, 'produce-error/unknown-partition', async (s) => produce(s, 'perr', 7, one()));
    await compare(pair, 'produce-error/invalid-acks', async (s) => produce(s, await own(s, 'pe-acks'), 0, one(), 9, 2));
    await compare(pair, 'produce-error/corrupt-crc', async (s) => produce(s, await own(s, 'pe-crc'), 0, patchBatch(one(), (b) => b.writeUInt32BE(1, BatchHeader.CRC), { fixCrc: false })));
    await compare(pair, 'produce-error/truncated-batch', async (s) => produce(s, await own(s, 'pe-trunc'), 0, one().subarray(0, 40)));
    await compare(pair, 'produce-error/bad-magic', async (s) => produce(s, await own(s, 'pe-magic'), 0, patchBatch(one(), (b) => b.writeInt8(7, BatchHeader.MAGIC))));
    await compare(pair, 'produce-error/too-large-for-topic', async (s) => produce(s, 'perr-small', 0, batch([{ key: 'k', value: 'x'.repeat(3000) }], { baseTimestamp: T0 })));
    await compare(pair, 'produce-error/too-large-for-broker', async (s) => produce(s, await own(s, 'pe-large'), 0, batch([{ key: 'k', value: Buffer.alloc(1_100_000, 1) }], { baseTimestamp: T0 })));
    await compare(pair, 'produce-error/timestamp-far-future', async (s) => produce(s, await own(s, 'pe-future'), 0, batch(recs(1), { baseTimestamp: Date.now() + 3 * 3600_000 })));
    await compare(pair, 'produce-error/timestamp-negative', async (s) => produce(s, await own(s, 'pe-negative'), 0, batch(recs(1), { baseTimestamp: -5 })));
    await compare(pair, 'produce-error/keyless-on-compacted', async (s) => produce(s, 'perr-compact', 0, batch([{ key: 'a', value: '1' }, { key: null, value: '2' }], { baseTimestamp: T0 })));
    await compare(pair, 'produce-error/non-zero-base-offset', async (s) => produce(s, await own(s, 'pe-base'), 1, patchBatch(one(), (b) => b.writeBigInt64BE(42n, BatchHeader.BASE_OFFSET))));
    await compare(pair, 'produce-error/two-partitions-one-bad', async (s) => {
      const t = await own(s, 'pe-mixed');
      const c = await s.client();
      return c.send(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: t, partitionData: [{ index: 0, records: one() }, { index: 1, records: patchBatch(one(), (b) => b.writeUInt32BE(1, BatchHeader.CRC), { fixCrc: false }) }] }] });
    });
    // A batch whose maxTimestamp is -1 (some clients send it): Kafka recomputes it from the records.
    await compare(pair, 'produce/max-timestamp-minus-one', async (s) => {
      await createTopic(s, 'pts', 1);
      const b = batch(recs(3, 'm', (i) => T0 + 100 + i * 10), { baseTimestamp: T0 + 100 });
      const produced = await produce(s, 'pts', 0, patchBatch(b, (x) => x.writeBigInt64BE(-1n, BatchHeader.MAX_TIMESTAMP)));
      const lookups: Record<string, unknown> = {};
      for (const [n, ts] of [['t+0', T0 + 100], ['t+15', T0 + 115], ['t+20', T0 + 120], ['max', -3]] as const) {
        lookups[n] = await send(s, ApiKey.ListOffsets, 8, listOffsetsBody(8, 'pts', [{ partition: 0, timestamp: BigInt(ts) }]));
      }
      const fetched = await send(s, ApiKey.Fetch, 12, fetchBody(12, [{ topic: 'pts', partition: 0, offset: 0n }]));
      return { produced, lookups, fetched };
    });
    // Records within one batch out of time order: by-time and max-timestamp lookups resolve per record.
    await compare(pair, 'list-offsets/per-record-timestamps', async (s) => {
      await createTopic(s, 'pts2', 1);
      await produceOk(s, 'pts2', 0, batch([{ key: 'a', value: '1', timestamp: T0 + 50 }, { key: 'b', value: '2', timestamp: T0 + 90 }, { key: 'c', value: '3', timestamp: T0 + 70 }], { baseTimestamp: T0 + 50 }));
      await produceOk(s, 'pts2', 0, batch([{ key: 'd', value: '4', timestamp: T0 + 60 }], { baseTimestamp: T0 + 60 }));
      const out: Record<string, unknown> = {};
      for (const [n, ts] of [['t55', T0 + 55], ['t65', T0 + 65], ['t80', T0 + 80], ['max', -3]] as const) out[n] = await send(s, ApiKey.ListOffsets, 8, listOffsetsBody(8, 'pts2', [{ partition: 0, timestamp: BigInt(ts) }]));
      return out;
    });
    await compare(pair, 'produce/log-append-time', async (s) => {
      await createTopic(s, 'plat', 1, { 'message.timestamp.type': 'LogAppendTime' });
      const produced = await produce(s, 'plat', 0, batch(recs(2), { baseTimestamp: T0 }));
      const fetched = await send(s, ApiKey.Fetch, 12, fetchBody(12, [{ topic: 'plat', partition: 0, offset: 0n }]));
      return { produced, fetched };
    });
    await compare(pair, 'produce/compressed-codecs', async (s) => {
      await createTopic(s, 'pcodec', 1);
      const out: unknown[] = [];
      for (const codec of [1, 2, 3, 4]) out.push(await produce(s, 'pcodec', 0, batch(recs(4, `c${codec}-`), { baseTimestamp: T0, compression: codec })));
      out.push(await send(s, ApiKey.Fetch, 12, fetchBody(12, [{ topic: 'pcodec', partition: 0, offset: 0n }])));
      out.push(await send(s, ApiKey.Fetch, 12, fetchBody(12, [{ topic: 'pcodec', partition: 0, offset: 6n }])));
      return out;
    });
  });

  it('Idempotent producer: InitProducerId at every version, duplicate and out-of-order sequences, stale epochs', async () => {
    await both((s) => createTopic(s, 'idem', 1));
    for (const v of common(adv, ApiKey.InitProducerId)) {
      await compare(pair, `init-producer-id/v${v}`, async (s) => {
        const o = await send(s, ApiKey.InitProducerId, v, { transactionalId: null, transactionTimeoutMs: 60_000, ...(v >= 3 ? { producerId: -1n, producerEpoch: -1 } : {}) });
        if (o.kind !== 'response') return o;
        const b = o.body as InitProducerIdResponse;
        return { errorCode: b.errorCode, producerIdValid: b.producerId >= 0n, producerEpoch: b.producerEpoch };
      });
    }
    // A producer that names an id and epoch (v3+, KIP-360): an idempotent one still gets a new id at
    // epoch 0 (kafka-go names 0/0; the Tributary bumped the named id, even one never handed out);
    // naming only one of them is INVALID_REQUEST, transactional or not.
    await compare(pair, 'init-producer-id/named-producer', async (s) => {
      const c = await s.client();
      const first = await c.request<InitProducerIdResponse>(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
      // The id answered, as the named one, a newer one, or -1.
      const init = async (producerId: bigint, producerEpoch: number, v = 4, transactionalId: string | null = null) => {
        const b = await c.request<InitProducerIdResponse>(ApiKey.InitProducerId, v, { transactionalId, transactionTimeoutMs: 60_000, producerId, producerEpoch });
        return { errorCode: b.errorCode, producerId: b.producerId === producerId ? 'named' : b.producerId > first.producerId ? 'new' : String(b.producerId), producerEpoch: b.producerEpoch };
      };
      return {
        known: await init(first.producerId, first.producerEpoch),
        knownV3: await init(first.producerId, first.producerEpoch, 3),
        knownAtLastEpoch: await init(first.producerId, 32766),
        neverHandedOut: await init(first.producerId + 1_000_000n, 3, 5),
        idWithoutEpoch: await init(first.producerId, -1),
        epochWithoutId: await init(-1n, 4),
        transactionalEpochWithoutId: await init(-1n, 4, 4, 'tx-named'),
      };
    });
    await compare(pair, 'idempotent/sequences', async (s) => {
      const c = await s.client();
      const init = await c.request<InitProducerIdResponse>(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
      const pid = init.producerId;
      const b = (seq: number, n = 2, epoch = init.producerEpoch) => batch(recs(n, `s${seq}-`), { baseTimestamp: T0, producerId: pid, producerEpoch: epoch, baseSequence: seq });
      return {
        first: await produce(s, 'idem', 0, b(0)),
        second: await produce(s, 'idem', 0, b(2)),
        duplicateOfFirst: await produce(s, 'idem', 0, b(0)),
        duplicateOfSecond: await produce(s, 'idem', 0, b(2)),
        gap: await produce(s, 'idem', 0, b(9)),
        overlapping: await produce(s, 'idem', 0, b(3)),
        staleEpoch: await produce(s, 'idem', 0, b(4, 1, init.producerEpoch - 1)),
        next: await produce(s, 'idem', 0, b(4)),
        read: await send(s, ApiKey.Fetch, 12, fetchBody(12, [{ topic: 'idem', partition: 0, offset: 0n }])),
      };
    });
    await compare(pair, 'idempotent/unknown-producer-non-zero-sequence', async (s) => {
      await createTopic(s, 'idem-unknown', 1);
      return produce(s, 'idem-unknown', 0, batch(recs(1), { baseTimestamp: T0, producerId: 999_000n, producerEpoch: 0, baseSequence: 5 }));
    });
    await compare(pair, 'idempotent/transactional-id', async (s) => {
      const o = await send(s, ApiKey.InitProducerId, 4, { transactionalId: 'tx-1', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
      return o.kind === 'response' ? { errorCode: (o.body as InitProducerIdResponse).errorCode } : o;
    });
  });

  it('Fetch error paths: out of range, unknown topic and partition, leader epochs, max_bytes (KIP-74)', async () => {
    await both(async (s) => {
      await createTopic(s, 'ferr', 2);
      for (const p of [0, 1]) for (let i = 0; i < 3; i++) await produceOk(s, 'ferr', p, batch([{ key: `k${i}`, value: 'y'.repeat(600) }], { baseTimestamp: T0 + i }));
    });
    const f = (s: Side, parts: Parameters<typeof fetchBody>[1], maxBytes?: number) => send(s, ApiKey.Fetch, 12, fetchBody(12, parts, maxBytes));
    await compare(pair, 'fetch-error/offset-out-of-range', async (s) => f(s, [{ topic: 'ferr', partition: 0, offset: 100n }, { topic: 'ferr', partition: 1, offset: -5n }]));
    await compare(pair, 'fetch-error/unknown-topic', async (s) => f(s, [{ topic: 'ferr-none', partition: 0, offset: 0n }]));
    await compare(pair, 'fetch-error/unknown-partition', async (s) => f(s, [{ topic: 'ferr', partition: 9, offset: 0n }]));
    await compare(pair, 'fetch-error/fenced-epoch', async (s) => f(s, [{ topic: 'ferr', partition: 0, offset: 0n, epoch: 5 }]));
    await compare(pair, 'fetch/middle-of-batch-offset', async (s) => f(s, [{ topic: 'ferr', partition: 0, offset: 1n }]));
    await compare(pair, 'fetch/max-bytes-kip-74', async (s) => f(s, [{ topic: 'ferr', partition: 0, offset: 0n }, { topic: 'ferr', partition: 1, offset: 0n }], 100));
    await compare(pair, 'fetch/partition-max-bytes', async (s) => f(s, [{ topic: 'ferr', partition: 0, offset: 0n, maxBytes: 700 }, { topic: 'ferr', partition: 1, offset: 0n, maxBytes: 100 }]));
    await compare(pair, 'fetch/incremental-session', async (s) => send(s, ApiKey.Fetch, 12, { ...fetchBody(12, [{ topic: 'ferr', partition: 0, offset: 0n }]), sessionId: 0, sessionEpoch: 0 }));
    await compare(pair, 'list-offsets-error/unknown', async (s) => ({
      unknownPartition: await send(s, ApiKey.ListOffsets, 8, listOffsetsBody(8, 'ferr', [{ partition: 5, timestamp: -1n }])),
      unknownTopic: await send(s, ApiKey.ListOffsets, 8, listOffsetsBody(8, 'ferr-none', [{ partition: 0, timestamp: -1n }])),
      // A timestamp the version does not know is refused before the topic is looked for.
      unknownTopicUnknownTimestamp: await send(s, ApiKey.ListOffsets, 8, listOffsetsBody(8, 'ferr-none', [{ partition: 0, timestamp: -9n }])),
      fencedEpochMaxTimestampV6: await send(s, ApiKey.ListOffsets, 6, listOffsetsBody(6, 'ferr', [{ partition: 0, timestamp: -3n, epoch: 7 }])),
      fencedEpoch: await send(s, ApiKey.ListOffsets, 8, listOffsetsBody(8, 'ferr', [{ partition: 0, timestamp: -1n, epoch: 7 }])),
    }));
    for (const v of common(adv, ApiKey.OffsetForLeaderEpoch)) {
      await compare(pair, `offset-for-leader-epoch/v${v}`, async (s) =>
        send(s, ApiKey.OffsetForLeaderEpoch, v, { ...(v >= 3 ? { replicaId: -1 } : {}), topics: [{ topic: 'ferr', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }, { partition: 1, currentLeaderEpoch: -1, leaderEpoch: 3 }, { partition: 4, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] }),
      );
    }
    for (const v of tributaryOnly(adv, ApiKey.OffsetForLeaderEpoch)) {
      await compare(pair, `removed-version/offset-for-leader-epoch/v${v}`, async (s) => {
        const c = await s.connect();
        try {
          return (await c.send(ApiKey.OffsetForLeaderEpoch, v, { topics: [{ topic: 'ferr', partitions: [{ partition: 0, leaderEpoch: 0 }] }] })).kind;
        } finally {
          c.close();
        }
      });
    }
  });

  it('DeleteRecords at every version: log start offsets, errors; ListOffsets and Fetch after it', async () => {
    await both(async (s) => {
      await createTopic(s, 'delrec', 2);
      for (let i = 0; i < 4; i++) await produceOk(s, 'delrec', 0, batch(recs(2, `d${i}-`), { baseTimestamp: T0 + i }));
      await createTopic(s, 'delrec-compact', 1, { 'cleanup.policy': 'compact' });
      await createTopic(s, 'delrec-both', 1, { 'cleanup.policy': 'compact,delete' });
      for (const t of ['delrec-compact', 'delrec-both']) await produceOk(s, t, 0, batch(recs(4, 'c'), { baseTimestamp: T0 }));
    });
    let at = 1n;
    for (const v of common(adv, ApiKey.DeleteRecords)) {
      const offset = at++;
      await compare(pair, `delete-records/v${v}`, async (s) => send(s, ApiKey.DeleteRecords, v, { topics: [{ name: 'delrec', partitions: [{ partitionIndex: 0, offset }] }], timeoutMs: 10_000 }));
    }
    await compare(pair, 'delete-records/errors', async (s) =>
      send(s, ApiKey.DeleteRecords, 2, { topics: [{ name: 'delrec', partitions: [{ partitionIndex: 0, offset: 100n }, { partitionIndex: 1, offset: -1n }, { partitionIndex: 6, offset: 0n }] }, { name: 'delrec-none', partitions: [{ partitionIndex: 0, offset: 0n }] }], timeoutMs: 10_000 }),
    );
    // Records of a compacted topic belong to the cleaner: is deleting them refused, and how?
    await compare(pair, 'delete-records/compacted', async (s) =>
      send(s, ApiKey.DeleteRecords, 2, { topics: [{ name: 'delrec-compact', partitions: [{ partitionIndex: 0, offset: 2n }] }, { name: 'delrec-both', partitions: [{ partitionIndex: 0, offset: 2n }] }], timeoutMs: 10_000 }),
    );
    await compare(pair, 'delete-records/then-read', async (s) => ({
      earliest: await send(s, ApiKey.ListOffsets, 8, listOffsetsBody(8, 'delrec', [{ partition: 0, timestamp: -2n }])),
      below: await send(s, ApiKey.Fetch, 12, fetchBody(12, [{ topic: 'delrec', partition: 0, offset: 0n }])),
      from: await send(s, ApiKey.Fetch, 12, fetchBody(12, [{ topic: 'delrec', partition: 0, offset: 3n }])),
    }));
  });

  it('CreateTopics, CreatePartitions and DeleteTopics at every version, with their error paths', async () => {
    for (const v of common(adv, ApiKey.CreateTopics)) {
      await compare(pair, `create-topics/v${v}`, async (s) => {
        const body = (topics: unknown[], validateOnly = false) => ({ topics, timeoutMs: 30_000, ...(v >= 1 ? { validateOnly } : {}) });
        const t = (name: string, o: Record<string, unknown> = {}) => ({ name, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [], ...o });
        return {
          ok: await send(s, ApiKey.CreateTopics, v, body([t(`ct${v}-a`), t(`ct${v}-b`, { configs: [{ name: 'retention.ms', value: '3600000' }] })])),
          exists: await send(s, ApiKey.CreateTopics, v, body([t(`ct${v}-a`)])),
          invalid: await send(s, ApiKey.CreateTopics, v, body([t('bad/name'), t('..'), t(`ct${v}-zero`, { numPartitions: 0 }), t(`ct${v}-rf`, { replicationFactor: 3 }), t(`ct${v}-cfg`, { configs: [{ name: 'no.such.config', value: '1' }] }), t(`ct${v}-val`, { configs: [{ name: 'retention.ms', value: 'soon' }] })])),
          validateOnly: v >= 1 ? await send(s, ApiKey.CreateTopics, v, body([t(`ct${v}-vo`)], true)) : null,
          defaults: v >= 4 ? await send(s, ApiKey.CreateTopics, v, body([t(`ct${v}-def`, { numPartitions: -1, replicationFactor: -1 })])) : null,
          assignment: await send(s, ApiKey.CreateTopics, v, body([t(`ct${v}-asg`, { numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 1, brokerIds: [1] }] })])),
          duplicateInRequest: await send(s, ApiKey.CreateTopics, v, body([t(`ct${v}-dup`), t(`ct${v}-dup`)])),
        };
      });
    }
    await compare(pair, 'create-topics/topic-configs-kafka-knows', async (s) => {
      // Configs every Kafka 4 topic accepts, whatever they change here.
      const configs = { 'flush.ms': '1000', 'flush.messages': '100', 'index.interval.bytes': '4096', 'segment.index.bytes': '10485760', 'segment.jitter.ms': '0', 'preallocate': 'false', 'min.compaction.lag.ms': '0', 'max.compaction.lag.ms': '9223372036854775807', 'min.cleanable.dirty.ratio': '0.5', 'file.delete.delay.ms': '60000', 'compression.type': 'lz4', 'message.timestamp.before.max.ms': '86400000', 'message.timestamp.after.max.ms': '3600000', 'unclean.leader.election.enable': 'false', 'min.insync.replicas': '1', 'local.retention.ms': '-2', 'local.retention.bytes': '-2', 'remote.storage.enable': 'false', 'follower.replication.throttled.replicas': '', 'leader.replication.throttled.replicas': '', 'compression.gzip.level': '5', 'compression.zstd.level': '3', 'compression.lz4.level': '9' };
      const out: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(configs)) {
        out[name] = await send(s, ApiKey.CreateTopics, 7, { topics: [{ name: `cfg-${name.replace(/\./g, '-')}`, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name, value }] }], timeoutMs: 30_000, validateOnly: true });
      }
      return out;
    });
    for (const v of tributaryOnly(adv, ApiKey.CreateTopics)) {
      await compare(pair, `removed-version/create-topics/v${v}`, async (s) => {
        const c = await s.connect();
        try {
          return (await c.send(ApiKey.CreateTopics, v, { topics: [{ name: `old-ct${v}`, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000 })).kind;
        } finally {
          c.close();
        }
      });
    }
    await both((s) => createTopic(s, 'cp', 1));
    let count = 1;
    for (const v of common(adv, ApiKey.CreatePartitions)) {
      const to = ++count;
      await compare(pair, `create-partitions/v${v}`, async (s) => ({
        grow: await send(s, ApiKey.CreatePartitions, v, { topics: [{ name: 'cp', count: to, assignments: null }], timeoutMs: 10_000, validateOnly: false }),
        same: await send(s, ApiKey.CreatePartitions, v, { topics: [{ name: 'cp', count: to, assignments: null }], timeoutMs: 10_000, validateOnly: false }),
        shrink: await send(s, ApiKey.CreatePartitions, v, { topics: [{ name: 'cp', count: 1, assignments: null }], timeoutMs: 10_000, validateOnly: false }),
        unknown: await send(s, ApiKey.CreatePartitions, v, { topics: [{ name: 'cp-none', count: 4, assignments: null }], timeoutMs: 10_000, validateOnly: false }),
        validateOnly: await send(s, ApiKey.CreatePartitions, v, { topics: [{ name: 'cp', count: 50, assignments: null }], timeoutMs: 10_000, validateOnly: true }),
        assignment: await send(s, ApiKey.CreatePartitions, v, { topics: [{ name: 'cp', count: to + 1, assignments: [{ brokerIds: [1] }] }], timeoutMs: 10_000, validateOnly: true }),
        badAssignment: await send(s, ApiKey.CreatePartitions, v, { topics: [{ name: 'cp', count: to + 1, assignments: [{ brokerIds: [99] }] }], timeoutMs: 10_000, validateOnly: true }),
      }));
    }
    for (const v of common(adv, ApiKey.DeleteTopics)) {
      await compare(pair, `delete-topics/v${v}`, async (s) => {
        await createTopic(s, `dt${v}`, 1);
        const body = (names: string[]) => (v >= 6 ? { topics: names.map((name) => ({ name, topicId: ZERO })), timeoutMs: 10_000 } : { topicNames: names, timeoutMs: 10_000 });
        return { deleted: await send(s, ApiKey.DeleteTopics, v, body([`dt${v}`, 'dt-none'])) };
      });
    }
    // Kafka's controller runs a forwarded CreateTopics, CreatePartitions or DeleteTopics with the
    // deadline now + timeoutMs: at 0 or less it has passed, nothing is done and every topic gets
    // REQUEST_TIMED_OUT (kafka-go sends 0 where the caller sets no Timeout).
    await both((s) => createTopic(s, 'dl-keep', 1));
    await compare(pair, 'controller-deadline-passed', async (s) => {
      const out: Record<string, unknown> = {};
      for (const v of common(adv, ApiKey.CreateTopics)) out[`create-topics/v${v}`] = await send(s, ApiKey.CreateTopics, v, { topics: [{ name: `dl-ct${v}`, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: v % 2 === 0 ? 0 : -1, ...(v >= 1 ? { validateOnly: v === 3 } : {}) });
      for (const v of common(adv, ApiKey.CreatePartitions)) out[`create-partitions/v${v}`] = await send(s, ApiKey.CreatePartitions, v, { topics: [{ name: 'dl-keep', count: 3, assignments: null }, { name: 'dl-none', count: 3, assignments: null }], timeoutMs: 0, validateOnly: false });
      for (const v of common(adv, ApiKey.DeleteTopics)) out[`delete-topics/v${v}`] = await send(s, ApiKey.DeleteTopics, v, v >= 6 ? { topics: [{ name: 'dl-keep', topicId: ZERO }, { name: 'dl-none', topicId: ZERO }], timeoutMs: 0 } : { topicNames: ['dl-keep', 'dl-none'], timeoutMs: 0 });
      // What is there afterwards: dl-keep with its one partition, none of the dl-ct topics.
      const md = await (await s.client()).request<{ topics: { name: string; errorCode: number; partitions: unknown[] }[] }>(ApiKey.Metadata, 12, { topics: ['dl-keep', ...common(adv, ApiKey.CreateTopics).map((v) => `dl-ct${v}`)].map((name) => ({ name, topicId: ZERO })), allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      out.after = md.topics.map((t) => ({ name: t.name, errorCode: t.errorCode, partitions: t.partitions.length }));
      return out;
    });
    for (const v of tributaryOnly(adv, ApiKey.DeleteTopics)) {
      await compare(pair, `removed-version/delete-topics/v${v}`, async (s) => {
        const c = await s.connect();
        try {
          return (await c.send(ApiKey.DeleteTopics, v, { topicNames: ['dt-none'], timeoutMs: 10_000 })).kind;
        } finally {
          c.close();
        }
      });
    }
  });

  it('DescribeConfigs, AlterConfigs and IncrementalAlterConfigs at every version: names, values, sources, flags, errors', async () => {
    await both((s) => createTopic(s, 'cfg', 1, { 'retention.ms': '7200000', 'cleanup.policy': 'compact' }));
    for (const v of common(adv, ApiKey.DescribeConfigs)) {
      await compare(pair, `describe-configs/v${v}/topic`, async (s) => send(s, ApiKey.DescribeConfigs, v, { resources: [{ resourceType: 2, resourceName: 'cfg', configurationKeys: null }], ...(v >= 1 ? { includeSynonyms: false } : {}), ...(v >= 3 ? { includeDocumentation: false } : {}) }));
      await compare(pair, `describe-configs/v${v}/errors`, async (s) => send(s, ApiKey.DescribeConfigs, v, { resources: [{ resourceType: 2, resourceName: 'cfg-none', configurationKeys: null }, { resourceType: 4, resourceName: '7', configurationKeys: null }, { resourceType: 2, resourceName: 'cfg', configurationKeys: ['retention.ms', 'no.such'] }] }));
    }
    for (const v of tributaryOnly(adv, ApiKey.DescribeConfigs)) {
      await compare(pair, `removed-version/describe-configs/v${v}`, async (s) => {
        const c = await s.connect();
        try {
          return (await c.send(ApiKey.DescribeConfigs, v, { resources: [{ resourceType: 2, resourceName: 'cfg', configurationKeys: null }] })).kind;
        } finally {
          c.close();
        }
      });
    }
    await compare(pair, 'describe-configs/synonyms', async (s) => send(s, ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: 'cfg', configurationKeys: ['retention.ms', 'segment.bytes', 'cleanup.policy', 'max.message.bytes'] }], includeSynonyms: true, includeDocumentation: false }));
    // Every broker config, with Kafka's type, sensitivity and documentation (values depend on each broker's start-up settings and are compared for the selected ones above).
    await compare(pair, 'describe-configs/broker-all', async (s) => {
      const o = await send(s, ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 4, resourceName: '1', configurationKeys: null }], includeSynonyms: false, includeDocumentation: true });
      if (o.kind !== 'response') return o;
      const r = (o.body as { results: { errorCode: number; configs: { name: string; configType: number; isSensitive: boolean; documentation: string | null }[] }[] }).results[0]!;
      return { errorCode: r.errorCode, configs: Object.fromEntries(r.configs.map((c) => [c.name, { configType: c.configType, isSensitive: c.isSensitive, documentation: c.documentation }])) };
    });
    await compare(pair, 'describe-configs/broker-selected', async (s) => send(s, ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 4, resourceName: '1', configurationKeys: ['num.partitions', 'auto.create.topics.enable', 'message.max.bytes', 'log.retention.ms', 'log.segment.bytes', 'default.replication.factor'] }], includeSynonyms: false, includeDocumentation: false }));
    for (const v of common(adv, ApiKey.AlterConfigs)) {
      await compare(pair, `alter-configs/v${v}`, async (s) => ({
        set: await send(s, ApiKey.AlterConfigs, v, { resources: [{ resourceType: 2, resourceName: 'cfg', configs: [{ name: 'retention.ms', value: String(3600000 + v) }, { name: 'flush.ms', value: '5000' }] }], validateOnly: false }),
        invalid: await send(s, ApiKey.AlterConfigs, v, { resources: [{ resourceType: 2, resourceName: 'cfg', configs: [{ name: 'retention.ms', value: 'x' }] }, { resourceType: 2, resourceName: 'cfg-none', configs: [] }], validateOnly: false }),
        after: await describeWhenApplied(s, ['retention.ms', 'flush.ms', 'cleanup.policy'], (m) => m.get('retention.ms') === String(3600000 + v) && m.get('flush.ms') === '5000'),
      }));
    }
    for (const v of common(adv, ApiKey.IncrementalAlterConfigs)) {
      await compare(pair, `incremental-alter-configs/v${v}`, async (s) => ({
        set: await send(s, ApiKey.IncrementalAlterConfigs, v, { resources: [{ resourceType: 2, resourceName: 'cfg', configs: [{ name: 'segment.ms', configOperation: 0, value: String(600000 + v) }, { name: 'retention.ms', configOperation: 1, value: null }] }], validateOnly: false }),
        append: await send(s, ApiKey.IncrementalAlterConfigs, v, { resources: [{ resourceType: 2, resourceName: 'cfg', configs: [{ name: 'cleanup.policy', configOperation: 2, value: 'delete' }] }], validateOnly: false }),
        // cleanup.policy's default is 'delete' too (AlterConfigs above dropped 'compact'): the append
        // is in once the topic has its own cleanup.policy (a loaded CI machine described Kafka's default first).
        afterAppend: await describeWhenApplied(s, ['cleanup.policy', 'segment.ms', 'retention.ms'], (m, own) => m.get('segment.ms') === String(600000 + v) && own.has('cleanup.policy') && listHas(m.get('cleanup.policy'), 'delete')),
        subtract: await send(s, ApiKey.IncrementalAlterConfigs, v, { resources: [{ resourceType: 2, resourceName: 'cfg', configs: [{ name: 'cleanup.policy', configOperation: 3, value: 'delete' }] }], validateOnly: false }),
        invalid: await send(s, ApiKey.IncrementalAlterConfigs, v, { resources: [{ resourceType: 2, resourceName: 'cfg', configs: [{ name: 'no.such.config', configOperation: 0, value: '1' }] }, { resourceType: 2, resourceName: 'cfg-none', configs: [{ name: 'retention.ms', configOperation: 0, value: '1' }] }], validateOnly: false }),
        after: await describeWhenApplied(s, ['cleanup.policy', 'segment.ms', 'retention.ms'], (m) => m.get('segment.ms') === String(600000 + v) && !listHas(m.get('cleanup.policy'), 'delete')),
      }));
    }
  });

  it('AlterConfigs and IncrementalAlterConfigs: what Kafka refuses before looking at the resource', async () => {
    await both((s) => createTopic(s, 'cfg-pre', 1));
    // Kafka's ConfigAdminManager.preprocess: a config named twice, null values (all named), a resource
    // named twice (IncrementalAlterConfigs), before authorization and before the topic is looked up.
    const inc = (s: Side, resources: unknown[]) => send(s, ApiKey.IncrementalAlterConfigs, 1, { resources, validateOnly: true });
    const legacy = (s: Side, resources: unknown[]) => send(s, ApiKey.AlterConfigs, 2, { resources, validateOnly: true });
    await compare(pair, 'alter-configs/request-errors', async (s) => ({
      duplicateKeys: await inc(s, [{ resourceType: 2, resourceName: 'cfg-pre', configs: [{ name: 'retention.ms', configOperation: 0, value: '1000' }, { name: 'retention.ms', configOperation: 1, value: null }] }]),
      duplicateKeysMissingTopic: await inc(s, [{ resourceType: 2, resourceName: 'cfg-pre-none', configs: [{ name: 'retention.ms', configOperation: 0, value: '1' }, { name: 'retention.ms', configOperation: 0, value: '1' }] }]),
      duplicateKeysGroup: await inc(s, [{ resourceType: 32, resourceName: 'cfg-pre-g', configs: [{ name: 'consumer.session.timeout.ms', configOperation: 0, value: '50000' }, { name: 'consumer.session.timeout.ms', configOperation: 0, value: '50000' }] }]),
      nullValues: await inc(s, [{ resourceType: 2, resourceName: 'cfg-pre', configs: [{ name: 'retention.ms', configOperation: 0, value: null }, { name: 'cleanup.policy', configOperation: 2, value: null }, { name: 'segment.ms', configOperation: 1, value: null }] }]),
      repeatedResource: await inc(s, [{ resourceType: 2, resourceName: 'cfg-pre', configs: [{ name: 'retention.ms', configOperation: 0, value: '1000' }] }, { resourceType: 2, resourceName: 'cfg-pre', configs: [{ name: 'segment.ms', configOperation: 0, value: '100000' }] }]),
      legacyDuplicateKeys: await legacy(s, [{ resourceType: 2, resourceName: 'cfg-pre-none', configs: [{ name: 'retention.ms', value: '1' }, { name: 'retention.ms', value: '2' }] }]),
      legacyNullValue: await legacy(s, [{ resourceType: 2, resourceName: 'cfg-pre', configs: [{ name: 'retention.ms', value: null }] }]),
    }));
  });

  it('Client metrics subscriptions (KIP-714 CLIENT_METRICS configs) and ListConfigResources at every version', async () => {
    const CLIENT_METRICS = 16;
    const alter = (s: Side, name: string, configs: { name: string; configOperation: number; value: string | null }[]) => send(s, ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: CLIENT_METRICS, resourceName: name, configs }], validateOnly: false });
    const describe = (s: Side, names: string[]) => send(s, ApiKey.DescribeConfigs, 4, { resources: names.map((resourceName) => ({ resourceType: CLIENT_METRICS, resourceName, configurationKeys: null })), includeSynonyms: true, includeDocumentation: true });
    // Order is the broker's own: names are compared sorted.
    const list = async (s: Side, v: number, resourceTypes: number[]) => {
      const o = await send(s, ApiKey.ListConfigResources, v, { resourceTypes });
      if (o.kind !== 'response') return o;
      const b = o.body as { errorCode: number; configResources: { resourceName: string; resourceType: number }[] };
      // Topics: only this scenario's (other scenarios create topics on one side only, with versions
      // Kafka removed; internal topics appear at each broker's own moment).
      const listed = b.configResources.filter((r) => r.resourceType !== 2 || r.resourceName.startsWith('metrics-'));
      return { errorCode: b.errorCode, configResources: listed.map((r) => `${r.resourceType}:${r.resourceName}`).sort() };
    };
    /** Kafka applies config changes through its controller: list until `ok` holds or 15 s pass, then compare what was listed last. */
    const listWhen = async (s: Side, v: number, resourceTypes: number[], ok: (names: string[]) => boolean) => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const r = await list(s, v, resourceTypes);
        if (('configResources' in r && ok(r.configResources)) || Date.now() > deadline) return r;
        await new Promise((done) => setTimeout(done, 100));
      }
    };
    await both((s) => createTopic(s, 'metrics-t', 1));
    await compare(pair, 'client-metrics/create', async (s) => ({
      set: await alter(s, 'sub-1', [{ name: 'metrics', configOperation: 0, value: 'org.apache.kafka.producer.,org.apache.kafka.consumer.coordinator.' }, { name: 'interval.ms', configOperation: 0, value: '1000' }, { name: 'match', configOperation: 0, value: 'client_id=app-.*,client_software_name=apache-kafka-java' }]),
      legacy: await send(s, ApiKey.AlterConfigs, 2, { resources: [{ resourceType: CLIENT_METRICS, resourceName: 'sub-2', configs: [{ name: 'metrics', value: '*' }] }], validateOnly: false }),
      validateOnly: await send(s, ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: CLIENT_METRICS, resourceName: 'sub-never', configs: [{ name: 'interval.ms', configOperation: 0, value: '2000' }] }], validateOnly: true }),
      listed: await listWhen(s, 0, [], (names) => names.length >= 2),
    }));
    await compare(pair, 'client-metrics/invalid', async (s) => ({
      intervalTooShort: await alter(s, 'sub-bad', [{ name: 'interval.ms', configOperation: 0, value: '50' }]),
      intervalNotANumber: await alter(s, 'sub-bad', [{ name: 'interval.ms', configOperation: 0, value: 'often' }]),
      unknownName: await alter(s, 'sub-bad', [{ name: 'no.such', configOperation: 0, value: '1' }]),
      unknownSelector: await alter(s, 'sub-bad', [{ name: 'match', configOperation: 0, value: 'colour=blue' }]),
      badRegex: await alter(s, 'sub-bad', [{ name: 'match', configOperation: 0, value: 'client_id=[' }]),
      emptyName: await alter(s, '', [{ name: 'metrics', configOperation: 0, value: '*' }]),
      append: await alter(s, 'sub-1', [{ name: 'metrics', configOperation: 2, value: 'org.apache.kafka.stream.' }]),
    }));
    await compare(pair, 'client-metrics/describe', async (s) => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const o = await describe(s, ['sub-1', 'sub-none', '']);
        const configs = o.kind === 'response' ? ((o.body as { results: { configs: { name: string; value: string | null }[] }[] }).results[0]?.configs ?? []) : [];
        if ((configs.find((c) => c.name === 'interval.ms')?.value ?? '') === '1000' || Date.now() > deadline) return o;
        await new Promise((done) => setTimeout(done, 100));
      }
    });
    await compare(pair, 'client-metrics/delete', async (s) => ({
      deleted: await alter(s, 'sub-2', [{ name: 'metrics', configOperation: 1, value: null }]),
      listed: await listWhen(s, 0, [], (names) => !names.some((n) => n.endsWith(':sub-2'))),
    }));
    for (const v of common(adv, ApiKey.ListConfigResources)) {
      await compare(pair, `list-config-resources/v${v}`, async (s) => ({
        clientMetrics: await list(s, v, [CLIENT_METRICS]),
        ...(v >= 1
          ? {
              topics: await list(s, v, [2]),
              brokers: await list(s, v, [4]),
              groups: await list(s, v, [32]),
              unsupported: await list(s, v, [3]),
              brokerLoggers: await list(s, v, [8]),
              every: await list(s, v, []),
            }
          : {}),
      }));
    }
  });

  it('DescribeCluster and DescribeLogDirs at every version', async () => {
    await both((s) => createTopic(s, 'logdirs', 2));
    for (const v of common(adv, ApiKey.DescribeCluster)) {
      await compare(pair, `describe-cluster/v${v}`, async (s) => send(s, ApiKey.DescribeCluster, v, { includeClusterAuthorizedOperations: false, ...(v >= 1 ? { endpointType: 1 } : {}) }));
    }
    for (const v of common(adv, ApiKey.DescribeLogDirs)) {
      await compare(pair, `describe-log-dirs/v${v}`, async (s) => {
        const o = await send(s, ApiKey.DescribeLogDirs, v, { topics: [{ topic: 'logdirs', partitions: [0, 1, 5] }] });
        if (o.kind !== 'response') return o;
        // The directory path and volume sizes are the machine's; which partitions and errors are not.
        const b = o.body as { errorCode?: number; results: { errorCode: number; topics: { name: string; partitions: { partitionIndex: number; partitionSize: bigint; offsetLag: bigint; isFutureKey: boolean }[] }[] }[] };
        return { errorCode: b.errorCode ?? 0, dirs: b.results.length, results: b.results.map((r) => ({ errorCode: r.errorCode, topics: r.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, offsetLag: p.offsetLag, isFutureKey: p.isFutureKey })) })) })) };
      });
    }
    for (const v of tributaryOnly(adv, ApiKey.DescribeLogDirs)) {
      await compare(pair, `removed-version/describe-log-dirs/v${v}`, async (s) => {
        const c = await s.connect();
        try {
          return (await c.send(ApiKey.DescribeLogDirs, v, { topics: null })).kind;
        } finally {
          c.close();
        }
      });
    }
    await compare(pair, 'describe-topic-partitions/v0', async (s) => {
      const c = await s.connect();
      try {
        return await c.send(ApiKey.DescribeTopicPartitions, 0, { topics: [{ name: 'logdirs' }, { name: 'logdirs-none' }], responsePartitionLimit: 2000, cursor: null });
      } finally {
        c.close();
      }
    });
  });

  it('covers every version Tributary advertises of this file\'s APIs, and every advertised API is owned by a file', () => {
    expectEveryApiOwned(adv);
    expectCovered('protocol-data', adv);
  });
});
