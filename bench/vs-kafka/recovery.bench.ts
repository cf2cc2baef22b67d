/**
 * Ready after kill -9 with a full log (issue 21): each broker gets GB gigabytes of 1 KiB records
 * (librdkafka's rdkafka_performance, acks=1, 4 partitions, no flush: both brokers' defaults), is
 * killed with SIGKILL right after the last record is acknowledged, and is started again on the same
 * data directory. The figure is the time from that start until a produce to the topic is
 * acknowledged and a fetch returns the produced record (kcat, both probed the same way): what a
 * client waits for after a crash. Apache Kafka recovers the segments past its recovery point (it
 * checkpoints that point every 60 s and after flushes, so after kill -9 most of a freshly written log
 * is re-read and its CRCs checked); Tributary recovers from its own checkpoints (apps/broker/src/log/README.md).
 * Rounds (3 by default) alternate which broker goes first; the table gives the median of each and its spread.
 * Run: npm run bench:recovery -- [--gb N] [--rounds N]
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { statfsSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { parseCli } from '@tributary/contracts/cli';
import { kafkaClasspath, kafkaMetadataBrokers, startKafka } from '@tributary/testkit';
import { startBroker } from '../../test/support/broker-process.ts';
import { KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_SERVER_HEAP_MB } from './jvm.ts';
import { rdkafkaProduce } from './load-generators.ts';
import { KAFKA_SETTINGS, TRIBUTARY_SETTINGS, type SubjectName } from './subjects.ts';

const cli = parseCli('bench:recovery', `
Usage: npm run bench:recovery -- [--gb N] [--rounds N]   (--help, --version)

Apache Kafka 4.4 and Tributary in turn: fill the log with N GB of 1 KiB records (rdkafka_performance,
acks=1, 4 partitions), kill -9 the broker, start it again on the same data directory, and measure
until a produce is acknowledged and a fetch returns that record (kcat). Rounds alternate which broker
goes first. Needs N GB free on the temporary directory's disk per broker (checked first).
  --gb N       gigabytes of log before the kill (default 10)
  --rounds N   rounds per broker (default 3); the table shows the median and the spread
A benchmark, not a test: it takes the machine and the disk for minutes; results go into bench/README.md.`, {
  gb: { type: 'string' },
  rounds: { type: 'string' },
});
const GB = Number(cli.gb ?? 10);
const ROUNDS = Number(cli.rounds ?? 3);
const TOPIC = 'recovery';
const RECORDS = Math.ceil((GB * 1e9) / 1024);

const free = statfsSync(tmpdir());
const freeGb = (free.bavail * free.bsize) / 1e9;
// One broker's log at a time (each is deleted before the next starts), plus room to spare.
if (freeGb < GB * 1.2 + 2) throw new Error(`${tmpdir()} has ${freeGb.toFixed(1)} GB free; --gb ${GB} needs about ${(GB * 1.2 + 2).toFixed(0)} GB (use a smaller --gb)`);

/** One kcat run; resolves to its standard output, or rejects (non-zero exit or past `timeoutMs`). */
function kcat(args: string[], input: string | null, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', args, { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    if (input !== null) child.stdin!.end(input);
    else child.stdin!.end();
  });
}

/** Produce one record to partition 0 and fetch the partition's last record: true when it is that one. */
async function serves(bootstrap: string, attempt: number): Promise<boolean> {
  const value = `ready-${attempt}-${Date.now()}`;
  try {
    await kcat(['-P', '-b', bootstrap, '-t', TOPIC, '-p', '0', '-X', 'message.timeout.ms=3000'], `${value}\n`, 5_000);
    const last = await kcat(['-C', '-b', bootstrap, '-t', TOPIC, '-p', '0', '-o', '-1', '-c', '1', '-e', '-q'], null, 5_000);
    return last.trim() === value;
  } catch {
    return false;
  }
}

/** Polls `serves` until it holds; the milliseconds from `since`. */
async function readyAfter(bootstrap: string, since: number, limitMs = 1_800_000): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    if (await serves(bootstrap, attempt)) return Date.now() - since;
    if (Date.now() - since > limitMs) throw new Error(`${bootstrap} did not serve produce and fetch within ${limitMs} ms of its restart`);
    await new Promise((r) => setTimeout(r, 100)); // between kcat runs; the probe itself waits for the broker
  }
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
    child.kill('SIGKILL');
  });
}

async function fill(bootstrap: string) {
  const admin = await KafkaAdminClient.connect(bootstrap, { timeoutMs: 60_000 });
  try {
    const err = (await admin.createTopics([{ name: TOPIC, partitions: 4, replicationFactor: 1 }])).get(TOPIC);
    if (err) throw new Error(`creating ${TOPIC}: ${String(err)}`);
  } finally {
    admin.close();
  }
  const started = Date.now();
  const r = await rdkafkaProduce({ bootstrap, topic: TOPIC, records: RECORDS, recordSize: 1024, acks: '1' }, 3_600_000);
  console.error(`  filled ${GB} GB in ${((Date.now() - started) / 1000).toFixed(0)} s (${r.mbPerSec.toFixed(1)} MB/s)`);
}

async function kafkaRound(): Promise<number> {
  const kafka = await startKafka({ nodes: 1, settings: KAFKA_SETTINGS, heapMb: KAFKA_SERVER_HEAP_MB, jvmFlags: KAFKA_JVM_PERFORMANCE_OPTS, logLevel: 'WARN', timeoutMs: 180_000 });
  let again: ChildProcess | null = null;
  try {
    await fill(kafka.bootstrap);
    const node = kafka.nodes[0]!;
    await killed(node.process);
    // The same command line startKafka used, on the same configuration and data directory.
    const dir = dirname(node.logFile);
    const started = Date.now();
    again = spawn('java', [`-Xmx${KAFKA_SERVER_HEAP_MB}m`, `-Xms${KAFKA_SERVER_HEAP_MB}m`, ...KAFKA_JVM_PERFORMANCE_OPTS, `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`, '-cp', kafkaClasspath(), 'kafka.Kafka', join(dir, 'server.properties')], { stdio: 'ignore' });
    const reap = () => again?.kill('SIGKILL');
    process.once('exit', reap);
    // Metadata first (cheap), then the produce-and-fetch probe.
    for (;;) {
      if (again.exitCode !== null) throw new Error(`Kafka exited with ${again.exitCode} after the restart (log: ${node.logFile})`);
      if ((await kafkaMetadataBrokers(node.bootstrap).catch(() => -1)) === 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return await readyAfter(node.bootstrap, started);
  } finally {
    if (again) await killed(again);
    await kafka.stop();
  }
}

async function tributaryRound(): Promise<number> {
  const broker = await startBroker({ settings: TRIBUTARY_SETTINGS, timeoutMs: 120_000 });
  let current = broker;
  try {
    await fill(broker.bootstrap);
    await broker.kill();
    const started = Date.now();
    current = await broker.restart();
    return await readyAfter(current.bootstrap, started);
  } finally {
    await current.destroy();
  }
}

const startedAt = new Date();
const load0 = loadavg()[0]!;
const results: Record<SubjectName, number[]> = { kafka: [], tributary: [] };
for (let round = 0; round < ROUNDS; round++) {
  const order: SubjectName[] = round % 2 === 0 ? ['kafka', 'tributary'] : ['tributary', 'kafka'];
  for (const name of order) {
    console.error(`round ${round + 1}: ${name} (load ${loadavg()[0]!.toFixed(1)})`);
    const ms = name === 'kafka' ? await kafkaRound() : await tributaryRound();
    results[name].push(ms);
    console.error(`  ready after kill -9 with ${GB} GB: ${ms} ms`);
  }
}
// The median of an even count is the mean of the middle two, as bench:vs-kafka reports it.
const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2]! : Math.round((v[v.length / 2 - 1]! + v[v.length / 2]!) / 2);
};
/** "median (min–max; every round in order)": a figure with its spread. */
const spread = (xs: number[]) => `${median(xs)} ms (${Math.min(...xs)}–${Math.max(...xs)}; ${xs.join(', ')})`;
const k = median(results.kafka);
const t = median(results.tributary);
console.log(`\n## Ready after kill -9 — ${startedAt.toISOString().slice(0, 16)} UTC, ${cpus().length} cores, Node ${process.version}, load average ${load0.toFixed(1)} at the start (${loadavg()[0]!.toFixed(1)} at the end); ${ROUNDS} round(s), median (min–max; each round) shown\n`);
console.log('| row | Apache Kafka | Tributary | Tributary / Kafka | goal |');
console.log('| --- | --- | --- | --- | --- |');
console.log(`| ready after kill -9 with ${GB} GB of log (produce acknowledged and fetched) | ${spread(results.kafka)} | ${spread(results.tributary)} | ${(t / k).toFixed(2)} | ≤ 1 |`);
