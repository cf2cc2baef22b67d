import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startE2eStack, type E2eStack } from '../support/e2e-stack.ts';
import { until } from '../support/until.ts';

// Prepaid billing on the real stack (API, operator with the local runtime, a real broker, PostgreSQL,
// Redis), the billing sweep driven with explicit times:
// - a lower bandwidth asked for mid-period leaves the running broker's bandwidth limit as paid; at
//   the expiry the auto-renewal applies it, priced at the lower size, and the operator restarts the
//   broker with the lower limit;
// - an expiry without renewal isolates the instance: a kafkajs client logging in is refused with the
//   reason; a renewal through the API restores it and the same client reads every message.
const KEY = 'trib_e2e_admin_key_downgrade_0123456789';
let stack: E2eStack;

beforeAll(async () => {
  stack = await startE2eStack({ key: KEY, etcd: false, stopGraceMs: 10_000 });
}, 60_000);
afterAll(async () => stack?.stop(), 60_000);

/** The produce bandwidth limit the instance's running broker process was started with (its command line). */
function brokerProduceRate(instanceId: string): string | null {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let args: string[];
    try { args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'); } catch { continue; }
    if (!args.some((a) => a.includes(instanceId)) || !args.some((a) => a.endsWith('tributary-broker'))) continue;
    const set = args.find((a) => a.startsWith('tributary.instance.produce.byte.rate='));
    if (set) return set.split('=')[1]!;
  }
  return null;
}

interface Ins { id: string; generation: number; spec: { bandwidthMBps: number }; status: { phase: string; observedGeneration: number }; billingState: { expiresAt: string; pendingChange: { spec: { bandwidthMBps: number } } | null } }
const get = async (id: string): Promise<Ins> => (await stack.api('GET', `/v1/instances/${id}`)).json();
/** Running with every generation up to `generation` applied by the operator. */
const settled = (id: string, generation: number) => until(async () => {
  const i = await get(id);
  return i.status.phase === 'Running' && i.status.observedGeneration >= generation ? i : null;
}, `generation ${generation} running`, 120_000);

it('a prepaid downgrade keeps the paid bandwidth on the broker until the auto-renewal applies it at the expiry', { timeout: 300_000 }, async () => {
  const spec = { zone: 'zone-a', brokers: 1, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 10, topicLimit: 5, consumerGroupLimit: 5, billing: { mode: 'prepaid', periodMonths: 1, autoRenew: true } };
  const created = await stack.api('POST', '/v1/instances', { name: 'downgraded', spec });
  expect(created.statusCode, created.body).toBe(202);
  const id = (created.json().resource as Ins).id;
  await settled(id, 1);
  expect(brokerProduceRate(id)).toBe('40000000');

  const put = await stack.api('PUT', `/v1/instances/${id}`, { spec: { ...spec, bandwidthMBps: 20 } });
  expect(put.statusCode, put.body).toBe(202);
  const waiting = await settled(id, (put.json().resource as Ins).generation);
  expect(waiting.spec.bandwidthMBps).toBe(40);
  expect(waiting.billingState.pendingChange?.spec.bandwidthMBps).toBe(20);
  expect(brokerProduceRate(id)).toBe('40000000');

  const swept = await stack.store.lifecycle.sweep(new Date(Date.parse(waiting.billingState.expiresAt) + 60_000));
  expect(swept.downgraded).toContain(id);
  const applied = await get(id);
  expect(applied.spec.bandwidthMBps).toBe(20);
  expect(applied.billingState.pendingChange).toBeNull();
  await settled(id, applied.generation);
  await until(async () => (brokerProduceRate(id) === '20000000' ? true : null), 'the broker restarted with 20 MB/s', 120_000);

  // the renewal was charged at 20 MB/s: 1 broker 12¢ + 20 MB/s 3¢ + 100 GiB 1.4¢ an hour × 730 h = 11,972¢, less 15 % (1,796)
  const invoices = (await stack.api('GET', `/v1/billing/invoices?instanceId=${id}`)).json().items as { periodStart: string; totalMinor: number }[];
  expect(invoices.find((i) => i.periodStart === waiting.billingState.expiresAt)?.totalMinor).toBe(10_176);
});

it('prepaid expiry isolates the instance (kafkajs refused with the reason); a renewal restores it and the same client reads every message', { timeout: 300_000 }, async () => {
  const spec = { zone: 'zone-a', brokers: 1, bandwidthMBps: 20, diskGiB: 100, partitionLimit: 10, topicLimit: 5, consumerGroupLimit: 5, billing: { mode: 'prepaid', periodMonths: 1 } };
  const created = await stack.api('POST', '/v1/instances', { name: 'expiring', spec });
  expect(created.statusCode, created.body).toBe(202);
  const ins = created.json().resource as Ins;
  const running = await settled(ins.id, 1) as Ins & { status: { bootstrapServers: string } };
  expect((await stack.api('POST', `/v1/instances/${ins.id}/topics`, { name: 'kept', partitions: 1, replicationFactor: 1, configs: {} })).statusCode).toBe(202);
  expect((await stack.api('POST', `/v1/instances/${ins.id}/users`, { name: 'payer', password: 'payer-password-0123', mechanism: 'SCRAM-SHA-512' })).statusCode).toBe(202);
  for (const [resourceType, resourceName, operation] of [['TOPIC', 'kept', 'WRITE'], ['TOPIC', 'kept', 'READ'], ['TOPIC', 'kept', 'DESCRIBE'], ['GROUP', 'kept-reader', 'READ']]) {
    expect((await stack.api('POST', `/v1/instances/${ins.id}/acls`, { resourceType, resourceName, principal: 'User:payer', operation })).statusCode).toBe(202);
  }
  const client = { clientId: 'payer-app', brokers: [running.status.bootstrapServers], sasl: { mechanism: 'scram-sha-512' as const, username: 'payer', password: 'payer-password-0123' }, logLevel: logLevel.NOTHING };
  const messages = Array.from({ length: 100 }, (_, i) => ({ key: String(i), value: `message ${i}` }));
  // the user and its ACLs reach the broker a moment after the 202s: send until allowed
  await until(async () => {
    const producer = new Kafka({ ...client, retry: { retries: 0 } }).producer();
    try {
      await producer.connect();
      await producer.send({ topic: 'kept', acks: -1, messages });
      return true;
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  }, 'the user to write kept', 120_000);

  const swept = await stack.store.lifecycle.sweep(new Date(Date.parse(running.billingState.expiresAt) + 60_000));
  expect(swept.isolated).toContain(ins.id);
  expect((await get(ins.id)).billingState).toMatchObject({ status: 'suspended' });
  // the operator rolls the broker with the isolation: every login is refused with the reason
  const refusal = await until(async () => {
    const producer = new Kafka({ ...client, retry: { retries: 0 } }).producer();
    const err = await producer.connect().then(() => null, (e: Error) => e);
    await producer.disconnect().catch(() => undefined);
    return err && /instance isolated/.test(err.message) ? err.message : null;
  }, 'logins refused as isolated', 120_000);
  expect(refusal).toMatch(/billing suspended this instance/);

  const renewed = await stack.api('POST', `/v1/instances/${ins.id}/renew`, { periodMonths: 1 });
  expect(renewed.statusCode, renewed.body).toBe(200);
  expect(renewed.json().instance.billingState.status).toBe('active');
  const seen = await until(async () => {
    const consumer = new Kafka({ ...client, retry: { retries: 0 } }).consumer({ groupId: 'kept-reader' });
    const got = new Set<string>();
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: 'kept', fromBeginning: true });
      // no commits: an attempt cut short leaves the next one reading from the beginning
      await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => { got.add(message.value!.toString()); } });
      await until(() => got.size >= messages.length, 'this attempt reading every message', 20_000); // a timeout fails the attempt; the outer wait retries
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
    return got.size === messages.length ? got : null;
  }, 'every message read after the renewal', 150_000);
  expect([...seen].sort()).toEqual(messages.map((m) => m.value).sort());
});
