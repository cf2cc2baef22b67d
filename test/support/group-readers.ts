import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import type { ProducerOutcome } from '../chaos/producers.ts';

/** A record as a consumer got it. */
export interface ReadRecord {
  partition: number;
  offset: number;
  value: string;
}

/** A consumer-group member reading a topic from the beginning while a test runs. */
export interface GroupReader {
  /** What it has read so far (it keeps reading). */
  readonly records: readonly ReadRecord[];
  /** Leaves the group and answers everything it read. */
  stop(): Promise<ReadRecord[]>;
}

/** A kafkajs group member (auto-commit every 500 ms), from the beginning. */
export async function startKafkajsGroupReader(bootstrap: string[], topic: string, group: string, options: { sasl?: SASLOptions } = {}): Promise<GroupReader> {
  const kafka = new Kafka({ clientId: group, brokers: bootstrap, logLevel: logLevel.NOTHING, ...(options.sasl ? { sasl: options.sasl } : {}), retry: { retries: 60, initialRetryTime: 100, maxRetryTime: 1000 } });
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 30_000, heartbeatInterval: 1_000, retry: { retries: 60, initialRetryTime: 100, maxRetryTime: 1000 } });
  const records: ReadRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ autoCommitInterval: 500, eachMessage: async ({ partition, message }) => void records.push({ partition, offset: Number(message.offset), value: message.value?.toString() ?? '' }) });
  return {
    records,
    async stop() {
      await consumer.disconnect();
      return records;
    },
  };
}

/** A librdkafka group member (test/chaos/python/group_reader.py); `config`: more librdkafka settings (a login). */
export function startPythonGroupReader(bootstrap: string[], topic: string, group: string, config: Record<string, string> = {}): GroupReader {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-reader-'));
  const stopFile = join(dir, 'stop');
  const script = resolve(import.meta.dirname, '../chaos/python/group_reader.py');
  const child = spawn('/usr/bin/python3', [script, JSON.stringify({ bootstrap: bootstrap.join(','), topic, group, stop_file: stopFile, max_s: 900, config })], { stdio: ['ignore', 'pipe', 'pipe'] });
  const records: ReadRecord[] = [];
  let partial = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const [p, o, ...v] = line.split(' ');
      records.push({ partition: Number(p), offset: Number(o), value: v.join(' ') });
    }
  });
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  return {
    records,
    async stop() {
      writeFileSync(stopFile, '');
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const code = await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      if (code !== 0) throw new Error(`python group reader exited with ${code}: ${stderr}`);
      return records;
    },
  };
}

/** The acknowledged values a reader has not read yet. */
export function unread(records: readonly ReadRecord[], outcomes: readonly ProducerOutcome[]): string[] {
  const seen = new Set(records.map((r) => r.value));
  return outcomes.flatMap((o) => o.acked.map(([seq]) => `${o.tag}:${seq}`)).filter((v) => !seen.has(v));
}

/**
 * What a group's members read, as findings (empty when all holds): every acknowledged message was
 * read, at the partition and offset it was acknowledged with, and no value was read at two
 * different offsets (a duplicate in the log). The same record read twice (a member re-reading past
 * its last commit after a rebalance or a coordinator move) is at-least-once delivery, not a duplicate.
 */
export function checkRead(records: readonly ReadRecord[], outcomes: readonly ProducerOutcome[]): string[] {
  const findings: string[] = [];
  const at = new Map<string, string>();
  for (const r of records) {
    const where = `${r.partition}/${r.offset}`;
    const before = at.get(r.value);
    if (before !== undefined && before !== where) findings.push(`${r.value} was read at ${before} and at ${where}`);
    at.set(r.value, where);
  }
  for (const o of outcomes) {
    for (const [seq, partition, offset] of o.acked) {
      const where = at.get(`${o.tag}:${seq}`);
      if (where === undefined) findings.push(`${o.tag}:${seq} was acknowledged at ${partition}/${offset} but never read`);
      else if (where.split('/')[0] !== String(partition) || (offset !== null && where !== `${partition}/${offset}`)) findings.push(`${o.tag}:${seq} was acknowledged at ${partition}/${offset} but read at ${where}`);
    }
  }
  return findings.slice(0, 20);
}
