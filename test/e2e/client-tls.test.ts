import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { kcatProduce } from '../support/kcat.ts';
import { startE2eStack, type E2eStack } from '../support/e2e-stack.ts';
import { makeTestCertificate, type TestCertificate } from '../support/tls.ts';
import { until } from '../support/until.ts';

// An operator with TLS for instances (the local runtime's clientTls; TRIBUTARY_INSTANCE_TLS_KEYSTORE
// for apps/operator/src/main.ts): an instance created through the REST API serves its one client
// endpoint as SASL_SSL, the API says so, a user created through the API produces and consumes with
// kcat over TLS, and a client that skips TLS gets nothing.
const run = promisify(execFile);
const KEY = 'trib_e2e_tls_admin_key_0123456789abcdef';
let stack: E2eStack;
let cert: TestCertificate;

beforeAll(async () => {
  cert = makeTestCertificate();
  stack = await startE2eStack({ key: KEY, etcd: false, stopGraceMs: 10_000, clientTls: { keystore: cert.keystore } });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  cert?.remove();
}, 60_000);

it('serves the client endpoint as SASL_SSL where the operator has TLS for instances', { timeout: 180_000 }, async () => {
  const created = await stack.api('POST', '/v1/instances', {
    name: 'tls',
    spec: { zone: 'zone-a', brokers: 1, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 100, topicLimit: 10, consumerGroupLimit: 10, billing: { mode: 'postpaid' } },
  });
  expect(created.statusCode).toBe(202);
  const id = created.json().resource.id as string;
  const running = await until(async () => {
    const body = (await stack.api('GET', `/v1/instances/${id}`)).json();
    return body.status?.phase === 'Running' ? body : null;
  }, 'the instance to be Running');
  expect(running.status).toMatchObject({ securityProtocol: 'SASL_SSL', saslMechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-512'] });
  const bootstrap = running.status.bootstrapServers as string;
  expect(bootstrap).toMatch(/^127\.0\.0\.1:\d+$/);

  expect((await stack.api('POST', `/v1/instances/${id}/topics`, { name: 'secure', partitions: 1, replicationFactor: 1, configs: {} })).statusCode).toBe(202);
  expect((await stack.api('POST', `/v1/instances/${id}/users`, { name: 'tls-app', password: 'tls-app-password', mechanism: 'SCRAM-SHA-256' })).statusCode).toBe(202);
  for (const operation of ['WRITE', 'READ']) {
    expect((await stack.api('POST', `/v1/instances/${id}/acls`, { resourceType: 'TOPIC', resourceName: 'secure', patternType: 'LITERAL', principal: 'User:tls-app', operation })).statusCode).toBe(202);
  }
  const login = ['-b', bootstrap, '-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${cert.caFile}`, '-X', 'sasl.mechanisms=SCRAM-SHA-256', '-X', 'sasl.username=tls-app', '-X', 'sasl.password=tls-app-password'];
  // The operator applies the user and its ACLs a moment after the 202s.
  await until(async () => ((await kcatProduce([...login, '-t', 'secure', '-X', 'message.timeout.ms=10000'], 'over tls\n', 30_000).then(() => true, () => false)) ? true : null), 'tls-app to write');
  const { stdout } = await run('kcat', ['-C', ...login, '-t', 'secure', '-o', 'beginning', '-e', '-q', '-f', '%s\n'], { timeout: 30_000 });
  expect(stdout.split('\n').filter(Boolean)).toEqual(['over tls']);

  // Without TLS the same login gets nothing, nor does a client that skips SASL over TLS.
  await expect(run('kcat', ['-L', '-b', bootstrap, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=SCRAM-SHA-256', '-X', 'sasl.username=tls-app', '-X', 'sasl.password=tls-app-password', '-m', '5'], { timeout: 30_000 })).rejects.toThrow();
  await expect(run('kcat', ['-L', '-b', bootstrap, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${cert.caFile}`, '-m', '5'], { timeout: 30_000 })).rejects.toThrow();
});
