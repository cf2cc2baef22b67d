import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { kafkaClasspath } from '@tributary/testkit';
import { KAFKA_JVM_PERFORMANCE_OPTS, PERF_TOOL_HEAP } from './jvm.ts';
import { latencyPercentiles, parseConsumerPerf, parseProducerPerf, parseRdkafkaPerf, type ConsumerPerfResult, type LatencyPercentiles, type ProducerPerfResult, type RdkafkaPerfResult } from './perf-output.ts';

/**
 * Kafka's own load generators, the same for both brokers: kafka-producer-perf-test
 * (org.apache.kafka.tools.ProducerPerformance) and kafka-consumer-perf-test (ConsumerPerformance),
 * run from the reference's jars with the JVM settings of Kafka's scripts; and librdkafka's
 * rdkafka_performance (C), built from Debian's source package by scripts/setup.d.
 */

function runJava(mainClass: string, args: string[], timeoutMs: number): Promise<string> {
  return run('java', [PERF_TOOL_HEAP, ...KAFKA_JVM_PERFORMANCE_OPTS, '-Dlog4j2.level=WARN', '-cp', kafkaClasspath(), mainClass, ...args], timeoutMs);
}

function run(command: string, args: string[], timeoutMs: number): Promise<string> {
  const what = `${command.split('/').pop()} ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${what} ended with ${code ?? signal}${signal ? ` (time limit ${timeoutMs} ms)` : ''}:\n${(out + err).slice(-3000)}`));
    });
  });
}

export interface ProduceLoad {
  bootstrap: string;
  topic: string;
  records: number;
  recordSize: number;
  /** Records per second to offer; -1 for as fast as the broker takes them. */
  throughput: number;
  /** Producer settings (acks, compression.type, …) beyond the client's defaults. */
  props: Record<string, string>;
}

export async function producerPerf(load: ProduceLoad, timeoutMs = 600_000): Promise<ProducerPerfResult> {
  const props = Object.entries(load.props).map(([k, v]) => `${k}=${v}`);
  const out = await runJava('org.apache.kafka.tools.ProducerPerformance', ['--bootstrap-server', load.bootstrap, '--topic', load.topic, '--num-records', String(load.records), '--record-size', String(load.recordSize), '--throughput', String(load.throughput), ...(props.length ? ['--command-property', ...props] : [])], timeoutMs);
  return parseProducerPerf(out);
}

export interface ConsumeLoad {
  bootstrap: string;
  topic: string;
  records: number;
}

export async function consumerPerf(load: ConsumeLoad, timeoutMs = 600_000): Promise<ConsumerPerfResult> {
  const out = await runJava('org.apache.kafka.tools.ConsumerPerformance', ['--bootstrap-server', load.bootstrap, '--topic', load.topic, '--num-records', String(load.records), '--timeout', '60000'], timeoutMs);
  return parseConsumerPerf(out);
}

const ROOT = resolve(import.meta.dirname, '../..');
const RDKAFKA_PERFORMANCE = resolve(ROOT, '.cache/librdkafka/src/examples/rdkafka_performance');

/** The rdkafka_performance binary, built by its setup script the first time. */
function rdkafkaPerformance(): string {
  if (!existsSync(RDKAFKA_PERFORMANCE)) execFileSync('bash', [resolve(ROOT, 'scripts/setup.d/25-rdkafka-performance.sh')], { stdio: 'inherit' });
  return RDKAFKA_PERFORMANCE;
}

/** librdkafka producing `records` of `recordSize` bytes as fast as it can, with `acks`. */
export async function rdkafkaProduce(load: Omit<ProduceLoad, 'throughput' | 'props'> & { acks: string }, timeoutMs = 600_000): Promise<RdkafkaPerfResult> {
  const out = await run(rdkafkaPerformance(), ['-P', '-t', load.topic, '-b', load.bootstrap, '-s', String(load.recordSize), '-c', String(load.records), '-a', load.acks], timeoutMs);
  const r = parseRdkafkaPerf(out);
  if (r.failed > 0 || r.records !== load.records) throw new Error(`rdkafka_performance delivered ${r.records} of ${load.records} records, ${r.failed} failed`);
  return r;
}

/** librdkafka consuming `records` from the start of the topic in a consumer group of its own. */
export async function rdkafkaConsume(load: ConsumeLoad & { group: string }, timeoutMs = 600_000): Promise<RdkafkaPerfResult> {
  const out = await run(rdkafkaPerformance(), ['-G', load.group, '-t', load.topic, '-b', load.bootstrap, '-c', String(load.records), '-X', 'auto.offset.reset=earliest'], timeoutMs);
  return parseRdkafkaPerf(out);
}

export interface EndToEndLoad {
  bootstrap: string;
  topic: string;
  /** The topic's partitions, all read by the consumer. */
  partitions: number;
  records: number;
  recordSize: number;
  /** Records per second the producer offers (rdkafka_performance -r). */
  rate: number;
  acks: string;
  /** Records at the start left out of the percentiles (connections, first metadata). */
  warmupRecords: number;
}

/**
 * End-to-end latency, produce to consume: rdkafka_performance's latency mode (-l) on both sides.
 * The producer writes its wall clock into each payload at the offered rate; a consumer reading
 * every partition from the beginning writes, per record, how many microseconds after that stamp it
 * received it (-A file). Both run on this machine, so the clocks are the same clock.
 */
export async function rdkafkaEndToEnd(load: EndToEndLoad, timeoutMs = 600_000): Promise<LatencyPercentiles & { producedPerSec: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'vs-kafka-e2e-'));
  try {
    const file = join(dir, 'latencies');
    const partitions = Array.from({ length: load.partitions }, (_, p) => ['-p', String(p)]).flat();
    // The consumer stops at the record count; should the producer lose records (a failed delivery),
    // it would wait for them, so it gets a bound of its own and what it measured until then counts.
    const consumerLimit = Math.min(timeoutMs, Math.ceil(load.records / load.rate) * 3000 + 60_000);
    const consumer = run(rdkafkaPerformance(), ['-C', '-l', '-A', file, '-t', load.topic, '-b', load.bootstrap, ...partitions, '-o', 'beginning', '-c', String(load.records), '-q'], consumerLimit).catch((err: Error) => {
      console.error(`end-to-end consumer: ${err.message.split('\n')[0]}; using the latencies it wrote`);
    });
    // rdkafka_performance sets linger.ms=1000 for throughput; at a paced rate that holds each record
    // up to a second (p50 ~500 ms, p99 ~1 s on both brokers), so here it is librdkafka's default, 5 ms
    // (also the Java producer's since Kafka 4.0).
    const producer = run(rdkafkaPerformance(), ['-P', '-l', '-t', load.topic, '-b', load.bootstrap, '-s', String(load.recordSize), '-c', String(load.records), '-r', String(load.rate), '-a', load.acks, '-X', 'linger.ms=5'], timeoutMs);
    const [produced] = await Promise.all([producer, consumer]);
    const micros = (existsSync(file) ? readFileSync(file, 'utf8') : '').split('\n').filter(Boolean).map(Number);
    if (micros.length <= load.warmupRecords) throw new Error(`the consumer measured ${micros.length} of ${load.records} records`);
    if (micros.length !== load.records) console.error(`end-to-end: the consumer measured ${micros.length} of ${load.records} records`);
    // The rate the producer reached: its limiter busy-polls, and on a loaded machine it fell far
    // short of the offered rate (10,000/s offered, 673/s reached at load 20), which is no latency.
    // One of two runs against Kafka at load 29 printed no total line; the latencies stand without it.
    let producedPerSec = NaN;
    try {
      producedPerSec = parseRdkafkaPerf(produced).recordsPerSec;
    } catch (err) {
      console.error(`end-to-end producer: ${String(err).slice(0, 2000)}`);
    }
    return { ...latencyPercentiles(micros.slice(load.warmupRecords).map((us) => us / 1000)), producedPerSec };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
