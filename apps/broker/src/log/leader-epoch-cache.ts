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
    if (epoch < 0 || epoch <= this.latestEpoch) return;
    this.#entries.push({ epoch, startOffset });
    this.#persist();
  }

  /**
   * OffsetForLeaderEpoch: the end offset of `epoch` (the start offset of the next higher epoch, or
   * the log end offset for the latest), and the largest known epoch ≤ the requested one.
   * Unknown (older than everything known) → epoch -1, offset -1, as Kafka answers.
   */
  endOffsetFor(epoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    if (this.#entries.length === 0) return { epoch: -1, endOffset: -1 };
    if (epoch === this.latestEpoch) return { epoch, endOffset: logEndOffset };
    const i = this.#entries.findLastIndex((e) => e.epoch <= epoch);
    if (i < 0) return { epoch: -1, endOffset: -1 };
    const found = this.#entries[i]!;
    const nextEntry = this.#entries[i + 1];
    return { epoch: found.epoch, endOffset: nextEntry ? nextEntry.startOffset : logEndOffset };
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
  }
}
