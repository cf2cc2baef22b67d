import { beforeAll, describe, expect, it } from 'vitest';
import { Prisma } from '@tributary/db';
import { SMALL_SPEC, useApiHarness } from '../testing/api-harness.ts';

// Invoices against real PostgreSQL and Redis: a postpaid month built from usage records and usage
// hours, finalised once its hours are closed, never changed by late usage (which goes onto the next
// month), the recompute check; prepaid purchase invoices; list filters, pages and access.
// usage_hour and usage_adjustment are the operator's tables (its metering job, tested with real
// brokers in apps/operator/src/metering); here the test writes their rows as the operator would.
const h = useApiHarness({
  keys: {
    postpaid: { account: 'P', role: 'admin' }, admin: { account: 'A', role: 'admin' }, billing: { account: 'A', role: 'billing' },
    viewer: { account: 'A', role: 'viewer' }, other: { account: 'B', role: 'admin' },
  },
  app: { docs: false },
});
const GIB = 1n << 30n;
const t = (s: string) => new Date(s);
const HOUR = 3_600_000;

beforeAll(async () => {
  // The default book plus usage rates: bytes in at 5¢ a GiB, partition replicas at 0.3¢ an hour beyond 10 bundled.
  await h.store.db.rate.create({ data: { id: 'pb-default-2026/bytes-in-gib', priceBookId: 'pb-default-2026', meter: 'bytes-in-gib', unit: 'GiB', priceMicros: 50_000n } });
  await h.store.db.rate.update({ where: { id: 'pb-default-2026/partition-hour' }, data: { priceMicros: 3_000n, includedUnits: 10n } });
});

async function create(key: string, name: string, spec: object) {
  const r = await h.call('POST', '/v1/instances', { key, body: { name, spec } });
  expect(r.statusCode, r.body).toBe(202);
  return r.json().resource as { id: string; billingState: { expiresAt: string } };
}
const hour = (instanceId: string, dimension: string, at: string, quantity: bigint, closed: boolean, updatedAt: Date) => h.store.db.usageHour.create({
  data: { instanceId, dimension, hourStart: t(at), source: 'metering', quantity: new Prisma.Decimal(quantity.toString()), samples: 60, closed, updatedAt },
});
const get = async (id: string, key = h.keys.postpaid) => (await h.call('GET', `/v1/billing/invoices/${id}`, { key })).json();

describe('monthly invoices', () => {
  it('November: sold size by the second and usage; a draft until every hour is closed, then finalised once; recomputes to the same amounts', async () => {
    const ins = await create(h.keys.postpaid, 'hourly', SMALL_SPEC);
    const accountId = h.accounts.P!;
    // The instance has run at SMALL_SPEC since Nov 29 00:00 (its spec-change records moved back in time).
    await h.store.db.usageRecord.updateMany({ where: { instanceId: ins.id }, data: { periodStart: t('2026-11-29T00:00:00Z') } });
    const closedAt = t('2026-12-01T00:10:00Z');
    await hour(ins.id, 'bytes-in-gib', '2026-11-30T10:00:00Z', 3n * GIB, true, closedAt);
    await hour(ins.id, 'partition-hour', '2026-11-30T10:00:00Z', 30n * 3600n, true, closedAt);
    await hour(ins.id, 'bytes-in-gib', '2026-11-30T23:00:00Z', 1n * GIB, false, closedAt);

    // Within the grace after the month's end: a draft.
    const draft = await h.store.invoices.closeMonth(accountId, t('2026-11-01T00:00:00Z'), t('2026-12-01T00:30:00Z'));
    expect(draft?.status).toBe('draft');
    // Past the grace but an hour still open: still a draft (the same invoice, rebuilt).
    expect(await h.store.invoices.closeMonth(accountId, t('2026-11-01T00:00:00Z'), new Date())).toEqual({ id: draft!.id, status: 'draft' });
    expect((await get(draft!.id)).status).toBe('draft');

    await h.store.db.usageHour.updateMany({ where: { instanceId: ins.id, closed: false }, data: { closed: true, updatedAt: closedAt } });
    expect(await h.store.invoices.closeMonth(accountId, t('2026-11-01T00:00:00Z'), new Date())).toEqual({ id: draft!.id, status: 'finalised' });

    const nov = await get(draft!.id);
    expect(nov).toMatchObject({ kind: 'monthly', status: 'finalised', currency: 'USD', periodStart: '2026-11-01T00:00:00.000Z', periodEnd: '2026-12-01T00:00:00.000Z', instanceId: null });
    // 48 hours at 1 broker 12¢, 40 MB/s 0.15¢ each, 100 GiB 0.014¢ each: 576¢ + 288¢ + 67.2¢ → 67¢;
    // 4 GiB in × 5¢ = 20¢; (30 − 10) partition replicas for one hour × 0.3¢ = 6¢
    expect(nov.lines.map((l: { code: string; quantity: number; amountMinor: number; instanceId: string }) => [l.code, l.quantity, l.amountMinor, l.instanceId])).toEqual([
      ['instance.bandwidth-hours', 1_920, 288, ins.id], ['instance.broker-hours', 48, 576, ins.id], ['instance.disk-provisioned-gib-hours', 4_800, 67, ins.id],
      ['usage.bytes-in-gib', 4, 20, ins.id], ['usage.partition-hours', 20, 6, ins.id],
    ]);
    expect([nov.totalMinor, nov.total, nov.totalMicros]).toEqual([957, '9.57', 9_570_000]);
    expect(nov.finalisedAt).not.toBeNull();
    const check = (await h.call('GET', `/v1/billing/invoices/${nov.id}/recompute`, { key: h.keys.postpaid })).json();
    expect(check).toEqual({ invoiceId: nov.id, status: 'finalised', matches: true, storedTotalMinor: 957, recomputedTotalMinor: 957, differences: [] });

    // Late usage: 2 GiB more for a closed November hour (an adjustment) and an hour first written now.
    await h.store.db.usageAdjustment.create({ data: { instanceId: ins.id, dimension: 'bytes-in-gib', hourStart: t('2026-11-30T10:00:00Z'), source: 'metering', seq: 1, quantity: new Prisma.Decimal((2n * GIB).toString()) } });
    await hour(ins.id, 'bytes-in-gib', '2026-11-30T11:00:00Z', 1n * GIB, true, new Date());
    // The finalised invoice does not change, and still recomputes to what it holds.
    expect(await h.store.invoices.closeMonth(accountId, t('2026-11-01T00:00:00Z'), new Date())).toBeNull();
    expect(await get(nov.id)).toEqual(nov);
    expect((await h.call('GET', `/v1/billing/invoices/${nov.id}/recompute`, { key: h.keys.postpaid })).json().matches).toBe(true);

    // December (the sweep at Jan 1 02:00): the whole month of sold size, and November's late 3 GiB as an adjustment line.
    const swept = await h.store.invoices.sweep(t('2027-01-01T02:00:00Z'));
    expect(swept.drafted).toEqual([]);
    const decId = swept.finalised.find((id) => id !== nov.id)!;
    const decInv = await get(decId);
    expect(decInv.usageCutoff).toBe('2027-01-01T01:58:00.000Z');
    // 744 h: 8,928¢ + 4,464¢ + 1,041.6¢ → 1,042¢; late 3 GiB × 5¢ = 15¢
    expect(decInv.lines.map((l: { code: string; quantity: number; amountMinor: number }) => [l.code, l.quantity, l.amountMinor])).toEqual([
      ['adjustment.late-usage', 3, 15], ['instance.bandwidth-hours', 29_760, 4_464], ['instance.broker-hours', 744, 8_928], ['instance.disk-provisioned-gib-hours', 74_400, 1_042],
    ]);
    expect(decInv.totalMinor).toBe(14_449);
    expect((await h.call('GET', `/v1/billing/invoices/${decId}/recompute`, { key: h.keys.postpaid })).json()).toMatchObject({ matches: true, recomputedTotalMinor: 14_449 });
    // A second sweep changes nothing.
    expect(await h.store.invoices.sweep(t('2027-01-01T02:05:00Z'))).toEqual({ drafted: [], finalised: [] });
  });
});

describe('prepaid invoices, the list and the preview', () => {
  it('a prepaid creation and a renewal are invoiced at once; filters, pages, access', async () => {
    const ins = await create(h.keys.admin, 'monthly-paid', { ...SMALL_SPEC, billing: { mode: 'prepaid', periodMonths: 1 } });
    const list = async (query: string, key = h.keys.billing) => (await h.call('GET', `/v1/billing/invoices${query}`, { key })).json();
    const first = await list('?kind=prepaid');
    expect(first.items).toHaveLength(1);
    // 730 h × (12¢ + 6¢ + 1.4¢) = 8,760 + 4,380 + 1,022 = 14,162¢, less 15 % (2,124.3 → 2,124) = 12,038¢
    expect(first.items[0]).toMatchObject({ kind: 'prepaid', status: 'finalised', instanceId: ins.id, totalMinor: 12_038, total: '120.38', periodStart: expect.any(String), periodEnd: ins.billingState.expiresAt });
    expect(first.items[0].lines).toBeUndefined();

    const renewal = await h.call('POST', `/v1/instances/${ins.id}/renew`, { key: h.keys.billing, body: { periodMonths: 2 } });
    expect(renewal.statusCode, renewal.body).toBe(200);
    const all = await list('');
    expect(all.items.map((i: { totalMinor: number }) => i.totalMinor)).toEqual([12_038, renewal.json().quote.totalMinor]);
    const renewed = await get(all.items[1].id, h.keys.billing);
    expect(renewed.lines.map((l: { code: string }) => l.code)).toEqual(['prepaid.renewal', 'prepaid.renewal', 'prepaid.renewal', 'prepaid.discount']);
    expect(renewed.lines.map((l: { amountMinor: number }) => l.amountMinor)).toEqual(renewal.json().quote.lines.map((l: { amountMinor: number }) => l.amountMinor));
    expect(renewed.periodStart).toBe(ins.billingState.expiresAt);
    expect((await h.call('GET', `/v1/billing/invoices/${renewed.id}/recompute`, { key: h.keys.admin })).json()).toMatchObject({ matches: true, storedTotalMinor: 24_075 });

    // pages of one, in creation order
    const p1 = await list('?limit=1');
    expect(p1.items.map((i: { id: string }) => i.id)).toEqual([all.items[0].id]);
    const p2 = await list(`?limit=1&cursor=${encodeURIComponent(p1.nextCursor)}`);
    expect(p2.items.map((i: { id: string }) => i.id)).toEqual([all.items[1].id]);
    expect(p2.nextCursor).toBeUndefined();
    // filters
    expect((await list('?status=draft')).items).toEqual([]);
    expect((await list(`?instanceId=${ins.id}&status=finalised`)).items).toHaveLength(2);
    expect((await list(`?from=${encodeURIComponent(ins.billingState.expiresAt)}`)).items.map((i: { id: string }) => i.id)).toEqual([all.items[1].id]);
    expect((await list('?kind=yearly')).status).toBe(422);
    expect((await list('?cursor=nonsense')).errors).toEqual([expect.objectContaining({ path: '/cursor' })]);
    // access: another account's invoice is not found; the viewer role sees no billing
    expect((await h.call('GET', `/v1/billing/invoices/${renewed.id}`, { key: h.keys.other })).statusCode).toBe(404);
    expect((await h.call('GET', `/v1/billing/invoices/${renewed.id}/recompute`, { key: h.keys.other })).statusCode).toBe(404);
    expect((await list('', h.keys.other)).items).toEqual([]);
    expect((await h.call('GET', '/v1/billing/invoices', { key: h.keys.viewer })).statusCode).toBe(403);
    expect((await h.call('GET', '/v1/billing/invoices/preview', { key: h.keys.viewer })).statusCode).toBe(403);
  });

  it('a prepaid upgrade mid-period is invoiced at once (the prorated difference, less the discount); a downgrade costs nothing now and writes none', async () => {
    const prepaidSpec = { ...SMALL_SPEC, billing: { mode: 'prepaid', periodMonths: 1 } };
    const ins = await create(h.keys.admin, 'upgraded', prepaidSpec);
    const before = Date.now();
    const up = await h.call('PUT', `/v1/instances/${ins.id}`, { key: h.keys.admin, body: { spec: { ...prepaidSpec, brokers: 2 } } });
    expect(up.statusCode, up.body).toBe(202);
    const after = Date.now();
    const invoices = async () => (await h.call('GET', `/v1/billing/invoices?instanceId=${ins.id}`, { key: h.keys.billing })).json().items as { id: string; kind: string; totalMinor: number }[];
    const [purchase, upgrade, ...rest] = await invoices();
    expect([purchase?.kind, upgrade?.kind, rest]).toEqual(['prepaid', 'prepaid', []]);
    const lines = (await get(upgrade!.id, h.keys.billing)).lines as { code: string; meter: string; amountMinor: number }[];
    expect(lines.map((l) => [l.code, l.meter])).toEqual([['prepaid.upgrade-proration', 'broker-hour'], ['prepaid.discount', 'discount']]);
    // one more broker at 12¢ an hour for the hours left to the expiry, less 15 % (each rounded once, half to even)
    const hoursLeft = (t: number) => (Date.parse(ins.billingState.expiresAt) - t) / HOUR;
    const bounds = [after, before].map((t) => { const gross = Math.round(12 * hoursLeft(t)); return gross - Math.round(gross * 0.15); });
    expect(upgrade!.totalMinor).toBeGreaterThanOrEqual(bounds[0]! - 1);
    expect(upgrade!.totalMinor).toBeLessThanOrEqual(bounds[1]! + 1);
    expect((await h.call('GET', `/v1/billing/invoices/${upgrade!.id}/recompute`, { key: h.keys.billing })).json().matches).toBe(true);

    const down = await h.call('PUT', `/v1/instances/${ins.id}`, { key: h.keys.admin, body: { spec: { ...prepaidSpec, brokers: 2, bandwidthMBps: 20 } } });
    expect(down.statusCode, down.body).toBe(202);
    expect(await invoices()).toHaveLength(2);
  });

  it('the preview is this month so far, built as its invoice will be and never stored', async () => {
    const ins = await create(h.keys.admin, 'previewed', SMALL_SPEC);
    const now = Date.now();
    await h.store.db.usageRecord.updateMany({ where: { instanceId: ins.id }, data: { periodStart: new Date(now - 2 * HOUR) } });
    const r = await h.call('GET', '/v1/billing/invoices/preview', { key: h.keys.billing });
    expect(r.statusCode, r.body).toBe(200);
    const p = r.json();
    const month = new Date(now);
    expect(p).toMatchObject({ kind: 'monthly', status: 'draft', currency: 'USD', periodStart: new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth(), 1)).toISOString() });
    const broker = p.lines.find((l: { code: string; instanceId: string }) => l.code === 'instance.broker-hours' && l.instanceId === ins.id);
    // two hours and the seconds the request took, at 12¢ an hour
    expect(broker.quantity).toBeGreaterThanOrEqual(2);
    expect(broker.quantity).toBeLessThan(2 + (Date.now() - now) / HOUR + 1 / 60);
    expect(p.totalMinor).toBe(p.lines.reduce((s: number, l: { amountMinor: number }) => s + l.amountMinor, 0));
    expect((await h.store.db.invoice.findMany({ where: { accountId: h.accounts.A!, kind: 'monthly' } }))).toEqual([]);
  });
});
