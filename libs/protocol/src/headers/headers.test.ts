import { describe, expect, it } from 'vitest';
import { ApiKey } from '../generated/api-definitions.ts';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, peekRequestPrefix, requestHeaderVersion, responseHeaderVersion } from './headers.ts';
import type { MetadataRequest } from '../generated/messages/metadata-request.ts';
import type { ApiVersionsResponse } from '../generated/messages/api-versions-response.ts';

const frameBody = (chunks: Buffer[]) => {
  const whole = Buffer.concat(chunks);
  expect(whole.readInt32BE(0)).toBe(whole.length - 4);
  return whole.subarray(4);
};

describe('header versions', () => {
  it('follows Kafka: flexible requests use header v2, others v1, ControlledShutdown v0 uses v0', () => {
    expect(requestHeaderVersion(ApiKey.Metadata, 8)).toBe(1);
    expect(requestHeaderVersion(ApiKey.Metadata, 9)).toBe(2);
    expect(requestHeaderVersion(ApiKey.Produce, 9)).toBe(2);
    expect(requestHeaderVersion(ApiKey.ControlledShutdown, 0)).toBe(0);
    expect(requestHeaderVersion(ApiKey.ControlledShutdown, 1)).toBe(1);
  });

  it('answers ApiVersions with response header v0 even in flexible versions', () => {
    expect(responseHeaderVersion(ApiKey.ApiVersions, 3)).toBe(0);
    expect(responseHeaderVersion(ApiKey.Metadata, 9)).toBe(1);
    expect(responseHeaderVersion(ApiKey.Metadata, 8)).toBe(0);
  });
});

describe('request and response frames', () => {
  it('round-trips a flexible request with its header', () => {
    const frame = frameBody(encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 42, clientId: 'cli' }, { topics: [{ name: 'a', topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: true }));
    expect(peekRequestPrefix(frame)).toEqual({ apiKey: 3, apiVersion: 12, correlationId: 42 });
    const decoded = decodeRequest(frame);
    expect(decoded.header).toMatchObject({ requestApiKey: 3, requestApiVersion: 12, correlationId: 42, clientId: 'cli' });
    expect((decoded.body as MetadataRequest).topics).toEqual([{ name: 'a', topicId: '00000000-0000-0000-0000-000000000000' }]);
  });

  it('keeps the client id a classic string even in header v2 (its flexibleVersions is none)', () => {
    const frame = frameBody(encodeRequest({ apiKey: ApiKey.ApiVersions, apiVersion: 3, correlationId: 1, clientId: 'abc' }, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }));
    // apiKey(2) apiVersion(2) correlationId(4) then int16 length 3 and "abc".
    expect(frame.readInt16BE(8)).toBe(3);
    expect(frame.toString('utf8', 10, 13)).toBe('abc');
  });

  it('round-trips a response and decodes ApiVersions v3 with a v0 header', () => {
    const body = { errorCode: 0, apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 11 }], throttleTimeMs: 0 };
    const frame = frameBody(encodeResponse(ApiKey.ApiVersions, 3, 7, body));
    expect(frame.readInt32BE(0)).toBe(7);
    // No tagged-field byte after the correlation id: errorCode follows directly.
    expect(frame.readInt16BE(4)).toBe(0);
    const decoded = decodeResponse(frame, ApiKey.ApiVersions, 3);
    expect(decoded.correlationId).toBe(7);
    expect((decoded.body as ApiVersionsResponse).apiKeys).toMatchObject([{ apiKey: 0, minVersion: 0, maxVersion: 11 }]);
  });

  it('carries large record buffers as their own chunks instead of copying them', () => {
    const records = Buffer.alloc(64 * 1024, 7);
    const chunks = encodeRequest(
      { apiKey: ApiKey.Produce, apiVersion: 9, correlationId: 3, clientId: null },
      { acks: 1, timeoutMs: 100, topicData: [{ name: 't', partitionData: [{ index: 0, records }] }] },
    );
    expect(chunks.some((c) => c === records)).toBe(true);
  });
});
