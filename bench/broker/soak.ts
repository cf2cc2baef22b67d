/**
 * Sustained-load soak: is the broker's memory flat? A paced producer (acks=1, 64 KiB batches of
 * 1 KiB records over 4 partitions), a consumer following the tail with Fetch, and a standalone
 * group committing offsets every second run against one broker for SOAK_MINUTES (default 10) while
 * the broker's RSS is sampled every 5 s. Retention by size keeps the disk bounded, so segment
 * rolling, deletion and __consumer_offsets compaction run during the soak too.
 * Run: node bench/broker/soak.ts   (SOAK_MINUTES, SOAK_MBPS to change the defaults)
 * Prints a Markdown table for bench/README.md.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { ApiKey, decodeResponse, encodeRequest, ErrorCode, FrameReader, splitBatches, type FetchResponse } from '@tributary/protocol';
import { startBroker, type BrokerProcess } from '../../test/support/broker-process.ts';
import { drive, NONE, percentile, produceRequests } from './load.ts';
import { parseCli } from '@tributary/contracts/cli';
parseCli('bench:soak', `
Usage: npm run bench:soak   (--help, --version)

Sustained-load soak of one broker: paced producer, tailing consumer, committing group; RSS sampled.
Environment: SOAK_MINUTES (default 10), SOAK_MBPS (default 20).
A benchmark, not a test: it takes the machine for its run; results go into bench/README.md.`, {});

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const TARGET_MBPS = Number(process.env.SOAK_MBPS ?? 20);
const RECORD = 1024;
const PER_BATCH = 64;
const PAYLOAD = RECORD * PER_BATCH;
const PARTITIONS = 4;
const SAMPLE_MS = 5000;

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** One request/response connection (requests in order, one at a time). */
class Client {
  readonly #socket: Socket;
  readonly #frames = new FrameReader(256 << 20);
  readonly #waiting: ((frame: Buffer) => void)[] = [];
  readonly ready: Promise<void>;
  #correlation = 0;

  constructor(port: number) {
    this.#socket = connect({ host: '127.0.0.1', port });
    this.ready = new Promise((resolve, reject) => {
      this.#socket.once('connect', () => resolve());
      this.#socket.once('error', reject);
    });
    this.#socket.on('data', (chunk) => {
      for (const frame of this.#frames.push(chunk)) this.#waiting.shift()!(frame);
    });
  }

  async call<T>(apiKey: number, apiVersion: number, body: object): Promise<T> {
    const frame = await new Promise<Buffer>((resolve) => {
      this.#waiting.push(resolve);
      this.#socket.write(Buffer.concat(encodeRequest({ apiKey, apiVersion, correlationId: this.#correlation++, clientId: 'soak' }, body as never)));
    });
    return decodeResponse(frame, apiKey, apiVersion).body as T;
  }

  close(): void {
    this.#socket.destroy();
  }
}

/** Follows the tail of every partition; jumps to the log start when retention removed its position. */
async function consume(port: number, topic: string, until: number): Promise<{ bytes: number; fetches: number; outOfRange: number }> {
  const client = new Client(port);
  await client.ready;
  const next = new Array<bigint>(PARTITIONS).fill(0n);
  let bytes = 0;
  let fetches = 0;
  let outOfRange = 0;
  while (Date.now() < until) {
    const res = await client.call<FetchResponse>(ApiKey.Fetch, 11, {
      replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 8 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, partitions: next.map((fetchOffset, partition) => ({ partition, currentLeaderEpoch: -1, fetchOffset, logStartOffset: -1n, partitionMaxBytes: 2 << 20 })) }],
      forgottenTopicsData: [], rackId: '',
    });
    fetches++;
    for (const p of res.responses[0]?.partitions ?? []) {
      if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
        outOfRange++;
        next[p.partitionIndex] = p.logStartOffset;
        continue;
      }
      // Decoded responses carry one Buffer (encoders may take a list of slices).
      const records = Array.isArray(p.records) ? Buffer.concat(p.records) : p.records;
      if (!records || records.length === 0) continue;
      bytes += records.length;
      const last = splitBatches(records).batches.at(-1);
      if (last) next[p.partitionIndex] = last.header.baseOffset + BigInt(last.header.lastOffsetDelta + 1);
    }
  }
  client.close();
  return { bytes, fetches, outOfRange };
}

/** A standalone consumer group committing an offset per partition every second (__consumer_offsets grows and is compacted). */
async function commitLoop(port: number, topic: string, until: number): Promise<number> {
  const client = new Client(port);
  await client.ready;
  let commits = 0;
  while (Date.now() < until) {
    await client.call(ApiKey.OffsetCommit, 2, {
      groupId: 'soak-group', generationIdOrMemberEpoch: -1, memberId: '', retentionTimeMs: -1n,
      topics: [{ name: topic, partitions: Array.from({ length: PARTITIONS }, (_, partitionIndex) => ({ partitionIndex, committedOffset: BigInt(commits), committedMetadata: '' })) }],
    });
    commits++;
    await new Promise((r) => setTimeout(r, 1000));
  }
  client.close();
  return commits;
}

const broker: BrokerProcess = await startBroker({
  settings: {
    'log.segment.bytes': String(32 << 20),
    'log.retention.bytes': String(128 << 20),
    'log.retention.check.interval.ms': '5000',
    'offsets.topic.segment.bytes': String(64 << 10),
    'log.cleaner.delete.retention.ms': '1000',
  },
});
const samples: { t: number; rss: number }[] = [];
try {
  const admin = new Client(broker.port);
  await admin.ready;
  await admin.call(ApiKey.CreateTopics, 4, { topics: [{ name: 'soak', numPartitions: PARTITIONS, replicationFactor: 1 }], timeoutMs: 5000 });
  admin.close();

  const started = Date.now();
  const ms = MINUTES * 60_000;
  const sampler = setInterval(() => {
    samples.push({ t: (Date.now() - started) / 60_000, rss: rssMb(broker.process.pid!) });
    console.error(`${samples.at(-1)!.t.toFixed(1)} min: RSS ${samples.at(-1)!.rss.toFixed(0)} MiB`);
  }, SAMPLE_MS);
  samples.push({ t: 0, rss: rssMb(broker.process.pid!) });
  const interval = Math.max(1, Math.round((PAYLOAD / (TARGET_MBPS * 1e6)) * 1000));
  const [produced, consumed, commits] = await Promise.all([
    drive(broker.port, produceRequests('soak', PARTITIONS, PER_BATCH, RECORD, NONE, 1), PAYLOAD, ms, 1, interval),
    consume(broker.port, 'soak', started + ms),
    commitLoop(broker.port, 'soak', started + ms),
  ]);
  clearInterval(sampler);
  samples.push({ t: (Date.now() - started) / 60_000, rss: rssMb(broker.process.pid!) });

  const window = (from: number, to: number) => samples.filter((s) => s.t >= from && s.t < to).map((s) => s.rss);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  // After a minute of warm-up: least-squares slope of RSS over time, MiB per minute.
  const steady = samples.filter((s) => s.t >= 1);
  const mt = mean(steady.map((s) => s.t));
  const mr = mean(steady.map((s) => s.rss));
  const slope = steady.reduce((n, s) => n + (s.t - mt) * (s.rss - mr), 0) / Math.max(1e-9, steady.reduce((n, s) => n + (s.t - mt) ** 2, 0));
  const second = mean(window(1, 2));
  const last = mean(window(MINUTES - 1, MINUTES + 1));
  const rows = [
    ['duration', `${MINUTES} min`, ''],
    ['produce (paced, acks=1, 64 KiB batches of 1 KiB records, 4 partitions)', `${(produced.payloadBytes / produced.seconds / 1e6).toFixed(1)} MB/s, ${produced.requests} requests`, `target ${TARGET_MBPS} MB/s`],
    ['produce latency p50 / p99 / max', `${percentile(produced.latenciesMs, 50).toFixed(2)} / ${percentile(produced.latenciesMs, 99).toFixed(2)} / ${produced.latenciesMs.reduce((a, b) => Math.max(a, b), 0).toFixed(0)} ms`, ''],
    ['consume (tail-following Fetch)', `${(consumed.bytes / (ms / 1000) / 1e6).toFixed(1)} MB/s, ${consumed.fetches} fetches, ${consumed.outOfRange} out-of-range jumps`, ''],
    ['offset commits (standalone group, 4 partitions each)', String(commits), ''],
    ['broker RSS at start / max', `${samples[0]!.rss.toFixed(0)} / ${samples.reduce((a, s) => Math.max(a, s.rss), 0).toFixed(0)} MiB`, ''],
    ['broker RSS mean in minute 2 / in the last minute', `${second.toFixed(0)} / ${last.toFixed(0)} MiB`, 'flat: the difference stays within noise'],
    ['RSS slope after the first minute (least squares)', `${slope.toFixed(2)} MiB/min`, `${(slope * 60).toFixed(0)} MiB/hour if it continued`],
  ];
  console.log('| measurement | result | note |\n| --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(`\nRSS samples (MiB, every ${SAMPLE_MS / 1000} s): ${samples.map((s) => s.rss.toFixed(0)).join(' ')}`);
} finally {
  await broker.destroy();
}
