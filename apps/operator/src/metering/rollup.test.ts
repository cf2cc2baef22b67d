import { describe, expect, it } from 'vitest';
import { parsePromText, readingOf } from './prom-text.ts';
import { rollupHour, type MinuteSample } from './rollup.ts';

const H = Date.parse('2026-12-01T10:00:00Z');
const key = (d: string, topic = 't', principal = 'User:ANONYMOUS', listener = 'PLAINTEXT') => JSON.stringify([d, topic, principal, listener]);
const s = (nodeId: number, minute: number, epoch: number, inBytes: number, outBytes = 0, extra: Partial<MinuteSample> = {}): MinuteSample => ({
  nodeId, minute: new Date(H + minute * 60_000), epoch: BigInt(epoch), counters: { [key('in')]: String(inBytes), [key('out')]: String(outBytes) }, replicas: 3, logBytes: 1000n, ...extra,
});

describe('rollupHour', () => {
  it('counts increases from the baseline before the hour, gauges per sampled minute, the peak minute over brokers', () => {
    const u = rollupHour([s(1, -1, 100, 1_000), s(2, -1, 100, 0)], [s(1, 0, 100, 1_600), s(1, 1, 100, 2_200, 600), s(2, 0, 100, 6_000), s(2, 1, 100, 6_000)]);
    // broker 1: +600 +600 in, +600 out; broker 2: +6,000 in
    expect(u.quantities['bytes-in-gib']).toBe(7_200n);
    expect(u.quantities['bytes-out-gib']).toBe(600n);
    // 4 samples × 3 replicas × 60 s; 4 × 1,000 bytes × 60 s
    expect(u.quantities['partition-hour']).toBe(720n);
    expect(u.quantities['disk-used-gib-hour']).toBe(240_000n);
    // 4 broker-minutes seen running
    expect(u.quantities['running-broker-hour']).toBe(240n);
    // minute 0: (600 + 6,000) / 60 s = 110 B/s; minute 1: 1,200 / 60 = 20 B/s
    expect(u.quantities['peak-bandwidth-mbps-hour']).toBe(110n);
    expect(u.chargeback).toEqual([
      { direction: 'in', topic: 't', principal: 'User:ANONYMOUS', listener: 'PLAINTEXT', bytes: 7_200n },
      { direction: 'out', topic: 't', principal: 'User:ANONYMOUS', listener: 'PLAINTEXT', bytes: 600n },
    ]);
  });

  it('a decrease or a new epoch is a reset (counted from zero); a first-ever sample counts from its epoch', () => {
    // crash: same epoch carried? no — after a crash the epoch changes and the counter restarts
    const crash = rollupHour([s(1, -1, 100, 5_000)], [s(1, 0, 100, 5_500), s(1, 1, 200, 300), s(1, 2, 200, 900)]);
    expect(crash.quantities['bytes-in-gib']).toBe(500n + 300n + 600n);
    const decrease = rollupHour([s(1, -1, 100, 5_000)], [s(1, 0, 100, 40)]);
    expect(decrease.quantities['bytes-in-gib']).toBe(40n);
    // a graceful restart keeps epoch and counters: nothing lost, nothing doubled
    const graceful = rollupHour([s(1, -1, 100, 5_000)], [s(1, 0, 100, 5_000), s(1, 1, 100, 5_250)]);
    expect(graceful.quantities['bytes-in-gib']).toBe(250n);
    const first = rollupHour([], [s(1, 0, 100, 777)]);
    expect(first.quantities['bytes-in-gib']).toBe(777n);
  });

  it('a gap of several minutes spreads the increase over its seconds for the peak', () => {
    const u = rollupHour([s(1, 0, 1, 0)], [s(1, 5, 1, 30_000)]);
    expect(u.quantities['peak-bandwidth-mbps-hour']).toBe(100n); // 30,000 B over 300 s
  });
});

describe('prometheus text', () => {
  it('reads the metering families, unescaping label values', () => {
    const text = [
      '# HELP tributary_broker_metered_bytes_total x',
      '# TYPE tributary_broker_metered_bytes_total counter',
      'tributary_broker_metered_bytes_total{direction="in",topic="orders",principal="User:a\\"b",listener="SASL_PLAINTEXT"} 1234',
      'tributary_broker_metered_bytes_total{direction="out",topic="orders",principal="User:ANONYMOUS",listener="PLAINTEXT"} 5e+3',
      'tributary_broker_metering_epoch_seconds 1764583200',
      'tributary_broker_partition_log_bytes{topic="orders",partition="0"} 100',
      'tributary_broker_partition_log_bytes{topic="orders",partition="1"} 50',
      'tributary_broker_partition_log_bytes{topic="__consumer_offsets",partition="0"} 4096',
      'tributary_broker_requests_total{api="Produce"} 9',
    ].join('\n');
    expect(parsePromText(text, new Set(['tributary_broker_requests_total']))).toEqual([{ name: 'tributary_broker_requests_total', labels: { api: 'Produce' }, value: 9 }]);
    expect(readingOf(text)).toEqual({
      epoch: 1764583200n, replicas: 2, logBytes: 150n,
      counters: { [JSON.stringify(['in', 'orders', 'User:a"b', 'SASL_PLAINTEXT'])]: '1234', [JSON.stringify(['out', 'orders', 'User:ANONYMOUS', 'PLAINTEXT'])]: '5000' },
    });
    expect(() => readingOf('tributary_broker_requests_total 1')).toThrow(/epoch/);
  });
});
