/**
 * Issue 13, the broker's health: how long one retention + compaction pass (LogManager.cleanup) holds
 * the event loop. Run: node bench/broker/cleanup-stall.ts [compacted-partitions] [keys] [updates]
 *
 * The data dir imitates a broker's: `__consumer_offsets`-like compacted partitions (default 50) each
 * with `keys` keys written `updates` times in batches of 100 records over several segments, plus 20
 * delete-policy partitions whose older segments have expired. The pass runs once, timed; meanwhile a
 * 1 ms interval timer records the longest the event loop went without running a timer (what a request, a replica fetch or the etcd lease keep-alive would have waited).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encodeRecordBatch } from '@tributary/protocol';
import type { LogManager as LogManagerType, TopicLogConfig } from '../../apps/broker/src/log/log-manager.ts';

// LOG_MANAGER=<path of another log-manager.ts> measures another version (an older commit's copy) the same way.
const { LogManager } = (await import(process.env.LOG_MANAGER ?? '../../apps/broker/src/log/log-manager.ts')) as { LogManager: typeof LogManagerType };

const COMPACTED = Number(process.argv[2] ?? 50);
const KEYS = Number(process.argv[3] ?? 1000);
const UPDATES = Number(process.argv[4] ?? 10);
const USER = 20;
const NOW = Date.now();
const DAY = 86_400_000;

const dir = mkdtempSync(join(tmpdir(), 'cleanup-stall-'));
const base: TopicLogConfig = { segmentBytes: 256 * 1024, segmentMs: 7 * DAY, flushIntervalMessages: Number.MAX_SAFE_INTEGER, cleanupPolicy: 'delete', retentionMs: DAY, retentionBytes: -1, deleteRetentionMs: DAY };
const m = new LogManager(dir, { retentionCheckIntervalMs: 300_000, configFor: (t) => (t === '__consumer_offsets' ? { ...base, cleanupPolicy: 'compact' } : base) });

const setupStart = performance.now();
const value = Buffer.alloc(60, 'v');
for (let p = 0; p < COMPACTED; p++) {
  const log = m.getOrCreate('__consumer_offsets', p);
  for (let u = 0; u < UPDATES; u++)
    for (let k = 0; k < KEYS; k += 100)
      log.appendRecords(encodeRecordBatch({ records: Array.from({ length: Math.min(100, KEYS - k) }, (_, i) => ({ key: `group-${p}-member-${k + i}`, value, timestamp: NOW })) }), 0);
}
const userValue = Buffer.alloc(1000, 'u');
for (let p = 0; p < USER; p++) {
  const log = m.getOrCreate('events', p);
  // 3 expired segments' worth, then a fresh one.
  for (let i = 0; i < 40; i++) log.appendRecords(encodeRecordBatch({ records: Array.from({ length: 20 }, () => ({ value: userValue, timestamp: i < 30 ? NOW - 2 * DAY : NOW })) }), 0);
  log.updateHighWatermark(log.logEndOffset);
}
for (const { log } of m.entries()) log.flush();
const bytes = m.totalBytes;
console.log(`setup: ${COMPACTED} compacted partitions × ${KEYS} keys × ${UPDATES} updates, ${USER} delete-policy partitions, ${(bytes / 1e6).toFixed(1)} MB in ${((performance.now() - setupStart) / 1000).toFixed(1)} s`);

// The wall-clock gap says how long the loop went without timers; on a shared machine part of it can
// be the process waiting for a core, so the CPU time the process used within the gap is kept too
// (the stall the broker's own work caused, whatever else runs; a wait in fsync is wall time only).
async function measure<T>(run: () => Promise<T> | T): Promise<{ value: T; took: number; cpu: number; maxGap: number; maxGapCpu: number }> {
  let maxGap = 0;
  let maxGapCpu = 0;
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  const probe = setInterval(() => {
    const t = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    maxGap = Math.max(maxGap, t - last);
    maxGapCpu = Math.max(maxGapCpu, (cpu.user + cpu.system) / 1000);
    last = t;
    lastCpu = process.cpuUsage();
  }, 1);
  await new Promise((r) => setTimeout(r, 200)); // the probe's own baseline
  maxGap = 0;
  maxGapCpu = 0;
  const start = performance.now();
  const startCpu = process.cpuUsage();
  last = start;
  lastCpu = startCpu;
  const value = await run();
  const took = performance.now() - start;
  const cpu = process.cpuUsage(startCpu);
  await new Promise((r) => setTimeout(r, 20));
  clearInterval(probe);
  return { value, took, cpu: (cpu.user + cpu.system) / 1000, maxGap, maxGapCpu };
}
const gaps = (r: { maxGap: number; maxGapCpu: number }) => `longest gap between 1 ms timer runs: ${r.maxGap.toFixed(1)} ms wall, longest CPU time within one gap ${r.maxGapCpu.toFixed(1)} ms`;

const pass = await measure(() => m.cleanup(NOW));
const removed = pass.value.compacted.reduce((n, r) => n + r.recordsRemoved, 0);
console.log(`cleanup pass: ${pass.took.toFixed(0)} ms (${pass.cpu.toFixed(0)} ms CPU); ${pass.value.segmentsDeleted} segments deleted, ${removed} records compacted away, ${(m.totalBytes / 1e6).toFixed(1)} MB left; ${gaps(pass)}`);

// The recovery-point checkpoint round (every 60 s): after every partition's high watermark moved,
// each writes two checkpoint files (4 fsyncs). Before: one loop over all logs in the timer's callback.
const logs = [...m.entries()].map((e) => e.log);
function moveHighWatermarks(): void {
  for (const log of logs) {
    log.appendRecords(encodeRecordBatch({ records: [{ key: 'hw', value: 'x', timestamp: NOW }] }), 0);
    log.updateHighWatermark(log.logEndOffset);
  }
}
moveHighWatermarks();
const loop = await measure(() => {
  for (const log of logs) log.checkpointRecoveryPoint();
});
console.log(`checkpoint round of ${logs.length} logs, one loop (before): ${loop.took.toFixed(0)} ms; ${gaps(loop)}`);
if ('checkpointRecoveryPoints' in m) {
  moveHighWatermarks();
  const sliced = await measure(() => (m as unknown as { checkpointRecoveryPoints(): Promise<void> }).checkpointRecoveryPoints());
  console.log(`checkpoint round of ${logs.length} logs, LogManager.checkpointRecoveryPoints (one log per step): ${sliced.took.toFixed(0)} ms; ${gaps(sliced)}`);
}
m.close();
rmSync(dir, { recursive: true, force: true });
