import { describe, expect, it } from 'vitest';
import { latencyPercentiles, parseConsumerPerf, parseProducerPerf, parseRdkafkaPerf } from './perf-output.ts';

// Output captured from Kafka 4.4.0's tools against a Tributary broker (2026-12-02).
const PRODUCER = `691 records sent, 134.8 records/sec (0.13 MB/sec), 1290.1 ms avg latency, 3231.0 ms max latency.
59595 records sent, 11904.7 records/sec (11.63 MB/sec), 3582.0 ms avg latency, 6240.0 ms max latency.
200000 records sent, 5047.191238 records/sec (4.93 MB/sec), 4933.47 ms avg latency, 11499.00 ms max latency, 4365 ms 50th, 10498 ms 95th, 11047 ms 99th, 11462 ms 99.9th.
`;
const CONSUMER = `Warning: --messages is deprecated. Use --num-records instead.
start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
2026-12-02 00:22:38:164, 2026-12-02 00:22:54:777, 195.3125, 11.7566, 200000, 12038.7648, 6987, 9626, 20.2901, 20777.0621
`;

describe('Kafka perf tool output', () => {
  it('reads the producer summary line, not the interim lines before it', () => {
    expect(parseProducerPerf(PRODUCER)).toEqual({ records: 200000, recordsPerSec: 5047.191238, mbPerSec: 4.93, avgLatencyMs: 4933.47, maxLatencyMs: 11499, p50Ms: 4365, p95Ms: 10498, p99Ms: 11047, p999Ms: 11462 });
  });

  it('reads the consumer columns by name', () => {
    expect(parseConsumerPerf(CONSUMER)).toEqual({ mb: 195.3125, mbPerSec: 11.7566, records: 200000, recordsPerSec: 12038.7648, fetchMbPerSec: 20.2901 });
  });

  it('says what it got when the tool printed no result', () => {
    expect(() => parseProducerPerf('691 records sent, 134.8 records/sec (0.13 MB/sec), 1290.1 ms avg latency, 3231.0 ms max latency.\n')).toThrow(/no summary line/);
    expect(() => parseConsumerPerf('WARN something\n')).toThrow(/no result lines/);
    expect(() => parseConsumerPerf('start.time, end.time\n1, 2\n')).toThrow(/no data.consumed.in.MB column/);
  });
});

describe('rdkafka_performance output', () => {
  it('reads the last producer total and the consumer total', () => {
    const produced = '% 50000 messages produced (51200000 bytes), 50000 delivered (offset 49999, 0 failed) in 1202ms: 41578 msgs/s and 42.58 MB/s, 0 produce failures, 0 in queue, no compression\n\n';
    expect(parseRdkafkaPerf(produced)).toEqual({ records: 50000, recordsPerSec: 41578, mbPerSec: 42.58, failed: 0 });
    const consumed = '% Waiting for group rebalance..\n% 0 messages (0 bytes) consumed in 0ms: 0 msgs/s (0.00 MB/s)\n% 50000 messages (51200000 bytes) consumed in 776ms: 64370 msgs/s (65.91 MB/s)\n% Average application fetch latency: 78us\n';
    expect(parseRdkafkaPerf(consumed)).toEqual({ records: 50000, recordsPerSec: 64370, mbPerSec: 65.91, failed: 0 });
    expect(() => parseRdkafkaPerf('% Waiting for group rebalance..\n')).toThrow(/no total line/);
  });
});

describe('latency percentiles', () => {
  it('takes the nearest rank, so p99.9 of 1,000 samples is the 999th smallest', () => {
    const ms = Array.from({ length: 1000 }, (_, i) => 1000 - i); // 1000 … 1, out of order
    expect(latencyPercentiles(ms)).toEqual({ p50Ms: 500, p99Ms: 990, p999Ms: 999 });
    expect(latencyPercentiles([7])).toEqual({ p50Ms: 7, p99Ms: 7, p999Ms: 7 });
    expect(() => latencyPercentiles([])).toThrow(/no latency samples/);
  });
});
