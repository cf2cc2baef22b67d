import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { assignBatchOffsets, BatchHeader, decodeRecordBatch, ErrorCode, setLogAppendTime, validateProducedBlob, type BatchSpan } from '@tributary/protocol';
import { syncDirectory, syncDirectoryAsync, writeCheckpoint, writeFileAtomic } from './checkpoint-file.ts';
import { LogError } from './errors.ts';
import { LeaderEpochCache } from './leader-epoch-cache.ts';
import { LogDurability } from './log-durability.ts';
import {
  CLEAN_SHUTDOWN,
  HIGH_WATERMARK_CHECKPOINT,
  loadLog,
  LOG_START_CHECKPOINT,
  PRODUCER_SNAPSHOT,
  rebuildProducerTables,
  RECOVERY_POINT_CHECKPOINT,
  trackBatch,
  TRANSACTION_SNAPSHOT,
  type ProducerTables,
  type RecoveryReport,
  type TrackedBatch,
} from './log-loader.ts';
import { lastSequence, type ActiveProducer, type SequenceCheck } from './producer-state.ts';
import { LogSegment, type AppendedBatch } from './segment.ts';
import type { ScannedBatch } from './batch-scanner.ts';
import { controlOf, encodeControlBatch } from './control-batch.ts';
import type { ReadBufferPool } from './read-buffers.ts';
import type { AbortedTransaction } from './transaction-index.ts';

export interface LogOptions {
  /** `segment.bytes`: roll when the active segment would grow past this. */
  segmentBytes: number;
  /** `segment.ms`: roll when the active segment is older than this. */
  segmentMs: number;
  /** `flush.messages`: fdatasync once this many records are unflushed (1 = before every acknowledgement). */
  flushIntervalMessages: number;
  /** `flush.ms`: the longest records stay unflushed; applied by `flushIfDue()` (the manager's timer). */
  flushIntervalMs?: number;
  /** `index.interval.bytes` (Kafka's default 4096). */
  indexIntervalBytes?: number;
  /** `segment.index.bytes` (Kafka's default 10 MiB). */
  maxIndexBytes?: number;
  /** `message.timestamp.type`. */
  timestampType?: 'CreateTime' | 'LogAppendTime';
  /** `max.message.bytes`: largest batch `appendRecords` accepts. */
  maxMessageBytes?: number;
  /**
   * When true, appends that reach the flush interval return `durable`, a promise settled by a shared
   * (group-committed) fdatasync, and the caller acknowledges when it resolves. When false the
   * fdatasync runs synchronously inside `append`.
   */
  groupCommit?: boolean;
}

export interface AppendResult {
  baseOffset: bigint;
  /** One past the last offset appended. */
  nextOffset: number;
  /** The time stamped on the batches for LogAppendTime topics, else -1. */
  logAppendTime: bigint;
  logStartOffset: bigint;
  /** Settles when the appended records are on disk; null when nothing is pending (or sync mode). */
  durable: Promise<void> | null;
}

/** A ListOffsets answer from the log: a record's offset, its timestamp and its batch's leader epoch. */
export interface TimestampAndOffset {
  offset: number;
  timestamp: number;
  leaderEpoch: number;
}

export interface ReadOptions {
  /** Never return batches at or beyond this offset (the high watermark). */
  maxOffset?: number;
  /**
   * True (the default): the first batch is returned whole even when larger than `maxBytes`, so a
   * consumer always progresses. False: `maxBytes` is a hard limit (Kafka's `minOneMessage` off: a
   * fetch's partitions after the first non-empty one, KIP-74).
   */
  minOneBatch?: boolean;
  /** Read into buffers lent by this pool (fetches whose answers give them back once written: read-buffers.ts). */
  buffers?: ReadBufferPool;
}

/** A byte range of a segment file holding whole batches, for zero-copy style sending. */
export interface FileRange {
  path: string;
  fd: number;
  position: number;
  length: number;
}

export interface RangeRead {
  ranges: FileRange[];
  bytes: number;
}

/** The storage interface the broker uses; a different implementation could replace this one. */
export interface PartitionStorage {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly sizeBytes: number;
  appendRecords(blob: Buffer, leaderEpoch: number): AppendResult;
  appendAsFollower(blob: Buffer): AppendResult;
  read(fetchOffset: number, maxBytes: number, options?: ReadOptions): Buffer;
  readRanges(fetchOffset: number, maxBytes: number, options?: ReadOptions): RangeRead;
  offsetForTimestamp(timestamp: number): TimestampAndOffset | null;
  offsetForMaxTimestamp(): TimestampAndOffset | null;
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number };
  truncateTo(offset: number): void;
  deleteRecordsBefore(offset: number): number;
  flush(): void;
  close(): void;
}

/** Relative offsets are int32 in the index files. */
const MAX_SEGMENT_OFFSETS = 2 ** 31 - 1;

/**
 * A partition's log: a directory of segments. See README.md for the files and the durability
 * contract. Offsets are JavaScript numbers (exact to 2^53).
 */
export class PartitionLog implements PartitionStorage {
  readonly dir: string;
  #options: LogOptions;
  #segments: LogSegment[] = [];
  #logStartOffset = 0;
  #nextOffset = 0;
  #highWatermark = 0;
  /** Unsynced segments, flushes and the recovery point (everything below it has been fdatasynced). */
  readonly #durability: LogDurability;
  /** Idempotent producers, and running and aborted transactions: the last stable offset and Fetch's aborted list. */
  #tables: ProducerTables;
  readonly #epochs: LeaderEpochCache;
  #closed = false;
  #truncations = 0;
  #checkpointed = { recoveryPoint: -1, highWatermark: -1 };
  readonly recovery: RecoveryReport;

  /**
   * A fresh log opened with `deferDirectorySync` whose new directory entries are not durable yet:
   * `syncNewDirectories()` makes them so in the thread pool, and every flush does it first if it has
   * not happened yet, so nothing counts as on disk (recovery point, acks with flush.messages=1)
   * before the partition's directory does.
   */
  #directoriesUnsynced = false;

  /**
   * `deferDirectorySync`: a fresh partition's two directory syncs (its files, and it in the data
   * directory) are left to `syncNewDirectories()`, run off the event loop (LogManager starts it):
   * a broker creating hundreds of partitions at once otherwise blocked for seconds on a busy disk.
   */
  constructor(dir: string, options: LogOptions, { deferDirectorySync = false }: { deferDirectorySync?: boolean } = {}) {
    this.dir = dir;
    this.#directoriesUnsynced = deferDirectorySync;
    this.#options = options;
    mkdirSync(dir, { recursive: true });
    this.#epochs = new LeaderEpochCache(dir);
    this.#durability = new LogDurability(
      () => this.#options,
      () => this.#nextOffset,
      { pending: () => this.#directoriesUnsynced, sync: () => this.syncNewDirectoriesNow(), syncAsync: () => this.syncNewDirectories() },
    );
    const loaded = loadLog(dir, this.#segmentConfig);
    this.#segments = loaded.segments;
    this.#tables = loaded.tables;
    this.recovery = loaded.report;
    this.#open(loaded.logStartOffset, loaded.highWatermark, loaded.fresh);
  }

  get options(): Readonly<LogOptions> {
    return this.#options;
  }
  /** Applies changed topic configs (roll, flush, timestamp type) to later appends. */
  configure(options: Partial<LogOptions>): void {
    this.#options = { ...this.#options, ...options };
  }
  get logStartOffset(): number {
    return this.#logStartOffset;
  }
  /** The next offset to be assigned (log end offset). */
  get logEndOffset(): number {
    return this.#nextOffset;
  }
  /**
   * Replication: the offset every in-sync replica holds, set by the partition leader (or, on a
   * follower, from the leader's fetch responses); reads for consumers pass it as `maxOffset`.
   * Checkpointed with the recovery point; never above the log end or below the log start.
   */
  get highWatermark(): number {
    return this.#highWatermark;
  }
  updateHighWatermark(offset: number): number {
    this.#highWatermark = Math.min(Math.max(offset, this.#logStartOffset), this.#nextOffset);
    return this.#highWatermark;
  }
  get recoveryPoint(): number {
    return this.#durability.recoveryPoint;
  }
  get sizeBytes(): number {
    let n = 0;
    for (const s of this.#segments) n += s.size;
    return n;
  }
  get segments(): readonly LogSegment[] {
    return this.#segments;
  }
  /** How many truncations (truncateTo, truncateFullyAndStartAt) the log has had: a compaction pass
   *  running in slices stops when it changes, since what it read may no longer be in the log. */
  get truncations(): number {
    return this.#truncations;
  }
  get leaderEpochs(): LeaderEpochCache {
    return this.#epochs;
  }
  get #active(): LogSegment {
    return this.#segments.at(-1)!;
  }
  get #segmentConfig() {
    return { indexIntervalBytes: this.#options.indexIntervalBytes ?? 4096, maxIndexBytes: this.#options.maxIndexBytes ?? 10 * 1024 * 1024 };
  }

  // ---------------------------------------------------------------- open and recovery

  /**
   * The deferred syncs of a fresh log (`deferDirectorySync`): the partition's files and the partition
   * in the data directory, in the libuv thread pool. A log opened otherwise has nothing to do here.
   */
  async syncNewDirectories(): Promise<void> {
    if (!this.#directoriesUnsynced) return;
    await syncDirectoryAsync(this.dir);
    await syncDirectoryAsync(dirname(this.dir));
    this.#directoriesUnsynced = false;
  }

  /** The same, synchronously (a flush that comes first). */
  syncNewDirectoriesNow(): void {
    if (!this.#directoriesUnsynced) return;
    syncDirectory(this.dir);
    syncDirectory(dirname(this.dir));
    this.#directoriesUnsynced = false;
  }

  /** Applies what loading found, then makes it durable so that the next recovery can start from here. */
  #open(logStartOffset: number, highWatermark: number, fresh: boolean): void {
    this.#nextOffset = this.#active.nextOffset;
    this.#logStartOffset = logStartOffset;
    this.#epochs.truncateFromEnd(this.#nextOffset);
    this.updateHighWatermark(highWatermark);
    if (fresh) {
      // A new empty partition: its checkpoints would say recovery point 0 and high watermark 0,
      // which is what their absence means, and its empty segment has no data to sync. Writing them
      // cost 5 syncs per partition (two files, their directory twice, the segment), so a
      // CreateTopics of 200 partitions on a busy disk took over 10 s (librdkafka 0081's timeout).
      // Only the new directory entries are made durable: the partition's files, and the partition
      // in the data directory (as Kafka flushes the parent directory of a new log).
      this.#durability.recoveryPoint = 0;
      this.#checkpointed = { recoveryPoint: 0, highWatermark: 0 };
      if (this.#directoriesUnsynced) return;
      syncDirectory(this.dir);
      syncDirectory(dirname(this.dir));
      return;
    }
    this.#directoriesUnsynced = false; // an existing log: its directory entries are durable
    if (this.#holdsNothingDurable(highWatermark)) {
      // An existing log that holds nothing and whose checkpoints say so (or are absent): most of the
      // 50 `__consumer_offsets` partitions. There is nothing to flush or checkpoint, and close()
      // writes nothing for it either, so each of them no longer costs ~6 syncs per start and stop
      // (50 of them made a broker's restart 1.1 s instead of 0.3 s and its stop 0.5 s instead of 0.06).
      this.#durability.recoveryPoint = 0;
      this.#checkpointed = { recoveryPoint: 0, highWatermark: 0 };
      return;
    }
    this.#active.flush();
    this.#durability.recoveryPoint = this.#nextOffset;
    this.checkpointRecoveryPoint();
    // From now on a crash must be detected: the clean marker goes before anything is appended.
    if (this.recovery.clean) {
      rmSync(join(this.dir, CLEAN_SHUTDOWN), { force: true });
      syncDirectory(this.dir);
    }
  }

  /**
   * True when the loaded log has no records, its recovery checkpoint says 0 or is absent, its
   * high-watermark checkpoint says 0 or is absent, and no clean-shutdown marker is left to remove.
   * A checkpoint above an empty log (a log truncated after it was written) must be rewritten before
   * anything is appended, or a crash would trust unflushed records below it.
   */
  #holdsNothingDurable(checkpointedHighWatermark: number): boolean {
    return this.#nextOffset === 0 && !this.recovery.clean && this.recovery.recoveryPoint === 0 && checkpointedHighWatermark === 0;
  }

  /** Forgets idempotent producers idle for `expirationMs` (producer.id.expiration.ms); how many went. */
  expireProducers(nowMs: number, expirationMs: number): number {
    // A producer with a running transaction stays, however old its last batch (Kafka's ProducerStateManager too).
    const ongoing = this.#tables.txns.ongoing();
    return this.#tables.producers.removeExpired(nowMs, expirationMs, (id) => ongoing.has(id));
  }

  /**
   * The last stable offset: the first offset of the oldest running transaction, or the high
   * watermark. read_committed consumers read up to it (Kafka's UnifiedLog.lastStableOffset).
   */
  get lastStableOffset(): number {
    return this.#tables.txns.lastStableOffset(this.#highWatermark);
  }

  /** Aborted transactions overlapping [fetchOffset, upperBound), for a read_committed Fetch. */
  abortedTransactions(fetchOffset: number, upperBound: number): AbortedTransaction[] {
    return this.#tables.txns.abortedTransactions(fetchOffset, upperBound);
  }

  /**
   * The producers this partition keeps state for, with the first offset of each one's running
   * transaction (-1 when none): DescribeProducers (Kafka's UnifiedLog.activeProducers).
   */
  activeProducers(): (ActiveProducer & { currentTxnStartOffset: number })[] {
    const ongoing = this.#tables.txns.ongoing();
    return this.#tables.producers.active().map((p) => ({ ...p, currentTxnStartOffset: ongoing.get(p.producerId) ?? -1 }));
  }

  /** Producers with a running transaction here, and its first offset. */
  ongoingTransactions(): ReadonlyMap<bigint, number> {
    return this.#tables.txns.ongoing();
  }

  /**
   * Whether the producer has a running transaction here at `producerEpoch`. With transaction
   * version 2 every transaction has its own epoch: a batch of a newer epoch belongs to a later
   * transaction, even while the marker of the earlier one is still on its way.
   */
  hasOngoingTransaction(producerId: bigint, producerEpoch: number): boolean {
    return this.#tables.txns.ongoing().has(producerId) && this.#tables.producers.epochOf(producerId) === producerEpoch;
  }

  /**
   * Whether a marker for the producer from a coordinator at `coordinatorEpoch` must be refused
   * (TRANSACTION_COORDINATOR_FENCED): the producer's last marker here came from a newer coordinator.
   * The epoch it compares with survives restarts: kept in the producer snapshot, and read back from
   * the control batches when the log is scanned.
   */
  fencesMarkerCoordinator(producerId: bigint, coordinatorEpoch: number): boolean {
    return this.#tables.producers.fencesCoordinator(producerId, coordinatorEpoch);
  }

  /**
   * Whether a marker for the producer at `producerEpoch` must be refused (INVALID_PRODUCER_EPOCH):
   * the producer's epoch here is newer, so the marker ends a transaction of a fenced producer
   * that is no longer running here (Kafka's ProducerAppendInfo.checkProducerEpoch, which it applies
   * to control batches as to data batches).
   */
  fencesMarkerProducerEpoch(producerId: bigint, producerEpoch: number): boolean {
    const current = this.#tables.producers.epochOf(producerId);
    return current !== undefined && producerEpoch < current;
  }

  /**
   * Writes a transaction marker (COMMIT or ABORT control batch) for the producer, as the partition
   * leader does on the coordinator's WriteTxnMarkers: it ends the producer's running transaction
   * here (the last stable offset moves on; an abort becomes an aborted range).
   */
  appendMarker(m: { producerId: bigint; producerEpoch: number; commit: boolean; coordinatorEpoch: number }, leaderEpoch: number): AppendResult {
    const blob = encodeControlBatch({ ...m, timestamp: Date.now() });
    const checked = validateProducedBlob(blob, Number.MAX_SAFE_INTEGER);
    if (!checked.ok) throw new LogError(checked.problem.code, checked.problem.detail);
    return this.append(blob, checked.batches, leaderEpoch);
  }

  /** Producer state and transaction index learn of one batch, in log order. */
  #track(b: TrackedBatch): void {
    trackBatch(this.#tables, b);
  }

  /** Persists the recovery point (everything below it is on disk) and the high watermark. */
  checkpointRecoveryPoint(): void {
    // Skipped when nothing moved: the manager calls this for every partition on a timer.
    const recoveryPoint = this.#durability.recoveryPoint;
    if (this.#checkpointed.recoveryPoint !== recoveryPoint) writeCheckpoint(join(this.dir, RECOVERY_POINT_CHECKPOINT), [[recoveryPoint]]);
    if (this.#checkpointed.highWatermark !== this.#highWatermark) writeCheckpoint(join(this.dir, HIGH_WATERMARK_CHECKPOINT), [[this.#highWatermark]]);
    this.#checkpointed = { recoveryPoint, highWatermark: this.#highWatermark };
  }

  // ---------------------------------------------------------------- append

  /**
   * Idempotence check of the batches of one produce blob, before anything is written: all append,
   * or the blob is a retry of batches already written, or it is refused whole.
   */
  checkSequences(spans: BatchSpan[]): SequenceCheck {
    let duplicate: Extract<SequenceCheck, { kind: 'duplicate' }> | null = null;
    for (const span of spans) {
      const h = span.header;
      const result = this.#tables.producers.check(h.producerId, h.producerEpoch, h.baseSequence, lastSequence(h.baseSequence, h.lastOffsetDelta));
      if (result.kind === 'error') return result;
      if (result.kind === 'duplicate') duplicate ??= result;
      else if (duplicate !== null) return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: 'a retried batch is followed by a new one in the same request' };
    }
    return duplicate ?? { kind: 'append' };
  }

  /**
   * Validates a produced blob (whole v2 batches, sizes, CRC32C) and appends it; throws a LogError
   * (nothing written) when any batch is invalid.
   */
  appendRecords(blob: Buffer, leaderEpoch: number): AppendResult {
    const checked = validateProducedBlob(blob, this.#options.maxMessageBytes ?? Number.MAX_SAFE_INTEGER);
    if (!checked.ok) throw new LogError(checked.problem.code, checked.problem.detail);
    return this.append(blob, checked.batches, leaderEpoch);
  }

  /**
   * Appends batches already validated (`spans` of `blob` from validateProducedBlob), assigning
   * offsets and the leader epoch in place: `blob` must belong to the caller and is modified.
   */
  append(blob: Buffer, spans: BatchSpan[], leaderEpoch: number): AppendResult {
    this.#assertOpen();
    if (spans.length === 0) throw new LogError('CORRUPT_MESSAGE', 'no batches to append');
    const first = spans[0]!.position;
    const last = spans.at(-1)!;
    const bytes = blob.subarray(first, last.position + last.size);
    const base = this.#nextOffset;
    const appendTime = this.#options.timestampType === 'LogAppendTime' ? Date.now() : -1;
    let next = base;
    const batches: AppendedBatch[] = [];
    const sizes: number[] = [];
    let records = 0;
    for (const span of spans) {
      const batch = blob.subarray(span.position, span.position + span.size);
      assignBatchOffsets(batch, BigInt(next), leaderEpoch);
      if (appendTime >= 0) setLogAppendTime(batch, BigInt(appendTime));
      const h = span.header;
      batches.push({ relativePosition: span.position - first, baseOffset: next, lastOffset: next + h.lastOffsetDelta, maxTimestamp: appendTime >= 0 ? appendTime : Number(h.maxTimestamp) });
      sizes.push(span.size);
      this.#track({ ...h, baseOffset: next, maxTimestamp: appendTime >= 0 ? appendTime : Number(h.maxTimestamp), ...controlOf(batch) });
      next += h.lastOffsetDelta + 1;
      records += h.recordsCount;
    }
    if (leaderEpoch >= 0) this.#epochs.assign(leaderEpoch, base);
    this.#write(bytes, batches, sizes, next);
    return { baseOffset: BigInt(base), nextOffset: next, logAppendTime: BigInt(appendTime), logStartOffset: BigInt(this.#logStartOffset), durable: this.#durability.written(this.#active, records) };
  }

  /**
   * Replication: appends batches fetched from the leader with the leader's offsets and epochs. The
   * first batch must start at this log's end offset and offsets must only grow.
   */
  appendAsFollower(blob: Buffer): AppendResult {
    this.#assertOpen();
    const checked = validateProducedBlob(blob, Number.MAX_SAFE_INTEGER);
    if (!checked.ok) throw new LogError(checked.problem.code, checked.problem.detail);
    let next = this.#nextOffset;
    const batches: AppendedBatch[] = [];
    const sizes: number[] = [];
    let records = 0;
    for (const span of checked.batches) {
      const h = span.header;
      const baseOffset = Number(h.baseOffset);
      if (baseOffset < next) throw new LogError('INVALID_RECORD', `replicated batch at offset ${baseOffset} is below the log end ${next}`);
      if (batches.length === 0 && baseOffset !== next) throw new LogError('INVALID_RECORD', `replicated data starts at ${baseOffset}, the log ends at ${next}`);
      batches.push({ relativePosition: span.position, baseOffset, lastOffset: baseOffset + h.lastOffsetDelta, maxTimestamp: Number(h.maxTimestamp) });
      sizes.push(span.size);
      this.#track({ ...h, baseOffset, maxTimestamp: Number(h.maxTimestamp), ...controlOf(blob.subarray(span.position, span.position + span.size)) });
      this.#epochs.assign(h.partitionLeaderEpoch, baseOffset);
      next = baseOffset + h.lastOffsetDelta + 1;
      records += h.recordsCount;
    }
    const base = this.#nextOffset;
    this.#write(blob, batches, sizes, next);
    return { baseOffset: BigInt(base), nextOffset: next, logAppendTime: -1n, logStartOffset: BigInt(this.#logStartOffset), durable: this.#durability.written(this.#active, records) };
  }

  #write(bytes: Buffer, batches: AppendedBatch[], sizes: number[], next: number): void {
    this.#maybeRoll(bytes.length, next);
    const segment = this.#active;
    segment.append(bytes, batches, sizes);
    this.#nextOffset = next;
  }

  #maybeRoll(incomingBytes: number, nextAfter: number): void {
    const seg = this.#active;
    if (seg.size === 0) return;
    const full = seg.size + incomingBytes > this.#options.segmentBytes;
    const old = Date.now() - seg.createdAt >= this.#options.segmentMs;
    const offsetsFull = nextAfter - seg.baseOffset > MAX_SEGMENT_OFFSETS;
    if (!full && !old && !seg.indexFull && !offsetsFull) return;
    this.roll();
  }

  /** Starts a new active segment at the log end offset (the old one is flushed first). */
  roll(): void {
    this.#assertOpen();
    if (this.#active.size === 0) return;
    this.flush();
    this.#active.persistIndexes();
    this.checkpointRecoveryPoint();
    this.#segments.push(LogSegment.create(this.dir, this.#nextOffset, this.#segmentConfig));
  }

  // ---------------------------------------------------------------- flush

  /** fdatasync of every segment written since the last flush; advances the recovery point. */
  flush(): void {
    this.#durability.flush();
  }

  /** Group-committed flush: resolves once everything appended before the call is on disk. */
  flushDurable(): Promise<void> {
    return this.#durability.flushDurable();
  }

  /** Applies `flush.ms`: flushes when the oldest unflushed record is older than it. */
  flushIfDue(now = Date.now()): void {
    this.#durability.flushIfDue(now);
  }

  // ---------------------------------------------------------------- read

  /**
   * Whole batches from the one holding `fetchOffset`, up to `maxBytes` — the first batch whole even
   * if larger, as Kafka does so that a consumer always progresses — and no batch that reaches
   * `maxOffset` (the high watermark): like Kafka, a batch is served once it is wholly below it.
   * Ranges of the segment files; nothing is copied.
   */
  readRanges(fetchOffset: number, maxBytes: number, options: ReadOptions = {}): RangeRead {
    const limit = Math.min(options.maxOffset ?? this.#nextOffset, this.#nextOffset);
    const ranges: FileRange[] = [];
    let bytes = 0;
    if (fetchOffset >= limit) return { ranges, bytes };
    let si = this.#segmentIndexFor(Math.max(fetchOffset, this.#logStartOffset));
    let offset = fetchOffset;
    for (; si < this.#segments.length; si++) {
      const seg = this.#segments[si]!;
      const start = seg.findBatch(offset);
      if (!start) continue;
      let end = start.position;
      let stop = false;
      // Header walk from the start batch: how many whole batches fit.
      seg.scan(start.position, (b) => {
        if (b.lastOffset >= limit || (bytes + (end - start.position) + b.size > maxBytes && bytes + (end - start.position) > 0)) {
          stop = true;
          return false;
        }
        end = b.position + b.size;
        offset = b.lastOffset + 1;
        return true;
      });
      if (end > start.position) {
        ranges.push({ path: seg.logPath, fd: seg.fd, position: start.position, length: end - start.position });
        bytes += end - start.position;
      }
      if (stop || offset >= limit) break;
    }
    return { ranges, bytes };
  }

  /**
   * The same batches as `readRanges`, as one Buffer. Within a segment this is one pread of up to
   * `maxBytes` from the start batch, trimmed to whole batches in memory (a second pread only when
   * the first batch alone is larger).
   */
  read(fetchOffset: number, maxBytes: number, options: ReadOptions = {}): Buffer {
    const limit = Math.min(options.maxOffset ?? this.#nextOffset, this.#nextOffset);
    if (fetchOffset >= limit) return Buffer.alloc(0);
    const parts: Buffer[] = [];
    let total = 0;
    let offset = fetchOffset;
    for (let si = this.#segmentIndexFor(Math.max(fetchOffset, this.#logStartOffset)); si < this.#segments.length && offset < limit; si++) {
      const seg = this.#segments[si]!;
      const start = seg.findBatch(offset);
      if (!start) continue;
      const budget = maxBytes - total;
      if (budget < start.size && (total > 0 || options.minOneBatch === false)) break;
      const length = Math.min(Math.max(budget, start.size), seg.size - start.position);
      const chunk = seg.read(start.position, length, options.buffers?.take(length) ?? undefined);
      let end = 0;
      let full = false;
      while (end + BatchHeader.SIZE <= chunk.length) {
        const size = chunk.readInt32BE(end + BatchHeader.BATCH_LENGTH) + BatchHeader.LOG_OVERHEAD;
        const last = Number(chunk.readBigInt64BE(end + BatchHeader.BASE_OFFSET)) + chunk.readInt32BE(end + BatchHeader.LAST_OFFSET_DELTA);
        if (last >= limit || end + size > chunk.length) {
          full = last >= limit || end + size > budget;
          break;
        }
        end += size;
        offset = last + 1;
      }
      if (end > 0) {
        parts.push(chunk.subarray(0, end));
        total += end;
      }
      if (full || end < chunk.length) break;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
  }

  #segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.#segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.#segments[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * ListOffsets by timestamp, as Kafka's LogSegment.findOffsetByTimestamp: in the first segment
   * whose largest timestamp is ≥ `timestamp`, from the batch the time index points at, the first
   * record (in offset order, at or after the log start) whose own timestamp is ≥ `timestamp` —
   * records are decoded, compressed batches decompressed. `leaderEpoch` is that batch's (-1 if
   * none). Null when every record is older.
   */
  offsetForTimestamp(timestamp: number): TimestampAndOffset | null {
    const seg = this.#segments.find((s) => s.maxTimestamp >= timestamp && s.nextOffset > this.#logStartOffset);
    if (!seg) return null;
    const first = seg.findBatchByTimestamp(timestamp);
    if (!first) return null;
    let found: TimestampAndOffset | null = null;
    seg.scan(first.position, (b) => {
      if (b.maxTimestamp < timestamp || b.lastOffset < this.#logStartOffset) return true;
      found = this.#findRecord(seg, b, (ts, offset) => ts >= timestamp && offset >= this.#logStartOffset);
      return found === null;
    });
    return found;
  }

  /**
   * ListOffsets MAX_TIMESTAMP (KIP-734), as Kafka finds it: the first segment holding the log's
   * largest timestamp, in it the first batch whose max timestamp is that one, and in that batch
   * the first record carrying it (every record, under LogAppendTime). Null on an empty log.
   */
  offsetForMaxTimestamp(): TimestampAndOffset | null {
    let seg: LogSegment | null = null;
    for (const s of this.#segments) if (s.size > 0 && s.nextOffset > this.#logStartOffset && (seg === null || s.maxTimestamp > seg.maxTimestamp)) seg = s;
    if (!seg) return null;
    const max = seg.maxTimestamp;
    const batch = seg.findBatchByTimestamp(max);
    if (!batch) return null;
    return this.#findRecord(seg, batch, (ts) => ts === max);
  }

  /** Decodes one stored batch and returns its first record that `matches` (by effective timestamp). */
  #findRecord(seg: LogSegment, batch: ScannedBatch, matches: (timestamp: number, offset: number) => boolean): TimestampAndOffset | null {
    const decoded = decodeRecordBatch(seg.read(batch.position, batch.size), { verifyCrc: false });
    const logAppendTime = decoded.timestampType === 1;
    for (const r of decoded.records) {
      const offset = batch.baseOffset + r.offsetDelta;
      const ts = logAppendTime ? Number(decoded.maxTimestamp) : Number(decoded.baseTimestamp) + r.timestampDelta;
      if (matches(ts, offset)) return { offset, timestamp: ts, leaderEpoch: decoded.partitionLeaderEpoch >= 0 ? decoded.partitionLeaderEpoch : -1 };
    }
    return null;
  }

  /** OffsetForLeaderEpoch. */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } {
    return this.#epochs.endOffsetFor(epoch, this.#nextOffset);
  }

  // ---------------------------------------------------------------- truncation and deletion

  /**
   * Replication: removes everything at or after `offset` (a batch holding `offset` goes whole).
   * Leader epochs and producer state follow.
   */
  truncateTo(offset: number): void {
    this.#assertOpen();
    if (offset >= this.#nextOffset) return;
    this.#truncations++;
    this.flush();
    while (this.#segments.length > 1 && this.#active.baseOffset >= offset) {
      const seg = this.#segments.pop()!;
      this.#durability.forget(seg);
      seg.delete();
    }
    if (this.#active.baseOffset >= offset) {
      // Everything goes: start an empty log at `offset`.
      const old = this.#segments.pop()!;
      old.delete();
      this.#segments.push(LogSegment.create(this.dir, offset, this.#segmentConfig));
      this.#logStartOffset = offset;
      writeCheckpoint(join(this.dir, LOG_START_CHECKPOINT), [[offset]]);
    } else this.#active.truncateTo(offset);
    this.#active.flush();
    this.#nextOffset = this.#active.nextOffset;
    this.#durability.recoveryPoint = Math.min(this.#durability.recoveryPoint, this.#nextOffset);
    this.#highWatermark = Math.min(this.#highWatermark, this.#nextOffset);
    this.checkpointRecoveryPoint();
    this.#epochs.truncateFromEnd(this.#nextOffset);
    this.#rebuildProducerState();
  }

  /**
   * Replication: a follower whose whole log is below the leader's start (retention ran there)
   * drops everything and continues empty at `offset`.
   */
  truncateFullyAndStartAt(offset: number): void {
    this.#assertOpen();
    this.#truncations++;
    this.flush();
    for (const seg of this.#segments.splice(0)) {
      this.#durability.forget(seg);
      seg.delete();
    }
    this.#segments.push(LogSegment.create(this.dir, offset, this.#segmentConfig));
    this.#logStartOffset = offset;
    writeCheckpoint(join(this.dir, LOG_START_CHECKPOINT), [[offset]]);
    this.#nextOffset = offset;
    this.#durability.recoveryPoint = offset;
    this.#highWatermark = offset;
    this.checkpointRecoveryPoint();
    this.#epochs.truncateFromEnd(0);
    this.#rebuildProducerState();
  }

  /** Producer state and transaction index from every batch header of the log (after a truncation). */
  #rebuildProducerState(): void {
    this.#tables = rebuildProducerTables(this.#segments, this.#logStartOffset);
  }

  /**
   * DeleteRecords: moves the log start offset forward (checkpointed so that a restart does not serve
   * deleted records). Whole segments below it are removed; a batch straddling it stays on disk but
   * is not served below the new start.
   */
  deleteRecordsBefore(offset: number): number {
    this.#assertOpen();
    const target = Math.min(Math.max(offset, this.#logStartOffset), this.#nextOffset);
    if (target === this.#logStartOffset) return target;
    this.#logStartOffset = target;
    writeCheckpoint(join(this.dir, LOG_START_CHECKPOINT), [[target]]);
    while (this.#segments.length > 1 && this.#segments[1]!.baseOffset <= target) this.#deleteOldest();
    this.#epochs.truncateFromStart(target);
    this.#tables.txns.dropBefore(target);
    return target;
  }

  #deleteOldest(): void {
    const oldest = this.#segments.shift()!;
    this.#durability.forget(oldest);
    oldest.delete();
  }

  /**
   * Retention: deletes whole segments, oldest first, whose newest record is older than
   * `retentionMs`, or while the log is larger than `retentionBytes`; -1 disables either. The active
   * segment goes too when it qualifies, holds data and all of it is below the high watermark: as
   * Kafka's deletableSegments does, the log rolls first, so a quiet topic's expired records do not
   * outlive retention.ms until segment.ms rolls it (a week by default).
   */
  applyRetention(retentionMs: number, retentionBytes: number, now = Date.now()): number {
    let deleted = 0;
    let size = this.sizeBytes;
    const expired = (s: LogSegment) => {
      // A segment without timestamps ages from its file's last write, as Kafka does.
      const newest = s.maxTimestamp >= 0 ? s.maxTimestamp : s.createdAt;
      return (retentionMs >= 0 && now - newest > retentionMs) || (retentionBytes >= 0 && size - s.size >= retentionBytes);
    };
    while (this.#segments.length > 1 && expired(this.#segments[0]!)) {
      size -= this.#segments[0]!.size;
      this.#deleteOldest();
      deleted++;
    }
    if (this.#segments.length === 1 && this.#active.size > 0 && this.#highWatermark >= this.#nextOffset && expired(this.#active)) {
      this.roll();
      this.#deleteOldest();
      deleted++;
    }
    if (deleted > 0 && this.#segments[0]!.baseOffset > this.#logStartOffset) {
      this.#logStartOffset = this.#segments[0]!.baseOffset;
      writeCheckpoint(join(this.dir, LOG_START_CHECKPOINT), [[this.#logStartOffset]]);
      this.#epochs.truncateFromStart(this.#logStartOffset);
      this.#tables.txns.dropBefore(this.#logStartOffset);
    }
    return deleted;
  }

  // ---------------------------------------------------------------- close

  /** Flushes, checkpoints and writes the clean-shutdown marker: the next open skips the scan. */
  close(): void {
    if (this.#closed) return;
    if (this.#nextOffset === 0 && this.#checkpointed.recoveryPoint === 0 && this.#checkpointed.highWatermark === 0) {
      // Nothing was ever kept here and the checkpoints on disk say so: the next open has nothing to
      // recover or trust (no clean marker needed), so nothing is written or synced.
      for (const s of this.#segments) s.close();
      this.#closed = true;
      return;
    }
    // Closed segments were flushed when they rolled; the active one may hold unflushed appends.
    this.#durability.markDirty(this.#active);
    this.flush();
    this.checkpointRecoveryPoint();
    for (const s of this.#segments) s.close();
    this.#closed = true;
    writeFileAtomic(join(this.dir, TRANSACTION_SNAPSHOT), JSON.stringify(this.#tables.txns.snapshot()));
    writeFileAtomic(join(this.dir, PRODUCER_SNAPSHOT), JSON.stringify(this.#tables.producers.snapshot()));
    writeFileSync(join(this.dir, CLEAN_SHUTDOWN), '');
    syncDirectory(this.dir);
  }

  /** Closes without the clean marker and deletes the directory (topic deletion). */
  delete(): void {
    if (!this.#closed) for (const s of this.#segments) s.close();
    this.#closed = true;
    rmSync(this.dir, { recursive: true, force: true });
  }

  get closed(): boolean {
    return this.#closed;
  }

  #assertOpen(): void {
    if (this.#closed) throw new LogError('LOG_CLOSED', `log ${this.dir} is closed`);
  }
}
