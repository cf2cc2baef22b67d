import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { SecretBox } from '@tributary/db';
import { startTestServices, type TestServices } from '@tributary/testkit';
import { buildApp } from '../app.ts';
import { createReconcileQueue, type ReconcileQueue } from '../jobs/queue.ts';
import { generateApiKey } from '../plugins/auth.ts';
import { PrismaStore } from '../store/prisma-store.ts';

// POST /v1/billing/quotes against real PostgreSQL (the seeded default price book: USD, 15 % prepaid
// discount, broker 12¢/h, 0.15¢ per MB/s-hour, 0.014¢ per GiB-hour). The arithmetic itself is
// unit-tested with hand-computed examples in libs/pricing; this checks the route, its errors and
// that it prices the account's own instances.
let services: TestServices;
let store: PrismaStore;
let queue: ReconcileQueue;
let app: FastifyInstance;
const keys = { adminA: '', billingA: '', adminB: '' };
const spec = { zone: 'zone-a', brokers: 3, bandwidthMBps: 40, diskGiB: 500, partitionLimit: 20, topicLimit: 5, consumerGroupLimit: 10, billing: { mode: 'postpaid' } };
const prepaid = { ...spec, billing: { mode: 'prepaid', periodMonths: 3 } };

const quote = (key: string, body: unknown) => app.inject({ method: 'POST', url: '/v1/billing/quotes', headers: { authorization: `Bearer ${key}` }, payload: body as object });
async function newInstance(name: string, s: object) {
  const r = await app.inject({ method: 'POST', url: '/v1/instances', headers: { authorization: `Bearer ${keys.adminA}` }, payload: { name, spec: s } });
  expect(r.statusCode, r.body).toBe(202);
  return r.json().resource as { id: string; billingState: { expiresAt: string | null } };
}

beforeAll(async () => {
  services = await startTestServices();
  store = await PrismaStore.connect(services.databaseUrl);
  queue = createReconcileQueue(services.redisUrl);
  const a = await store.createAccount('A');
  const b = await store.createAccount('B');
  for (const [name, account, role] of [['adminA', a, 'admin'], ['billingA', a, 'billing'], ['adminB', b, 'admin']] as const) {
    const k = generateApiKey();
    await store.createApiKey(account, name, role, k.prefix, k.hash);
    keys[name] = k.key;
  }
  app = await buildApp({ store, queue, secrets: SecretBox.generate() });
}, 60_000);
afterAll(async () => {
  await app?.close();
  await queue?.close();
  await store?.close();
  await services?.stop();
});

describe('POST /v1/billing/quotes', () => {
  it('postpaid: 49¢ an hour, $357.70 for a 730-hour month', async () => {
    const r = await quote(keys.billingA, { kind: 'create', spec });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ kind: 'create', mode: 'postpaid', currency: 'USD', priceBookId: 'pb-default-2026', hourlyMinor: 49, monthlyEstimateMinor: 35_770, totalMinor: 49 });
    expect(r.json().lines.map((l: { code: string; amountMinor: number }) => [l.code, l.amountMinor])).toEqual([
      ['instance.broker-hours', 36], ['instance.bandwidth-hours', 6], ['instance.disk-provisioned-gib-hours', 7],
    ]);
  });

  it('prepaid 3 months: 107,310¢ less 15 % = 91,214¢', async () => {
    const r = await quote(keys.adminA, { kind: 'create', spec: prepaid });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ mode: 'prepaid', totalMinor: 91_214 });
    expect(r.json().lines.at(-1)).toMatchObject({ code: 'prepaid.discount', amountMinor: -16_096 });
  });

  it('a prepaid upgrade is the prorated difference for the time left; a renewal extends from the expiry', async () => {
    const ins = await newInstance('quoted-prepaid', prepaid);
    const r = await quote(keys.billingA, { kind: 'change', instanceId: ins.id, spec: { ...prepaid, brokers: 5 } });
    expect(r.statusCode, r.body).toBe(200);
    const q = r.json();
    expect(q.periodEnd).toBe(ins.billingState.expiresAt);
    // 2 more brokers at 12¢ an hour for the whole seconds left, less 15 %
    const seconds = Math.floor((Date.parse(q.periodEnd) - Date.parse(q.effectiveAt)) / 1000);
    const brokers = Math.round((2 * 120_000 * seconds) / 3600 / 10_000);
    expect(q.lines[0]).toMatchObject({ code: 'prepaid.upgrade-proration', meter: 'broker-hour', amountMinor: brokers });
    expect(q.totalMinor).toBe(brokers + q.lines[1].amountMinor);
    expect(q.lines[1].amountMinor).toBe(-Math.round(brokers * 0.15));
    const renewal = (await quote(keys.billingA, { kind: 'renewal', instanceId: ins.id, periodMonths: 1 })).json();
    expect(renewal).toMatchObject({ kind: 'renewal', periodStart: ins.billingState.expiresAt, totalMinor: 30_404 });
  });

  it('answers problem+json: a bad body, another account\'s instance, renewing a postpaid instance, changing the billing mode', async () => {
    const bad = await quote(keys.adminA, { kind: 'create', spec: { ...spec, brokers: 99 } });
    expect(bad.statusCode).toBe(422);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json()).toMatchObject({ code: 'validation-failed', errors: [{ in: 'body', path: '/spec/brokers' }] });
    const unknownKind = await quote(keys.adminA, { kind: 'refund' });
    expect(unknownKind.statusCode).toBe(422);
    expect(unknownKind.json().errors[0]).toMatchObject({ in: 'body', path: '/kind' });
    const postpaid = await newInstance('quoted-postpaid', spec);
    expect((await quote(keys.adminB, { kind: 'renewal', instanceId: postpaid.id, periodMonths: 1 })).json()).toMatchObject({ status: 404, code: 'not-found' });
    expect((await quote(keys.adminA, { kind: 'renewal', instanceId: postpaid.id, periodMonths: 1 })).json()).toMatchObject({ status: 409, code: 'not-prepaid' });
    const mode = await quote(keys.adminA, { kind: 'change', instanceId: postpaid.id, spec: prepaid });
    expect(mode.json()).toMatchObject({ status: 422, code: 'validation-failed', errors: [{ path: '/spec/billing/mode' }] });
    const change = (await quote(keys.adminA, { kind: 'change', instanceId: postpaid.id, spec: { ...spec, brokers: 4 } })).json();
    expect(change).toMatchObject({ mode: 'postpaid', hourlyMinor: 61, totalMinor: 61 });
  });
});
