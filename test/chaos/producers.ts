import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** What a producer under test had acknowledged: [sequence, partition, offset] per message. */
export interface ProducerOutcome {
  tag: string;
  sent: number;
  /**
   * Sequence, partition and offset of every acknowledged message. The offset is null when the client
   * acknowledged without one: librdkafka's idempotent producer counts a batch whose request failed
   * (e.g. its leader was killed) as delivered once a later batch of the same producer succeeds, since
   * the broker would have refused that one out of order otherwise — "implicitly acked", offset unknown.
   */
  acked: [number, number, number | null][];
  failed: string[];
}

export interface RunningProducer {
  stop(): Promise<ProducerOutcome>;
}

/**
 * kafkajs, idempotent, acks=-1, generous retries: one message per request, so offsets are exact.
 * `sasl`: log in (an instance's client endpoint requires it).
 */
export function startKafkajsProducer(bootstrap: () => string[], topic: string, tag: string, options: { sasl?: SASLOptions } = {}): RunningProducer {
  const kafka = new Kafka({ clientId: `chaos-${tag}`, brokers: bootstrap(), logLevel: logLevel.NOTHING, ...(options.sasl ? { sasl: options.sasl } : {}), retry: { retries: 60, initialRetryTime: 100, maxRetryTime: 1000 }, requestTimeout: 30_000 });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const outcome: ProducerOutcome = { tag, sent: 0, acked: [], failed: [] };
  let stopping = false;
  const loop = (async () => {
    await producer.connect();
    // Bounded by the stop flag; the deadline only guards against a lost test.
    const deadline = Date.now() + 600_000;
    while (!stopping && Date.now() < deadline) {
      const seq = outcome.sent++;
      try {
        const [meta] = await producer.send({ topic, acks: -1, messages: [{ key: `${tag}-${seq % 16}`, value: `${tag}:${seq}` }] });
        outcome.acked.push([seq, meta!.partition, Number(meta!.baseOffset)]);
      } catch (err) {
        outcome.failed.push(err instanceof Error ? err.message : String(err));
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await producer.disconnect();
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      return outcome;
    },
  };
}

/**
 * librdkafka through Debian's python3-confluent-kafka, idempotent, acks=all. `config`: more
 * librdkafka settings (e.g. security.protocol and a SCRAM login for an instance's client endpoint).
 */
export function startPythonProducer(bootstrap: string, topic: string, tag: string, rate = 200, config: Record<string, string> = {}): RunningProducer {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-chaos-'));
  const stopFile = join(dir, 'stop');
  const child = spawn('/usr/bin/python3', [join(import.meta.dirname, 'python', 'steady_producer.py'), bootstrap, topic, tag, stopFile, String(rate), JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  return {
    async stop() {
      writeFileSync(stopFile, '');
      const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
      const code = await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      if (code !== 0) throw new Error(`python producer exited with ${code}: ${stderr}`);
      const r = JSON.parse(stdout) as { sent: number; acked: [number, number, number | null][]; failed: string[]; remaining: number };
      return { tag, sent: r.sent, acked: r.acked, failed: r.remaining ? [...r.failed, `${r.remaining} never delivered`] : r.failed };
    },
  };
}

/**
 * Every record of the topic (up to the high watermark) as partition, offset and value, read with kcat.
 * `kcatArgs`: more of kcat's flags (e.g. `-X security.protocol=SASL_PLAINTEXT` and a login).
 */
export async function readAll(bootstrap: string[], topic: string, kcatArgs: string[] = []): Promise<{ partition: number; offset: number; value: string }[]> {
  const { stdout } = await promisify(execFile)('kcat', ['-C', '-b', bootstrap.join(','), ...kcatArgs, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p %o %s\n'], { timeout: 120_000, maxBuffer: 256 * 1024 * 1024 });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [p, o, ...v] = line.split(' ');
      return { partition: Number(p), offset: Number(o), value: v.join(' ') };
    });
}

/**
 * The acknowledgement guarantee alone, as findings (empty when it holds): every acknowledged message
 * is in the log at the partition and offset it was acknowledged with (anywhere in that partition,
 * when the client gave no offset). Copies of a message elsewhere are not findings here; checkDelivery counts them.
 */
export function checkAcknowledged(records: { partition: number; offset: number; value: string }[], outcomes: ProducerOutcome[]): string[] {
  const placed = new Set(records.map((r) => `${r.partition}/${r.offset}/${r.value}`));
  const inPartition = new Set(records.map((r) => `${r.partition}/${r.value}`));
  const values = new Set(records.map((r) => r.value));
  const findings: string[] = [];
  for (const o of outcomes) {
    for (const [seq, partition, offset] of o.acked) {
      const value = `${o.tag}:${seq}`;
      if (offset === null ? !inPartition.has(`${partition}/${value}`) : !placed.has(`${partition}/${offset}/${value}`)) findings.push(`${value} was acknowledged at ${partition}/${offset} but is ${values.has(value) ? 'elsewhere' : 'missing'}`);
    }
  }
  return findings.slice(0, 20);
}

/** How many records repeat a value already read before them. */
export function duplicateCount(records: { value: string }[]): number {
  return records.length - new Set(records.map((r) => r.value)).size;
}

/**
 * The guarantees of the issue, as findings (empty when all hold): every acknowledged message is in
 * the log at the partition and offset it was acknowledged with, no message is in the log twice,
 * and each producer's messages are in sequence order within a partition.
 */
export function checkDelivery(records: { partition: number; offset: number; value: string }[], outcomes: ProducerOutcome[]): string[] {
  const findings: string[] = [];
  const seen = new Set<string>();
  for (const r of records) {
    if (seen.has(r.value)) findings.push(`${r.value} is in the log twice`);
    seen.add(r.value);
  }
  findings.push(...checkAcknowledged(records, outcomes));
  for (const o of outcomes) {
    const last = new Map<number, number>();
    for (const r of records) {
      if (!r.value.startsWith(`${o.tag}:`)) continue;
      const seq = Number(r.value.slice(o.tag.length + 1));
      const prev = last.get(r.partition) ?? -1;
      if (seq <= prev) findings.push(`${o.tag}: sequence ${seq} follows ${prev} in partition ${r.partition}`);
      last.set(r.partition, seq);
    }
  }
  return findings.slice(0, 20);
}
