import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '@tributary/testkit';
import { PeerProbe } from './peer-probe.ts';

const servers: Server[] = [];
const sockets = new Set<Socket>();
afterEach(() => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
});

async function listen(port = 0): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

/** In-process events: a fine step and a short bound. */
const soon = (done: () => boolean, what: string) => until(done, what, 3_000, undefined, 10);
const peer = (nodeId: number, port: number) => ({ nodeId, rack: null, listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port }] });

describe('PeerProbe', () => {
  it('declares a peer dead once its connection closes and its port refuses connections', async () => {
    const { server, port } = await listen();
    const dead: number[] = [];
    const probe = new PeerProbe({ nodeId: 1, listenerName: 'PLAINTEXT', onDead: (id) => dead.push(id) });
    probe.update([peer(1, 9), peer(2, port)]);
    await soon(() => sockets.size === 1, 'the probe connected to peer 2');
    // What kill -9 looks like from outside: the connection drops and nobody listens any more.
    server.close();
    for (const s of sockets) s.destroy();
    await soon(() => dead.length > 0, 'peer 2 declared dead');
    probe.stop();
    expect(dead).toEqual([2]);
  });

  it('keeps a peer that closes a connection but still listens; declares a registered peer whose port refuses from the start', async () => {
    const { port } = await listen();
    const dead: number[] = [];
    const probe = new PeerProbe({ nodeId: 1, listenerName: 'PLAINTEXT', onDead: (id) => dead.push(id) });
    // Peer 3 is registered but nobody listens on its port: brokers listen before they register, so it is gone.
    const unused = await listen();
    unused.server.close();
    probe.update([peer(2, port), peer(3, unused.port)]);
    await soon(() => sockets.size === 1, 'the probe connected to peer 2');
    for (const s of sockets) s.destroy();
    await soon(() => sockets.size === 1, 'the probe reconnected to peer 2');
    await new Promise((r) => setTimeout(r, 300));
    probe.stop();
    expect(dead).toEqual([3]);
  });
});
