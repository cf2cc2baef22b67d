import { execFile } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { ApiKey, decodeResponse, encodeRequest, FrameReader, ScramClient } from '@tributary/protocol';
import { startKafka, type TestKafka } from '@tributary/testkit';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';
import { ensureJavaPrograms, runJava } from '../support/java-client.ts';

// KIP-368 SASL re-authentication: the broker's connections.max.reauth.ms is told to clients in
// SaslAuthenticate (session_lifetime_ms); they re-authenticate on the open connection before it
// ends, with the same mechanism and principal; a connection that does not is closed at its next
// request. Proven with Apache Kafka's Java client (re-authenticates), librdkafka 2.0 through
// confluent-kafka for Python (predates KIP-368 support: it is disconnected and reconnects) and a raw
// protocol client.
const run = promisify(execFile);
const LIFETIME_MS = 2000;
const PYTHON_PRODUCER = resolve(import.meta.dirname, 'python/paced_produce.py');
const PASSWORD = { alice: 'alice-Reauth-pw', bob: 'bob-Reauth-pw' };
let broker: BrokerProcess;
// Apache Kafka 4.4 with the same setting: the raw-protocol scenarios run against both and must agree.
let kafka: TestKafka;

beforeAll(async () => {
  ensureJavaPrograms();
  broker = await startBroker({ extraListeners: ['SASL_PLAINTEXT'], settings: { 'connections.max.reauth.ms': String(LIFETIME_MS), 'connection.failed.authentication.delay.ms': '10' } });
  const admin = await KafkaAdminClient.connect(broker.bootstrap);
  try {
    const created = await admin.alterUserScramCredentials([
      { user: 'alice', mechanism: 'SCRAM-SHA-512', password: PASSWORD.alice },
      { user: 'bob', mechanism: 'SCRAM-SHA-512', password: PASSWORD.bob },
    ]);
    expect([...created.values()]).toEqual([null, null]);
    for (const name of ['reauth-java', 'reauth-kcat']) await admin.createTopics([{ name, partitions: 1, replicationFactor: 1 }]);
    expect(await admin.createAcls((['TOPIC', 'GROUP'] as const).map((resourceType) => ({ resourceType, resourceName: '*', patternType: 'LITERAL' as const, principal: 'User:*', host: '*', operation: 'ALL' as const, permission: 'ALLOW' as const })))).toEqual([null, null]);
  } finally {
    admin.close();
  }
  kafka = await startKafka({ sasl: { superUser: { name: 'admin', password: 'admin-Reauth-pw' }, users: [{ name: 'alice', password: PASSWORD.alice }, { name: 'bob', password: PASSWORD.bob }], allowEveryoneIfNoAclFound: true }, settings: { 'connections.max.reauth.ms': String(LIFETIME_MS) } });
}, 600_000);
afterAll(async () => {
  await broker?.destroy();
  await kafka?.stop();
});

const logLines = (msg: string) => broker.output().split('\n').filter((l) => l.includes(`"msg":"${msg}"`));

/** A bare protocol connection to the SASL listener: requests in, decoded responses out, and when it closed. */
async function rawConnection(address: string) {
  const [host, port] = address.split(':');
  const socket: Socket = connect({ host: host!, port: Number(port) });
  await new Promise((r) => socket.once('connect', r));
  const frames = new FrameReader(1 << 20);
  const pending: Buffer[] = [];
  let wake: (() => void) | null = null;
  const closed = new Promise<number>((r) => socket.once('close', () => {
    r(Date.now());
    wake?.();
  }));
  socket.on('error', () => undefined);
  socket.on('data', (d) => {
    pending.push(...frames.push(d));
    wake?.();
  });
  let correlationId = 0;
  const send = async (apiKey: number, apiVersion: number, body: unknown): Promise<Record<string, unknown> | null> => {
    for (const chunk of encodeRequest({ apiKey, apiVersion, correlationId: ++correlationId, clientId: 'raw' }, body)) socket.write(chunk);
    while (pending.length === 0 && !socket.destroyed) await new Promise<void>((r) => (wake = r));
    const frame = pending.shift();
    return frame ? (decodeResponse(frame, apiKey, apiVersion).body as Record<string, unknown>) : null;
  };
  const login = async (user: 'alice' | 'bob') => {
    const hs = await send(ApiKey.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-512' });
    expect(hs).toMatchObject({ errorCode: 0 });
    const scram = new ScramClient('SCRAM-SHA-512', user, PASSWORD[user]);
    const first = await send(ApiKey.SaslAuthenticate, 2, { authBytes: scram.first() });
    return send(ApiKey.SaslAuthenticate, 2, { authBytes: scram.final(first!.authBytes as Buffer) });
  };
  const metadata = () => send(ApiKey.Metadata, 9, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  return { socket, send, login, metadata, closed };
}

describe('SASL re-authentication (KIP-368)', () => {
  for (const target of ['tributary', 'kafka'] as const) {
    const address = () => (target === 'tributary' ? broker.addresses.SASL_PLAINTEXT! : kafka.saslBootstrap!);
    it(`${target}: tells the session lifetime in SaslAuthenticate, re-authenticates on the open connection, and closes one that does not`, async () => {
      const c = await rawConnection(address());
      const authenticatedAt = Date.now();
      expect(await c.login('alice')).toMatchObject({ errorCode: 0, sessionLifetimeMs: BigInt(LIFETIME_MS) });
      expect(await c.metadata()).toMatchObject({ topics: expect.any(Array) });
      // Re-authenticating as the same user restarts the session on this connection.
      expect(await c.login('alice')).toMatchObject({ errorCode: 0, sessionLifetimeMs: BigInt(LIFETIME_MS) });
      const reauthenticatedAt = Date.now();
      expect(await c.metadata()).toMatchObject({ topics: expect.any(Array) });
      // Without another re-authentication the connection is closed at its first request after the session ended.
      // (A request sent before the session ended is answered: the broker's end is at most LIFETIME after
      // reauthenticatedAt, which was taken after the broker completed the exchange.)
      let lastAnsweredSentAt = 0;
      while (!c.socket.destroyed && Date.now() - authenticatedAt < LIFETIME_MS * 5) {
        const sentAt = Date.now();
        if ((await c.metadata()) !== null) lastAnsweredSentAt = sentAt;
        await new Promise((r) => setTimeout(r, 100)); // request pacing, not synchronisation
      }
      const closedAt = await c.closed;
      expect(lastAnsweredSentAt - reauthenticatedAt).toBeLessThanOrEqual(LIFETIME_MS);
      expect(closedAt - reauthenticatedAt).toBeGreaterThanOrEqual(LIFETIME_MS - 100);
      if (target === 'tributary') expect(logLines('connection closed: SASL session expired without re-authentication (connections.max.reauth.ms)').length).toBeGreaterThanOrEqual(1);
    }, 30_000);

    it(`${target}: refuses a re-authentication as another principal or with another mechanism, and closes the connection`, async () => {
      const c = await rawConnection(address());
      expect(await c.login('alice')).toMatchObject({ errorCode: 0 });
      expect(await c.login('bob')).toMatchObject({ errorCode: 58, errorMessage: 'Cannot change principals during re-authentication from User.alice: User.bob' });
      await c.closed;
      const d = await rawConnection(address());
      expect(await d.login('alice')).toMatchObject({ errorCode: 0 });
      // Kafka answers the handshake as usual and then closes the connection: the exchange goes no further.
      expect(await d.send(ApiKey.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-256' })).toMatchObject({ errorCode: 0 });
      expect(await d.send(ApiKey.SaslAuthenticate, 2, { authBytes: new ScramClient('SCRAM-SHA-256', 'alice', PASSWORD.alice).first() })).toBeNull();
      await d.closed;
    }, 30_000);
  }

  it('Java client (SCRAM-SHA-512): an idempotent producer runs across several session lifetimes, re-authenticating each time; nothing lost', async () => {
    const before = logLines('client re-authenticated').filter((l) => l.includes('User:bob')).length;
    const { result } = await runJava<{ sent: number; acked: number; errors: string[]; readBack: number }>('ReauthProducer', [broker.addresses.SASL_PLAINTEXT!, 'reauth-java', 'bob', PASSWORD.bob, String(LIFETIME_MS * 5)]);
    expect(result.errors).toEqual([]);
    expect(result.acked).toBe(result.sent);
    expect(result.readBack).toBe(result.sent);
    expect(result.sent).toBeGreaterThan(20);
    const reauths = logLines('client re-authenticated').filter((l) => l.includes('User:bob')).length - before;
    // The client re-authenticates at 85–95 % of each session: at least twice in five lifetimes on a
    // loaded machine, and no connection of bob's ever outlived its session.
    expect(reauths).toBeGreaterThanOrEqual(2);
    expect(logLines('connection closed: SASL session expired without re-authentication (connections.max.reauth.ms)').filter((l) => l.includes('User:bob'))).toEqual([]);
  }, 120_000);

  it('librdkafka 2.0 (confluent-kafka Python), which cannot re-authenticate (SaslAuthenticate v0): its connection is closed when the session ends, it reconnects, and every message arrives once', async () => {
    const settings = { 'bootstrap.servers': broker.addresses.SASL_PLAINTEXT!, 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': 'SCRAM-SHA-512', 'sasl.username': 'alice', 'sasl.password': PASSWORD.alice };
    const closedBefore = logLines('connection closed: SASL session expired without re-authentication (connections.max.reauth.ms)').filter((l) => l.includes('User:alice')).length;
    // 40 messages, one every 150 ms: the connection outlives about three session lifetimes.
    const { stdout } = await run('/usr/bin/python3', [PYTHON_PRODUCER, JSON.stringify(settings), 'reauth-kcat', '40', '0.15'], { timeout: 90_000 });
    expect(JSON.parse(stdout)).toMatchObject({ delivered: 40, failed: [] });
    const expired = logLines('connection closed: SASL session expired without re-authentication (connections.max.reauth.ms)').filter((l) => l.includes('User:alice')).length - closedBefore;
    expect(expired).toBeGreaterThanOrEqual(1);
    const { stdout: read } = await run('kcat', ['-C', '-b', broker.addresses.SASL_PLAINTEXT!, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', 'sasl.username=alice', '-X', `sasl.password=${PASSWORD.alice}`, '-t', 'reauth-kcat', '-o', 'beginning', '-e', '-q', '-f', '%k:%s\n'], { timeout: 30_000 });
    expect(read.trim().split('\n')).toEqual(Array.from({ length: 40 }, (_, i) => `k${i}:v${i}`));
  }, 120_000);
});
