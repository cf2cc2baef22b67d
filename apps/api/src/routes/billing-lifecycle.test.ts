import { describe, expect, it } from 'vitest';
import { addMonths } from '@tributary/pricing';
import { SMALL_SPEC, useApiHarness } from '../testing/api-harness.ts';

// Renewal, expiry (isolation or auto-renewal) and administrators' isolate/resume, against real
// PostgreSQL and Redis; the brokers' side of isolation is apps/operator's billing-isolation.test.ts.
const PLATFORM_KEY = 'trb_platform_lifecycle_0123456789abcdefgh';
const h = useApiHarness({
  keys: { admin: { account: 'A', role: 'admin' }, billing: { account: 'A', role: 'billing' }, viewer: { account: 'A', role: 'viewer' }, other: { account: 'B', role: 'admin' } },
  platformKey: PLATFORM_KEY, app: { docs: false },
});
const prepaid = (autoRenew?: boolean) => ({ ...SMALL_SPEC, billing: { mode: 'prepaid', periodMonths: 1, ...(autoRenew !== undefined ? { autoRenew } : {}) } });

async function create(name: string, spec: object) {
  const r = await h.call('POST', '/v1/instances', { key: h.keys.admin, body: { name, spec } });
  expect(r.statusCode, r.body).toBe(202);
  return r.json().resource as { id: string; billingState: { status: string; expiresAt: string } };
}
const get = async (id: string) => (await h.call('GET', `/v1/instances/${id}`, { key: h.keys.admin })).json() as { billingState: { status: string; expiresAt: string } };
const audit = (id: string) => h.store.db.auditEvent.findMany({ where: { targetId: id }, orderBy: { id: 'asc' } });

describe('prepaid lifecycle', () => {
  it('renew adds months from the expiry and charges the renewal quote; only prepaid, own instances, billing or admin roles', async () => {
    const ins = await create('renewed', prepaid());
    const r = await h.call('POST', `/v1/instances/${ins.id}/renew`, { key: h.keys.billing, body: { periodMonths: 2 } });
    expect(r.statusCode, r.body).toBe(200);
    const { instance, quote } = r.json();
    expect(instance.billingState.expiresAt).toBe(addMonths(new Date(ins.billingState.expiresAt), 2).toISOString());
    // 1 broker 12¢ + 40 MB/s 6¢ + 100 GiB 1.4¢ an hour × 1,460 h = 17,520 + 8,760 + 2,044 = 28,324¢, less 15 % (4,248.6 → 4,249)
    expect(quote).toMatchObject({ kind: 'renewal', periodStart: ins.billingState.expiresAt, totalMinor: 24_075 });
    expect((await audit(ins.id)).map((e) => e.action)).toContain('instance.renew');

    const postpaid = await create('hourly', SMALL_SPEC);
    expect((await h.call('POST', `/v1/instances/${postpaid.id}/renew`, { key: h.keys.admin, body: { periodMonths: 1 } })).json()).toMatchObject({ status: 409, code: 'not-prepaid' });
    expect((await h.call('POST', `/v1/instances/${ins.id}/renew`, { key: h.keys.other, body: { periodMonths: 1 } })).statusCode).toBe(404);
    expect((await h.call('POST', `/v1/instances/${ins.id}/renew`, { key: h.keys.viewer, body: { periodMonths: 1 } })).statusCode).toBe(403);
    expect((await h.call('POST', `/v1/instances/${ins.id}/renew`, { key: h.keys.admin, body: { periodMonths: 0 } })).json()).toMatchObject({ status: 422, errors: [{ path: '/periodMonths' }] });
  });

  it('expiry isolates an instance without autoRenew (once), a renewal restores it; autoRenew extends by its period', async () => {
    const plain = await create('expiring', prepaid());
    const auto = await create('auto-renewing', prepaid(true));
    const later = new Date(Math.max(Date.parse(plain.billingState.expiresAt), Date.parse(auto.billingState.expiresAt)) + 60_000);
    const swept = await h.store.lifecycle.sweep(later);
    expect(swept.isolated).toContain(plain.id);
    expect(swept.renewed).toContain(auto.id);
    expect((await get(plain.id)).billingState.status).toBe('suspended');
    expect((await audit(plain.id)).filter((e) => e.action === 'instance.expire')).toHaveLength(1);
    expect((await get(auto.id)).billingState).toMatchObject({ status: 'active', expiresAt: addMonths(new Date(auto.billingState.expiresAt), 1).toISOString() });
    expect((await audit(auto.id)).map((e) => e.action)).toContain('instance.auto-renew');
    // a second sweep finds nothing more to do
    const again = await h.store.lifecycle.sweep(later);
    expect([...again.isolated, ...again.renewed]).not.toContain(plain.id);
    expect([...again.isolated, ...again.renewed]).not.toContain(auto.id);

    const renewed = await h.call('POST', `/v1/instances/${plain.id}/renew`, { key: h.keys.billing, body: { periodMonths: 1 } });
    expect(renewed.json().instance.billingState.status).toBe('active');
    const expire = (await audit(plain.id)).find((e) => e.action === 'instance.renew');
    expect(expire?.detail).toMatchObject({ billingStatus: { from: 'suspended', to: 'active' } });
  });

  it('an expired instance still isolated after the retention is deleted through a normal operation; one renewed in time is kept', async () => {
    const kept = await create('renewed-in-time', prepaid());
    const gone = await create('left-to-expire', prepaid());
    const expiry = Math.max(Date.parse(kept.billingState.expiresAt), Date.parse(gone.billingState.expiresAt));
    await h.store.lifecycle.sweep(new Date(expiry + 60_000));
    expect((await get(gone.id)).billingState.status).toBe('suspended');
    expect((await h.call('POST', `/v1/instances/${kept.id}/renew`, { key: h.keys.billing, body: { periodMonths: 1 } })).statusCode).toBe(200);
    const retention = h.store.lifecycle.isolationRetentionMs;
    expect(retention).toBe(7 * 86_400_000);
    expect(await h.store.lifecycle.deleteAfterRetention(new Date(expiry + retention - 60_000))).not.toContain(gone.id);
    const deleted = await h.store.lifecycle.deleteAfterRetention(new Date(expiry + retention + 60_000));
    expect(deleted).toContain(gone.id);
    expect(deleted).not.toContain(kept.id);
    const ops = (await h.call('GET', `/v1/operations?targetId=${gone.id}`, { key: h.keys.admin })).json();
    expect(ops.items.map((o: { kind: string }) => o.kind)).toEqual(['instance.create', 'instance.delete']);
    const del = (await audit(gone.id)).find((e) => e.action === 'instance.delete');
    expect(del).toMatchObject({ keyId: 'system:billing', detail: { force: true, reason: expect.stringMatching(/retention of 168 h ended/) } });
    expect((await h.store.db.instance.findUnique({ where: { id: gone.id } }))?.deletedAt).not.toBeNull();
    expect((await h.store.db.instance.findUnique({ where: { id: kept.id } }))?.deletedAt).toBeNull();
    // once only
    expect(await h.store.lifecycle.deleteAfterRetention(new Date(expiry + retention + 120_000))).not.toContain(gone.id);
  });

  it('platform admins isolate and resume any account\'s instance; others may not', async () => {
    const ins = await create('overdue', SMALL_SPEC);
    expect((await h.call('POST', `/v1/instances/${ins.id}/isolate`, { key: h.keys.admin, body: { reason: 'overdue' } })).statusCode).toBe(403);
    const iso = await h.call('POST', `/v1/instances/${ins.id}/isolate`, { key: PLATFORM_KEY, body: { reason: 'invoice overdue' } });
    expect(iso.statusCode, iso.body).toBe(200);
    expect(iso.json().billingState.status).toBe('suspended');
    expect((await get(ins.id)).billingState.status).toBe('suspended');
    const resumed = await h.call('POST', `/v1/instances/${ins.id}/resume`, { key: PLATFORM_KEY, body: {} });
    expect(resumed.json().billingState.status).toBe('active');
    expect((await audit(ins.id)).filter((e) => e.action.startsWith('instance.i') || e.action === 'instance.resume').map((e) => [e.action, e.keyId !== '', (e.detail as { reason?: string }).reason ?? null]))
      .toEqual([['instance.isolate', true, 'invoice overdue'], ['instance.resume', true, null]]);
    expect((await h.call('POST', '/v1/instances/ins-missing/isolate', { key: PLATFORM_KEY, body: {} })).statusCode).toBe(404);
  });
  it('platform admins isolate and resume a whole account; resuming leaves expired prepaid instances to a renewal', async () => {
    const hourly = await create('account-hourly', SMALL_SPEC);
    const monthly = await create('account-monthly', prepaid());
    const lapsed = await create('account-lapsed', prepaid());
    const elsewhere = (await h.call('POST', '/v1/instances', { key: h.keys.other, body: { name: 'other-account', spec: SMALL_SPEC } })).json().resource as { id: string };
    // the lapsed one expires first (its own sweep: isolated by the expiry)
    await h.store.db.instance.update({ where: { id: lapsed.id }, data: { billingExpiresAt: new Date(Date.now() - 60_000) } });
    expect((await h.store.lifecycle.sweep(new Date())).isolated).toContain(lapsed.id);

    expect((await h.call('POST', `/v1/accounts/${h.accounts.A}/isolate`, { key: h.keys.admin, body: {} })).statusCode).toBe(403);
    expect((await h.call('POST', '/v1/accounts/acc-missing/isolate', { key: PLATFORM_KEY, body: {} })).statusCode).toBe(404);
    const iso = await h.call('POST', `/v1/accounts/${h.accounts.A}/isolate`, { key: PLATFORM_KEY, body: { reason: 'account overdue' } });
    expect(iso.statusCode, iso.body).toBe(200);
    const isolatedIds = (iso.json().items as { id: string; billingState: { status: string } }[]).map((i) => [i.id, i.billingState.status]);
    expect(isolatedIds).toEqual(expect.arrayContaining([[hourly.id, 'suspended'], [monthly.id, 'suspended']]));
    expect(isolatedIds.map(([id]) => id)).not.toContain(lapsed.id); // already isolated
    expect((await h.call('GET', `/v1/instances/${elsewhere.id}`, { key: h.keys.other })).json().billingState.status).toBe('active');
    expect((await audit(hourly.id)).find((e) => e.action === 'instance.isolate')?.detail).toMatchObject({ reason: 'account overdue', scope: 'account' });

    const resumed = await h.call('POST', `/v1/accounts/${h.accounts.A}/resume`, { key: PLATFORM_KEY, body: {} });
    expect(resumed.statusCode, resumed.body).toBe(200);
    const resumedIds = (resumed.json().items as { id: string }[]).map((i) => i.id);
    expect(resumedIds).toEqual(expect.arrayContaining([hourly.id, monthly.id]));
    expect(resumedIds).not.toContain(lapsed.id);
    expect((await get(hourly.id)).billingState.status).toBe('active');
    expect((await get(lapsed.id)).billingState.status).toBe('suspended');
  });
});
