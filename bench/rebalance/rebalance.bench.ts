/**
 * Partition reassignment speed and its cost to producers (issue 20), on Tributary and on Apache
 * Kafka 4.4 in the same run, each as 4 brokers of which the 4th holds nothing (as right after a
 * 3 → 4 scale-up). Kafka's own kafka-reassign-partitions --execute moves one replica of every
 * partition of a filled topic onto broker 4, once unthrottled and once with --throttle, while a paced
 * acks=all producer writes to a third topic; rows: data moved per second unthrottled and at the
 * throttle, and the producer's p50/p99 before any move and during each. Run: npm run bench:rebalance.
 * A benchmark, not a test: it prints a Markdown table for bench/README.md.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCli } from '@tributary/contracts/cli';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { runKafkaTool } from '@tributary/testkit';
import { startTargetCluster, type ClusterKind, type TargetCluster } from '../../test/support/target-cluster.ts';
import { until } from '../../test/support/until.ts';
import { drive, NONE, percentile, produceRequests } from '../broker/load.ts';

parseCli('bench:rebalance', `
Usage: npm run bench:rebalance   (--help, --version)

Tributary and Apache Kafka 4.4 in turn, 4 brokers each: kafka-reassign-partitions moves one replica of
every partition of a filled topic onto the empty 4th broker, unthrottled and with --throttle, while a
paced acks=all producer runs; prints MB moved per second and the producer's p50/p99 before and during.
Environment: BENCH_MB (data per moved topic, default 256), THROTTLE_MBPS (default 20),
BASELINE_MS (producer alone, default 10000), PACE_MS (one 16 KiB produce per leader every N ms, default 5).
About 4 minutes idle with the defaults (two cluster starts, two fills, four moves).`, {});

const MB = Number(process.env.BENCH_MB ?? 256);
const THROTTLE = Number(process.env.THROTTLE_MBPS ?? 20) * 1e6;
const BASELINE_MS = Number(process.env.BASELINE_MS ?? 10_000);
const PACE_MS = Number(process.env.PACE_MS ?? 5);
const PARTITIONS = 6;
const RECORD = 1024;
const REASSIGN = 'org.apache.kafka.tools.reassign.ReassignPartitionsCommand';
const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');

interface Result {
  unthrottledMBps: number;
  throttledMBps: number;
  before: number[];
  duringUnthrottled: number[];
  duringThrottled: number[];
  failedSends: number;
}

/** Partitions of `topic` by their leader's address. */
async function byLeader(admin: KafkaAdminClient, topic: string, addressOf: Map<number, string>): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const p of (await admin.metadata([topic])).topics[0]!.partitions) out.set(addressOf.get(p.leader)!, [...(out.get(addressOf.get(p.leader)!) ?? []), p.partition]);
  return out;
}
const portOf = (address: string) => Number(address.slice(address.lastIndexOf(':') + 1));

/** Moves with the admin client (the request the tool sends) and waits until nothing moves: set-up only. */
async function moveNow(admin: KafkaAdminClient, moves: { topic: string; partition: number; replicas: number[] }[]) {
  const errors = [...(await admin.alterPartitionReassignments(moves)).values()].filter((e) => e !== null);
  if (errors.length > 0) throw new Error(`set-up move refused: ${errors.join(', ')}`);
  await until(async () => ((await admin.listPartitionReassignments()).length === 0 ? true : null), 'the set-up moves', 120_000);
}

/** A paced acks=all producer to every leader of `topic` until stop() is called: latencies in ms. */
function pacedProducer(leaders: Map<string, number[]>, topic: string) {
  let stopped = false;
  const latencies: number[] = [];
  let failed = 0;
  const loops = [...leaders].map(async ([address, partitions]) => {
    const requests = produceRequests(topic, partitions, 16, RECORD, NONE, -1);
    while (!stopped) {
      const r = await drive(portOf(address), requests, 16 * RECORD, 1000, 1, PACE_MS).catch(() => null);
      if (r) latencies.push(...r.latenciesMs);
      else failed++;
    }
  });
  return {
    take: () => latencies.splice(0),
    failed: () => failed,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

async function fill(admin: KafkaAdminClient, topic: string, addressOf: Map<number, string>): Promise<number> {
  const leaders = await byLeader(admin, topic, addressOf);
  let bytes = 0;
  while (bytes < MB * 1e6) {
    const runs = await Promise.all([...leaders].map(([address, partitions]) => drive(portOf(address), produceRequests(topic, partitions, 64, RECORD, NONE, 1), 64 * RECORD, 2000, 8)));
    bytes += runs.reduce((n, r) => n + r.payloadBytes, 0);
  }
  return bytes;
}

/** kafka-reassign-partitions --execute (with --throttle when given); MB/s from the tool's exit until nothing of `topic` moves. */
async function reassign(cluster: TargetCluster, admin: KafkaAdminClient, dir: string, topic: string, targets: number[][], bytes: number, throttle: number | null): Promise<number> {
  const file = join(dir, `${topic}.json`);
  writeFileSync(file, JSON.stringify({ version: 1, partitions: targets.map((replicas, partition) => ({ topic, partition, replicas })) }));
  const bootstrap = cluster.live().join(',');
  const r = await runKafkaTool(REASSIGN, ['--bootstrap-server', bootstrap, '--reassignment-json-file', file, '--execute', ...(throttle ? ['--throttle', String(Math.round(throttle))] : [])], { timeoutMs: 120_000 });
  if (r.exitCode !== 0) throw new Error(`kafka-reassign-partitions --execute: ${r.stdout}${r.stderr}`);
  const start = performance.now();
  await until(async () => ((await admin.listPartitionReassignments()).some((m) => m.topic === topic) ? null : true), `the move of ${topic}`, 30 * 60_000, undefined, 50);
  const seconds = (performance.now() - start) / 1000;
  // --verify ends it as an operator would: it also removes the throttles.
  const v = await runKafkaTool(REASSIGN, ['--bootstrap-server', bootstrap, '--reassignment-json-file', file, '--verify'], { timeoutMs: 120_000 });
  if (v.exitCode !== 0 || !/Clearing broker-level throttles/.test(v.stdout)) throw new Error(`kafka-reassign-partitions --verify: ${v.stdout}${v.stderr}`);
  return bytes / 1e6 / seconds;
}

async function run(kind: ClusterKind, dir: string): Promise<Result> {
  const cluster = await startTargetCluster(kind, { brokers: 4, settings: { 'leader.imbalance.check.interval.seconds': '3600' }, timeoutMs: 180_000 });
  const admin = await KafkaAdminClient.connect(cluster.live()[0]!);
  try {
    const md = await admin.metadata([]);
    const ids = md.brokers.map((b) => b.nodeId).sort((a, b) => a - b);
    const addressOf = new Map(md.brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`]));
    const [b1, b2, b3, b4] = ids as [number, number, number, number];
    const old = [b1, b2, b3];
    const topics = ['moved-unthrottled', 'moved-throttled', 'producer-load'];
    const created = await admin.createTopics(topics.map((name) => ({ name, partitions: PARTITIONS, replicationFactor: 2 })));
    for (const [name, err] of created) if (err) throw new Error(`create ${name}: ${err.message}`);
    // Broker 4 starts empty: every replica on brokers 1–3 (leader first, so leaders stay put).
    const before = Array.from({ length: PARTITIONS }, (_, p) => [old[p % 3]!, old[(p + 1) % 3]!]);
    await moveNow(admin, topics.flatMap((topic) => before.map((replicas, partition) => ({ topic, partition, replicas }))));
    const sizes = { unthrottled: await fill(admin, topics[0]!, addressOf), throttled: await fill(admin, topics[1]!, addressOf) };
    for (const t of topics) for (let p = 0; p < PARTITIONS; p++) await cluster.waitForIsr(t, p, 2, 600_000);
    const after = before.map(([leader]) => [leader!, b4]);

    const producer = pacedProducer(await byLeader(admin, topics[2]!, addressOf), topics[2]!);
    await new Promise((r) => setTimeout(r, BASELINE_MS)); // the baseline's length, not a synchronisation
    const baseline = producer.take();
    const unthrottledMBps = await reassign(cluster, admin, dir, topics[0]!, after, sizes.unthrottled, null);
    const duringUnthrottled = producer.take();
    const throttledMBps = await reassign(cluster, admin, dir, topics[1]!, after, sizes.throttled, THROTTLE);
    const duringThrottled = producer.take();
    await producer.stop();
    return { unthrottledMBps, throttledMBps, before: baseline, duringUnthrottled, duringThrottled, failedSends: producer.failed() };
  } finally {
    admin.close();
    await cluster.stop();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'bench-rebalance-'));
const startedAt = new Date().toISOString();
const loadBefore = load();
const results = new Map<ClusterKind, Result>();
try {
  for (const kind of ['Tributary', 'Apache Kafka'] as ClusterKind[]) {
    console.error(`${kind}: starting (load ${load()})`);
    results.set(kind, await run(kind, dir));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const t = results.get('Tributary')!;
const k = results.get('Apache Kafka')!;
const lat = (v: number[]) => `${percentile(v, 50).toFixed(1)} / ${percentile(v, 99).toFixed(1)} ms (${v.length})`;
const rows = [
  ['data moved, unthrottled (MB/s)', t.unthrottledMBps.toFixed(1), k.unthrottledMBps.toFixed(1)],
  [`data moved, --throttle ${(THROTTLE / 1e6).toFixed(0)} MB/s (MB/s)`, t.throttledMBps.toFixed(1), k.throttledMBps.toFixed(1)],
  ['producer acks=all p50 / p99, before any move (requests)', lat(t.before), lat(k.before)],
  ['producer p50 / p99 during the unthrottled move', lat(t.duringUnthrottled), lat(k.duringUnthrottled)],
  [`producer p50 / p99 during the throttled move`, lat(t.duringThrottled), lat(k.duringThrottled)],
  ['producer connections that failed', String(t.failedSends), String(k.failedSends)],
];
console.log(`\nbench:rebalance ${startedAt}, ${MB} MB per moved topic, ${PARTITIONS} partitions RF 2, producer: 16 KiB acks=all every ${PACE_MS} ms per leader; load average ${loadBefore} at the start, ${load()} at the end\n`);
console.log('| row | Tributary | Apache Kafka 4.4 |\n| --- | --- | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
