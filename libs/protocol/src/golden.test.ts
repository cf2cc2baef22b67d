import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FixtureEntry } from '../golden/capture.ts';
import { Compression, type CompressionName } from './compression/codecs.ts';
import { decodeRequest, encodeRequest } from './headers/headers.ts';
import type { ApiVersionsRequest } from './generated/messages/api-versions-request.ts';
import type { FetchRequest } from './generated/messages/fetch-request.ts';
import type { JoinGroupRequest } from './generated/messages/join-group-request.ts';
import type { MetadataRequest } from './generated/messages/metadata-request.ts';
import type { OffsetCommitRequest } from './generated/messages/offset-commit-request.ts';
import type { ProduceRequest } from './generated/messages/produce-request.ts';
import type { SyncGroupRequest } from './generated/messages/sync-group-request.ts';
import { decodeRecordBatch } from './records/record-batch.ts';
import { splitBatches } from './records/record-set.ts';

// Request frames captured from real clients (libs/protocol/golden/capture.ts): kcat (librdkafka 2.0)
// and kafkajs 2.2. Each must decode to what the client was asked to send and re-encode byte for byte.
const dir = join(import.meta.dirname, '../golden/fixtures');
const fixtures = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as FixtureEntry[];
const load = (f: FixtureEntry) => readFileSync(join(dir, f.file));

describe.each(fixtures.map((f) => [f.file, f] as const))('%s', (_file, fixture) => {
  const frame = load(fixture);
  const decoded = decodeRequest(frame);

  it('decodes as the captured API and version and re-encodes identical bytes', () => {
    expect(decoded.api.name).toBe(fixture.api);
    expect(decoded.apiVersion).toBe(fixture.version);
    const reencoded = Buffer.concat(
      encodeRequest(
        { apiKey: decoded.api.apiKey, apiVersion: decoded.apiVersion, correlationId: decoded.header.correlationId, clientId: decoded.header.clientId },
        decoded.body,
      ),
    ).subarray(4);
    expect(reencoded.toString('hex')).toBe(frame.toString('hex'));
  });

  it('carries the values the client was asked to send', () => {
    const clientId = fixture.client === 'kcat' ? 'rdkafka' : 'golden';
    expect(decoded.header.clientId).toBe(clientId);
    switch (fixture.api) {
      case 'ApiVersions': {
        const body = decoded.body as ApiVersionsRequest;
        if (decoded.apiVersion >= 3) expect(body.clientSoftwareName).toBe('librdkafka');
        break;
      }
      case 'Metadata': {
        const body = decoded.body as MetadataRequest;
        expect(body.topics === null || body.topics.some((t) => t.name === 'golden')).toBe(true);
        break;
      }
      case 'Produce': {
        const body = decoded.body as ProduceRequest;
        const codec = fixture.scenario.replace('produce-', '') as CompressionName;
        const blob = body.topicData[0]!.partitionData[0]!.records as Buffer;
        expect(body.topicData[0]!.name).toBe('golden');
        const records = splitBatches(blob).batches.flatMap((s) => {
          const batch = decodeRecordBatch(blob.subarray(s.position, s.position + s.size));
          expect(batch.compression).toBe(Compression[codec]);
          return batch.records;
        });
        // The sidecar records what the client was asked to send; the bytes must carry exactly that.
        const sent = fixture.sent.records as { key: string; value: string; headers: Record<string, string> }[];
        expect(sent.map((m) => m.key)).toEqual(['key-0', 'key-1', 'key-2']);
        expect(records.map((r) => ({ key: r.key?.toString(), value: r.value?.toString(), headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString()])) }))).toEqual(sent);
        expect(sent.every((m) => m.headers.source === fixture.client)).toBe(true);
        break;
      }
      case 'Fetch': {
        const body = decoded.body as FetchRequest;
        expect(body.topics.map((t) => t.topic)).toContain('golden');
        expect(body.replicaId ?? -1).toBe(-1);
        break;
      }
      case 'JoinGroup': {
        const body = decoded.body as JoinGroupRequest;
        expect(body).toMatchObject({ groupId: 'golden-group', protocolType: 'consumer' });
        expect(body.protocols.length).toBeGreaterThan(0);
        break;
      }
      case 'SyncGroup': {
        const body = decoded.body as SyncGroupRequest;
        expect(body.groupId).toBe('golden-group');
        break;
      }
      case 'OffsetCommit': {
        const body = decoded.body as OffsetCommitRequest;
        expect(body.groupId).toBe('golden-group');
        expect(body.topics[0]!.name).toBe('golden');
        break;
      }
    }
  });
});

it('covers every API the issue names, from both clients', () => {
  const seen = new Set(fixtures.map((f) => `${f.client}:${f.api}`));
  for (const client of ['kcat', 'kafkajs']) {
    for (const api of ['ApiVersions', 'Metadata', 'Produce', 'Fetch', 'JoinGroup', 'SyncGroup', 'OffsetCommit']) expect(seen, `${client} ${api}`).toContain(`${client}:${api}`);
  }
  const produce = fixtures.filter((f) => f.api === 'Produce').map((f) => `${f.client}:${f.scenario}`);
  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) for (const client of ['kcat', 'kafkajs']) expect(produce).toContain(`${client}:produce-${codec}`);
});
