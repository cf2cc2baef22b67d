import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaAdminClient, type AdminError } from '@tributary/kafka-admin';
import { ApiKey, decodeResponse, encodeRequest, FrameReader, saltedPassword, ScramClient } from '@tributary/protocol';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';
import { makeTestCertificate, type TestCertificate } from '../support/tls.ts';

// SASL/SCRAM and PLAIN, over SASL_PLAINTEXT and SASL_SSL, with three clients nobody here wrote:
// kafkajs, kcat (librdkafka) and confluent-kafka for Python (librdkafka).
const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');
const run = promisify(execFile);

const PASSWORDS = { alice: 'alice-Secret-256-pw', bob: 'bob-Secret-512-pw' };
// The test key is not encrypted; the setting is still a secret that must never be echoed back.
const KEY_PASSWORD = 'keystore-Secret-pw';
let cert: TestCertificate;
let broker: BrokerProcess;
let admin: KafkaAdminClient;

beforeAll(async () => {
  cert = makeTestCertificate();
  broker = await startBroker({
    extraListeners: ['SASL_PLAINTEXT', 'SASL_SSL', 'SSL'],
    settings: { 'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512,PLAIN', 'ssl.keystore.location': cert.keystore, 'ssl.key.password': KEY_PASSWORD, 'connection.failed.authentication.delay.ms': '10' },
  });
  admin = await KafkaAdminClient.connect(broker.bootstrap);
  const created = await admin.alterUserScramCredentials([
    { user: 'alice', mechanism: 'SCRAM-SHA-256', password: PASSWORDS.alice },
    { user: 'bob', mechanism: 'SCRAM-SHA-512', password: PASSWORDS.bob, iterations: 4096 },
  ]);
  expect([...created.values()]).toEqual([null, null]);
  await admin.createTopics([{ name: 'secure', partitions: 1, replicationFactor: 1 }]);
  // SASL listeners are closed by default (allow.everyone.if.no.acl.found is false there): open all
  // topics and groups to everyone here; ACL rules themselves are tested in acls.test.ts.
  const grants = await admin.createAcls(
    (['TOPIC', 'GROUP'] as const).map((resourceType) => ({ resourceType, resourceName: '*', patternType: 'LITERAL' as const, principal: 'User:*', host: '*', operation: 'ALL' as const, permission: 'ALLOW' as const })),
  );
  expect(grants).toEqual([null, null]);
}, 30_000);
afterAll(async () => {
  admin?.close();
  await broker?.destroy();
  cert?.remove();
});

const kafkajs = (listener: 'SASL_PLAINTEXT' | 'SASL_SSL', sasl: { mechanism: string; username: string; password: string }) =>
  new Kafka({ clientId: 'sasl-kafkajs', brokers: [broker.addresses[listener]], sasl, ssl: listener === 'SASL_SSL' ? { ca: [cert.ca] } : false, logLevel: logLevel.NOTHING, retry: { retries: 0 } });

const kcatSasl = (listener: 'SASL_PLAINTEXT' | 'SASL_SSL', mechanism: string, user: string, password: string) => [
  '-b', broker.addresses[listener]!, '-X', `security.protocol=${listener}`, '-X', `sasl.mechanisms=${mechanism}`, '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`,
  ...(listener === 'SASL_SSL' ? ['-X', `ssl.ca.location=${cert.caFile}`] : []),
];

describe('SCRAM credentials (AlterUserScramCredentials, DescribeUserScramCredentials)', () => {
  it('describes mechanisms and iterations only, and validates as Kafka does', async () => {
    const described = await admin.describeUserScramCredentials(['alice', 'bob', 'nobody']);
    expect(described.get('alice')).toEqual([{ mechanism: 'SCRAM-SHA-256', iterations: 8192 }]);
    expect(described.get('bob')).toEqual([{ mechanism: 'SCRAM-SHA-512', iterations: 4096 }]);
    expect((described.get('nobody') as AdminError).errorName).toBe('RESOURCE_NOT_FOUND');
    const bad = await admin.alterUserScramCredentials([{ user: 'weak', mechanism: 'SCRAM-SHA-256', password: 'x', iterations: 100 }], [{ user: 'ghost', mechanism: 'SCRAM-SHA-512' }]);
    expect(bad.get('weak')?.errorName).toBe('UNACCEPTABLE_CREDENTIAL');
    expect(bad.get('ghost')?.errorName).toBe('RESOURCE_NOT_FOUND');
    // What the broker stored: salted keys, never a password.
    const stored = readFileSync(join(broker.dataDir, 'scram-credentials.json'), 'utf8');
    expect(stored).toContain('storedKey');
    expect(stored).not.toContain(PASSWORDS.alice);
  });
});

describe('login with a salted password (how the API logs in as a user it keeps sealed)', () => {
  it('logs in with salt, count and salted password only; a salt the broker does not hold is refused before any proof is sent', async () => {
    const salt = randomBytes(16);
    const secret = { salt, iterations: 4096, saltedPassword: saltedPassword('SCRAM-SHA-512', 'carol-password-123', salt, 4096) };
    const applied = await admin.upsertScramCredentials([{ user: 'carol', mechanism: 'SCRAM-SHA-512', ...secret }]);
    expect([...applied.values()]).toEqual([null]);
    const carol = await KafkaAdminClient.connect(broker.addresses.SASL_PLAINTEXT!, { sasl: { mechanism: 'SCRAM-SHA-512', username: 'carol', password: secret } });
    expect((await carol.metadata(['secure'])).topics.map((t) => t.name)).toEqual(['secure']);
    carol.close();
    const stale = { ...secret, salt: randomBytes(16) };
    await expect(KafkaAdminClient.connect(broker.addresses.SASL_PLAINTEXT!, { sasl: { mechanism: 'SCRAM-SHA-512', username: 'carol', password: stale } })).rejects.toThrow(/another salt or iteration count/);
  });
});

describe('SASL login with real clients', () => {
  it('kafkajs: SCRAM-SHA-256 over SASL_PLAINTEXT produces; kcat: SCRAM-SHA-512 over SASL_SSL consumes', async () => {
    const producer = kafkajs('SASL_PLAINTEXT', { mechanism: 'scram-sha-256', username: 'alice', password: PASSWORDS.alice }).producer();
    await producer.connect();
    await producer.send({ topic: 'secure', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
    await producer.disconnect();
    const { stdout } = await run('kcat', ['-C', ...kcatSasl('SASL_SSL', 'SCRAM-SHA-512', 'bob', PASSWORDS.bob), '-t', 'secure', '-o', 'beginning', '-c', '10', '-e', '-q', '-f', '%k=%s\n'], { timeout: 30_000 });
    expect(stdout.trim().split('\n')).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}=v${i}`));
  });

  it('kafkajs: SCRAM-SHA-512 and PLAIN over SASL_SSL; PLAIN is not offered without TLS', async () => {
    for (const sasl of [{ mechanism: 'scram-sha-512', username: 'bob', password: PASSWORDS.bob }, { mechanism: 'plain', username: 'alice', password: PASSWORDS.alice }]) {
      const client = kafkajs('SASL_SSL', sasl).admin();
      await client.connect();
      expect(await client.listTopics()).toContain('secure');
      await client.disconnect();
    }
    const insecure = kafkajs('SASL_PLAINTEXT', { mechanism: 'plain', username: 'alice', password: PASSWORDS.alice }).admin();
    await expect(insecure.connect()).rejects.toThrow(/PLAIN|mechanism/i);
  });

  it('kcat: PLAIN over SASL_SSL and SCRAM-SHA-256 over SASL_PLAINTEXT read the topic', async () => {
    for (const args of [kcatSasl('SASL_SSL', 'PLAIN', 'alice', PASSWORDS.alice), kcatSasl('SASL_PLAINTEXT', 'SCRAM-SHA-256', 'alice', PASSWORDS.alice)]) {
      const { stdout } = await run('kcat', ['-C', ...args, '-t', 'secure', '-o', 'beginning', '-c', '3', '-e', '-q', '-f', '%k\n'], { timeout: 30_000 });
      expect(stdout.trim().split('\n')).toEqual(['k0', 'k1', 'k2']);
    }
  });

  it('confluent-kafka (Python): PLAIN over SASL_SSL and SCRAM-SHA-512 over SASL_PLAINTEXT deliver every message', async () => {
    const script = join(import.meta.dirname, 'python', 'sasl_produce.py');
    for (const settings of [
      { 'bootstrap.servers': broker.addresses.SASL_SSL, 'security.protocol': 'SASL_SSL', 'sasl.mechanisms': 'PLAIN', 'sasl.username': 'alice', 'sasl.password': PASSWORDS.alice, 'ssl.ca.location': cert.caFile },
      { 'bootstrap.servers': broker.addresses.SASL_PLAINTEXT, 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': 'SCRAM-SHA-512', 'sasl.username': 'bob', 'sasl.password': PASSWORDS.bob },
    ]) {
      const result = JSON.parse((await run('/usr/bin/python3', [script, JSON.stringify(settings), 'secure', '20'], { timeout: 60_000 })).stdout);
      expect(result).toMatchObject({ delivered: 20, failed: [] });
    }
  });

  it('confluent-kafka (Python): SCRAM-SHA-256 over SASL_SSL delivers every message; a wrong password delivers none', async () => {
    const script = join(import.meta.dirname, 'python', 'sasl_produce.py');
    const settings = (password: string) => JSON.stringify({ 'message.timeout.ms': password === PASSWORDS.alice ? 15000 : 3000, 'bootstrap.servers': broker.addresses.SASL_SSL, 'security.protocol': 'SASL_SSL', 'sasl.mechanisms': 'SCRAM-SHA-256', 'sasl.username': 'alice', 'sasl.password': password, 'ssl.ca.location': cert.caFile });
    const good = JSON.parse((await run('/usr/bin/python3', [script, settings(PASSWORDS.alice), 'secure', '50'], { timeout: 60_000 })).stdout);
    expect(good).toMatchObject({ delivered: 50, failed: [] });
    const bad = JSON.parse((await run('/usr/bin/python3', [script, settings('wrong-password'), 'secure', '1'], { timeout: 60_000 })).stdout);
    expect(bad.delivered).toBe(0);
    expect(bad.errors.join(' ')).toMatch(/[Aa]uthentication/);
  });

  it('refuses wrong passwords and unknown users with the generic message (kafkajs, kcat, admin client)', async () => {
    for (const sasl of [{ mechanism: 'scram-sha-256', username: 'alice', password: 'nope' }, { mechanism: 'scram-sha-256', username: 'mallory', password: 'nope' }]) {
      const client = kafkajs('SASL_PLAINTEXT', sasl).admin();
      await expect(client.connect()).rejects.toThrow(/Authentication failed/);
    }
    await expect(run('kcat', ['-L', ...kcatSasl('SASL_SSL', 'SCRAM-SHA-512', 'bob', 'nope'), '-m', '5'], { timeout: 30_000 })).rejects.toThrow();
    const refused = KafkaAdminClient.connect(broker.addresses.SASL_PLAINTEXT!, { sasl: { mechanism: 'SCRAM-SHA-512', username: 'bob', password: 'nope' } });
    await expect(refused).rejects.toMatchObject({ errorName: 'SASL_AUTHENTICATION_FAILED' });
    const ok = await KafkaAdminClient.connect(broker.addresses.SASL_PLAINTEXT!, { sasl: { mechanism: 'SCRAM-SHA-512', username: 'bob', password: PASSWORDS.bob } });
    expect((await ok.metadata(['secure'])).topics[0]!.name).toBe('secure');
    ok.close();
  });

  it('SSL listener (TLS without SASL): kafkajs and kcat connect with the broker certificate trusted', async () => {
    const client = new Kafka({ clientId: 'tls-only', brokers: [broker.addresses.SSL], ssl: { ca: [cert.ca] }, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
    await client.connect();
    expect(await client.listTopics()).toContain('secure');
    await client.disconnect();
    const { stdout } = await run('kcat', ['-L', '-b', broker.addresses.SSL!, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${cert.caFile}`, '-t', 'secure', '-m', '10'], { timeout: 30_000 });
    expect(stdout).toContain('topic "secure"');
    // A client that does not trust the certificate is refused by its own TLS check.
    const untrusting = new Kafka({ clientId: 'tls-untrusting', brokers: [broker.addresses.SSL], ssl: true, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
    await expect(untrusting.connect()).rejects.toThrow(/certificate/i);
  });

  it('serves pre-KIP-152 clients: SaslHandshake v0 followed by bare SCRAM tokens', async () => {
    const [host, port] = broker.addresses.SASL_PLAINTEXT!.split(':');
    const socket = connect({ host: host!, port: Number(port) });
    await new Promise((r) => socket.once('connect', r));
    const frames = new FrameReader(1 << 20);
    const pending: Buffer[] = [];
    let wake: (() => void) | null = null;
    socket.on('data', (d) => {
      pending.push(...frames.push(d));
      wake?.();
    });
    const next = async () => {
      while (pending.length === 0) await new Promise<void>((r) => (wake = r));
      return pending.shift()!;
    };
    const bare = (token: Buffer) => {
      const size = Buffer.alloc(4);
      size.writeInt32BE(token.length);
      socket.write(Buffer.concat([size, token]));
    };
    for (const chunk of encodeRequest({ apiKey: ApiKey.SaslHandshake, apiVersion: 0, correlationId: 1, clientId: 'old' }, { mechanism: 'SCRAM-SHA-512' })) socket.write(chunk);
    expect(decodeResponse(await next(), ApiKey.SaslHandshake, 0).body).toMatchObject({ errorCode: 0 });
    const scram = new ScramClient('SCRAM-SHA-512', 'bob', PASSWORDS.bob);
    bare(scram.first());
    bare(scram.final(await next()));
    scram.verify(await next()); // throws unless the broker proved it knows bob's key
    // Authenticated: ordinary requests now work on this connection.
    for (const chunk of encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 9, correlationId: 2, clientId: 'old' }, { topics: [{ name: 'secure' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })) socket.write(chunk);
    const metadata = decodeResponse(await next(), ApiKey.Metadata, 9).body as { topics: { name: string }[] };
    expect(metadata.topics.map((t) => t.name)).toEqual(['secure']);
    socket.destroy();
  });

  it('closes a connection that sends anything but ApiVersions and SASL before authenticating', async () => {
    const [host, port] = broker.addresses.SASL_PLAINTEXT!.split(':');
    const closed = await new Promise<{ bytes: number }>((resolve) => {
      const socket = connect({ host: host!, port: Number(port) }, () => {
        for (const chunk of encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 9, correlationId: 1, clientId: 'sneaky' }, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })) socket.write(chunk);
      });
      let bytes = 0;
      socket.on('data', (d) => (bytes += d.length));
      socket.on('close', () => resolve({ bytes }));
      socket.on('error', () => undefined);
    });
    expect(closed.bytes).toBe(0);
  });

  it('never writes a password to its log or returns one in its configs, and logs failures with the client address', async () => {
    // Broker configs need DESCRIBE_CONFIGS on the cluster: the internal PLAINTEXT listener has it here.
    const configs = new Kafka({ clientId: 'configs', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await configs.connect();
    const described = await configs.describeConfigs({ includeSynonyms: false, resources: [{ type: 4, name: '1' }] });
    await configs.disconnect();
    const entries = described.resources[0].configEntries as { configName: string; configValue: string | null; isSensitive: boolean }[];
    expect(entries.find((e) => e.configName === 'ssl.key.password')).toMatchObject({ configValue: null, isSensitive: true });
    expect(entries.find((e) => e.configName === 'ssl.keystore.location')?.configValue).toBe(cert.keystore);
    const log = broker.output();
    for (const secret of [...Object.values(PASSWORDS), KEY_PASSWORD, 'wrong-password']) expect(log).not.toContain(secret);
    expect(log).toMatch(/"authentication failed".*"peer":"127\.0\.0\.1:\d+"/);
  });
});

describe('failed-login rate limit', () => {
  it('refuses an address after too many failures within the window, even with the right password', async () => {
    const limited = await startBroker({ extraListeners: ['SASL_PLAINTEXT'], settings: { 'tributary.sasl.failed.authentication.max.per.minute': '2', 'connection.failed.authentication.delay.ms': '0' } });
    try {
      const setup = await KafkaAdminClient.connect(limited.bootstrap);
      await setup.alterUserScramCredentials([{ user: 'carol', mechanism: 'SCRAM-SHA-256', password: 'carol-pw' }]);
      setup.close();
      const login = (password: string) => KafkaAdminClient.connect(limited.addresses.SASL_PLAINTEXT!, { sasl: { mechanism: 'SCRAM-SHA-256', username: 'carol', password } });
      (await login('carol-pw')).close();
      await expect(login('bad-1')).rejects.toMatchObject({ errorName: 'SASL_AUTHENTICATION_FAILED' });
      await expect(login('bad-2')).rejects.toMatchObject({ errorName: 'SASL_AUTHENTICATION_FAILED' });
      await expect(login('carol-pw')).rejects.toBeDefined();
    } finally {
      await limited.destroy();
    }
  }, 90_000);
});
