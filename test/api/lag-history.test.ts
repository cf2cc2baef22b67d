import { describe, expect, it } from 'vitest';
import { freePort } from '@tributary/testkit';
import { intervalStart, sampleLagOnce } from '../../apps/api/src/jobs/lag-sampler.ts';
import { useApiHarness } from '../../apps/api/src/testing/api-harness.ts';
import { useLiveBroker } from '../support/live-broker.ts';

// Lag history: the API's sampler reads a real broker's consumer-group offsets and stores each group's
// lag per topic per interval; GET …/lag-history serves it. Ticks are driven with explicit times
// (sampleLagOnce), so the test never waits for a timer; the app runs no background sampler.
const api = useApiHarness({
  keys: { admin: { account: 'lag', role: 'admin' }, viewer: { account: 'lag', role: 'viewer' }, other: { account: 'elsewhere', role: 'admin' } },
  app: { outboxDrainer: false },
});
const { keys } = api;
const fixture = useLiveBroker(api, 'lag-history');
const { instanceWith } = fixture;
const call = (url: string, key = keys.admin) => api.call('GET', url, { key });

describe('consumer-group lag history', () => {
  it('samples a group\'s lag per topic each interval (a second sample in one interval replaces the first), serves it, and prunes past the retention', async () => {
    const id = await instanceWith('lagged', [fixture.broker.bootstrap]);
    // An instance whose brokers do not answer: its failure must not stop the others' samples.
    const dead = await instanceWith('unreachable', [`127.0.0.1:${await freePort()}`]);
    const admin = fixture.kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] });
    const producer = fixture.kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'orders', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `m${i}` })) });
    // Offsets committed for an empty group: 3 behind on partition 0, none on partition 1.
    await admin.setOffsets({ groupId: 'billing', topic: 'orders', partitions: [{ partition: 0, offset: '2' }, { partition: 1, offset: '5' }] });

    const opts = { store: api.store, everyMs: 60_000, retentionMs: 3600_000 };
    const t0 = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 5_000); // 5 s into an interval
    const first = await sampleLagOnce(opts, t0);
    expect(first).toEqual({ instances: 2, samples: 1, failed: 1 });
    const history = async (key = keys.admin) => call(`/v1/instances/${id}/consumer-groups/billing/lag-history?from=${new Date(t0.getTime() - 3600_000).toISOString()}&to=${new Date(t0.getTime() + 3600_000).toISOString()}`, key);
    let h = (await history()).json();
    expect(h).toMatchObject({ group: 'billing', intervalSeconds: 60, retentionHours: 168 });
    expect(h.series).toEqual([{ topic: 'orders', points: [{ at: intervalStart(t0, 60_000).toISOString(), lag: 3 }] }]);

    // Four more records on partition 1 in the same interval: the interval's point is replaced.
    await producer.send({ topic: 'orders', acks: -1, messages: Array.from({ length: 4 }, () => ({ partition: 1, value: 'late' })) });
    await sampleLagOnce(opts, new Date(t0.getTime() + 1_000));
    h = (await history()).json();
    expect(h.series[0].points).toEqual([{ at: intervalStart(t0, 60_000).toISOString(), lag: 7 }]);

    // Caught up by the next interval: a second point.
    await admin.setOffsets({ groupId: 'billing', topic: 'orders', partitions: [{ partition: 0, offset: '5' }, { partition: 1, offset: '9' }] });
    const t1 = new Date(t0.getTime() + 60_000);
    await sampleLagOnce(opts, t1);
    h = (await history()).json();
    expect(h.series[0].points.map((p: { lag: number }) => p.lag)).toEqual([7, 0]);
    expect((await history(keys.viewer)).statusCode).toBe(200);

    // Past the retention, the first interval's point is gone; the newer one stays.
    await sampleLagOnce({ ...opts, retentionMs: 30_000 }, new Date(t1.getTime() + 1_000));
    h = (await history()).json();
    expect(h.series[0].points).toEqual([{ at: intervalStart(t1, 60_000).toISOString(), lag: 0 }]);
    await producer.disconnect();
    await admin.disconnect();
    expect(dead).toMatch(/^ins-/);
  });

  it('answers problems: another account\'s or a missing instance is 404, an inverted range 422, an unknown group an empty history', async () => {
    const id = (await call('/v1/instances?limit=1')).json().items[0].id as string;
    expect((await call(`/v1/instances/${id}/consumer-groups/billing/lag-history`, keys.other)).statusCode).toBe(404);
    expect((await call('/v1/instances/ins-missing/consumer-groups/billing/lag-history')).json().code).toBe('not-found');
    const inverted = await call(`/v1/instances/${id}/consumer-groups/billing/lag-history?from=2026-12-01T12:00:00.000Z&to=2026-12-01T11:00:00.000Z`);
    expect(inverted.statusCode).toBe(422);
    expect(inverted.json().errors[0].path).toBe('/from');
    const bad = await call(`/v1/instances/${id}/consumer-groups/billing/lag-history?from=yesterday`);
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors.map((e: { path: string }) => e.path)).toContain('/from');
    const none = (await call(`/v1/instances/${id}/consumer-groups/nobody/lag-history`)).json();
    expect(none.series).toEqual([]);
  });
});
