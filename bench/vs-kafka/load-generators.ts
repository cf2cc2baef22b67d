import { spawn } from 'node:child_process';
import { kafkaClasspath } from '@tributary/testkit';
import { KAFKA_JVM_PERFORMANCE_OPTS, PERF_TOOL_HEAP } from './jvm.ts';
import { parseConsumerPerf, parseProducerPerf, type ConsumerPerfResult, type ProducerPerfResult } from './perf-output.ts';

/**
 * Kafka's own load generators, the same for both brokers: kafka-producer-perf-test
 * (org.apache.kafka.tools.ProducerPerformance) and kafka-consumer-perf-test (ConsumerPerformance),
 * run from the reference's jars with the JVM settings of Kafka's scripts.
 */

function runJava(mainClass: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('java', [PERF_TOOL_HEAP, ...KAFKA_JVM_PERFORMANCE_OPTS, '-Dlog4j2.level=WARN', '-cp', kafkaClasspath(), mainClass, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${mainClass} ${args.join(' ')} ended with ${code ?? signal}${signal ? ` (time limit ${timeoutMs} ms)` : ''}:\n${(out + err).slice(-3000)}`));
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
