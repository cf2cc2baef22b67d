import { describe, expect, it } from 'vitest';
import { freePort } from '@tributary/testkit';
import { intervalStart } from '../../apps/api/src/jobs/lag-sampler.ts';
import { sampleTopicsOnce } from '../../apps/api/src/jobs/topic-sampler.ts';
import { useApiHarness } from '../../apps/api/src/testing/api-harness.ts';
import { useLiveBroker } from '../support/live-broker.ts';

// The topic list's size and message rate: the API's topic sampler reads a real broker's partitions
// (end offsets and leader log sizes) and stores each topic's totals per interval; GET …/topics serves
// the newest two as `stats`. Ticks are driven with explicit times (sampleTopicsOnce), so the test
// never waits for a timer; the app runs no background sampler.
const api = useApiHarness({
  keys: { admin: { account: 'topic-stats', role: 'admin' } },
  app: { outboxDrainer: false },
});
const fixture = useLiveBroker(api, 'topic-stats');

describe('topic stats in the topic list', () => {
  it('samples each topic\'s size and end offsets, serves the size and the messages per second between the last two samples, and prunes past the retention', async () => {
    const id = await fixture.instanceWith('sampled', [fixture.broker.bootstrap]);
    // An instance whose brokers do not answer: its failure must not stop the others' samples.
    await fixture.instanceWith('unreachable', [`127.0.0.1:${await freePort()}`]);
    // The topics as the API knows them (no operator runs here) and as the broker holds them.
    for (const name of ['orders', 'quiet']) {
      const r = await api.call('POST', `/v1/instances/${id}/topics`, { body: { name, partitions: 2, replicationFactor: 1, configs: {}, labels: {} } });
      expect(r.statusCode, r.body).toBe(202);
    }
    const admin = fixture.kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }, { topic: 'quiet', numPartitions: 2 }, { topic: 'unlisted', numPartitions: 1 }] });
    const producer = fixture.kafka.producer();
    await producer.connect();
    const send = (n: number) => producer.send({ topic: 'orders', acks: -1, messages: Array.from({ length: n }, (_, i) => ({ partition: i % 2, value: 'x'.repeat(100) })) });
    const list = async () => {
      const r = await api.call('GET', `/v1/instances/${id}/topics`);
      expect(r.statusCode, r.body).toBe(200);
      return new Map((r.json().items as { name: string; stats: { sizeBytes: number; messagesPerSecond: number | null; sampledAt: string } | null }[]).map((t) => [t.name, t.stats]));
    };

    // Not sampled yet: no stats, never a guess.
    expect(await list()).toEqual(new Map([['orders', null], ['quiet', null]]));

    await send(10);
    const opts = { store: api.store, everyMs: 60_000, retentionMs: 3600_000 };
    const t0 = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 5_000); // 5 s into an interval
    const first = await sampleTopicsOnce(opts, t0);
    expect(first).toEqual({ instances: 2, samples: 3, failed: 1 }); // orders, quiet, unlisted; no internal topic
    let stats = await list();
    const size0 = stats.get('orders')!.sizeBytes;
    expect(size0).toBeGreaterThan(10 * 100); // ten records of 100 bytes each, in their batches
    expect(stats.get('orders')).toEqual({ sizeBytes: size0, messagesPerSecond: null, sampledAt: intervalStart(t0, 60_000).toISOString() });
    expect(stats.get('quiet')).toEqual({ sizeBytes: 0, messagesPerSecond: null, sampledAt: intervalStart(t0, 60_000).toISOString() });

    // Thirty more in the next interval: 30 messages over 60 s.
    await send(30);
    const t1 = new Date(t0.getTime() + 60_000);
    await sampleTopicsOnce(opts, t1);
    stats = await list();
    expect(stats.get('orders')!.messagesPerSecond).toBe(0.5);
    expect(stats.get('orders')!.sizeBytes).toBeGreaterThan(size0);
    expect(stats.get('orders')!.sampledAt).toBe(intervalStart(t1, 60_000).toISOString());
    expect(stats.get('quiet')!.messagesPerSecond).toBe(0);

    // Past the retention only the newest interval's samples stay: a size, no rate.
    await sampleTopicsOnce({ ...opts, retentionMs: 30_000 }, new Date(t1.getTime() + 1_000));
    stats = await list();
    expect(stats.get('orders')!.messagesPerSecond).toBeNull();
    expect(stats.get('orders')!.sizeBytes).toBeGreaterThan(size0);
    await producer.disconnect();
    await admin.disconnect();
  });
});
