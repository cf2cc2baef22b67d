import { join } from 'node:path';
import { readCheckpoint, writeCheckpoint } from './checkpoint-file.ts';

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';

/**
 * Leader epoch → first offset written in that epoch, persisted as `leader-epoch-checkpoint`.
 * Replication uses it to answer OffsetForLeaderEpoch and to find where a follower's log diverges.
 */
export class LeaderEpochCache {
  readonly #path: string;
  #entries: EpochEntry[];
  /** The latest entry came from assignForNewLeader and is not in the file yet. */
  #latestUnwritten = false;

  constructor(dir: string) {
    this.#path = join(dir, LEADER_EPOCH_CHECKPOINT);
    this.#entries = (readCheckpoint(this.#path) ?? []).map(([epoch, startOffset]) => ({ epoch: epoch!, startOffset: startOffset! }));
  }

  get entries(): readonly EpochEntry[] {
    return this.#entries;
  }
  get latestEpoch(): number {
    return this.#entries.at(-1)?.epoch ?? -1;
  }

  /** Records that `epoch` starts at `startOffset`; ignores epochs not newer than the latest. */
  assign(epoch: number, startOffset: number): void {
    if (epoch < 0 || epoch <= this.latestEpoch) {
      // The first record of a new leader's epoch: its entry reaches the file before the record.
      if (this.#latestUnwritten && epoch === this.latestEpoch) this.#persist();
      return;
    }
    this.#entries.push({ epoch, startOffset });
    this.#persist();
  }

  /**
   * A broker becoming leader: its epoch starts at its log end. Known at once (OffsetForLeaderEpoch
   * answers from it), written to the file only with the epoch's first record (assign() from the
   * append, before the record is written) or any other change of the file. An epoch without records
   * here needs no entry on disk: after a crash before its first record, this replica holds nothing
   * of it and is no longer its leader. Writing it at once cost two fsyncs per partition on the event
   * loop, and a broker taking over hundreds of partitions from a dead one blocked for seconds, long
   * enough to lose its etcd lease (issue 13); Kafka's makeLeader writes it at once, but on a thread
   * of its own, not the one that keeps the broker's session alive.
   */
  assignForNewLeader(epoch: number, startOffset: number): void {
    if (epoch < 0 || epoch <= this.latestEpoch) return;
    this.#entries.push({ epoch, startOffset });
    this.#latestUnwritten = true;
  }

  /**
   * OffsetForLeaderEpoch, as Kafka's LeaderEpochFileCache.endOffsetFor answers it:
   * - the latest epoch: (epoch, log end offset);
   * - an epoch between known ones: (the largest known epoch ≤ it, start offset of the next one);
   * - older than every known epoch: (the requested epoch, start offset of the first known one), so a
   *   follower truncates to where the leader's log begins;
   * - newer than every known epoch, UNDEFINED_EPOCH (-1), or no epochs at all: (-1, -1)
   *   (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET).
   */
  endOffsetFor(epoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    const undefinedEpoch = { epoch: -1, endOffset: -1 };
    if (epoch === -1) return undefinedEpoch;
    if (this.#entries.length > 0 && epoch === this.latestEpoch) return { epoch, endOffset: logEndOffset };
    const higher = this.#entries.find((e) => e.epoch > epoch);
    if (!higher) return undefinedEpoch;
    const floor = this.#entries.findLast((e) => e.epoch <= epoch);
    return { epoch: floor ? floor.epoch : epoch, endOffset: higher.startOffset };
  }

  /** After truncating the log to `endOffset`: forget epochs that start at or after it. */
  truncateFromEnd(endOffset: number): void {
    const kept = this.#entries.filter((e) => e.startOffset < endOffset);
    if (kept.length === this.#entries.length) return;
    this.#entries = kept;
    this.#persist();
  }

  /** After the log start moved to `startOffset`: drop epochs wholly before it, clamp the first. */
  truncateFromStart(startOffset: number): void {
    const keepFrom = this.#entries.findLastIndex((e) => e.startOffset <= startOffset);
    if (keepFrom <= 0 && (this.#entries[0]?.startOffset ?? startOffset) >= startOffset) return;
    const kept = this.#entries.slice(Math.max(keepFrom, 0));
    if (kept[0] && kept[0].startOffset < startOffset) kept[0] = { epoch: kept[0].epoch, startOffset };
    this.#entries = kept;
    this.#persist();
  }

  #persist(): void {
    writeCheckpoint(this.#path, this.#entries.map((e) => [e.epoch, e.startOffset]));
    this.#latestUnwritten = false;
  }
}
