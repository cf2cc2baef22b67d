/**
 * Broker throughput and latency with pre-encoded load (kafkajs cannot drive a broker fast enough),
 * next to the machine limits measured in the same run. Run: npm run bench:broker
 * Prints a Markdown table for bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ApiKey, encodeRequest } from '@tributary/protocol';
import { startBroker, type BrokerProcess } from '../../test/support/broker-process.ts';
import { measureLimits } from './limits.ts';
import { drive, LZ4, NONE, percentile, produceRequests } from './load.ts';
import { parseCli } from '@tributary/contracts/cli';
parseCli('bench:broker', `
Usage: npm run bench:broker   (--help, --version)

Broker throughput and latency with pre-encoded load, next to the machine limits of the same run.
Environment: BENCH_MS (time per row, default 5000).
A benchmark, not a test: it takes the machine for its run; results go into bench/README.md.`, {});

const MS = Number(process.env.BENCH_MS ?? 5000);
const RECORD = 1024;
const PER_BATCH = 64; // 64 KiB batches of 1 KiB records
const PAYLOAD = RECORD * PER_BATCH;
const mb = (bytesPerSec: number) => `${(bytesPerSec / 1e6).toFixed(0)} MB/s`;
const rows: string[][] = [];
const row = (...cells: string[]) => {
  rows.push(cells);
  console.error(cells.join(' | '));
};

async function createTopic(broker: BrokerProcess, topic: string, partitions: number) {
  const req = Buffer.concat(encodeRequest({ apiKey: ApiKey.CreateTopics, apiVersion: 4, correlationId: 1, clientId: 'bench' }, { topics: [{ name: topic, numPartitions: partitions, replicationFactor: 1 }], timeoutMs: 5000 }));
  await drive(broker.port, [req], 0, 1, 1);
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function produceRate(broker: BrokerProcess, topic: string, connections: number, acks: number, compression: number) {
  const requests = produceRequests(topic, 4, PER_BATCH, RECORD, compression as never, acks);
  const results = await Promise.all(Array.from({ length: connections }, () => drive(broker.port, requests, PAYLOAD, MS, 8)));
  const bytes = results.reduce((n, r) => n + r.payloadBytes, 0);
  return { rate: bytes / Math.max(...results.map((r) => r.seconds)), latencies: results.flatMap((r) => r.latenciesMs) };
}

async function consumeRate(broker: BrokerProcess, topic: string): Promise<number> {
  // Fetch the whole topic from offset 0 repeatedly: 8 MiB per partition per request (page cache).
  const requests = [0, 1, 2, 3].map((p, i) =>
    Buffer.concat(encodeRequest({ apiKey: ApiKey.Fetch, apiVersion: 11, correlationId: i, clientId: 'bench' }, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 64 << 20, isolationLevel: 0, topics: [{ topic, partitions: [{ partition: p, fetchOffset: 0n, partitionMaxBytes: 8 << 20, logStartOffset: -1n }] }] })),
  );
  const r = await drive(broker.port, requests, 8 << 20, MS, 2);
  return r.payloadBytes / r.seconds;
}

const limits = await measureLimits();
row('machine: loopback TCP, Node → Node', mb(limits.loopbackTcp), '');
row('machine: sequential append, page cache', mb(limits.appendPageCache), '');
row('machine: sequential append, fdatasync per MiB', mb(limits.appendFdatasync), '');
row('machine: 512 B write + fdatasync latency p50 / p99', `${limits.fdatasyncP50Ms.toFixed(2)} / ${limits.fdatasyncP99Ms.toFixed(2)} ms`, '');
row('minimal produce path (frame → CRC32C → append → ack), page cache', mb(limits.minimalPathPageCache), '');
row('minimal produce path, fdatasync per read', mb(limits.minimalPathFdatasync), '');

const broker = await startBroker({ settings: { 'log.segment.bytes': String(256 << 20) } });
const fsyncBroker = await startBroker({ settings: { 'log.segment.bytes': String(256 << 20), 'log.flush.interval.messages': '1' } });
try {
  for (const b of [broker, fsyncBroker]) for (const t of ['p1', 'p4', 'lz4', 'lat']) await createTopic(b, t, 4);
  const rssBefore = rssMb(broker.process.pid!);
  const a1 = await produceRate(broker, 'p1', 1, 1, NONE);
  row('produce acks=1, 1 producer, 64 KiB batches of 1 KiB records', mb(a1.rate), `${((a1.rate / limits.minimalPathPageCache) * 100).toFixed(0)}% of minimal path (goal ≥ 45%)`);
  const a4 = await produceRate(broker, 'p4', 4, 1, NONE);
  row('produce acks=1, 4 producers', mb(a4.rate), `${((a4.rate / limits.minimalPathPageCache) * 100).toFixed(0)}% of minimal path`);
  const lz = await produceRate(broker, 'lz4', 1, 1, LZ4);
  const lzRatio = produceRequests('lz4', 4, PER_BATCH, RECORD, LZ4, 1, 1)[0]!.length / PAYLOAD;
  row(`produce acks=1, lz4 batches, 1 producer (record bytes; ${(lzRatio * 100).toFixed(0)}% on the wire)`, mb(lz.rate), `${mb(lz.rate * lzRatio)} of compressed batches`);
  const f1 = await produceRate(fsyncBroker, 'p1', 1, -1, NONE);
  row('produce acks=-1, fdatasync before every ack, 1 producer', mb(f1.rate), `${((f1.rate / limits.minimalPathFdatasync) * 100).toFixed(0)}% of minimal fdatasync path (goal ≥ 45%)`);
  const f4 = await produceRate(fsyncBroker, 'p4', 4, -1, NONE);
  row('produce acks=-1, fdatasync before every ack, 4 producers', mb(f4.rate), `${((f4.rate / limits.minimalPathFdatasync) * 100).toFixed(0)}% of minimal fdatasync path`);
  const c = await consumeRate(broker, 'p4');
  row('consume (Fetch from page cache, 8 MiB per partition)', mb(c), 'goal ≥ 600 MB/s');

  // The throughput runs above left gigabytes of dirty page cache; its writeback would queue every
  // fdatasync below behind it (p99 of 400–500 ms measured so), which is the earlier runs' cost, not
  // this one's. `sync` first, so each latency run pays only for its own writes.
  execFileSync('sync');
  // Latency at half the measured acks=1 rate, paced.
  const half = a1.rate / 2;
  const interval = Math.max(1, Math.round((PAYLOAD / half) * 1000));
  const paced = await drive(broker.port, produceRequests('lat', 4, PER_BATCH, RECORD, NONE, 1), PAYLOAD, MS, 1, interval);
  row(`produce latency acks=1 at ~${mb(PAYLOAD / (interval / 1000))} (half rate) p50 / p99`, `${percentile(paced.latenciesMs, 50).toFixed(2)} / ${percentile(paced.latenciesMs, 99).toFixed(2)} ms`, 'goal p99 ≤ 5 ms');
  const halfF = f1.rate / 2;
  const intervalF = Math.max(1, Math.round((PAYLOAD / halfF) * 1000));
  const pacedF = await drive(fsyncBroker.port, produceRequests('lat', 4, PER_BATCH, RECORD, NONE, -1), PAYLOAD, MS, 1, intervalF);
  row(`produce latency acks=-1 + fdatasync at ~${mb(PAYLOAD / (intervalF / 1000))} (half rate) p50 / p99`, `${percentile(pacedF.latenciesMs, 50).toFixed(2)} / ${percentile(pacedF.latenciesMs, 99).toFixed(2)} ms`, 'goal p99 ≤ 10 ms');
  row('broker RSS before / after the produce runs', `${rssBefore.toFixed(0)} / ${rssMb(broker.process.pid!).toFixed(0)} MiB`, 'the 10-minute soak is bench/broker/soak.ts');
} finally {
  await broker.destroy();
  await fsyncBroker.destroy();
}

console.log('| measurement | result | vs. limit / goal |\n| --- | --- | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
