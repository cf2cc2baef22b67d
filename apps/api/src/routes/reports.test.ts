import { beforeAll, describe, expect, it } from 'vitest';
import { Prisma } from '@tributary/db';
import { csvCell } from '../csv.ts';
import { SMALL_SPEC, useApiHarness } from '../testing/api-harness.ts';

// Usage, cost and chargeback reports as JSON and CSV against real PostgreSQL. usage_hour,
// usage_adjustment and chargeback_hour are the operator's tables (its metering job, tested with real
// brokers in apps/operator/src/metering); the test writes their rows as the operator would.
const h = useApiHarness({ keys: { admin: { account: 'R', role: 'admin' }, viewer: { account: 'R', role: 'viewer' } }, app: { docs: false } });
const GIB = 1n << 30n;
const t = (s: string) => new Date(s);
const range = `from=${encodeURIComponent('2026-11-30T00:00:00Z')}&to=${encodeURIComponent('2026-11-30T03:00:00Z')}`;
let a = '';
let b = '';

/** RFC 4180 as a spreadsheet reads it: quoted cells, doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = []; let cell = ''; let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++; } else cell += c;
  }
  if (cell !== '' || row.length > 0) { row.push(cell); rows.push(row); }
  return rows;
}
const records = (csv: string) => {
  const [header, ...rows] = parseCsv(csv);
  return rows.map((r) => Object.fromEntries(header!.map((k, i) => [k, r[i]!])));
};
const get = (query: string, headers: Record<string, string> = {}) => h.call('GET', `/v1/billing/reports/${query}`, { key: h.keys.admin, headers });

beforeAll(async () => {
  await h.store.db.rate.create({ data: { id: 'pb-default-2026/bytes-in-gib', priceBookId: 'pb-default-2026', meter: 'bytes-in-gib', unit: 'GiB', priceMicros: 50_000n } });
  const create = async (name: string, team: string) => {
    const r = await h.call('POST', '/v1/instances', { key: h.keys.admin, body: { name, labels: { team }, spec: SMALL_SPEC } });
    expect(r.statusCode, r.body).toBe(202);
    const id = r.json().resource.id as string;
    await h.store.db.usageRecord.updateMany({ where: { instanceId: id }, data: { periodStart: t('2026-11-30T00:00:00Z') } });
    return id;
  };
  a = await create('reported', 'pay');
  b = await create('injected', '=1+2'); // a label value a spreadsheet would run as a formula
  await h.store.db.usageHour.create({ data: { instanceId: a, dimension: 'bytes-in-gib', hourStart: t('2026-11-30T01:00:00Z'), source: 'metering', quantity: new Prisma.Decimal((2n * GIB).toString()), samples: 60, closed: true } });
  await h.store.db.usageAdjustment.create({ data: { instanceId: a, dimension: 'bytes-in-gib', hourStart: t('2026-11-30T01:00:00Z'), source: 'metering', seq: 1, quantity: new Prisma.Decimal(GIB.toString()) } });
  const cb = (hour: string, direction: string, topic: string, principal: string, bytes: number) => ({ instanceId: a, hourStart: t(hour), direction, topic, principal, listener: 'SASL_PLAINTEXT', bytes: new Prisma.Decimal(bytes) });
  await h.store.db.chargebackHour.createMany({
    data: [
      cb('2026-11-30T01:00:00Z', 'in', '-orders', 'User:alice', 1_000), cb('2026-11-30T01:00:00Z', 'out', '-orders', '@bob', 3_000),
      cb('2026-11-30T02:00:00Z', 'in', 'logs', 'User:alice', 500), cb('2026-11-29T23:00:00Z', 'in', 'logs', 'User:alice', 7), // before the range
    ],
  });
});

describe('usage and cost report', () => {
  it('by hour: each instance 12¢ + 6¢ + 1.4¢ → 1¢ an hour, 3 GiB in (2 + a late 1) × 5¢ = 15¢; the CSV parses and sums to the JSON', async () => {
    const json = (await get(`usage?${range}&granularity=hour`)).json();
    expect(json).toMatchObject({ currency: 'USD', granularity: 'hour', groupBy: 'instance', from: '2026-11-30T00:00:00.000Z', to: '2026-11-30T03:00:00.000Z' });
    expect(json.rows).toHaveLength(3 * 3 * 2 + 1);
    expect(json.rows.filter((r: { group: string; meter: string }) => r.group === a && r.meter === 'broker-hour').map((r: { periodStart: string; quantity: number; amountMinor: number }) => [r.periodStart, r.quantity, r.amountMinor]))
      .toEqual([['2026-11-30T00:00:00.000Z', 1, 12], ['2026-11-30T01:00:00.000Z', 1, 12], ['2026-11-30T02:00:00.000Z', 1, 12]]);
    expect(json.rows.find((r: { meter: string }) => r.meter === 'bytes-in-gib')).toMatchObject({ group: a, periodStart: '2026-11-30T01:00:00.000Z', code: 'usage.bytes-in-gib', quantity: 3, amountMinor: 15 });
    expect(json.totalMinor).toBe(2 * 3 * 19 + 15);
    expect(json.total).toBe('1.29');

    const csv = await get(`usage?${range}&granularity=hour&format=csv`);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const rows = records(csv.body);
    expect(Object.keys(rows[0]!)).toEqual(['period_start', 'period_end', 'group', 'meter', 'code', 'unit', 'quantity', 'amount_minor', 'currency']);
    expect(rows).toHaveLength(json.rows.length);
    expect(rows.reduce((s, r) => s + Number(r.amount_minor), 0)).toBe(json.totalMinor);
    expect(rows.map((r) => [r.group, r.meter, Number(r.quantity), Number(r.amount_minor)])).toEqual(json.rows.map((r: { group: string; meter: string; quantity: number; amountMinor: number }) => [r.group, r.meter, r.quantity, r.amountMinor]));
    // Accept: text/csv answers the same CSV
    expect((await get(`usage?${range}&granularity=hour`, { accept: 'text/csv' })).body).toBe(csv.body);
  });

  it('by day each row is rounded once: disk 4.2¢ → 4¢, so 58¢ an instance; one instance and one meter filter', async () => {
    const json = (await get(`usage?${range}&granularity=day`)).json();
    expect(json.totalMinor).toBe(2 * 58 + 15);
    const one = (await get(`usage?${range}&granularity=day&instanceId=${b}&meter=disk-gib-hour`)).json();
    expect(one.rows.map((r: { group: string; quantity: number; amountMinor: number }) => [r.group, r.quantity, r.amountMinor])).toEqual([[b, 300, 4]]);
    expect(one.totalMinor).toBe(4);
  });

  it('by instance label (chargeback by label); a label value that looks like a formula is text in the CSV', async () => {
    const json = (await get(`usage?${range}&granularity=month&groupBy=label&label=team`)).json();
    const byGroup = Object.fromEntries([...new Set(json.rows.map((r: { group: string }) => r.group))].map((g) => [g, json.rows.filter((r: { group: string }) => r.group === g).reduce((s: number, r: { amountMinor: number }) => s + r.amountMinor, 0)]));
    expect(byGroup).toEqual({ '=1+2': 58, pay: 58 + 15 });
    const rows = records((await get(`usage?${range}&granularity=month&groupBy=label&label=team&format=csv`)).body);
    expect([...new Set(rows.map((r) => r.group))].sort()).toEqual(["'=1+2", 'pay']);
  });

  it('refuses a bad range or grouping with field paths; the viewer role sees no reports', async () => {
    expect((await get(`usage?${range}&groupBy=label`)).json()).toMatchObject({ status: 422, errors: [{ in: 'query', path: '/label' }] });
    expect((await get('usage?from=2026-11-30T03:00:00Z&to=2026-11-30T00:00:00Z')).json()).toMatchObject({ status: 422, errors: [{ path: '/from' }] });
    expect((await get('usage?from=2026-10-01T00:00:00Z&to=2026-11-30T00:00:00Z&granularity=hour')).json()).toMatchObject({ status: 422, errors: [{ path: '/to' }] });
    expect((await get('chargeback?granularity=week')).statusCode).toBe(422);
    expect((await h.call('GET', '/v1/billing/reports/usage', { key: h.keys.viewer })).statusCode).toBe(403);
    expect((await h.call('GET', '/v1/billing/reports/chargeback', { key: h.keys.viewer })).statusCode).toBe(403);
  });
});

describe('chargeback report', () => {
  it('bytes in and out per topic and per principal; the CSV escapes names that start like formulas and sums to the JSON', async () => {
    const topics = (await get(`chargeback?${range}&by=topic&granularity=day`)).json();
    expect(topics).toMatchObject({ by: 'topic', granularity: 'day' });
    expect(topics.rows.map((r: { instanceId: string; key: string; bytesIn: string; bytesOut: string }) => [r.instanceId, r.key, r.bytesIn, r.bytesOut])).toEqual([[a, '-orders', '1000', '3000'], [a, 'logs', '500', '0']]);
    const principals = (await get(`chargeback?${range}&by=principal&granularity=hour`)).json();
    expect(principals.rows.map((r: { periodStart: string; key: string; bytesIn: string; bytesOut: string }) => [r.periodStart.slice(11, 13), r.key, r.bytesIn, r.bytesOut])).toEqual([
      ['01', '@bob', '0', '3000'], ['01', 'User:alice', '1000', '0'], ['02', 'User:alice', '500', '0'],
    ]);

    const csv = await get(`chargeback?${range}&by=topic&granularity=day`, { accept: 'text/csv' });
    expect(csv.headers['content-disposition']).toBe('attachment; filename="chargeback-by-topic.csv"');
    const rows = records(csv.body);
    expect(rows.map((r) => r.key)).toEqual(["'-orders", 'logs']);
    expect(rows.reduce((s, r) => s + BigInt(r.bytes_in!) + BigInt(r.bytes_out!), 0n)).toBe(topics.rows.reduce((s: bigint, r: { bytesIn: string; bytesOut: string }) => s + BigInt(r.bytesIn) + BigInt(r.bytesOut), 0n));
    expect(records((await get(`chargeback?${range}&by=principal&format=csv`)).body).map((r) => r.key)).toEqual(["'@bob", 'User:alice']);
  });

  it('csvCell: formula starts become text, quotes and separators are quoted, numbers stay numbers', () => {
    expect(['=SUM(A1)', '+1', '-2', '@x', '\tx', 'a,b', 'say "hi"', 'plain', ' padded'].map((s) => csvCell(s)))
      .toEqual(["'=SUM(A1)", "'+1", "'-2", "'@x", "'\tx", '"a,b"', '"say ""hi"""', 'plain', '" padded"']);
    expect([csvCell(-5, true), csvCell(12n, true), csvCell(null)]).toEqual(['-5', '12', '']);
  });
});
