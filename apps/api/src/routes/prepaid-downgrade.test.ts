import { describe, expect, it } from 'vitest';
import { addMonths } from '@tributary/pricing';
import { reconcileInstanceJobId } from '@tributary/contracts';
import { SMALL_SPEC, until, useApiHarness } from '../testing/api-harness.ts';

// A prepaid downgrade waits for the renewal (real PostgreSQL and Redis): recorded as a pending change
// visible on the instance and cancellable, the renewal priced at the lower size, applied at the period
// boundary by the billing sweep (or at once when renewed after the expiry) as a new generation the
// operator reconciles. Amounts are hand-computed from the default price book (USD, 15 % prepaid discount).
const h = useApiHarness({
  keys: { admin: { account: 'A', role: 'admin' }, billing: { account: 'A', role: 'billing' }, viewer: { account: 'A', role: 'viewer' }, other: { account: 'B', role: 'admin' } },
  app: { docs: false }, inspect: true,
});
const prepaid = (autoRenew?: boolean) => ({ ...SMALL_SPEC, billing: { mode: 'prepaid', periodMonths: 1, ...(autoRenew !== undefined ? { autoRenew } : {}) } });
// One month (730 h) at 1 broker 12¢ + 20 MB/s 3¢ + 100 GiB 1.4¢ an hour: 8,760 + 2,190 + 1,022 = 11,972¢, less 15 % (1,795.8 → 1,796).
const MONTH_AT_20_MBPS = 10_176;
// The same at 40 MB/s (6¢ an hour): 8,760 + 4,380 + 1,022 = 14,162¢, less 15 % (2,124.3 → 2,124).
const MONTH_AT_40_MBPS = 12_038;

interface Ins { id: string; generation: number; spec: { bandwidthMBps: number; diskGiB: number; topicLimit: number }; billingState: { status: string; expiresAt: string; pendingChange: { spec: { bandwidthMBps: number; topicLimit: number }; requestedAt: string; appliesAt: string | null } | null } }
async function create(name: string, spec: object): Promise<Ins> {
  const r = await h.call('POST', '/v1/instances', { key: h.keys.admin, body: { name, spec } });
  expect(r.statusCode, r.body).toBe(202);
  return r.json().resource;
}
async function put(id: string, spec: object) {
  return h.call('PUT', `/v1/instances/${id}`, { key: h.keys.admin, body: { spec } });
}
const get = async (id: string): Promise<Ins> => (await h.call('GET', `/v1/instances/${id}`, { key: h.keys.admin })).json();
const invoices = async (id: string) => (await h.call('GET', `/v1/billing/invoices?instanceId=${id}`, { key: h.keys.billing })).json().items as { id: string; kind: string; totalMinor: number; periodStart: string }[];
const audit = (id: string) => h.store.db.auditEvent.findMany({ where: { targetId: id }, orderBy: { id: 'asc' } });
const principal = () => ({ keyId: 'test', accountId: h.accounts.A!, role: 'admin' as const });

describe('prepaid downgrade at the renewal', () => {
  it('a lower bandwidth waits as a pending change (spec unchanged, nothing charged), is kept by a PUT of the paid spec, priced into the renewal quote, and can be cancelled', async () => {
    const ins = await create('shrinking', prepaid());
    const r = await put(ins.id, { ...prepaid(), bandwidthMBps: 20 });
    expect(r.statusCode, r.body).toBe(202);
    const after = r.json().resource as Ins;
    expect(after.spec.bandwidthMBps).toBe(40);
    expect(after.billingState.pendingChange).toMatchObject({ spec: { bandwidthMBps: 20 }, appliesAt: null });
    expect((await get(ins.id)).billingState.pendingChange).toEqual(after.billingState.pendingChange);
    expect((await invoices(ins.id)).map((i) => i.kind)).toEqual(['prepaid']);

    // the renewal quote is the smaller size
    const q = await h.call('POST', '/v1/billing/quotes', { key: h.keys.billing, body: { kind: 'renewal', instanceId: ins.id, periodMonths: 1 } });
    expect(q.json()).toMatchObject({ kind: 'renewal', totalMinor: MONTH_AT_20_MBPS, periodStart: ins.billingState.expiresAt });

    // another change sent with the paid level (a client that re-sends what it read) keeps the downgrade
    const other = await put(ins.id, { ...prepaid(), topicLimit: 4 });
    expect(other.statusCode, other.body).toBe(202);
    expect((other.json().resource as Ins).billingState.pendingChange).toMatchObject({ spec: { bandwidthMBps: 20, topicLimit: 4 }, requestedAt: after.billingState.pendingChange!.requestedAt });

    // cancel: only operators and admins of the account; once only
    expect((await h.call('DELETE', `/v1/instances/${ins.id}/pending-change`, { key: h.keys.viewer })).statusCode).toBe(403);
    expect((await h.call('DELETE', `/v1/instances/${ins.id}/pending-change`, { key: h.keys.other })).statusCode).toBe(404);
    const cancelled = await h.call('DELETE', `/v1/instances/${ins.id}/pending-change`, { key: h.keys.admin });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json().billingState.pendingChange).toBeNull();
    expect(cancelled.json().etag).not.toBe((other.json().resource as { etag: string }).etag);
    expect((await h.call('DELETE', `/v1/instances/${ins.id}/pending-change`, { key: h.keys.admin })).json()).toMatchObject({ status: 404, code: 'not-found' });
    expect((await audit(ins.id)).map((e) => e.action)).toContain('instance.pending-change.cancel');
    const q2 = await h.call('POST', '/v1/billing/quotes', { key: h.keys.billing, body: { kind: 'renewal', instanceId: ins.id, periodMonths: 1 } });
    expect(q2.json().totalMinor).toBe(MONTH_AT_40_MBPS);
  });

  it('fewer brokers (a scale-down) wait for the renewal too; the renewal is priced at them', async () => {
    const two = { ...prepaid(), brokers: 2 };
    const ins = await create('two-brokers', two);
    const r = await put(ins.id, { ...two, brokers: 1 });
    expect(r.statusCode, r.body).toBe(202);
    expect((r.json().resource as Ins & { spec: { brokers: number } }).spec.brokers).toBe(2);
    expect((r.json().resource as Ins).billingState.pendingChange).toMatchObject({ spec: { brokers: 1 }, appliesAt: null });
    // renewed at 1 broker: the same month as SMALL_SPEC at 40 MB/s
    const q = await h.call('POST', '/v1/billing/quotes', { key: h.keys.billing, body: { kind: 'renewal', instanceId: ins.id, periodMonths: 1 } });
    expect(q.json().totalMinor).toBe(MONTH_AT_40_MBPS);
  });

  it('an upgrade with a downgrade in one request: the rise is charged now (prorated), the fall waits', async () => {
    const ins = await create('mixed', prepaid());
    const r = await put(ins.id, { ...prepaid(), bandwidthMBps: 20, diskGiB: 200 });
    expect(r.statusCode, r.body).toBe(202);
    expect((r.json().resource as Ins).spec).toMatchObject({ bandwidthMBps: 40, diskGiB: 200 });
    const [, upgrade, ...rest] = await invoices(ins.id);
    expect(rest).toEqual([]);
    const lines = (await h.call('GET', `/v1/billing/invoices/${upgrade!.id}`, { key: h.keys.billing })).json().lines as { code: string; meter: string }[];
    expect(lines.map((l) => [l.code, l.meter])).toEqual([['prepaid.upgrade-proration', 'disk-gib-hour'], ['prepaid.discount', 'discount']]);
    expect((await h.call('GET', `/v1/billing/invoices/${upgrade!.id}/recompute`, { key: h.keys.billing })).json().matches).toBe(true);
    // raising the waiting level supersedes the downgrade (charged as an upgrade)
    const up = await put(ins.id, { ...prepaid(), bandwidthMBps: 100, diskGiB: 200 });
    expect((up.json().resource as Ins).billingState.pendingChange).toBeNull();
    expect((up.json().resource as Ins).spec.bandwidthMBps).toBe(100);
    expect(await invoices(ins.id)).toHaveLength(3);
  });

  it('renewed in time: the renewal is paid at the smaller size and the change applies at the old expiry, by the sweep, as a new generation', async () => {
    const ins = await create('renewed-smaller', prepaid());
    const expiry = Date.parse(ins.billingState.expiresAt);
    await put(ins.id, { ...prepaid(), bandwidthMBps: 20 });
    const r = await h.call('POST', `/v1/instances/${ins.id}/renew`, { key: h.keys.billing, body: { periodMonths: 1 } });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().quote).toMatchObject({ totalMinor: MONTH_AT_20_MBPS, periodStart: ins.billingState.expiresAt });
    const renewed = r.json().instance as Ins;
    expect(renewed.spec.bandwidthMBps).toBe(40);
    expect(renewed.billingState).toMatchObject({ expiresAt: addMonths(new Date(expiry), 1).toISOString(), pendingChange: { spec: { bandwidthMBps: 20 }, appliesAt: ins.billingState.expiresAt } });
    const renewal = (await invoices(ins.id)).find((i) => i.periodStart === ins.billingState.expiresAt)!;
    expect(renewal.totalMinor).toBe(MONTH_AT_20_MBPS);
    expect((await h.call('GET', `/v1/billing/invoices/${renewal.id}/recompute`, { key: h.keys.billing })).json().matches).toBe(true);

    // paid for: the waiting level is fixed (not cancelled, not raised, not lowered further); restating it is fine
    expect((await h.call('DELETE', `/v1/instances/${ins.id}/pending-change`, { key: h.keys.admin })).json()).toMatchObject({ status: 409, code: 'pending-change-renewed' });
    expect((await put(ins.id, { ...prepaid(), bandwidthMBps: 100 })).json()).toMatchObject({ status: 409, code: 'pending-change-renewed' });
    expect((await put(ins.id, { ...prepaid(), bandwidthMBps: 20 })).statusCode).toBe(202);
    const generation = (await get(ins.id)).generation;

    expect((await h.store.lifecycle.sweep(new Date(expiry - 60_000))).downgraded).not.toContain(ins.id);
    expect((await get(ins.id)).spec.bandwidthMBps).toBe(40);
    expect((await h.store.lifecycle.sweep(new Date(expiry + 1_000))).downgraded).toContain(ins.id);
    const applied = await get(ins.id);
    expect(applied).toMatchObject({ generation: generation + 1, spec: { bandwidthMBps: 20 }, billingState: { status: 'active', pendingChange: null, expiresAt: renewed.billingState.expiresAt } });
    const update = (await audit(ins.id)).filter((e) => e.action === 'instance.update').at(-1);
    expect(update).toMatchObject({ keyId: 'system:billing', generation: generation + 1, detail: { reason: 'prepaid downgrade applied at the renewal', spec: { bandwidthMBps: 20 } } });
    // the operator's work: an Operation for the new generation and its reconcile job in the outbox
    const ops = (await h.call('GET', `/v1/operations?targetId=${ins.id}`, { key: h.keys.admin })).json().items as { kind: string; generation: number }[];
    expect(ops.at(-1)).toMatchObject({ kind: 'instance.update', generation: generation + 1 });
    const jobId = reconcileInstanceJobId({ instanceId: ins.id, generation: generation + 1, reason: 'updated' });
    await until(async () => (await h.inspect.getJob(jobId)) !== undefined, `job ${jobId} in the queue`);
    // once only
    expect((await h.store.lifecycle.sweep(new Date(expiry + 2_000))).downgraded).not.toContain(ins.id);
    expect((await get(ins.id)).generation).toBe(generation + 1);
  });

  it('auto-renewal at the expiry applies the change and charges the smaller size', async () => {
    const ins = await create('auto-smaller', prepaid(true));
    await put(ins.id, { ...prepaid(true), bandwidthMBps: 20 });
    const swept = await h.store.lifecycle.sweep(new Date(Date.parse(ins.billingState.expiresAt) + 60_000));
    expect(swept.renewed).toContain(ins.id);
    expect(swept.downgraded).toContain(ins.id);
    expect(await get(ins.id)).toMatchObject({ spec: { bandwidthMBps: 20 }, billingState: { status: 'active', pendingChange: null, expiresAt: addMonths(new Date(ins.billingState.expiresAt), 1).toISOString() } });
    expect((await invoices(ins.id)).find((i) => i.periodStart === ins.billingState.expiresAt)?.totalMinor).toBe(MONTH_AT_20_MBPS);
  });

  it('expired without renewal: isolated with the change still waiting; renewed later, it applies at once and the new period starts then', async () => {
    const ins = await create('lapsed-smaller', prepaid());
    await put(ins.id, { ...prepaid(), bandwidthMBps: 20 });
    const expiry = Date.parse(ins.billingState.expiresAt);
    expect((await h.store.lifecycle.sweep(new Date(expiry + 60_000))).isolated).toContain(ins.id);
    expect((await get(ins.id)).billingState).toMatchObject({ status: 'suspended', pendingChange: { spec: { bandwidthMBps: 20 }, appliesAt: null } });
    const at = new Date(expiry + 3_600_000);
    const { instance, quote } = await h.store.renewInstance(principal(), ins.id, 1, at);
    expect(quote).toMatchObject({ totalMinor: MONTH_AT_20_MBPS, periodStart: at.toISOString() });
    expect(instance).toMatchObject({ billingStatus: 'active', pending: null, spec: { bandwidthMBps: 20 }, billingExpiresAt: addMonths(at, 1) });
  });
});
