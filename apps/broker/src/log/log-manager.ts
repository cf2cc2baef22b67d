import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compactLog, type CompactionResult } from './compaction.ts';
import { PartitionLog, type LogOptions } from './partition-log.ts';

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
  /** Logs createAsync made whose directory syncs are still running; `deleted` when deleted meanwhile. */
  readonly #creating = new Map<string, { log: PartitionLog; done: Promise<PartitionLog | undefined>; deleted: boolean }>();
  readonly #timers: NodeJS.Timeout[] = [];

  constructor(dataDir: string, options: LogManagerOptions) {
    this.dataDir = dataDir;
    this.#options = options;
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

  getOrCreate(topic: string, partition: number): PartitionLog {
    const existing = this.get(topic, partition);
    if (existing) return existing;
    const creating = this.#creating.get(key(topic, partition));
    if (creating && !creating.deleted) {
      // Wanted now: its syncs are done here instead, and createAsync finds it registered.
      creating.log.syncNewDirectoriesNow();
      this.#creating.delete(key(topic, partition));
      this.#logs.set(key(topic, partition), { topic, partition, log: creating.log });
      return creating.log;
    }
    const log = new PartitionLog(join(this.dataDir, partitionDirName(topic, partition)), this.#options.configFor(topic));
    this.#logs.set(key(topic, partition), { topic, partition, log });
    return log;
  }

  /**
   * Creates a partition's log without blocking the event loop on the disk: the directory and empty
   * segment are made at once (no sync), the two directory syncs a new log needs run in the thread
   * pool, and only then is the log registered (get() finds it), so nothing is appended to a log
   * whose directory entries are not durable. Resolves with the log, or undefined when the partition
   * was deleted meanwhile (its directory is removed). An existing log is returned as it is.
   */
  createAsync(topic: string, partition: number): Promise<PartitionLog | undefined> {
    const existing = this.get(topic, partition);
    if (existing) return Promise.resolve(existing);
    const k = key(topic, partition);
    const pending = this.#creating.get(k);
    if (pending && !pending.deleted) return pending.done;
    const log = new PartitionLog(join(this.dataDir, partitionDirName(topic, partition)), this.#options.configFor(topic), { deferDirectorySync: true });
    const entry: { log: PartitionLog; deleted: boolean; done: Promise<PartitionLog | undefined> } = {
      log,
      deleted: false,
      done: log.syncNewDirectories().then(
        () => {
          if (entry.deleted) return undefined;
          if (this.#creating.get(k) !== entry) return this.get(topic, partition); // getOrCreate took it meanwhile
          this.#creating.delete(k);
          this.#logs.set(k, { topic, partition, log });
          return log;
        },
        (err: unknown) => {
          if (this.#creating.get(k) === entry) this.#creating.delete(k);
          if (entry.deleted) return undefined; // its directory went with it
          log.close();
          throw err;
        },
      ),
    };
    this.#creating.set(k, entry);
    return entry.done;
  }

  /** Whether createAsync is still making this partition's log. */
  creating(topic: string, partition: number): boolean {
    return this.#creating.has(key(topic, partition));
  }

  exists(topic: string, partition: number): boolean {
    return this.#logs.has(key(topic, partition)) || existsSync(join(this.dataDir, partitionDirName(topic, partition)));
  }

  /** Deletes a partition's log and its directory. */
  delete(topic: string, partition: number): void {
    const creating = this.#creating.get(key(topic, partition));
    if (creating && !creating.deleted) {
      creating.deleted = true;
      this.#creating.delete(key(topic, partition));
      creating.log.delete();
    }
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

  /** One retention and compaction pass over every log, by each topic's cleanup policy. */
  cleanup(now = Date.now()): { segmentsDeleted: number; compacted: CompactionResult[] } {
    let segmentsDeleted = 0;
    const compacted: CompactionResult[] = [];
    for (const { topic, partition, log } of this.#logs.values()) {
      const config = this.#options.configFor(topic);
      const policies = config.cleanupPolicy.split(',').map((p) => p.trim());
      try {
        if (policies.includes('delete')) {
          const n = log.applyRetention(config.retentionMs, config.retentionBytes, now);
          if (n > 0) this.#options.onEvent?.({ kind: 'retention', topic, partition, detail: { segmentsDeleted: n } });
          segmentsDeleted += n;
        }
        if (policies.includes('compact')) {
          const r = compactLog(log, { deleteRetentionMs: config.deleteRetentionMs, now });
          if (r.segmentsRewritten > 0) this.#options.onEvent?.({ kind: 'compaction', topic, partition, detail: r });
          compacted.push(r);
        }
      } catch (err) {
        this.#options.onEvent?.({ kind: 'error', topic, partition, detail: err });
      }
    }
    return { segmentsDeleted, compacted };
  }

  /** Starts the background timers (retention/compaction, flush.ms, recovery-point checkpoints). */
  start(): void {
    const cleanup = setInterval(() => this.cleanup(), this.#options.retentionCheckIntervalMs);
    // flush.ms is checked every second (the broker-wide log.flush.interval.ms timer may be finer).
    const flush = setInterval(() => {
      for (const { log } of this.#logs.values()) log.flushIfDue();
    }, 1000);
    const checkpoint = setInterval(() => {
      for (const { log } of this.#logs.values()) log.checkpointRecoveryPoint();
    }, this.#options.checkpointIntervalMs ?? 60_000);
    const timers = [cleanup, flush, checkpoint];
    const expiry = this.#options.producerIdExpiration;
    if (expiry) timers.push(setInterval(() => this.expireProducers(Date.now()), expiry.checkIntervalMs));
    for (const t of timers) {
      t.unref();
      this.#timers.push(t);
    }
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
    for (const t of this.#timers) clearInterval(t);
    this.#timers.length = 0;
    for (const { log } of this.#logs.values()) log.close();
    this.#logs.clear();
    for (const c of this.#creating.values()) {
      if (!c.deleted) c.log.close();
      c.deleted = true;
    }
    this.#creating.clear();
  }
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
