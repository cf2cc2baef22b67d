import { connect, type Socket } from 'node:net';
import { ApiKey, Compression, encodeRecordBatch, encodeRequest, FrameReader, type CompressionId } from '@tributary/protocol';

/** Pre-encoded produce requests: the generator must cost far less than the broker it measures. */
/** `partitions`: a count (requests cycle over 0..n-1) or the exact partition ids to cycle over. */
export function produceRequests(topic: string, partitions: number | number[], recordsPerBatch: number, recordBytes: number, compression: CompressionId, acks: number, count = 16): Buffer[] {
  const ids = typeof partitions === 'number' ? Array.from({ length: partitions }, (_, i) => i) : partitions;
  // Values like event payloads: varied words and numbers, so that lz4 sees a realistic ratio (~0.5).
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const words = ['order', 'user', 'click', 'view', 'checkout', 'cart', 'price', 'region', 'device', 'session'];
  const makeValue = () => {
    let v = '{';
    while (v.length < recordBytes) v += `"${words[Math.floor(rand() * words.length)]}":"${Math.floor(rand() * 2 ** 31).toString(36)}",`;
    return Buffer.from(v.slice(0, recordBytes));
  };
  return Array.from({ length: count }, (_, n) => {
    const batch = encodeRecordBatch({ compression, records: Array.from({ length: recordsPerBatch }, (_, i) => ({ key: `k${n}-${i}`, value: makeValue() })) });
    return Buffer.concat(encodeRequest({ apiKey: ApiKey.Produce, apiVersion: 7, correlationId: n, clientId: 'bench' }, { acks, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: ids[n % ids.length]!, records: batch }] }] }));
  });
}

export interface LoadResult {
  requests: number;
  payloadBytes: number;
  seconds: number;
  latenciesMs: number[];
}

/**
 * Sends the requests round-robin on one connection with up to `inFlight` outstanding, for `ms`.
 * `intervalMs` > 0 paces sends instead (for latency at a fixed rate).
 */
export function drive(target: number | (() => Promise<Socket>), requests: Buffer[], payloadPerRequest: number, ms: number, inFlight = 8, intervalMs = 0): Promise<LoadResult> {
  // A port means a plain loopback connection; a factory hands over a connected (TLS, SASL) socket.
  const opened: Promise<Socket> =
    typeof target === 'number'
      ? new Promise((ok, fail) => {
          const s = connect({ host: '127.0.0.1', port: target }, () => ok(s));
          s.once('error', fail);
        })
      : target();
  return opened.then((socket) => load(socket, requests, payloadPerRequest, ms, inFlight, intervalMs));
}

function load(socket: Socket, requests: Buffer[], payloadPerRequest: number, ms: number, inFlight: number, intervalMs: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    socket.setNoDelay(true);
    const frames = new FrameReader(64 << 20);
    const sentAt: number[] = [];
    const latenciesMs: number[] = [];
    let next = 0;
    let outstanding = 0;
    let done = 0;
    let timer: NodeJS.Timeout | null = null;
    const send = () => {
      sentAt.push(performance.now());
      outstanding++;
      socket.write(requests[next++ % requests.length]!);
    };
    const started = performance.now();
    const stopAt = started + ms;
    const finish = () => {
      if (timer) clearInterval(timer);
      socket.destroy();
      resolve({ requests: done, payloadBytes: done * payloadPerRequest, seconds: (performance.now() - started) / 1000, latenciesMs });
    };
    socket.on('data', (chunk) => {
      for (const _frame of frames.push(chunk)) {
        latenciesMs.push(performance.now() - sentAt[done]!);
        done++;
        outstanding--;
        const now = performance.now();
        if (now >= stopAt && outstanding === 0) return finish();
        if (intervalMs === 0 && now < stopAt) send();
      }
    });
    socket.on('error', reject);
    if (intervalMs > 0) {
      timer = setInterval(() => {
        if (performance.now() < stopAt) send();
        else if (outstanding === 0) finish();
      }, intervalMs);
    } else for (let i = 0; i < inFlight; i++) send();
  });
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export const NONE = Compression.none;
export const LZ4 = Compression.lz4;
