import { execFile } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, decodeResponse, encodeRecordBatch, encodeRequest, ErrorCode, type ApiVersionsResponse, type FetchResponse, type ProduceResponse } from '@tributary/protocol';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';

// Hostile and invalid input: the right Kafka error, or one closed connection; the broker keeps
// serving everyone else and never stores anything invalid.
const run = promisify(execFile);
let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startBroker({ settings: { 'socket.request.max.bytes': String(1024 * 1024), 'message.max.bytes': '10000' } });
});
afterAll(async () => {
  await broker?.destroy();
});

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: broker.port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends raw bytes; resolves with the first response frame, or 'closed' if the broker hung up. */
function exchange(bytes: Buffer | Buffer[], timeoutMs = 5000): Promise<Buffer | 'closed'> {
  return open().then(
    (s) =>
      new Promise((resolve, reject) => {
        let data = Buffer.alloc(0);
        const timer = setTimeout(() => {
          s.destroy();
          reject(new Error('no answer and no close'));
        }, timeoutMs);
        s.on('data', (d) => {
          data = Buffer.concat([data, d]);
          if (data.length >= 4 && data.length >= 4 + data.readInt32BE(0)) {
            clearTimeout(timer);
            s.destroy();
            resolve(data.subarray(4, 4 + data.readInt32BE(0)));
          }
        });
        s.on('close', () => {
          clearTimeout(timer);
          resolve('closed');
        });
        s.on('error', () => undefined);
        s.write(Buffer.concat(Array.isArray(bytes) ? bytes : [bytes]));
      }),
  );
}

async function stillServes(): Promise<void> {
  const { stdout } = await run('kcat', ['-L', '-b', broker.bootstrap], { timeout: 15_000 });
  expect(stdout).toContain('broker 1');
}

function produceFrame(records: Buffer, version = 7) {
  return encodeRequest({ apiKey: ApiKey.Produce, apiVersion: version, correlationId: 9, clientId: 'bad-input' }, { acks: 1, timeoutMs: 1000, topicData: [{ name: 'bad-input', partitionData: [{ index: 0, records }] }] });
}

describe('bad input', () => {
  it('answers full fetches with session id 0 and incremental fetches of unknown sessions with FETCH_SESSION_ID_NOT_FOUND', async () => {
    const fetch = (sessionId: number, sessionEpoch: number) =>
      encodeRequest({ apiKey: ApiKey.Fetch, apiVersion: 11, correlationId: 3, clientId: 'bad-input' }, {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 1, sessionId, sessionEpoch,
        topics: [{ topic: 'fetch-session', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
        forgottenTopicsData: [], rackId: '',
      });
    const full = decodeResponse((await exchange(fetch(0, 0))) as Buffer, ApiKey.Fetch, 11).body as FetchResponse;
    expect(full).toMatchObject({ errorCode: 0, sessionId: 0 });
    // Asking to close a session (epoch -1) is a sessionless full fetch too.
    expect(decodeResponse((await exchange(fetch(77, -1))) as Buffer, ApiKey.Fetch, 11).body).toMatchObject({ errorCode: 0, sessionId: 0 });
    const incremental = decodeResponse((await exchange(fetch(77, 1))) as Buffer, ApiKey.Fetch, 11).body as FetchResponse;
    expect(incremental).toMatchObject({ errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] });
  });

  it('closes a connection whose frame claims more than socket.request.max.bytes', async () => {
    const frame = Buffer.alloc(8);
    frame.writeInt32BE(50 * 1024 * 1024, 0);
    expect(await exchange(frame)).toBe('closed');
    await stillServes();
  });

  it('closes a connection that sends an unknown API key or garbage', async () => {
    const unknown = Buffer.from([0, 0, 0, 10, 0x7f, 0x00, 0, 0, 0, 0, 0, 1, 0, 0]);
    expect(await exchange(unknown)).toBe('closed');
    expect(await exchange(Buffer.from([0, 0, 0, 3, 1, 2, 3]))).toBe('closed');
    const truncatedMetadata = Buffer.concat(encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 4, correlationId: 1, clientId: 'x' }, { topics: [{ name: 'abc' }] }));
    truncatedMetadata.writeInt32BE(truncatedMetadata.length - 4 - 2, 0);
    expect(await exchange(truncatedMetadata.subarray(0, truncatedMetadata.length - 2))).toBe('closed');
    await stillServes();
  });

  it('answers an ApiVersions version it does not know with v0 and UNSUPPORTED_VERSION (KIP-511)', async () => {
    const frame = Buffer.from([0, 0, 0, 10, 0, ApiKey.ApiVersions, 0, 99, 0, 0, 0, 5, 0xff, 0xff]);
    const answer = await exchange(frame);
    expect(answer).not.toBe('closed');
    const { correlationId, body } = decodeResponse(answer as Buffer, ApiKey.ApiVersions, 0);
    expect(correlationId).toBe(5);
    expect((body as ApiVersionsResponse).errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    // The ranges are the ones a known version gets (Produce: 0 to 13 since topic ids in Produce, KIP-516).
    const known = await exchange(Buffer.from([0, 0, 0, 10, 0, ApiKey.ApiVersions, 0, 0, 0, 0, 0, 6, 0xff, 0xff]));
    const ranges = (decodeResponse(known as Buffer, ApiKey.ApiVersions, 0).body as ApiVersionsResponse).apiKeys;
    expect((body as ApiVersionsResponse).apiKeys).toEqual(ranges);
    expect(ranges.find((k) => k.apiKey === ApiKey.Produce)).toMatchObject({ minVersion: 0, maxVersion: 13 });
  });

  it('refuses a batch with a bad CRC with CORRUPT_MESSAGE and stores nothing', async () => {
    await run('kcat', ['-L', '-b', broker.bootstrap, '-t', 'bad-input'], { timeout: 15_000 }); // auto-creates the topic
    const batch = encodeRecordBatch({ records: [{ value: 'ok' }] });
    const good = await exchange(produceFrame(batch));
    expect((decodeResponse(good as Buffer, ApiKey.Produce, 7).body as ProduceResponse).responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
    const corrupt = encodeRecordBatch({ records: [{ value: 'corrupt me' }] });
    corrupt.writeUInt8(corrupt.readUInt8(corrupt.length - 2) ^ 0xff, corrupt.length - 2);
    const bad = await exchange(produceFrame(corrupt));
    expect((decodeResponse(bad as Buffer, ApiKey.Produce, 7).body as ProduceResponse).responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    const tooBig = await exchange(produceFrame(encodeRecordBatch({ records: [{ value: Buffer.alloc(20_000, 1) }] })));
    expect((decodeResponse(tooBig as Buffer, ApiKey.Produce, 7).body as ProduceResponse).responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    const { stdout } = await run('kcat', ['-C', '-b', broker.bootstrap, '-t', 'bad-input', '-o', 'beginning', '-e', '-q', '-f', '%s@%o\n'], { timeout: 15_000 });
    expect(stdout.trim().split('\n')).toEqual(['ok@0']);
  });

  it('answers a retried idempotent batch with its first offset and refuses a sequence gap, writing nothing twice', async () => {
    await run('kcat', ['-L', '-b', broker.bootstrap, '-t', 'idem'], { timeout: 15_000 });
    const send = async (baseSequence: number, value: string) => {
      const batch = encodeRecordBatch({ records: [{ value }], producerId: 4242n, producerEpoch: 0, baseSequence });
      const frame = encodeRequest({ apiKey: ApiKey.Produce, apiVersion: 7, correlationId: 1, clientId: 'idem' }, { acks: -1, timeoutMs: 1000, topicData: [{ name: 'idem', partitionData: [{ index: 0, records: batch }] }] });
      const answer = await exchange(frame);
      return (decodeResponse(answer as Buffer, ApiKey.Produce, 7).body as ProduceResponse).responses[0]!.partitionResponses[0]!;
    };
    expect(await send(0, 'first')).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(await send(1, 'second')).toMatchObject({ errorCode: 0, baseOffset: 1n });
    expect(await send(0, 'first')).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(await send(5, 'gap')).toMatchObject({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    const { stdout } = await run('kcat', ['-C', '-b', broker.bootstrap, '-t', 'idem', '-o', 'beginning', '-e', '-q', '-f', '%s\n'], { timeout: 15_000 });
    expect(stdout.trim().split('\n')).toEqual(['first', 'second']);
  });

  it('refuses invalid topic names with INVALID_TOPIC_EXCEPTION through Metadata', async () => {
    const { stdout, stderr } = await run('kcat', ['-L', '-b', broker.bootstrap, '-t', 'no/slashes'], { timeout: 15_000 }).catch((e) => e);
    expect(`${stdout}${stderr}`).toMatch(/Broker: Invalid topic|Invalid topic/i);
  });
});
