import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, decodeResponse, encodeRecordBatch, encodeRequest, ErrorCode, type DecodedRequest, type MetadataResponse, type ProduceRequest, type ProduceResponse } from '@tributary/protocol';
import { Broker } from '../broker.ts';
import { parseArgs } from '../config/broker-config.ts';
import { HANDLERS } from '../handlers/index.ts';
import type { Handler, HandlerEntry } from '../handlers/context.ts';
import { LogError } from '../log/errors.ts';
import type { Logger } from '../logger.ts';

// Defect 5 of issue 13: a handler that throws answers that API's error response (Kafka's
// getErrorResponse) and the connection goes on; only bytes that cannot be a request close it.
// The real broker with its real dispatcher, whose handler table has two handlers that throw for
// one topic name — the only way to reach a handler bug on purpose.
const BOOM = 'boom';
const STORAGE = 'storage-failure';
let broker: Broker;
let port: number;
let dir: string;
const logged: string[] = [];

function throwingFor(entry: HandlerEntry, topicsOf: (r: DecodedRequest) => string[]): HandlerEntry {
  const handle: Handler = (ctx, request, session) => {
    const topics = topicsOf(request);
    if (topics.includes(BOOM)) throw new TypeError('a handler bug');
    if (topics.includes(STORAGE)) throw new LogError('LOG_CLOSED', 'the log was closed under the request');
    return entry.handle(ctx, request, session);
  };
  return { ...entry, handle };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-connection-'));
  const handlers = new Map(HANDLERS);
  handlers.set(ApiKey.Metadata, throwingFor(HANDLERS.get(ApiKey.Metadata)!, (r) => ((r.body as { topics: { name: string | null }[] | null }).topics ?? []).map((t) => t.name ?? '')));
  handlers.set(ApiKey.Produce, throwingFor(HANDLERS.get(ApiKey.Produce)!, (r) => (r.body as ProduceRequest).topicData.map((t) => t.name)));
  const logger: Logger = { log: (level, message, fields) => void logged.push(JSON.stringify({ level, message, ...fields })) };
  broker = new Broker(parseArgs(['--node-id', '1', '--listeners', 'PLAINTEXT://127.0.0.1:0', '--data-dir', dir, '--set', 'auto.create.topics.enable=true']), logger, handlers);
  [port] = (await broker.start()) as [number];
});

afterAll(async () => {
  await broker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A raw client: frames out, response frames in, and whether the broker closed the socket. */
class RawClient {
  readonly socket: Socket;
  #buffer = Buffer.alloc(0);
  #frames: Buffer[] = [];
  #waiters: (() => void)[] = [];
  closed = false;
  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d) => {
      this.#buffer = Buffer.concat([this.#buffer, d]);
      while (this.#buffer.length >= 4 && this.#buffer.length >= 4 + this.#buffer.readInt32BE(0)) {
        this.#frames.push(this.#buffer.subarray(4, 4 + this.#buffer.readInt32BE(0)));
        this.#buffer = this.#buffer.subarray(4 + this.#buffer.readInt32BE(0));
      }
      this.#wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.#wake();
    });
    socket.on('error', () => undefined);
  }
  static open(): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }
  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
  send(chunks: Buffer[]): void {
    this.socket.write(Buffer.concat(chunks));
  }
  /** The next response frame, or 'closed' once the broker hung up (bounded: 10 s). */
  async next(): Promise<Buffer | 'closed'> {
    const deadline = Date.now() + 10_000;
    while (this.#frames.length === 0 && !this.closed) {
      if (Date.now() > deadline) throw new Error('no response and no close within 10 s');
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 100);
      });
    }
    return this.#frames.shift() ?? 'closed';
  }
}

const metadata = (topics: string[], correlationId: number, version = 12) =>
  encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: version, correlationId, clientId: 'connection-test' }, { topics: topics.map((name) => ({ topicId: '00000000-0000-0000-0000-000000000000', name })), allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });

const produce = (topic: string, correlationId: number, acks = 1) =>
  encodeRequest(
    { apiKey: ApiKey.Produce, apiVersion: 9, correlationId, clientId: 'connection-test' },
    { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from(`v${correlationId}`) }] }) }] }] },
  );

function decoded<T>(frame: Buffer | 'closed', apiKey: number, version: number): { correlationId: number; body: T } {
  if (frame === 'closed') throw new Error('the broker closed the connection');
  return decodeResponse(frame, apiKey, version) as { correlationId: number; body: T };
}

describe('a handler that throws', () => {
  it('answers with the API error response at every level and keeps the connection', async () => {
    const c = await RawClient.open();
    c.send(metadata([BOOM, 'other'], 1));
    const failed = decoded<MetadataResponse>(await c.next(), ApiKey.Metadata, 12);
    expect(failed.correlationId).toBe(1);
    expect(failed.body.topics.map((t) => [t.name, t.errorCode])).toEqual([
      [BOOM, ErrorCode.UNKNOWN_SERVER_ERROR],
      ['other', ErrorCode.UNKNOWN_SERVER_ERROR],
    ]);
    expect(failed.body.brokers).toEqual([]);
    // The same connection is served next.
    c.send(metadata(['fine'], 2));
    const ok = decoded<MetadataResponse>(await c.next(), ApiKey.Metadata, 12);
    expect(ok.correlationId).toBe(2);
    expect(ok.body.brokers.length).toBe(1);
    expect(c.closed).toBe(false);
    expect(logged.some((l) => l.includes('handler failed') && l.includes('a handler bug'))).toBe(true);
    c.socket.destroy();
  });

  it('answers a thrown Kafka error with its own code and message', async () => {
    const c = await RawClient.open();
    c.send(produce(STORAGE, 5));
    const r = decoded<ProduceResponse>(await c.next(), ApiKey.Produce, 9);
    expect(r.body.responses[0]!.partitionResponses[0]).toMatchObject({ index: 0, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, baseOffset: -1n, errorMessage: 'the log was closed under the request' });
    c.socket.destroy();
  });

  it('keeps pipelined Produce answers in request order around a failed one', async () => {
    const c = await RawClient.open();
    c.send(metadata(['pipelined'], 10));
    expect(decoded<MetadataResponse>(await c.next(), ApiKey.Metadata, 12).correlationId).toBe(10);
    // Three Produce requests in one write: the middle one throws.
    c.send([...produce('pipelined', 11), ...produce(BOOM, 12), ...produce('pipelined', 13)]);
    const answers = [await c.next(), await c.next(), await c.next()].map((f) => decoded<ProduceResponse>(f, ApiKey.Produce, 9));
    expect(answers.map((a) => a.correlationId)).toEqual([11, 12, 13]);
    expect(answers.map((a) => a.body.responses[0]!.partitionResponses[0]!.errorCode)).toEqual([0, ErrorCode.UNKNOWN_SERVER_ERROR, 0]);
    expect(answers[2]!.body.responses[0]!.partitionResponses[0]!.baseOffset).toBe(answers[0]!.body.responses[0]!.partitionResponses[0]!.baseOffset + 1n);
    c.socket.destroy();
  });

  it('sends nothing for a failed acks=0 Produce, and the connection goes on', async () => {
    const c = await RawClient.open();
    c.send([...produce(BOOM, 20, 0), ...metadata(['after-acks0'], 21)]);
    const next = decoded<MetadataResponse>(await c.next(), ApiKey.Metadata, 12);
    expect(next.correlationId).toBe(21);
    c.socket.destroy();
  });

  it('still closes only the connection whose frame cannot be parsed', async () => {
    const bad = await RawClient.open();
    const good = await RawClient.open();
    // A Metadata v12 header whose body is cut short.
    const frame = Buffer.concat(metadata(['x'], 30));
    const cut = frame.subarray(0, frame.length - 6);
    const sized = Buffer.alloc(4);
    sized.writeInt32BE(cut.length - 4);
    bad.send([sized, cut.subarray(4)]);
    expect(await bad.next()).toBe('closed');
    good.send(metadata(['still-served'], 31));
    expect(decoded<MetadataResponse>(await good.next(), ApiKey.Metadata, 12).correlationId).toBe(31);
    good.socket.destroy();
  });
});
