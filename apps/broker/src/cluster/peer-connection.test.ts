import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKey } from '@tributary/protocol';
import { openAnsweringConnection } from './peer-connection.ts';

/**
 * A connection to another broker (the marker sender's to a partition leader). A stopped broker (SIGSTOP, a long pause)
 * still has its connections accepted by the kernel: this stands in for one with a listening socket
 * that reads and never answers. Whatever the coordinator writes there is executed when the broker
 * continues, even if the coordinator died meanwhile and a successor wrote the markers
 * (test/conformance/protocol-txn-markers.test.ts saw the second marker on Tributary, not on Kafka).
 */
describe('openAnsweringConnection', () => {
  let server: Server | null = null;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = null;
  });

  /** A listener that accepts and keeps what it is sent, as a stopped broker's kernel does. */
  async function hungBroker(): Promise<{ port: number; apiKeys: () => number[] }> {
    const received: Buffer[] = [];
    server = createServer((socket) => {
      sockets.push(socket);
      socket.on('data', (d: Buffer) => received.push(d));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    // Each request: a 4-byte size, then the header's int16 api key.
    const apiKeys = () => {
      const all = Buffer.concat(received);
      const keys: number[] = [];
      for (let at = 0; at + 6 <= all.length; at += 4 + all.readInt32BE(at)) keys.push(all.readInt16BE(at + 4));
      return keys;
    };
    return { port, apiKeys };
  }

  it('sends nothing but ApiVersions to a broker that does not answer, and gives up at the timeout', async () => {
    const broker = await hungBroker();
    const started = Date.now();
    await expect(openAnsweringConnection('127.0.0.1', broker.port, 'test-markers', 1000)).rejects.toThrow(/no response to API 18/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    // The request a WriteTxnMarkers would have followed: only ApiVersions reached the socket.
    expect(broker.apiKeys()).toEqual([ApiKey.ApiVersions]);
  });
});
