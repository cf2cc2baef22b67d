/**
 * The broker log's own throughput next to the machine limits measured in the same run
 * (bench/broker/limits.ts). Run: node bench/broker/limits-log.ts [ms-per-measurement]
 *
 * These are in-process figures (no network): they show what the storage layer costs, to be read
 * against the machine's append limits; the minimal produce path includes loopback TCP and so is
 * not their ceiling. Page-cache figures move with the kernel's dirty-page write-back throttling.
 *
 * Appends go through LogManager → PartitionLog.appendRecords (header + CRC32C validation, offset
 * assignment, one write per request, sparse index upkeep): 1 MiB requests of 1 KiB records.
 * - page cache: no fdatasync (log.flush.interval.messages at its default, effectively never);
 * - flush-per-message, sync: fdatasync inside every append (groupCommit off);
 * - flush-per-message, group commit: several appends in flight, each acknowledged when a shared
 *   fdatasync covering it completes.
 * Reads: 1 MiB fetches from the page cache through the offset index.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecordBatch } from '@tributary/protocol';
import { LogManager, type TopicLogConfig } from '../../apps/broker/src/log/log-manager.ts';
import { measureLimits } from './limits.ts';

const MS = Number(process.argv[2] ?? 3000);
const mb = (bytesPerSec: number) => `${(bytesPerSec / 1e6).toFixed(0)} MB/s`;
const RECORD = Buffer.alloc(1024, 'x');
const batch = encodeRecordBatch({ records: Array.from({ length: 1024 }, (_, i) => ({ key: `k${i}`, value: RECORD })) });

function withLog<T>(config: Partial<TopicLogConfig>, run: (append: () => ReturnType<ReturnType<LogManager['getOrCreate']>['appendRecords']>, m: LogManager) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'limits-log-'));
  const base: TopicLogConfig = { segmentBytes: 1 << 30, segmentMs: 7 * 24 * 3600_000, flushIntervalMessages: Number.MAX_SAFE_INTEGER, cleanupPolicy: 'delete', retentionMs: -1, retentionBytes: -1, deleteRetentionMs: 86_400_000 };
  const m = new LogManager(dir, { retentionCheckIntervalMs: 300_000, configFor: () => ({ ...base, ...config }) });
  const log = m.getOrCreate('bench', 0);
  const copy = Buffer.from(batch);
  return run(() => log.appendRecords(copy, 0), m);
}

function pageCacheAppend(): { rate: number; readRate: number } {
  return withLog({}, (append, m) => {
    let bytes = 0;
    const end = performance.now() + MS;
    while (performance.now() < end) {
      append();
      bytes += batch.length;
    }
    const rate = bytes / (MS / 1000);
    const log = m.get('bench', 0)!;
    let read = 0;
    let offset = 0;
    const t = performance.now();
    while (offset < log.logEndOffset) {
      const got = log.read(offset, 1 << 20);
      read += got.length;
      offset += 1024;
    }
    const readRate = read / ((performance.now() - t) / 1000);
    const dir = m.dataDir;
    m.close();
    rmSync(dir, { recursive: true, force: true });
    return { rate, readRate };
  });
}

function syncFlushAppend(): number {
  return withLog({ flushIntervalMessages: 1 }, (append, m) => {
    let bytes = 0;
    const end = performance.now() + MS;
    while (performance.now() < end) {
      append();
      bytes += batch.length;
    }
    const dir = m.dataDir;
    m.close();
    rmSync(dir, { recursive: true, force: true });
    return bytes / (MS / 1000);
  });
}

async function groupCommitAppend(inFlight: number): Promise<{ rate: number; p50: number; p99: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'limits-log-'));
  const base: TopicLogConfig = { segmentBytes: 1 << 30, segmentMs: 7 * 24 * 3600_000, flushIntervalMessages: 1, groupCommit: true, cleanupPolicy: 'delete', retentionMs: -1, retentionBytes: -1, deleteRetentionMs: 86_400_000 };
  const m = new LogManager(dir, { retentionCheckIntervalMs: 300_000, configFor: () => base });
  const log = m.getOrCreate('bench', 0);
  const buffers = Array.from({ length: inFlight }, () => Buffer.from(batch));
  const latencies: number[] = [];
  let bytes = 0;
  const end = performance.now() + MS;
  await Promise.all(
    buffers.map(async (buf) => {
      while (performance.now() < end) {
        const t = performance.now();
        await log.appendRecords(buf, 0).durable;
        latencies.push(performance.now() - t);
        bytes += buf.length;
      }
    }),
  );
  m.close();
  rmSync(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  return { rate: bytes / (MS / 1000), p50: latencies[Math.floor(latencies.length * 0.5)]!, p99: latencies[Math.floor(latencies.length * 0.99)]! };
}

const limits = await measureLimits(MS);
const page = pageCacheAppend();
const syncRate = syncFlushAppend();
const gc1 = await groupCommitAppend(1);
const gc4 = await groupCommitAppend(4);
const rows: [string, string][] = [
  ['machine: loopback TCP (Node → Node)', mb(limits.loopbackTcp)],
  ['machine: sequential 1 MiB appends, page cache', mb(limits.appendPageCache)],
  ['machine: sequential 1 MiB appends + fdatasync each', mb(limits.appendFdatasync)],
  ['machine: 512 B write + fdatasync latency p50 / p99', `${limits.fdatasyncP50Ms.toFixed(2)} ms / ${limits.fdatasyncP99Ms.toFixed(2)} ms`],
  ['minimal produce path (frame → CRC32C → append → ack), page cache', mb(limits.minimalPathPageCache)],
  ['minimal produce path, group-commit fdatasync', mb(limits.minimalPathFdatasync)],
  ['LogManager append, 1 MiB batches of 1 KiB records, page cache (in-process: no TCP, unlike the minimal path)', mb(page.rate)],
  ['LogManager append, flush per message, fdatasync inside append', mb(syncRate)],
  ['LogManager append, flush per message, group commit, 1 in flight (p50 / p99 ack)', `${mb(gc1.rate)} (${gc1.p50.toFixed(1)} / ${gc1.p99.toFixed(1)} ms)`],
  ['LogManager append, flush per message, group commit, 4 in flight (p50 / p99 ack)', `${mb(gc4.rate)} (${gc4.p50.toFixed(1)} / ${gc4.p99.toFixed(1)} ms)`],
  ['PartitionLog read, 1 MiB fetches from page cache', mb(page.readRate)],
];
console.log(`| measurement (${MS} ms each, ${new Date().toISOString().slice(0, 10)}) | result |\n| --- | --- |`);
for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
