import { fdatasync } from 'node:fs';
import { GroupCommit } from './group-commit.ts';
import type { LogSegment } from './segment.ts';

/** The topic settings that decide when appended records must reach the disk. */
export interface FlushPolicy {
  /** `flush.messages`: fdatasync once this many records are unflushed (1 = before every acknowledgement). */
  flushIntervalMessages: number;
  /** `flush.ms`: the longest records stay unflushed (applied by `flushIfDue`). */
  flushIntervalMs?: number;
  /** Appends that reach the interval get a promise of a shared fdatasync instead of a synchronous one. */
  groupCommit?: boolean;
}

/** The directory entries of a new log, made durable in the background; a flush syncs them first if they are still pending. */
export interface NewDirectories {
  pending(): boolean;
  sync(): void;
  syncAsync(): Promise<void>;
}

/**
 * A partition log's durability: which segments hold unsynced writes, when they are synced
 * (`flush.messages`, `flush.ms`, group commit) and the recovery point — every offset below it is on
 * disk. The log tells it what it wrote; it never reads or writes records itself.
 */
export class LogDurability {
  readonly #policy: () => FlushPolicy;
  /** The log end offset: what a flush that starts now makes durable. */
  readonly #logEnd: () => number;
  readonly #dirty = new Set<LogSegment>();
  /** Segments an asynchronous (group-commit) fdatasync is working on. */
  readonly #syncing = new Set<LogSegment>();
  readonly #commit: GroupCommit;
  #recoveryPoint = 0;
  #unflushedRecords = 0;
  #firstUnflushedAt = 0;

  /** A new log's directory entries, when not yet durable: synced before any flush counts (partition-log.ts). */
  readonly #directories: NewDirectories | undefined;

  constructor(policy: () => FlushPolicy, logEnd: () => number, directories?: NewDirectories) {
    this.#policy = policy;
    this.#logEnd = logEnd;
    this.#directories = directories;
    this.#commit = new GroupCommit(() => this.#flushAsync());
  }

  get recoveryPoint(): number {
    return this.#recoveryPoint;
  }
  /** Set by opening (what recovery kept is synced) and by truncation. */
  set recoveryPoint(offset: number) {
    this.#recoveryPoint = offset;
  }

  /** `records` were written to `segment`: a promise to wait on when the flush interval is reached (group commit), else null. */
  written(segment: LogSegment, records: number): Promise<void> | null {
    this.#dirty.add(segment);
    if (this.#unflushedRecords === 0) this.#firstUnflushedAt = Date.now();
    this.#unflushedRecords += records;
    const policy = this.#policy();
    if (this.#unflushedRecords < policy.flushIntervalMessages) return null;
    if (policy.groupCommit) return this.#commit.request();
    this.flush();
    return null;
  }

  /** The segment must be synced by the next flush even without new writes (closing). */
  markDirty(segment: LogSegment): void {
    this.#dirty.add(segment);
  }

  /** The segment is gone (deleted or truncated away): nothing of it to sync. */
  forget(segment: LogSegment): void {
    this.#dirty.delete(segment);
  }

  /** fdatasync of every segment written since the last flush; advances the recovery point. */
  flush(): void {
    if (this.#dirty.size === 0) return;
    if (this.#directories?.pending()) this.#directories.sync();
    const target = this.#logEnd();
    // Segments a group commit is still syncing are synced here too: the recovery point below
    // must not get ahead of what is on disk.
    for (const s of this.#syncing) if (!s.closed) this.#dirty.add(s);
    for (const s of this.#dirty) s.flush();
    this.#dirty.clear();
    this.#unflushedRecords = 0;
    this.#recoveryPoint = Math.max(this.#recoveryPoint, target);
  }

  /** Group-committed flush: resolves once everything appended before the call is on disk. */
  flushDurable(): Promise<void> {
    return this.#dirty.size === 0 ? Promise.resolve() : this.#commit.request();
  }

  /** Applies `flush.ms`: flushes when the oldest unflushed record is older than it. */
  flushIfDue(now = Date.now()): void {
    const ms = this.#policy().flushIntervalMs ?? -1;
    if (ms >= 0 && this.#unflushedRecords > 0 && now - this.#firstUnflushedAt >= ms) this.flush();
  }

  async #flushAsync(): Promise<void> {
    if (this.#directories?.pending()) await this.#directories.syncAsync();
    const target = this.#logEnd();
    const segments = [...this.#dirty];
    this.#dirty.clear();
    this.#unflushedRecords = 0;
    for (const s of segments) this.#syncing.add(s);
    try {
      await Promise.all(
        segments.map(
          (s) =>
            new Promise<void>((resolve, reject) =>
              fdatasync(s.fd, (err) => {
                // EBADF: the segment was closed meanwhile — by close() or a roll, which flush it
                // synchronously first, or by deletion, after which its data is gone by intent.
                if (err && err.code !== 'EBADF') reject(err);
                else resolve();
              }),
            ),
        ),
      );
    } catch (err) {
      // Not durable: the waiting appends fail, and the next flush tries these segments again.
      for (const s of segments) this.#dirty.add(s);
      throw err;
    } finally {
      for (const s of segments) this.#syncing.delete(s);
    }
    this.#recoveryPoint = Math.max(this.#recoveryPoint, target);
  }
}
