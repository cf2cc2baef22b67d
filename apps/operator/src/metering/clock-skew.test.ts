import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '@tributary/db';
import { startTestServices, type TestServices } from '@tributary/testkit';
import { admitSamples, brokerKey } from './admission.ts';
import { meteringPass } from './collector.ts';
import { MeteringMetrics } from './metrics.ts';
import { hourOf, minuteOf, rollupHour } from './rollup.ts';
import { UsageStore } from './usage-store.ts';

// The clock-skew rule of metering (admission.ts): stamps are judged by PostgreSQL's clock and by the
// broker's latest stored minute. Real PostgreSQL (the project's migrations); the broker is a
// simulated metrics endpoint whose cumulative counter the test sets (real brokers: metering.test.ts).
const ID = 'ins-skew';
const EPOCH = Math.floor(Date.now() / 1000) - 7200;
let services: TestServices;
let store: UsageStore;
let server: Server;
let port = 0;
let counter = 0;
const metrics = new MeteringMetrics();
const runtime = { observe: async () => ({ brokers: [{ nodeId: 1, running: true, metricsAddress: `127.0.0.1:${port}/b/1` }] }) as never };
const pass = (minute: Date) => meteringPass({ instanceIds: [ID], runtime, store, minute, metrics });
let H: number;
const at = (m: number) => new Date(H + m * 60_000);
/** Bytes in of hour H as billed: the hour (closed by the grace period at its first pass: it is two hours back) plus its adjustments. */
const bytesIn = async () => {
  const where = { instanceId: ID, hourStart: new Date(H), dimension: 'bytes-in-gib' };
  const hour = await store.db.usageHour.findFirst({ where });
  const adjustments = await store.db.usageAdjustment.findMany({ where });
  return Number(hour?.quantity ?? 0) + adjustments.reduce((s, a) => s + Number(a.quantity), 0);
};

beforeAll(async () => {
  services = await startTestServices();
  await migrate(services.databaseUrl);
  store = new UsageStore(services.databaseUrl);
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' }).end([
      `tributary_broker_metering_epoch_seconds ${EPOCH}`,
      `tributary_broker_metered_bytes_total{direction="in",topic="t",principal="User:u",listener="SASL_PLAINTEXT"} ${counter}`,
    ].join('\n') + '\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
  // An hour two hours back by the database's clock: every stamp in it is in the past.
  H = hourOf(await store.clock()).getTime() - 2 * 3_600_000;
}, 120_000);
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await store?.close();
  await services?.stop();
});

describe('metering clock skew', () => {
  it('the rule alone: future beyond the bound, duplicate, stale; a later minute and the first sample admitted', () => {
    const now = new Date('2026-12-02T00:10:30Z');
    const s = (id: string, minute: string) => ({ instanceId: id, nodeId: 1, minute: new Date(minute) });
    const latest = new Map([[brokerKey('a', 1), new Date('2026-12-02T00:05:00Z')]]);
    const r = admitSamples([s('a', '2026-12-02T00:05:00Z'), s('a', '2026-12-02T00:03:00Z'), s('a', '2026-12-02T00:11:00Z'), s('b', '2026-12-02T00:12:00Z'), s('b', '2026-12-02T00:09:00Z')], latest, { now });
    expect(r.refused).toEqual({ duplicate: 1, stale: 1, future: 1 });
    // b's 00:09 is its first: admitted; a's 00:11 is 30 s ahead of the clock, within the minute's bound
    expect(r.admitted.map((x) => `${x.instanceId} ${x.minute.toISOString().slice(11, 16)}`)).toEqual(['a 00:11', 'b 00:09']);
    expect(r.stored.map((x) => x.minute.toISOString().slice(11, 16))).toEqual(['00:05', '00:11', '00:09']);
  });

  it('a stamp ahead of the database clock is refused and counted, and loses no bytes', async () => {
    counter = 1_000;
    expect((await pass(at(0))).inserted).toBe(1);
    expect(await bytesIn()).toBe(1_000);
    counter = 3_000;
    const ahead = new Date(Math.floor(((await store.clock()).getTime() + 10 * 60_000) / 60_000) * 60_000);
    const r = await pass(ahead);
    expect([r.scraped, r.inserted, r.refused]).toEqual([1, 0, { duplicate: 0, stale: 0, future: 1 }]);
    expect(await store.db.meterSample.count({ where: { instanceId: ID, minute: ahead } })).toBe(0);
    // the next honest minute counts what the refused sample saw
    expect((await pass(at(1))).inserted).toBe(1);
    expect(await bytesIn()).toBe(3_000);
  });

  it('a stamp before a minute already stored is refused: stored, it would read as a counter reset and count the counter again', async () => {
    counter = 5_000;
    await pass(at(5));
    expect(await bytesIn()).toBe(5_000);
    counter = 6_000;
    // a late retry (or a host whose clock is behind) stamps minute 3, empty, after minute 5 was stored
    const r = await pass(at(3));
    expect([r.inserted, r.refused]).toEqual([0, { duplicate: 0, stale: 1, future: 0 }]);
    expect(await bytesIn()).toBe(5_000);
    await pass(at(6));
    expect(await bytesIn()).toBe(6_000);
    // What admitting it would have billed: minute 5's 5,000 after minute 3's 6,000 reads as a reset.
    const sample = (m: number, v: number) => ({ nodeId: 1, minute: at(m), epoch: BigInt(EPOCH), counters: { [JSON.stringify(['in', 't', 'User:u', 'SASL_PLAINTEXT'])]: String(v) }, replicas: 0, logBytes: 0n });
    expect(rollupHour([], [sample(0, 1_000), sample(1, 3_000), sample(3, 6_000), sample(5, 5_000), sample(6, 6_000)]).quantities['bytes-in-gib']).toBe(12_000n);
  });

  it('the refusals and the host-to-database skew are metrics', async () => {
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^tributary_metering_samples_refused_total\{reason="future"\} 1$/m);
    expect(text).toMatch(/^tributary_metering_samples_refused_total\{reason="stale"\} 1$/m);
    // this host and the database are the same machine: well under a second apart
    const skew = Number(/^tributary_metering_clock_skew_seconds (\S+)$/m.exec(text)![1]);
    expect(Math.abs(skew)).toBeLessThan(1);
  });
  it('with a retention, older samples are pruned (each broker\'s latest kept) and stamps in hours that may be pruned are refused; the billed hour stays', async () => {
    const billed = await bytesIn();
    expect(await store.db.meterSample.count({ where: { instanceId: ID } })).toBe(4); // minutes 0, 1, 5 and 6 of hour H
    counter = 7_000;
    const now = minuteOf(await store.clock());
    // a day's retention keeps hour H (two hours back)
    expect((await meteringPass({ instanceIds: [ID], runtime, store, minute: now, sampleRetentionMs: 24 * 3_600_000 })).inserted).toBe(1);
    expect(await store.db.meterSample.count({ where: { instanceId: ID } })).toBe(5);
    // an hour's retention: a first sample of another instance stamped in hour H is refused (its hour
    // could not be recomputed), and hour H's samples are pruned but for the broker's latest
    const r = await meteringPass({ instanceIds: ['ins-pruned'], runtime, store, minute: at(7), sampleRetentionMs: 3_600_000 });
    expect([r.inserted, r.refused]).toEqual([0, { duplicate: 0, stale: 1, future: 0 }]);
    expect((await store.db.meterSample.findMany({ where: { instanceId: ID }, select: { minute: true } })).map((x) => x.minute)).toEqual([now]);
    expect(await bytesIn()).toBe(billed);
  });
});
