import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect } from 'node:net';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { ApiKey, decodeResponse, encodeRequest, FrameReader } from '@tributary/protocol';
import { startCluster, type TestCluster } from '../support/cluster.ts';

/**
 * Users, ACLs, quotas, group configs and client metrics subscriptions live in etcd: written
 * through one broker, they hold on every broker once etcd's watch has delivered the change
 * (milliseconds). Logins and authorization use a broker's view as it is, so a login on the other
 * broker waits for it, boundedly (as in Kafka, another broker's metadata is eventually consistent).
 * The admin APIs that read or change them catch up with etcd first (ClusterMetadata.catchUp): their
 * answer on the other broker shows the write at once, with no waiting here.
 */
const propagated = { timeout: 10_000, interval: 50 };
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ brokers: 2, extraListeners: ['SASL_PLAINTEXT'], settings: { 'super.users': 'User:ANONYMOUS' } });
}, 90_000);
afterAll(async () => cluster?.stop(), 60_000);

const on = (id: number, listener = 'PLAINTEXT') => cluster.brokers.get(id)!.addresses[listener]!;

describe('cluster-wide users, ACLs, quotas and group configs', () => {
  it('a SCRAM user created through broker 1 logs in on broker 2, and a deletion on broker 2 locks it out of broker 1', async () => {
    const one = await KafkaAdminClient.connect(on(1));
    try {
      expect((await one.alterUserScramCredentials([{ user: 'alice', mechanism: 'SCRAM-SHA-256', password: 'alice-secret' }])).get('alice')).toBeNull();
    } finally {
      one.close();
    }
    await vi.waitFor(async () => (await KafkaAdminClient.connect(on(2, 'SASL_PLAINTEXT'), { sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'alice-secret' } })).close(), propagated);
    await expect(KafkaAdminClient.connect(on(2, 'SASL_PLAINTEXT'), { sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'wrong' } })).rejects.toThrow();

    const two = await KafkaAdminClient.connect(on(2));
    try {
      expect((await two.alterUserScramCredentials([], [{ user: 'alice', mechanism: 'SCRAM-SHA-256' }])).get('alice')).toBeNull();
    } finally {
      two.close();
    }
    await vi.waitFor(() => expect(KafkaAdminClient.connect(on(1, 'SASL_PLAINTEXT'), { sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'alice-secret' } })).rejects.toThrow(/SASL_AUTHENTICATION_FAILED/), propagated);
  });

  it('ACLs and client quotas written on one broker are described and deleted on the other', async () => {
    const one = await KafkaAdminClient.connect(on(1));
    const two = await KafkaAdminClient.connect(on(2));
    try {
      const acl = { resourceType: 'TOPIC', resourceName: 'payments', patternType: 'LITERAL', principal: 'User:bob', host: '*', operation: 'READ', permission: 'ALLOW' } as const;
      expect(await one.createAcls([acl])).toEqual([null]);
      expect(await two.describeAcls({ principal: 'User:bob' })).toEqual([acl]);
      expect(await two.deleteAcls([{ principal: 'User:bob' }])).toEqual([1]);
      expect(await one.describeAcls({ principal: 'User:bob' })).toEqual([]);

      await one.alterClientQuotas({ user: 'bob' }, { producer_byte_rate: 1_000_000 });
      expect(await two.describeClientQuotas({ user: 'bob' })).toEqual([{ entity: { user: 'bob' }, values: { producer_byte_rate: 1_000_000 } }]);
      await two.alterClientQuotas({ user: 'bob' }, { producer_byte_rate: null });
      expect(await one.describeClientQuotas({ user: 'bob' })).toEqual([]);
    } finally {
      one.close();
      two.close();
    }
  });

  it('KIP-848 group configs set through one broker are described on the other (the GROUP config resource)', async () => {
    const GROUP = 32;
    const alter = (id: number, value: string | null) => request(on(id), ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: GROUP, resourceName: 'billing', configs: [{ name: 'consumer.session.timeout.ms', configOperation: value === null ? 1 : 0, value }] }], validateOnly: false });
    const value = async (id: number) => ((await request(on(id), ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: GROUP, resourceName: 'billing', configurationKeys: ['consumer.session.timeout.ms'] }], includeSynonyms: false, includeDocumentation: false })) as { results: { configs: { value: string }[] }[] }).results[0]!.configs[0]!.value;
    expect(await alter(1, '50000')).toMatchObject({ responses: [{ errorCode: 0 }] });
    expect(await value(2)).toBe('50000');
    expect(await alter(2, null)).toMatchObject({ responses: [{ errorCode: 0 }] });
    expect(await value(1)).toBe('45000');
  });

  it('KIP-714 client metrics subscriptions set through one broker are described and listed on the other', async () => {
    const CLIENT_METRICS = 16;
    const alter = (id: number, value: string | null) => request(on(id), ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: CLIENT_METRICS, resourceName: 'producers', configs: [{ name: 'interval.ms', configOperation: value === null ? 1 : 0, value }] }], validateOnly: false });
    const value = async (id: number) => ((await request(on(id), ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: CLIENT_METRICS, resourceName: 'producers', configurationKeys: ['interval.ms'] }], includeSynonyms: false, includeDocumentation: false })) as { results: { configs: { value: string }[] }[] }).results[0]!.configs[0]!.value;
    const listed = async (id: number) => ((await request(on(id), ApiKey.ListConfigResources, 1, { resourceTypes: [CLIENT_METRICS] })) as { configResources: { resourceName: string }[] }).configResources.map((r) => r.resourceName);
    expect(await alter(1, '5000')).toMatchObject({ responses: [{ errorCode: 0 }] });
    expect(await value(2)).toBe('5000');
    expect(await listed(2)).toEqual(['producers']);
    expect(await alter(2, null)).toMatchObject({ responses: [{ errorCode: 0 }] });
    expect(await listed(1)).toEqual([]);
  });
});

/** One request on a fresh connection, its decoded response body (a GROUP config resource no client library here sends). */
async function request(address: string, apiKey: number, apiVersion: number, body: unknown): Promise<unknown> {
  const [host, port] = address.split(':');
  const socket = connect({ host: host!, port: Number(port) });
  try {
    await new Promise((r) => socket.once('connect', r));
    const frames = new FrameReader(1 << 20);
    const frame = new Promise<Buffer>((resolve, reject) => {
      socket.on('data', (d) => {
        const got = frames.push(d);
        if (got.length > 0) resolve(got[0]!);
      });
      socket.once('close', () => reject(new Error(`${address} closed the connection`)));
    });
    for (const chunk of encodeRequest({ apiKey, apiVersion, correlationId: 1, clientId: 'group-configs' }, body)) socket.write(chunk);
    return decodeResponse(await frame, apiKey, apiVersion).body;
  } finally {
    socket.destroy();
  }
}
