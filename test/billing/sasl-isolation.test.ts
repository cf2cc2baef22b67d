import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { ApiKey, decodeResponse, encodeRequest, FrameReader, ScramClient } from '@tributary/protocol';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';

// Billing isolation on the broker's SASL paths (issue 15): a broker of an isolated instance refuses
// every login, including pre-KIP-152 clients that send SaslHandshake v0 and then bare tokens, which
// have no error field to carry the refusal (the connection is closed instead, as Kafka closes a v0
// client's connection after a failed exchange). The kafkajs path (SaslAuthenticate) is
// apps/operator/src/reconcile/billing-isolation.test.ts.
const PASSWORD = 'carol-Secret-512-pw';
let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startBroker({
    extraListeners: ['SASL_PLAINTEXT'],
    settings: { 'sasl.enabled.mechanisms': 'SCRAM-SHA-512', 'tributary.instance.isolated.reason': 'prepaid period expired', 'connection.failed.authentication.delay.ms': '10' },
  });
  const admin = await KafkaAdminClient.connect(broker.bootstrap);
  try {
    expect([...(await admin.alterUserScramCredentials([{ user: 'carol', mechanism: 'SCRAM-SHA-512', password: PASSWORD }])).values()]).toEqual([null]);
  } finally { admin.close(); }
}, 60_000);
afterAll(async () => { await broker?.destroy(); });

/** A raw connection to the SASL listener: frames in order, and whether the broker closed it. */
async function open(): Promise<{ socket: Socket; next: () => Promise<Buffer | 'closed'>; bare: (t: Buffer) => void; send: (apiKey: number, apiVersion: number, body: unknown) => void }> {
  const [host, port] = broker.addresses.SASL_PLAINTEXT!.split(':');
  const socket = connect({ host: host!, port: Number(port) });
  await new Promise((r) => socket.once('connect', r));
  const frames = new FrameReader(1 << 20);
  const pending: (Buffer | 'closed')[] = [];
  let wake: (() => void) | null = null;
  socket.on('data', (d) => { pending.push(...frames.push(d)); wake?.(); });
  socket.on('close', () => { pending.push('closed'); wake?.(); });
  socket.on('error', () => undefined);
  let correlationId = 0;
  return {
    socket,
    next: async () => {
      while (pending.length === 0) await new Promise<void>((r) => (wake = r));
      return pending.shift()!;
    },
    bare: (token) => { const size = Buffer.alloc(4); size.writeInt32BE(token.length); socket.write(Buffer.concat([size, token])); },
    send: (apiKey, apiVersion, body) => { for (const chunk of encodeRequest({ apiKey, apiVersion, correlationId: ++correlationId, clientId: 'isolated' }, body)) socket.write(chunk); },
  };
}

describe('an isolated instance\'s broker', () => {
  it('SaslHandshake v0 with bare SCRAM tokens: the right password gets no server proof and the connection is closed; nothing else is answered', async () => {
    const c = await open();
    c.send(ApiKey.SaslHandshake, 0, { mechanism: 'SCRAM-SHA-512' });
    const hs = await c.next();
    expect(hs).not.toBe('closed');
    expect(decodeResponse(hs as Buffer, ApiKey.SaslHandshake, 0).body).toMatchObject({ errorCode: 0 });
    const scram = new ScramClient('SCRAM-SHA-512', 'carol', PASSWORD);
    c.bare(scram.first());
    const serverFirst = await c.next();
    expect(serverFirst).not.toBe('closed');
    c.bare(scram.final(serverFirst as Buffer));
    // Not the server-final message (which would authenticate the connection): the close.
    expect(await c.next()).toBe('closed');
    expect(broker.output()).toMatch(/login refused: instance isolated/);
  });

  it('SaslHandshake v1 + SaslAuthenticate: refused with the reason (unchanged path, checked beside it)', async () => {
    const c = await open();
    c.send(ApiKey.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-512' });
    expect(decodeResponse((await c.next()) as Buffer, ApiKey.SaslHandshake, 1).body).toMatchObject({ errorCode: 0 });
    const scram = new ScramClient('SCRAM-SHA-512', 'carol', PASSWORD);
    c.send(ApiKey.SaslAuthenticate, 1, { authBytes: scram.first() });
    const first = decodeResponse((await c.next()) as Buffer, ApiKey.SaslAuthenticate, 1).body as { errorCode: number; authBytes: Buffer };
    expect(first.errorCode).toBe(0);
    c.send(ApiKey.SaslAuthenticate, 1, { authBytes: scram.final(first.authBytes) });
    expect(decodeResponse((await c.next()) as Buffer, ApiKey.SaslAuthenticate, 1).body).toMatchObject({ errorCode: 58, errorMessage: 'instance isolated: prepaid period expired' });
    expect(await c.next()).toBe('closed');
  });
});
