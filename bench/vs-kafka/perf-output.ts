/**
 * Parsers of what Kafka's load generators print (pure, tested in perf-output.test.ts): the summary
 * line of kafka-producer-perf-test, the CSV line of kafka-consumer-perf-test, and the totals of
 * librdkafka's rdkafka_performance.
 */

export interface ProducerPerfResult {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
}

// "100000 records sent, 45045.0 records/sec (43.99 MB/sec), 452.93 ms avg latency, 898.00 ms max
// latency, 445 ms 50th, 846 ms 95th, 883 ms 99th, 896 ms 99.9th." — the last such line is the
// summary (the tool prints interim lines of the same shape without the percentiles).
const PRODUCER_SUMMARY = /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/;

export function parseProducerPerf(stdout: string): ProducerPerfResult {
  const line = stdout.split('\n').reverse().find((l) => PRODUCER_SUMMARY.test(l));
  if (!line) throw new Error(`no summary line in kafka-producer-perf-test output:\n${stdout.slice(-2000)}`);
  const m = PRODUCER_SUMMARY.exec(line)!.slice(1).map(Number);
  return { records: m[0]!, recordsPerSec: m[1]!, mbPerSec: m[2]!, avgLatencyMs: m[3]!, maxLatencyMs: m[4]!, p50Ms: m[5]!, p95Ms: m[6]!, p99Ms: m[7]!, p999Ms: m[8]! };
}

export interface ConsumerPerfResult {
  mb: number;
  mbPerSec: number;
  records: number;
  recordsPerSec: number;
  /** MB/s over the fetch time only (without the group join). */
  fetchMbPerSec: number;
}

/**
 * kafka-consumer-perf-test prints a header line naming its columns and one line of values; the
 * columns are found by name, so an added column does not shift the reading.
 */
export function parseConsumerPerf(stdout: string): ConsumerPerfResult {
  const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const h = lines.findIndex((l) => l.startsWith('start.time'));
  if (h < 0 || !lines[h + 1]) throw new Error(`no result lines in kafka-consumer-perf-test output:\n${stdout.slice(-2000)}`);
  const names = lines[h]!.split(',').map((s) => s.trim());
  const values = lines[h + 1]!.split(',').map((s) => s.trim());
  const col = (name: string) => {
    const i = names.indexOf(name);
    if (i < 0) throw new Error(`kafka-consumer-perf-test printed no ${name} column: ${lines[h]}`);
    return Number(values[i]);
  };
  return { mb: col('data.consumed.in.MB'), mbPerSec: col('MB.sec'), records: col('data.consumed.in.nMsg'), recordsPerSec: col('nMsg.sec'), fetchMbPerSec: col('fetch.MB.sec') };
}

export interface RdkafkaPerfResult {
  records: number;
  recordsPerSec: number;
  /** librdkafka's MB/s: bytes per microsecond, i.e. 10^6 bytes per second. */
  mbPerSec: number;
  /** Producer only: delivery reports that carried an error. */
  failed: number;
}

// "% 100000 messages produced (102400000 bytes), 100000 delivered (offset 0, 0 failed) in 1234ms:
// 81037 msgs/s and 82.98 MB/s, 0 produce failures, 0 in queue, no compression" and
// "% 100000 messages (102400000 bytes) consumed in 1234ms: 81037 msgs/s (82.98 MB/s)…": the tool
// prints these every interval; the last one is the total.
const RDKAFKA_PRODUCED = /^% (\d+) messages produced \((\d+) bytes\), (\d+) delivered \(offset -?\d+, (\d+) failed\) in (\d+)ms: (\d+) msgs\/s and ([\d.]+) MB\/s/;
const RDKAFKA_CONSUMED = /^% (\d+) messages \((\d+) bytes\) consumed in (\d+)ms: (\d+) msgs\/s \(([\d.]+) MB\/s\)/;

export function parseRdkafkaPerf(stdout: string): RdkafkaPerfResult {
  const lines = stdout.split('\n').reverse();
  const produced = lines.find((l) => RDKAFKA_PRODUCED.test(l));
  if (produced) {
    const m = RDKAFKA_PRODUCED.exec(produced)!.slice(1).map(Number);
    return { records: m[2]!, recordsPerSec: m[5]!, mbPerSec: m[6]!, failed: m[3]! };
  }
  const consumed = lines.find((l) => RDKAFKA_CONSUMED.test(l));
  if (consumed) {
    const m = RDKAFKA_CONSUMED.exec(consumed)!.slice(1).map(Number);
    return { records: m[0]!, recordsPerSec: m[3]!, mbPerSec: m[4]!, failed: 0 };
  }
  throw new Error(`no total line in rdkafka_performance output:\n${stdout.slice(-2000)}`);
}

export interface LatencyPercentiles {
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
}

/** Nearest-rank percentiles (the smallest value with at least p % of the samples at or below it). */
export function latencyPercentiles(ms: readonly number[]): LatencyPercentiles {
  if (ms.length === 0) throw new Error('no latency samples');
  const sorted = [...ms].sort((a, b) => a - b);
  // Multiplying first, and the small subtraction, keep binary rounding (99.9 / 100 × 1000 is
  // 999.0000000000001) from moving a percentile to the next rank.
  const at = (p: number) => sorted[Math.max(0, Math.ceil((p * sorted.length) / 100 - 1e-9) - 1)]!;
  return { p50Ms: at(50), p99Ms: at(99), p999Ms: at(99.9) };
}
