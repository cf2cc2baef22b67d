import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compactLogInSlices, type CompactionResult } from './compaction.ts';
import { PartitionLog, type LogOptions } from './partition-log.ts';
import { timerDelay } from '../timer-delay.ts';
import { OnePassAtATime, WorkSlices } from './work-slices.ts';

/** A topic's storage settings, by their Kafka topic-config meaning. */
export interface TopicLogConfig extends LogOptions {
  /** `cleanup.policy`: 'delete', 'compact' or 'compact,delete'. */
  cleanupPolicy: string;
  /** `retention.ms` (-1: keep forever). */
  retentionMs: number;
  /** `retention.bytes` per partition (-1: no limit). */
  retentionBytes: number;
  /** `delete.retention.ms`: how long tombstones survive compaction. */
  deleteRetentionMs: number;
}

export interface LogManagerOptions {
  /** `log.retention.check.interval.ms`: how often retention and compaction run. */
  retentionCheckIntervalMs: number;
  /** `producer.id.expiration.ms` and `producer.id.expiration.check.interval.ms` (absent: producers never expire). */
  producerIdExpiration?: { expirationMs: number; checkIntervalMs: number };
  /** How long a slice of retention or compaction work may hold the event loop (default 10 ms). */
  cleanupSliceMs?: number;
  /** How often `flush.ms` is checked and the recovery point checkpointed (Kafka: 60 s). */
  checkpointIntervalMs?: number;
  /** The settings of one topic (broker defaults with the topic's overrides applied). */
  configFor: (topic: string) => TopicLogConfig;
  /** Called with whatever a background pass did or failed at (for the broker's log lines). */
  onEvent?: (event: { kind: 'retention' | 'compaction' | 'error'; topic: string; partition: number; detail: unknown }) => void;
}

export interface PartitionSize {
  topic: string;
  partition: number;
  bytes: number;
}

const PARTITION_DIR = /^(.+)-(\d+)$/;

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/**
 * Every partition log of one data directory: opens them at start-up (recovering any that were not
 * shut down cleanly), creates and deletes them, runs retention and compaction on a timer, and
 * reports sizes for metrics and disk quotas.
 */
export class LogManager {
  readonly dataDir: string;
  readonly #options: LogManagerOptions;
  readonly #logs = new Map<string, { topic: string; partition: number; log: PartitionLog }>();
  readonly #timers: NodeJS.Timeout[] = [];
  /** One slice of retention or compaction per turn of the event loop, shared by both passes. */
  readonly #slices: WorkSlices;
  readonly #retention = new OnePassAtATime();
  readonly #compaction = new OnePassAtATime();
  readonly #checkpoints = new OnePassAtATime();
  #closed = false;

  constructor(dataDir: string, options: LogManagerOptions) {
    this.dataDir = dataDir;
    this.#options = options;
    this.#slices = new WorkSlices(options.cleanupSliceMs ?? 10);
    mkdirSync(dataDir, { recursive: true });
  }

  /** Opens every `<topic>-<partition>` directory of the data dir. */
  openAll(): void {
    for (const entry of readdirSync(this.dataDir, { withFileTypes: true })) {
      const m = entry.isDirectory() ? PARTITION_DIR.exec(entry.name) : null;
      if (!m) continue;
      this.getOrCreate(m[1]!, Number(m[2]));
    }
  }

  get(topic: string, partition: number): PartitionLog | undefined {
    return this.#logs.get(key(topic, partition))?.log;
  }

  /**
   * The partition's log, created if it has none. A new log is usable at once: its directory and
   * empty segment are made now, without a sync, and the two directory syncs a new log needs run in
   * the thread pool (its flushes do them first if they have not happened yet), so a broker creating
   * hundreds of partitions (a CreateTopics, a broker learning of new topics) does not block its
   * event loop for seconds on the disk.
   */
  getOrCreate(topic: string, partition: number): PartitionLog {
    const existing = this.get(topic, partition);
    if (existing) return existing;
    const log = new PartitionLog(join(this.dataDir, partitionDirName(topic, partition)), this.#options.configFor(topic), { deferDirectorySync: true });
    this.#logs.set(key(topic, partition), { topic, partition, log });
    log.syncNewDirectories().catch((err: unknown) => {
      // Deleted meanwhile (its directory is gone): nothing to make durable. Otherwise the next flush syncs it.
      if (!log.closed) this.#options.onEvent?.({ kind: 'error', topic, partition, detail: err });
    });
    return log;
  }

  exists(topic: string, partition: number): boolean {
    return this.#logs.has(key(topic, partition)) || existsSync(join(this.dataDir, partitionDirName(topic, partition)));
  }

  /** Deletes a partition's log and its directory. */
  delete(topic: string, partition: number): void {
    const entry = this.#logs.get(key(topic, partition));
    this.#logs.delete(key(topic, partition));
    entry?.log.delete();
  }

  /** Re-reads a topic's settings into its open logs (after AlterConfigs). */
  reconfigure(topic: string): void {
    const config = this.#options.configFor(topic);
    for (const e of this.#logs.values()) if (e.topic === topic) e.log.configure(config);
  }

  *entries(): Generator<{ topic: string; partition: number; log: PartitionLog }> {
    yield* this.#logs.values();
  }

  sizes(): PartitionSize[] {
    return [...this.#logs.values()].map((e) => ({ topic: e.topic, partition: e.partition, bytes: e.log.sizeBytes }));
  }

  get totalBytes(): number {
    let n = 0;
    for (const e of this.#logs.values()) n += e.log.sizeBytes;
    return n;
  }

  /**
   * One retention pass and one compaction pass over every log, by each topic's cleanup policy. The
   * two run side by side and in slices (WorkSlices): retention never waits behind a long compaction,
   * and neither holds the event loop for more than a slice. A pass asked for while the same kind of
   * pass runs starts after it.
   */
  async cleanup(now = Date.now()): Promise<{ segmentsDeleted: number; compacted: CompactionResult[] }> {
    const [segmentsDeleted, compacted] = await Promise.all([this.#retention.run(() => this.#retentionPass(now)), this.#compaction.run(() => this.#compactionPass(now))]);
    return { segmentsDeleted, compacted };
  }

  /** The logs a pass goes over: those open when it starts, less any deleted or closed meanwhile. */
  #snapshot(): { topic: string; partition: number; log: PartitionLog }[] {
    return [...this.#logs.values()];
  }

  #policies(topic: string): { config: TopicLogConfig; policies: string[] } {
    const config = this.#options.configFor(topic);
    return { config, policies: config.cleanupPolicy.split(',').map((p) => p.trim()) };
  }

  /** Retention of every log whose policy includes `delete`: one log per step (a few unlinks and a checkpoint). */
  async #retentionPass(now: number): Promise<number> {
    let segmentsDeleted = 0;
    for (const { topic, partition, log } of this.#snapshot()) {
      const paused = this.#slices.pause();
      if (paused) await paused;
      if (this.#closed) break;
      if (log.closed) continue;
      try {
        const { config, policies } = this.#policies(topic);
        if (!policies.includes('delete')) continue;
        const n = log.applyRetention(config.retentionMs, config.retentionBytes, now);
        if (n > 0) this.#options.onEvent?.({ kind: 'retention', topic, partition, detail: { segmentsDeleted: n } });
        segmentsDeleted += n;
      } catch (err) {
        this.#options.onEvent?.({ kind: 'error', topic, partition, detail: err });
      }
    }
    return segmentsDeleted;
  }

  /** Compaction of every log whose policy includes `compact`, one log after another, each in slices. */
  async #compactionPass(now: number): Promise<CompactionResult[]> {
    const compacted: CompactionResult[] = [];
    for (const { topic, partition, log } of this.#snapshot()) {
      if (this.#closed) break;
      if (log.closed) continue;
      try {
        const { config, policies } = this.#policies(topic);
        if (!policies.includes('compact')) continue;
        const { aborted, ...r } = await compactLogInSlices(log, { deleteRetentionMs: config.deleteRetentionMs, now }, this.#slices);
        if (r.segmentsRewritten > 0) this.#options.onEvent?.({ kind: 'compaction', topic, partition, detail: aborted ? { ...r, aborted } : r });
        compacted.push(r);
      } catch (err) {
        // A log deleted or closed under the pass fails its reads: nothing to report for it.
        if (!log.closed) this.#options.onEvent?.({ kind: 'error', topic, partition, detail: err });
      }
    }
    return compacted;
  }

  /** Starts the background timers (retention/compaction, flush.ms, recovery-point checkpoints). */
  start(): void {
    // A round finds a pass of its kind still running (a long compaction): it skips that pass, as a
    // fixed-delay scheduler would not have started it yet.
    const cleanup = setInterval(() => {
      const now = Date.now();
      if (!this.#retention.busy) void this.#retention.run(() => this.#retentionPass(now));
      if (!this.#compaction.busy) void this.#compaction.run(() => this.#compactionPass(now));
    }, timerDelay(this.#options.retentionCheckIntervalMs));
    // flush.ms is checked every second (the broker-wide log.flush.interval.ms timer may be finer).
    const flush = setInterval(() => {
      for (const { log } of this.#logs.values()) log.flushIfDue();
    }, 1000);
    const checkpoint = setInterval(() => {
      if (!this.#checkpoints.busy) void this.checkpointRecoveryPoints();
    }, timerDelay(this.#options.checkpointIntervalMs ?? 60_000));
    const timers = [cleanup, flush, checkpoint];
    const expiry = this.#options.producerIdExpiration;
    if (expiry) timers.push(setInterval(() => this.expireProducers(Date.now()), timerDelay(expiry.checkIntervalMs)));
    for (const t of timers) {
      t.unref();
      this.#timers.push(t);
    }
  }

  /**
   * Checkpoints every log's recovery point and high watermark (each skipped when unchanged), one log
   * per step in the retention and compaction passes' slices: a changed log costs two checkpoint
   * files, four fsyncs, on the event loop, and a loop over hundreds of partitions whose high
   * watermarks moved held it for seconds on a busy disk (bench/broker/cleanup-stall.ts).
   */
  checkpointRecoveryPoints(): Promise<void> {
    return this.#checkpoints.run(async () => {
      for (const { topic, partition, log } of this.#snapshot()) {
        const paused = this.#slices.pause();
        if (paused) await paused;
        if (this.#closed) return;
        if (log.closed) continue;
        try {
          log.checkpointRecoveryPoint();
        } catch (err) {
          if (!log.closed) this.#options.onEvent?.({ kind: 'error', topic, partition, detail: err });
        }
      }
    });
  }

  /** Forgets, in every partition, idempotent producers idle for producer.id.expiration.ms; how many went. */
  expireProducers(nowMs: number): number {
    const expiry = this.#options.producerIdExpiration;
    if (!expiry) return 0;
    let removed = 0;
    for (const { log } of this.#logs.values()) removed += log.expireProducers(nowMs, expiry.expirationMs);
    return removed;
  }

  /** Stops the timers and closes every log cleanly (clean-shutdown markers written). */
  close(): void {
    this.#closed = true; // a running pass stops at its next step (a compaction leaves no .cleaned file)
    for (const t of this.#timers) clearInterval(t);
    this.#timers.length = 0;
    for (const { log } of this.#logs.values()) log.close();
    this.#logs.clear();
  }
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
