import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import type { LocalRuntime } from '../../apps/operator/src/runtimes/local/local-runtime.ts';
import { kcatProduce } from '../support/kcat.ts';
import { startE2eStack, type E2eStack } from '../support/e2e-stack.ts';
import { metadataWithoutLogin } from '@tributary/testkit';
import { until } from '../support/until.ts';

// Through the REST API only: an instance and a topic created over HTTP become a running broker with
// the topic, status comes back through the API with the instance's one endpoint (SASL/SCRAM), a client
// that does not log in is refused there, a user created through the API produces and consumes with
// kcat as its ACLs allow, and deleting the instance removes its processes and data.
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
  // The API presents the instance's one endpoint as Kafka clients take it (one comma-separated
  // string), with what it speaks: SASL/SCRAM is required there.
  expect(running.status.bootstrapServers).toMatch(/^127\.0\.0\.1:\d+$/);
  expect(running.status).toMatchObject({ securityProtocol: 'SASL_PLAINTEXT', saslMechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-512'], saslBootstrapServers: running.status.bootstrapServers });
  const bootstrap = running.status.bootstrapServers as string;
  // The internal listener (the operator's and the API's) is on another port and never shown.
  const internal = (await runtime.observe(id))!.internalBootstrapServers;
  expect(internal).toHaveLength(1);
  expect(internal[0]).not.toBe(bootstrap);
  expect(JSON.stringify(running)).not.toContain(internal[0]!);

  expect((await api('POST', `/v1/instances/${id}/topics`, { name: 'orders', partitions: 3, replicationFactor: 1, configs: {} })).statusCode).toBe(202);
  await until(async () => {
    last = (await api('GET', `/v1/instances/${id}/topics/orders`)).json();
    return (last as { status?: { phase?: string } }).status?.phase === 'Ready' ? true : null;
  }, 'the topic to be Ready').catch((err: Error) => {
    throw new Error(`${err.message}; last seen: ${JSON.stringify(last)}`);
  });

  // A client that does not log in gets nothing: as Apache Kafka does on a SASL listener, the broker
  // closes a connection whose first request is not ApiVersions or SASL, without an answer; kcat
  // without credentials cannot even read metadata.
  expect(await metadataWithoutLogin(bootstrap)).toEqual({ bytes: 0 });
  await expect(run('kcat', ['-L', '-b', bootstrap, '-m', '5'], { timeout: 30_000 })).rejects.toThrow();

  // A SCRAM user, ACLs and quotas through the API reach the broker through the operator.
  expect((await api('POST', `/v1/instances/${id}/users`, { name: 'orders-app', password: 'orders-app-password', mechanism: 'SCRAM-SHA-256' })).statusCode).toBe(202);
  for (const operation of ['WRITE', 'READ']) {
    expect((await api('POST', `/v1/instances/${id}/acls`, { resourceType: 'TOPIC', resourceName: 'orders', patternType: 'LITERAL', principal: 'User:orders-app', operation })).statusCode).toBe(202);
  }
  // A user named ANONYMOUS (the principal of an unauthenticated connection) and granted nothing: it
  // must get no rights from its name on the client endpoint.
  expect((await api('POST', `/v1/instances/${id}/users`, { name: 'ANONYMOUS', password: 'anonymous-password', mechanism: 'SCRAM-SHA-512' })).statusCode).toBe(202);
  expect((await api('POST', `/v1/instances/${id}/client-quotas`, { clientId: 'batch-loader', producerByteRate: 1048576 })).statusCode).toBe(202);
  expect((await api('POST', `/v1/instances/${id}/consumer-group-quotas`, { group: 'billing', consumerByteRate: 2097152, maxMembers: 5 })).statusCode).toBe(202);
  // The test looks at what the operator applied through the internal listener, as the operator does.
  const admin = await KafkaAdminClient.connect(internal[0]!);
  const applied = await until(async () => {
    const users = await admin.describeUserScramCredentials(null);
    const acls = await admin.describeAcls();
    const quotas = await admin.describeClientQuotas();
    return users.has('orders-app') && users.has('ANONYMOUS') && acls.length === 2 && quotas.length === 2 ? { users, acls, quotas } : null;
  }, 'users, ACLs and quotas to reach the broker');
  expect(applied.users.get('orders-app')).toEqual([{ mechanism: 'SCRAM-SHA-256', iterations: 8192 }]);
  for (const operation of ['WRITE', 'READ']) expect(applied.acls).toContainEqual({ resourceType: 'TOPIC', resourceName: 'orders', patternType: 'LITERAL', principal: 'User:orders-app', host: '*', operation, permission: 'ALLOW' });
  expect(applied.quotas).toContainEqual({ entity: { clientId: 'batch-loader' }, values: { producer_byte_rate: 1048576 } });
  expect(applied.quotas).toContainEqual({ entity: { group: 'billing' }, values: { consumer_byte_rate: 2097152, group_max_members: 5 } });

  // On the client endpoint the user logs in with the password given to the API (the broker only ever
  // saw its salted form) and its ACLs apply: it may write and read orders and nothing else.
  const userArgs = ['-b', bootstrap, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=SCRAM-SHA-256', '-X', 'sasl.username=orders-app', '-X', 'sasl.password=orders-app-password'];
  const { stdout: meta } = await run('kcat', ['-L', ...userArgs, '-t', 'orders'], { timeout: 15_000 });
  expect(meta).toMatch(/topic "orders" with 3 partitions/);
  await kcatProduce([...userArgs, '-t', 'orders', '-K:'], Array.from({ length: 1000 }, (_, i) => `k${i}:v${i}`).join('\n') + '\n');
  const { stdout } = await run('kcat', ['-C', ...userArgs, '-t', 'orders', '-o', 'beginning', '-e', '-q', '-f', '%s\n'], { timeout: 30_000 });
  expect(stdout.split('\n').filter(Boolean)).toHaveLength(1000);
  await kcatProduce([...userArgs, '-t', 'orders'], 'written by orders-app\n');
  const { stdout: newest } = await run('kcat', ['-C', ...userArgs, '-t', 'orders', '-o', '-1', '-e', '-q', '-f', '%s\n'], { timeout: 30_000 });
  expect(newest).toContain('written by orders-app');

  const ops = (await api('GET', `/v1/operations/${created.json().operation.id}`)).json();
  expect(ops.state).toBe('Succeeded');

  const refused = await run('kcat', ['-L', ...userArgs, '-t', 'extra-unknown'], { timeout: 30_000 }).then((r) => r.stdout, (err: { stdout?: string }) => err.stdout ?? '');
  expect(refused).toMatch(/Topic authorization failed/i); // no CREATE or DESCRIBE granted: not even auto-created
  const wrong = await KafkaAdminClient.connect(bootstrap, { sasl: { mechanism: 'SCRAM-SHA-256', username: 'orders-app', password: 'not-the-password' } }).catch((err: Error) => err);
  expect(wrong).toMatchObject({ errorName: 'SASL_AUTHENTICATION_FAILED' });
  // ANONYMOUS logs in but is nobody special: no topic, no ACL changes.
  const anonymous = await KafkaAdminClient.connect(bootstrap, { sasl: { mechanism: 'SCRAM-SHA-512', username: 'ANONYMOUS', password: 'anonymous-password' } });
  expect((await anonymous.metadata(null)).topics).toEqual([]);
  const [denied] = await anonymous.createAcls([{ resourceType: 'TOPIC', resourceName: '*', patternType: 'LITERAL', principal: 'User:ANONYMOUS', host: '*', operation: 'ALL', permission: 'ALLOW' }]);
  expect(denied?.errorName).toBe('CLUSTER_AUTHORIZATION_FAILED');
  anonymous.close();
  // Drift: an ACL and a user added behind the control plane's back are removed on the next resync.
  await admin.createAcls([{ resourceType: 'TOPIC', resourceName: '*', patternType: 'LITERAL', principal: 'User:intruder', host: '*', operation: 'ALL', permission: 'ALLOW' }]);
  await admin.alterUserScramCredentials([{ user: 'intruder', mechanism: 'SCRAM-SHA-512', password: 'intruder-password' }]);
  await until(async () => ((await admin.describeAcls()).length === 2 && !(await admin.describeUserScramCredentials(null)).has('intruder') ? true : null), 'drift to be corrected');
  // The instance was sold 10 topics: the broker itself refuses the 11th, even behind the API's back.
  const extra = await admin.createTopics(Array.from({ length: 10 }, (_, i) => ({ name: `extra-${i}`, partitions: 1, replicationFactor: 1 })));
  expect([...extra.values()].filter((e) => e === null)).toHaveLength(9);
  expect(extra.get('extra-9')?.errorName).toBe('POLICY_VIOLATION');
  admin.close();

  expect((await api('DELETE', `/v1/instances/${id}?force=true`)).statusCode).toBe(202);
  await until(async () => ((await runtime.observe(id)) === null ? true : null), 'the instance processes and data to be gone');
  await expect(run('kcat', ['-L', ...userArgs, '-m', '3'], { timeout: 15_000 })).rejects.toThrow();
  await expect(run('kcat', ['-L', '-b', internal[0]!, '-m', '3'], { timeout: 15_000 })).rejects.toThrow();
});
