import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaAdminClient, type Acl } from '@tributary/kafka-admin';
import { connect } from 'node:net';
import { ApiKey, decodeResponse, encodeRequest, FrameReader } from '@tributary/protocol';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';

// ACLs enforced on a SASL listener, seen by kafkajs and kcat: each principal does what its ACLs
// allow and nothing else; DENY wins; prefixed patterns; super users; the ACL admin APIs with filters.
const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');
const run = promisify(execFile);

const USERS = { admin: 'admin-pw-1', alice: 'alice-pw-1', bob: 'bob-pw-1' } as const;
let broker: BrokerProcess;
let root: KafkaAdminClient;

const allow = (principal: string, resourceType: Acl['resourceType'], resourceName: string, operation: Acl['operation'], patternType: Acl['patternType'] = 'LITERAL'): Acl => ({ resourceType, resourceName, patternType, principal, host: '*', operation, permission: 'ALLOW' });
const client = (user: keyof typeof USERS) => new Kafka({ clientId: `acl-${user}`, brokers: [broker.addresses.SASL_PLAINTEXT], sasl: { mechanism: 'scram-sha-256', username: user, password: USERS[user] }, logLevel: logLevel.NOTHING, retry: { retries: 1 } });

beforeAll(async () => {
  broker = await startBroker({ extraListeners: ['SASL_PLAINTEXT'], settings: { 'super.users': 'User:admin', 'group.initial.rebalance.delay.ms': '0' } });
  const setup = await KafkaAdminClient.connect(broker.bootstrap);
  for (const [user, password] of Object.entries(USERS)) await setup.alterUserScramCredentials([{ user, mechanism: 'SCRAM-SHA-256', password }]);
  setup.close();
  // From here on the super user manages everything over SASL, as an operator would.
  root = await KafkaAdminClient.connect(broker.addresses.SASL_PLAINTEXT!, { sasl: { mechanism: 'SCRAM-SHA-256', username: 'admin', password: USERS.admin } });
  await root.createTopics(['orders.v1', 'orders.secret', 'private'].map((name) => ({ name, partitions: 1, replicationFactor: 1 })));
  const created = await root.createAcls([
    allow('User:alice', 'TOPIC', 'orders.', 'WRITE', 'PREFIXED'),
    { ...allow('User:alice', 'TOPIC', 'orders.secret', 'WRITE'), permission: 'DENY' },
    allow('User:bob', 'TOPIC', 'orders.v1', 'READ'),
    allow('User:bob', 'GROUP', 'billing', 'READ'),
  ]);
  expect(created).toEqual([null, null, null, null]);
}, 30_000);
afterAll(async () => {
  root?.close();
  await broker?.destroy();
});

describe('ACL enforcement with real clients', () => {
  it('lets alice write under her prefix, but DENY wins on orders.secret and other topics are closed', async () => {
    const producer = client('alice').producer();
    await producer.connect();
    await producer.send({ topic: 'orders.v1', acks: -1, messages: [{ key: 'a', value: 'from alice' }] });
    await expect(producer.send({ topic: 'orders.secret', acks: -1, messages: [{ value: 'x' }] })).rejects.toThrow(/authoriz/i);
    await expect(producer.send({ topic: 'private', acks: -1, messages: [{ value: 'x' }] })).rejects.toThrow(/authoriz/i);
    await producer.disconnect();
  });

  it('lets bob read orders.v1 in group billing only; metadata hides what he may not describe', async () => {
    const bob = client('bob');
    const admin = bob.admin();
    await admin.connect();
    // READ implies DESCRIBE: bob sees orders.v1 and nothing else.
    expect(await admin.listTopics()).toEqual(['orders.v1']);
    await admin.disconnect();
    const consumer = bob.consumer({ groupId: 'billing' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders.v1', fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }: { message: { value: Buffer } }) => void seen.push(message.value.toString()) });
    for (let i = 0; i < 100 && seen.length < 1; i++) await new Promise((r) => setTimeout(r, 100));
    await consumer.disconnect();
    expect(seen).toEqual(['from alice']);
    // Another group is not his: its offsets (and joining it) are refused.
    const asBob = await KafkaAdminClient.connect(broker.addresses.SASL_PLAINTEXT!, { sasl: { mechanism: 'SCRAM-SHA-256', username: 'bob', password: USERS.bob } });
    await expect(asBob.committedOffsets('not-billing')).rejects.toMatchObject({ errorName: 'GROUP_AUTHORIZATION_FAILED' });
    await expect(asBob.describeGroup('not-billing')).rejects.toMatchObject({ errorName: 'GROUP_AUTHORIZATION_FAILED' });
    expect((await asBob.committedOffsets('billing')).map((o) => o.topic)).toEqual(['orders.v1']);
    asBob.close();
    const producer = bob.producer();
    await producer.connect();
    await expect(producer.send({ topic: 'orders.v1', acks: -1, messages: [{ value: 'x' }] })).rejects.toThrow(/authoriz/i);
    await producer.disconnect();
  });

  it('refuses topic creation and cluster admin without the ACLs, and grants it to the super user', async () => {
    const admin = client('alice').admin();
    await admin.connect();
    await expect(admin.createTopics({ topics: [{ topic: 'orders.new' }] })).rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'TOPIC_AUTHORIZATION_FAILED' })] });
    await admin.disconnect();
    const alice = await KafkaAdminClient.connect(broker.addresses.SASL_PLAINTEXT!, { sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: USERS.alice } });
    await expect(alice.createAcls([allow('User:alice', 'TOPIC', '*', 'ALL')])).resolves.toEqual([expect.objectContaining({ errorName: 'CLUSTER_AUTHORIZATION_FAILED' })]);
    await expect(alice.describeAcls()).rejects.toMatchObject({ errorName: 'CLUSTER_AUTHORIZATION_FAILED' });
    await expect(alice.alterUserScramCredentials([{ user: 'alice', mechanism: 'SCRAM-SHA-512', password: 'x' }])).resolves.toEqual(new Map([['alice', expect.objectContaining({ errorName: 'CLUSTER_AUTHORIZATION_FAILED' })]]));
    alice.close();
    expect((await root.createTopics([{ name: 'orders.new', partitions: 1, replicationFactor: 1 }])).get('orders.new')).toBeNull();
  });

  it('checks the transactional id ACL before anything else about transactions', async () => {
    const alice = await KafkaAdminClient.connect(broker.addresses.SASL_PLAINTEXT!, { sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: USERS.alice } });
    await expect(alice.findCoordinator('alice-tx', 'transaction')).rejects.toMatchObject({ errorName: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED' });
    // kafkajs sees the same refusal (it reports it as "Failed to find group coordinator").
    const producer = client('alice').producer({ transactionalId: 'alice-tx', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    await expect(producer.transaction()).rejects.toThrow();
    await producer.disconnect();
    expect(await root.createAcls([allow('User:alice', 'TRANSACTIONAL_ID', 'alice-tx', 'WRITE')])).toEqual([null]);
    // Authorized now (WRITE implies DESCRIBE), it is told its transaction coordinator: this broker, on the listener alice came on.
    await expect(alice.findCoordinator('alice-tx', 'transaction')).resolves.toMatchObject({ port: Number(broker.addresses.SASL_PLAINTEXT!.split(':').at(-1)) });
    alice.close();
  });

  it('kcat (librdkafka) is refused a topic it has no ACL for', async () => {
    const args = ['-b', broker.addresses.SASL_PLAINTEXT!, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=SCRAM-SHA-256', '-X', 'sasl.username=bob', '-X', `sasl.password=${USERS.bob}`];
    const { stdout } = await run('kcat', ['-L', ...args, '-t', 'private'], { timeout: 30_000 });
    expect(stdout).toMatch(/Topic authorization failed|TOPIC_AUTHORIZATION_FAILED/i);
  });
});

describe('each operation, denied without its ACL and allowed with it', () => {
  const asCarol = () => KafkaAdminClient.connect(broker.addresses.SASL_PLAINTEXT!, { sasl: { mechanism: 'SCRAM-SHA-256', username: 'carol', password: 'carol-pw-1' } });
  beforeAll(async () => {
    await root.alterUserScramCredentials([{ user: 'carol', mechanism: 'SCRAM-SHA-256', password: 'carol-pw-1' }]);
    await root.createTopics([{ name: 'carol.t', partitions: 1, replicationFactor: 1 }]);
    await root.commitOffsets('carol.g', [{ topic: 'carol.t', partition: 0, offset: 0n }]);
  });
  const cases: { op: Acl['operation']; type: Acl['resourceType']; name: string; attempt: (c: KafkaAdminClient) => Promise<unknown> }[] = [
    { op: 'DESCRIBE', type: 'TOPIC', name: 'carol.t', attempt: async (c) => { const m = await c.metadata(['carol.t']); return m.topics[0]!.name; } },
    { op: 'DESCRIBE_CONFIGS', type: 'TOPIC', name: 'carol.t', attempt: (c) => c.describeTopicConfigs('carol.t') },
    { op: 'ALTER_CONFIGS', type: 'TOPIC', name: 'carol.t', attempt: (c) => c.alterTopicConfigs('carol.t', { 'retention.ms': '3600000' }) },
    { op: 'ALTER', type: 'TOPIC', name: 'carol.t', attempt: (c) => c.createPartitions('carol.t', 2) },
    { op: 'DESCRIBE', type: 'GROUP', name: 'carol.g', attempt: (c) => c.committedOffsets('carol.g') },
    { op: 'READ', type: 'GROUP', name: 'carol.g', attempt: async (c) => { await c.commitOffsets('carol.g', [{ topic: 'carol.t', partition: 0, offset: 1n }]); } },
    { op: 'DELETE', type: 'GROUP', name: 'carol.g', attempt: async (c) => { const e = (await c.deleteGroups(['carol.g'])).get('carol.g'); if (e) throw e; } },
    { op: 'DESCRIBE', type: 'CLUSTER', name: 'kafka-cluster', attempt: (c) => c.describeLogDirs() },
    { op: 'CREATE', type: 'CLUSTER', name: 'kafka-cluster', attempt: async (c) => { const e = (await c.createTopics([{ name: 'carol.new', partitions: 1, replicationFactor: 1 }])).get('carol.new'); if (e) throw e; } },
    { op: 'DELETE', type: 'TOPIC', name: 'carol.new', attempt: async (c) => { const e = (await c.deleteTopics(['carol.new'])).get('carol.new'); if (e) throw e; } },
  ];
  for (const k of cases) {
    it(`${k.op} on ${k.type} ${k.name}`, async () => {
      const carol = await asCarol();
      // OffsetCommit also needs READ on the topic.
      if (k.op === 'READ' && k.type === 'GROUP') await root.createAcls([allow('User:carol', 'TOPIC', 'carol.t', 'READ')]);
      await expect(k.attempt(carol)).rejects.toMatchObject({ errorName: expect.stringMatching(/AUTHORIZATION_FAILED/) });
      expect(await root.createAcls([allow('User:carol', k.type, k.name, k.op)])).toEqual([null]);
      await expect(k.attempt(carol)).resolves.not.toThrow();
      carol.close();
    });
  }
});

/** One request on a fresh PLAINTEXT connection (as User:ANONYMOUS), its decoded response. */
async function ask<T>(apiKey: number, apiVersion: number, body: unknown): Promise<T> {
  const [host, port] = broker.bootstrap.split(':');
  const socket = connect({ host: host!, port: Number(port) });
  const frames = new FrameReader(1 << 20);
  const frame = new Promise<Buffer>((resolve, reject) => {
    socket.on('data', (d) => {
      const [f] = frames.push(d);
      if (f) resolve(f);
    });
    socket.on('error', reject);
  });
  for (const c of encodeRequest({ apiKey, apiVersion, correlationId: 1, clientId: 'ask' }, body)) socket.write(c);
  const response = decodeResponse(await frame, apiKey, apiVersion).body as T;
  socket.destroy();
  return response;
}

describe('authorized operations (KIP-430)', () => {
  const bits = (...ops: number[]) => ops.reduce((n, op) => n | (1 << op), 0);
  it('reports, when asked, what the principal may do on topics, groups and the cluster', async () => {
    // ANONYMOUS on PLAINTEXT: resources without ACLs are open there, orders.v1 has ACLs for others only.
    const metadata = await ask<{ topics: { name: string; errorCode: number; topicAuthorizedOperations: number }[]; clusterAuthorizedOperations: number }>(ApiKey.Metadata, 10, { topics: [{ name: 'orders.v1', topicId: undefined }, { name: 'private', topicId: undefined }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true });
    const ops = Object.fromEntries(metadata.topics.map((t) => [t.name, t.topicAuthorizedOperations]));
    expect(ops['private']).toBe(bits(3, 4, 5, 6, 7, 8, 10, 11));
    // A topic it may not even describe is refused outright, as Kafka does, with no bitfield.
    expect(metadata.topics.find((t) => t.name === 'orders.v1')!.errorCode).toBe(29);
    // The cluster resource has ACLs by now (carol's, from the tests above) and none for ANONYMOUS.
    expect(metadata.clusterAuthorizedOperations).toBe(0);
    // DescribeCluster answers anyone, as Kafka does; without DESCRIBE on the cluster the bitfield is 0.
    const undescribed = await ask<{ errorCode: number; clusterAuthorizedOperations: number; brokers: unknown[] }>(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: true, endpointType: 1 });
    expect(undescribed).toMatchObject({ errorCode: 0, clusterAuthorizedOperations: 0 });
    expect(undescribed.brokers.length).toBe(1);
    await root.createAcls([allow('User:ANONYMOUS', 'CLUSTER', 'kafka-cluster', 'DESCRIBE')]);
    expect((await ask<{ clusterAuthorizedOperations: number }>(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: true, endpointType: 1 })).clusterAuthorizedOperations).toBe(bits(8));
    await root.commitOffsets('open-group', [{ topic: 'private', partition: 0, offset: 0n }]);
    const groups = await ask<{ groups: { groupId: string; errorCode: number; authorizedOperations: number }[] }>(ApiKey.DescribeGroups, 5, { groups: ['billing', 'open-group'], includeAuthorizedOperations: true });
    expect(groups.groups.map((g) => g.errorCode)).toEqual([30, 0]); // billing has an ACL for bob only
    // Kafka 4.4's operations of a group: READ, DELETE, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS (KIP-848 group configs).
    expect(groups.groups[1]!.authorizedOperations).toBe(bits(3, 6, 8, 10, 11));
  });
});

describe('ACL admin APIs', () => {
  it('describes with filters (MATCH finds the prefixed ACL that applies), deletes by filter, and the change takes effect', async () => {
    expect((await root.describeAcls({ principal: 'User:bob' })).map((a) => `${a.resourceType}:${a.resourceName}:${a.operation}`).sort()).toEqual(['GROUP:billing:READ', 'TOPIC:orders.v1:READ']);
    expect((await root.describeAcls({ resourceType: 'TOPIC', resourceName: 'orders.v9', patternType: 'MATCH' })).map((a) => a.resourceName)).toEqual(['orders.']);
    expect(await root.deleteAcls([{ principal: 'User:alice', patternType: 'PREFIXED' }])).toEqual([1]);
    const producer = client('alice').producer();
    await producer.connect();
    await expect(producer.send({ topic: 'orders.v1', acks: -1, messages: [{ value: 'y' }] })).rejects.toThrow(/authoriz/i);
    await producer.disconnect();
    const invalid = await root.createAcls([{ ...allow('User:x', 'CLUSTER', 'not-the-cluster', 'ALTER') }]);
    expect(invalid[0]?.errorName).toBe('INVALID_REQUEST');
  });
});
