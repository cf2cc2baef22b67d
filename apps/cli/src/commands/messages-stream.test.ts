import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../client.ts';
import { CliError } from '../exit-codes.ts';
import { tailOnce } from './messages-stream.ts';

// The tail's connect bound. Real loopback servers stand in for two ways an endpoint behaves that the
// real API cannot be made to show on demand: one accepts the connection and never answers (a hung
// API or proxy), one answers at once and then streams for longer than the bound. What the API
// itself sends is tested against the real stack in test/cli/messages-billing.test.ts.
const sockets = new Set<Socket>();
let requested!: () => void;
const reachedServer = new Promise<void>((resolve) => { requested = resolve; });
const silent = createServer((s) => { sockets.add(s); s.once('data', () => requested()); s.on('close', () => sockets.delete(s)); });
const BOUND_MS = 300;
// Answers the tail at once, then sends its one record and `end` only after three times the bound.
const slow: Server = createHttpServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(`event: start\ndata: ${JSON.stringify({ positions: [{ partition: 0, nextOffset: 0 }] })}\n\n`);
  const later = setTimeout(() => {
    res.write(`event: record\ndata: ${JSON.stringify({ partition: 0, offset: 0 })}\n\n`);
    res.end(`event: end\ndata: ${JSON.stringify({ positions: [{ partition: 0, nextOffset: 1 }] })}\n\n`);
  }, 3 * BOUND_MS);
  res.on('close', () => clearTimeout(later));
});
const urlOf = (s: { address(): unknown }) => `http://127.0.0.1:${(s.address() as { port: number }).port}`;
beforeAll(async () => {
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  slow.closeAllConnections();
  await Promise.all([new Promise((resolve) => silent.close(resolve)), new Promise((resolve) => slow.close(resolve))]);
});

describe('tailOnce', () => {
  it('gives up on an API that does not answer within the connect bound, with a clear error', async () => {
    const api = createApi({ endpoint: urlOf(silent), apiKey: 'trib_unused', name: 'test' });
    const started = Date.now();
    const err = await tailOnce(api, 'i', 't', { durationSeconds: 600 }, new AbortController().signal, () => {}, () => {}, BOUND_MS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toBe('the API did not answer the tail within 0.3s');
    expect(Date.now() - started).toBeGreaterThanOrEqual(BOUND_MS - 10);
  });

  it('a stop before the answer is where the stream would have started, not an error', async () => {
    const api = createApi({ endpoint: urlOf(silent), apiKey: 'trib_unused', name: 'test' });
    const stop = new AbortController();
    const pending = tailOnce(api, 'i', 't', { partition: 0, offset: 7, durationSeconds: 600 }, stop.signal, () => {}, () => {}, 60_000);
    await reachedServer; // the request is out and waits for its answer
    stop.abort();
    expect(await pending).toEqual([{ partition: 0, nextOffset: 7 }]);
  });

  it('an open stream outlives the connect bound: only the answer is bounded, never the stream', async () => {
    const api = createApi({ endpoint: urlOf(slow), apiKey: 'trib_unused', name: 'test' });
    const records: unknown[] = [];
    const positions = await tailOnce(api, 'i', 't', { durationSeconds: 600 }, new AbortController().signal, (r) => records.push(r), () => {}, BOUND_MS);
    expect(records).toEqual([{ partition: 0, offset: 0 }]);
    expect(positions).toEqual([{ partition: 0, nextOffset: 1 }]);
  });
});
