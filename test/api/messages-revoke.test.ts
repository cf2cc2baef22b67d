import { afterAll, beforeAll, expect, it } from 'vitest';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { startE2eStack, type E2eStack } from '../support/e2e-stack.ts';
import { until } from '../support/until.ts';

// A revoked API key loses its Kafka principal on the instance's brokers. The whole product runs (API,
// operator with the local runtime, a broker): a second key reads messages over HTTP, which makes the
// API provision its principal's SCRAM credential, and it has ACLs made through the API; revoking the
// key deletes those ACLs and queues a reconcile whose pass removes the ACLs and the credential from
// the broker, while the admin key's principal and ACL stay.
const KEY = 'trib_e2e_revoke_key_0123456789abcdef';
let stack: E2eStack;

beforeAll(async () => {
  stack = await startE2eStack({ key: KEY, etcd: false, stopGraceMs: 10_000, listen: true });
}, 60_000);
afterAll(async () => stack?.stop(), 60_000);

it('removes a revoked key\'s SCRAM credential and ACLs from the brokers, and keeps a live key\'s', { timeout: 180_000 }, async () => {
  const api = stack.api;
  const created = await api('POST', '/v1/instances', {
    name: 'revoke', spec: { zone: 'zone-a', brokers: 1, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 10, topicLimit: 5, consumerGroupLimit: 5, billing: { mode: 'postpaid' } },
  });
  expect(created.statusCode, created.body).toBe(202);
  const id = created.json().resource.id as string;
  await until(async () => ((await api('GET', `/v1/instances/${id}`)).json().status?.phase === 'Running' ? true : null), 'the instance to be Running');
  expect((await api('POST', `/v1/instances/${id}/topics`, { name: 'ledger', partitions: 1, replicationFactor: 1, configs: {} })).statusCode).toBe(202);
  await until(async () => ((await api('GET', `/v1/instances/${id}/topics/ledger`)).json().status?.phase === 'Ready' ? true : null), 'the topic to be Ready');

  const minted = await api('POST', '/v1/api-keys', { name: 'auditor', role: 'viewer' });
  expect(minted.statusCode, minted.body).toBe(201);
  const reader = { id: minted.json().id as string, secret: minted.json().secret as string };
  const adminKeyId = (await api('GET', '/v1/api-keys')).json().items.find((k: { id: string }) => k.id !== reader.id).id as string;
  const readerPrincipal = `User:tributary-api.${reader.id}`;
  const adminPrincipal = `User:tributary-api.${adminKeyId}`;
  for (const principal of [readerPrincipal, adminPrincipal]) {
    for (const operation of ['DESCRIBE', 'READ']) {
      const r = await api('POST', `/v1/instances/${id}/acls`, { resourceType: 'TOPIC', resourceName: 'ledger', patternType: 'LITERAL', principal, operation });
      expect(r.statusCode, r.body).toBe(202);
    }
  }
  // Both keys read over HTTP (which provisions their principals) once the operator applied the ACLs.
  const read = (secret: string) => fetch(`${stack.url}/v1/instances/${id}/topics/ledger/messages?limit=1`, { headers: { authorization: `Bearer ${secret}` } });
  await until(async () => ((await read(reader.secret)).status === 200 ? true : null), 'the reader to read');
  await until(async () => ((await read(KEY)).status === 200 ? true : null), 'the admin key to read');

  const internal = (await stack.runtime.observe(id))!.internalBootstrapServers;
  const admin = await KafkaAdminClient.connect(internal[0]!);
  try {
    const users = await admin.describeUserScramCredentials(null);
    expect(users.has(`tributary-api.${reader.id}`)).toBe(true);
    expect(users.has(`tributary-api.${adminKeyId}`)).toBe(true);

    const revoked = await api('DELETE', `/v1/api-keys/${reader.id}`);
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect((await read(reader.secret)).status).toBe(401);
    // The API no longer lists the principal's ACLs; the broker loses them and the credential.
    const acls = (await api('GET', `/v1/instances/${id}/acls?limit=100`)).json().items as { principal: string }[];
    expect(acls.map((a) => a.principal).sort()).toEqual([adminPrincipal, adminPrincipal]);
    const after = await until(async () => {
      const [u, a] = [await admin.describeUserScramCredentials(null), await admin.describeAcls()];
      return !u.has(`tributary-api.${reader.id}`) && a.every((x) => x.principal !== readerPrincipal) ? { users: u, acls: a } : null;
    }, 'the revoked principal to leave the broker');
    expect(after.users.has(`tributary-api.${adminKeyId}`)).toBe(true);
    expect(after.acls.filter((a) => a.principal === adminPrincipal).map((a) => a.operation).sort()).toEqual(['DESCRIBE', 'READ']);
    expect((await read(KEY)).status).toBe(200);
  } finally {
    admin.close();
  }
});
