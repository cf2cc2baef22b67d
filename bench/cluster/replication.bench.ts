/**
 * Replication throughput (issue 6): acks=-1 on a replication-factor-3 topic across 3 local brokers,
 * next to acks=1 on a replication-factor-1 topic of the same cluster in the same run, and produce
 * latency at half the acks=-1 rate. Three brokers, etcd and the load generator share this machine.
 * Run: npm run bench:replication. Prints a Markdown table for bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { startCluster, type TestCluster } from '../../test/support/cluster.ts';
import { measureLimits } from '../broker/limits.ts';
import { drive, NONE, percentile, produceRequests } from '../broker/load.ts';
import { parseCli } from '@tributary/contracts/cli';
parseCli('bench:replication', `
Usage: npm run bench:replication   (--help, --version)

acks=-1 RF=3 throughput next to acks=1 RF=1 on 3 local brokers, and latency at half rate.
Environment: BENCH_MS (default 8000), IN_FLIGHT (default 16).
A benchmark, not a test: it takes the machine for its run; results go into bench/README.md.`, {});

const MS = Number(process.env.BENCH_MS ?? 8000);
const RECORD = 1024;
const PER_BATCH = 64; // 64 KiB batches of 1 KiB records, as bench/broker
const PAYLOAD = RECORD * PER_BATCH;
const PARTITIONS = 6;
// Requests in flight per producer connection at full rate: the broker pipelines up to 16 Produce
// requests of a connection (apps/broker/src/net/connection.ts), so 16 keeps every leader busy.
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 16);
const mb = (bytesPerSec: number) => `${(bytesPerSec / 1e6).toFixed(0)} MB/s`;
const rows: string[][] = [];
const row = (...cells: string[]) => {
  rows.push(cells);
  console.error(cells.join(' | '));
};

async function createTopic(cluster: TestCluster, name: string, replicationFactor: number, configs: Record<string, string> = {}) {
  const controller = await cluster.controllerId();
  const admin = await KafkaAdminClient.connect(cluster.brokers.get(controller)!.bootstrap);
  try {
    const err = (await admin.createTopics([{ name, partitions: PARTITIONS, replicationFactor, configs }])).get(name);
    if (err) throw err;
  } finally {
    admin.close();
  }
  for (let p = 0; p < PARTITIONS; p++) await cluster.waitForIsr(name, p, replicationFactor);
}

/** Partitions by leader, so that each connection sends only what its broker leads. */
async function leaders(cluster: TestCluster, topic: string): Promise<Map<number, number[]>> {
  const byLeader = new Map<number, number[]>();
  for (let p = 0; p < PARTITIONS; p++) {
    const leader = await cluster.leaderOf(topic, p);
    byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
  }
  return byLeader;
}

async function produce(cluster: TestCluster, topic: string, acks: number, intervalMs = 0) {
  const byLeader = await leaders(cluster, topic);
  const runs = [...byLeader].map(([leader, partitions]) => drive(cluster.brokers.get(leader)!.port, produceRequests(topic, partitions, PER_BATCH, RECORD, NONE, acks), PAYLOAD, MS, intervalMs ? 1 : IN_FLIGHT, intervalMs));
  const results = await Promise.all(runs);
  const bytes = results.reduce((n, r) => n + r.payloadBytes, 0);
  return { rate: bytes / Math.max(...results.map((r) => r.seconds)), latencies: results.flatMap((r) => r.latenciesMs), connections: runs.length };
}

const limits = await measureLimits();
row('machine: loopback TCP, Node → Node', mb(limits.loopbackTcp), '');
row('machine: sequential append, page cache', mb(limits.appendPageCache), '');
row('minimal produce path (frame → CRC32C → append → ack), page cache', mb(limits.minimalPathPageCache), '');

const cluster = await startCluster({ brokers: 3, settings: { 'leader.imbalance.check.interval.seconds': '3600' } });
try {
  await createTopic(cluster, 'rf1', 1);
  await createTopic(cluster, 'rf3', 3, { 'min.insync.replicas': '2' });
  const rf1 = await produce(cluster, 'rf1', 1);
  row(`produce acks=1, RF=1, ${PARTITIONS} partitions over 3 brokers (${rf1.connections} producers)`, mb(rf1.rate), 'baseline of the same run');
  const rf3 = await produce(cluster, 'rf3', -1);
  row(`produce acks=-1, RF=3, min.insync.replicas=2, ${PARTITIONS} partitions (${rf3.connections} producers)`, mb(rf3.rate), `${((rf3.rate / rf1.rate) * 100).toFixed(0)}% of RF=1 (goal ≥ 100 MB/s and ≥ 35%)`);
  row('acks=-1 RF=3 latency under full load p50 / p99', `${percentile(rf3.latencies, 50).toFixed(1)} / ${percentile(rf3.latencies, 99).toFixed(1)} ms`, `${IN_FLIGHT} requests in flight per producer`);
  // The full-rate runs left gigabytes of dirty page cache; its writeback would stall the paced run's
  // appends (as in bench/broker): `sync` first, so the latency run pays only for its own writes.
  execFileSync('sync');
  // Paced at half the measured acks=-1 rate, spread over the leaders' connections.
  const perConnection = rf3.rate / 2 / rf3.connections;
  // Rounded up: the timer ticks in whole milliseconds, and rounding down would offer more than half
  // the rate (at ~45 MB/s per connection, 1.45 ms → 1 ms is 65 MB/s) and measure a queue instead.
  const interval = Math.max(1, Math.ceil((PAYLOAD / perConnection) * 1000));
  const paced = await produce(cluster, 'rf3', -1, interval);
  row(`acks=-1 RF=3 latency at ~${mb(paced.rate)} (half rate) p50 / p99`, `${percentile(paced.latencies, 50).toFixed(2)} / ${percentile(paced.latencies, 99).toFixed(2)} ms`, 'goal p99 ≤ 15 ms');
} finally {
  // SIGTERM first (a profile run with NODE_OPTIONS=--cpu-prof writes its profiles on a clean exit).
  await Promise.all([...cluster.brokers.values()].map((b) => b.stop()));
  await cluster.stop();
}

console.log('| measurement | result | vs. limit / goal |\n| --- | --- | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
