import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import type { LocalRuntime } from '../../apps/operator/src/runtimes/local/local-runtime.ts';
import { kcatProduce } from '../support/kcat.ts';
import { startE2eStack, type E2eStack } from '../support/e2e-stack.ts';

// Through the REST API only: an instance and a topic created over HTTP become a running broker with
// the topic, status comes back through the API, kcat produces and consumes against the returned
// bootstrap servers, and deleting the instance removes its processes and data.
const run = promisify(execFile);
const KEY = 'trib_e2e_admin_key_0123456789abcdef';
let stack: E2eStack;
let runtime: LocalRuntime;

beforeAll(async () => {
  stack = await startE2eStack({ key: KEY, etcd: false, stopGraceMs: 10_000 });
  ({ runtime } = stack);
}, 60_000);
afterAll(async () => stack?.stop(), 60_000);

const api: E2eStack['api'] = (method, url, payload) => stack.api(method, url, payload);

async function until<T>(probe: () => Promise<T | null>, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

it('creates an instance and a topic over REST, runs them, serves Kafka clients, and deletes them', { timeout: 120_000 }, async () => {
  const created = await api('POST', '/v1/instances', {
    name: 'e2e',
    spec: { zone: 'zone-a', brokers: 1, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 100, topicLimit: 10, consumerGroupLimit: 10, billing: { mode: 'postpaid' } },
  });
  expect(created.statusCode).toBe(202);
  const id = created.json().resource.id as string;

  let last: unknown;
  const running = await until(async () => {
    const body = (await api('GET', `/v1/instances/${id}`)).json();
    last = body;
    return body.status?.phase === 'Running' ? body : null;
  }, 'the instance to be Running').catch((err: Error) => {
    throw new Error(`${err.message}; last seen: ${JSON.stringify(last)}`);
  });
  // The API presents bootstrap servers as Kafka clients take them: one comma-separated string.
  expect(running.status.bootstrapServers).toMatch(/^127\.0\.0\.1:\d+$/);
  const bootstrap = running.status.bootstrapServers as string;

  expect((await api('POST', `/v1/instances/${id}/topics`, { name: 'orders', partitions: 3, replicationFactor: 1, configs: {} })).statusCode).toBe(202);
  await until(async () => {
    last = (await api('GET', `/v1/instances/${id}/topics/orders`)).json();
    return (last as { status?: { phase?: string } }).status?.phase === 'Ready' ? true : null;
  }, 'the topic to be Ready').catch((err: Error) => {
    throw new Error(`${err.message}; last seen: ${JSON.stringify(last)}`);
  });

  const { stdout: meta } = await run('kcat', ['-L', '-b', bootstrap, '-t', 'orders'], { timeout: 15_000 });
  expect(meta).toMatch(/topic "orders" with 3 partitions/);
  await kcatProduce(['-b', bootstrap, '-t', 'orders', '-K:'], Array.from({ length: 1000 }, (_, i) => `k${i}:v${i}`).join('\n') + '\n');
  const { stdout } = await run('kcat', ['-C', '-b', bootstrap, '-t', 'orders', '-o', 'beginning', '-e', '-q', '-f', '%s\n'], { timeout: 30_000 });
  expect(stdout.split('\n').filter(Boolean)).toHaveLength(1000);

  const ops = (await api('GET', `/v1/operations/${created.json().operation.id}`)).json();
  expect(ops.state).toBe('Succeeded');

  // A SCRAM user, an ACL and quotas through the API reach the broker through the operator.
  expect((await api('POST', `/v1/instances/${id}/users`, { name: 'orders-app', password: 'orders-app-password', mechanism: 'SCRAM-SHA-256' })).statusCode).toBe(202);
  expect((await api('POST', `/v1/instances/${id}/acls`, { resourceType: 'TOPIC', resourceName: 'orders', patternType: 'LITERAL', principal: 'User:orders-app', operation: 'WRITE' })).statusCode).toBe(202);
  expect((await api('POST', `/v1/instances/${id}/client-quotas`, { clientId: 'batch-loader', producerByteRate: 1048576 })).statusCode).toBe(202);
  expect((await api('POST', `/v1/instances/${id}/consumer-group-quotas`, { group: 'billing', consumerByteRate: 2097152, maxMembers: 5 })).statusCode).toBe(202);
  const admin = await KafkaAdminClient.connect(bootstrap);
  const applied = await until(async () => {
    const users = await admin.describeUserScramCredentials(null);
    const acls = await admin.describeAcls();
    const quotas = await admin.describeClientQuotas();
    return users.has('orders-app') && acls.length === 1 && quotas.length === 2 ? { users, acls, quotas } : null;
  }, 'users, ACLs and quotas to reach the broker');
  expect(applied.users.get('orders-app')).toEqual([{ mechanism: 'SCRAM-SHA-256', iterations: 8192 }]);
  expect(applied.acls).toEqual([{ resourceType: 'TOPIC', resourceName: 'orders', patternType: 'LITERAL', principal: 'User:orders-app', host: '*', operation: 'WRITE', permission: 'ALLOW' }]);
  expect(applied.quotas).toContainEqual({ entity: { clientId: 'batch-loader' }, values: { producer_byte_rate: 1048576 } });
  expect(applied.quotas).toContainEqual({ entity: { group: 'billing' }, values: { consumer_byte_rate: 2097152, group_max_members: 5 } });
  // On the SASL endpoint the user logs in with the password given to the API (the broker only ever
  // saw its salted form) and its ACL applies: it may write to orders and nothing else.
  const sasl = (await api('GET', `/v1/instances/${id}`)).json().status.saslBootstrapServers as string;
  expect(sasl).toMatch(/^127\.0\.0\.1:\d+$/);
  const userArgs = ['-b', sasl, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=SCRAM-SHA-256', '-X', 'sasl.username=orders-app', '-X', 'sasl.password=orders-app-password'];
  await kcatProduce([...userArgs, '-t', 'orders'], 'written by orders-app\n');
  const { stdout: newest } = await run('kcat', ['-C', '-b', bootstrap, '-t', 'orders', '-o', '-1', '-e', '-q', '-f', '%s\n'], { timeout: 30_000 });
  expect(newest).toContain('written by orders-app');
  const refused = await run('kcat', ['-L', ...userArgs, '-t', 'extra-unknown'], { timeout: 30_000 }).then((r) => r.stdout, (err: { stdout?: string }) => err.stdout ?? '');
  expect(refused).toMatch(/Topic authorization failed/i); // no CREATE or DESCRIBE granted: not even auto-created
  const wrong = await KafkaAdminClient.connect(sasl, { sasl: { mechanism: 'SCRAM-SHA-256', username: 'orders-app', password: 'not-the-password' } }).catch((err: Error) => err);
  expect(wrong).toMatchObject({ errorName: 'SASL_AUTHENTICATION_FAILED' });
  // Drift: an ACL and a user added behind the control plane's back are removed on the next resync.
  await admin.createAcls([{ resourceType: 'TOPIC', resourceName: '*', patternType: 'LITERAL', principal: 'User:intruder', host: '*', operation: 'ALL', permission: 'ALLOW' }]);
  await admin.alterUserScramCredentials([{ user: 'intruder', mechanism: 'SCRAM-SHA-512', password: 'intruder-password' }]);
  await until(async () => ((await admin.describeAcls()).length === 1 && !(await admin.describeUserScramCredentials(null)).has('intruder') ? true : null), 'drift to be corrected');
  // The instance was sold 10 topics: the broker itself refuses the 11th, even behind the API's back.
  const extra = await admin.createTopics(Array.from({ length: 10 }, (_, i) => ({ name: `extra-${i}`, partitions: 1, replicationFactor: 1 })));
  expect([...extra.values()].filter((e) => e === null)).toHaveLength(9);
  expect(extra.get('extra-9')?.errorName).toBe('POLICY_VIOLATION');
  admin.close();

  expect((await api('DELETE', `/v1/instances/${id}?force=true`)).statusCode).toBe(202);
  await until(async () => ((await runtime.observe(id)) === null ? true : null), 'the instance processes and data to be gone');
  await expect(run('kcat', ['-L', '-b', bootstrap, '-m', '3'], { timeout: 15_000 })).rejects.toThrow();
});
