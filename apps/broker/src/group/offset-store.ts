import { decodeRecordBatch, encodeRecordBatch, splitBatches, validateProducedBlob } from '@tributary/protocol';
import type { PartitionLog } from '../log/partition-log.ts';
import { decodeGroupLogRecord, encodeRecordKey, encodeRecordValue, isLegacyJsonKey, type GroupLogRecord } from './group-records.ts';

/**
 * The coordinator's state persists in the internal `__consumer_offsets` topic, in Kafka's binary
 * record format (group-records.ts): committed offsets and classic group metadata, a null value on
 * delete. Replaying the log on load rebuilds them (last write per key wins); compaction keeps the
 * last record per key.
 */
/**
 * One entry of the log in order: a record (with the producer id of the transaction that wrote it,
 * for TxnOffsetCommit's offsets), or a transaction marker that commits or aborts those offsets.
 */
export type ReplayedRecord = (GroupLogRecord & { producerId?: bigint }) | { kind: 'marker'; producerId: bigint; commit: boolean };

export interface ReplayedLog {
  records: ReplayedRecord[];
  /**
   * Keys in the JSON form of earlier versions of this broker whose last record is not a tombstone:
   * they are converted (rewritten in Kafka's form, then tombstoned) once the log is loaded.
   */
  legacyKeys: Buffer[];
}

export class OffsetStore {
  readonly #log: PartitionLog | null;
  readonly #leaderEpoch: () => number;
  readonly #appended: () => void;
  readonly #replicated: ((offset: number) => Promise<number>) | null;

  /**
   * `log` null: a broker that does not coordinate groups (commits never reach it). `appended` is
   * called after every write (the broker advances the high watermark and wakes fetchers there).
   * `replicated` waits until the high watermark reaches an offset (the partition's error code
   * otherwise); without it (unit tests on a bare log) writes count as replicated at once.
   */
  constructor(log: PartitionLog | null, leaderEpoch: () => number = () => 0, appended: () => void = () => undefined, replicated: ((offset: number) => Promise<number>) | null = null) {
    this.#log = log;
    this.#leaderEpoch = leaderEpoch;
    this.#appended = appended;
    this.#replicated = replicated;
  }

  /**
   * Waits until everything appended so far is replicated (acks=-1 on `__consumer_offsets`, as
   * Kafka's coordinator runtime completes a write only once it is committed): the partition's error
   * code (0, NOT_LEADER_OR_FOLLOWER once leadership went, REQUEST_TIMED_OUT, ...). Null when this
   * store does not replicate: the write counts at once.
   */
  whenReplicated(): Promise<number> | null {
    return this.#replicated ? this.#replicated(this.endOffset) : null;
  }

  /**
   * The partition's last committed offset (its high watermark): what Kafka's coordinator reads at.
   * Without replication (unit tests on a bare log) everything appended counts as committed.
   */
  get committedOffset(): number {
    if (!this.#log) return 0;
    return this.#replicated ? Math.min(this.#log.highWatermark, this.#log.logEndOffset) : this.#log.logEndOffset;
  }

  /** Where the last append ended: a commit is safe once the high watermark passes it. */
  get endOffset(): number {
    return this.#log?.logEndOffset ?? 0;
  }

  append(records: GroupLogRecord[]): void {
    this.#appendRaw(records.map((r) => ({ key: encodeRecordKey(r), value: encodeRecordValue(r) })));
  }

  /** Tombstones for keys in the old JSON form, so that compaction drops them once converted. */
  tombstoneLegacy(keys: Buffer[]): void {
    this.#appendRaw(keys.map((key) => ({ key, value: null })));
  }

  /**
   * TxnOffsetCommit: the offsets in a transactional batch of the producer, as Kafka writes them;
   * they count only once the transaction's COMMIT marker follows in this log.
   */
  appendTransactional(records: GroupLogRecord[], producerId: bigint, producerEpoch: number): void {
    this.#appendRaw(records.map((r) => ({ key: encodeRecordKey(r), value: encodeRecordValue(r) })), { isTransactional: true, producerId, producerEpoch });
  }

  #appendRaw(records: { key: Buffer; value: Buffer | null }[], txn: { isTransactional: true; producerId: bigint; producerEpoch: number } | null = null): void {
    if (records.length === 0) return;
    if (!this.#log) throw new Error('this broker does not coordinate groups');
    const blob = encodeRecordBatch({ records, ...txn });
    const checked = validateProducedBlob(blob, Number.MAX_SAFE_INTEGER);
    if (!checked.ok) throw new Error(`offset record batch invalid: ${checked.problem.detail}`);
    this.#log.append(blob, checked.batches, this.#leaderEpoch());
    this.#appended();
  }

  /** Every record the coordinator knows, in log order, and the live keys still in the old JSON form. */
  replay(): ReplayedLog {
    const records: ReplayedRecord[] = [];
    const legacy = new Map<string, Buffer>();
    if (!this.#log) return { records, legacyKeys: [] };
    let offset = this.#log.logStartOffset;
    while (offset < this.#log.logEndOffset) {
      const blob = this.#log.read(offset, 1 << 20);
      const { batches } = splitBatches(blob);
      if (batches.length === 0) break;
      for (const span of batches) {
        const batch = decodeRecordBatch(blob.subarray(span.position, span.position + span.size));
        offset = Number(batch.baseOffset) + batch.lastOffsetDelta + 1;
        if (batch.isControl) {
          // A transaction marker (control-batch.ts): its key's type says COMMIT (1) or ABORT (0).
          const key = batch.records[0]?.key;
          if (key && key.length >= 4) records.push({ kind: 'marker', producerId: batch.producerId, commit: key.readInt16BE(2) === 1 });
          continue;
        }
        for (const r of batch.records) {
          if (r.key === null) continue;
          const record = decodeGroupLogRecord(r.key, r.value);
          if (record) records.push(batch.isTransactional ? { ...record, producerId: batch.producerId } : record);
          if (isLegacyJsonKey(r.key)) {
            if (r.value === null) legacy.delete(r.key.toString('latin1'));
            else legacy.set(r.key.toString('latin1'), Buffer.from(r.key));
          }
        }
      }
    }
    return { records, legacyKeys: [...legacy.values()] };
  }
}
