import { decodeRecordBatch, encodeRecordBatch, splitBatches, validateProducedBlob } from '@tributary/protocol';
import type { PartitionLog } from '../log/partition-log.ts';
import { decodeGroupLogRecord, encodeRecordKey, encodeRecordValue, isLegacyJsonKey, type GroupLogRecord } from './group-records.ts';

/**
 * The coordinator's state persists in the internal `__consumer_offsets` topic, in Kafka's binary
 * record format (group-records.ts): committed offsets and classic group metadata, a null value on
 * delete. Replaying the log on load rebuilds them (last write per key wins); compaction keeps the
 * last record per key.
 */
export interface ReplayedLog {
  records: GroupLogRecord[];
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

  /**
   * `log` null: a broker that does not coordinate groups (commits never reach it). `appended` is
   * called after every write (the broker advances the high watermark and wakes fetchers there).
   */
  constructor(log: PartitionLog | null, leaderEpoch: () => number = () => 0, appended: () => void = () => undefined) {
    this.#log = log;
    this.#leaderEpoch = leaderEpoch;
    this.#appended = appended;
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

  #appendRaw(records: { key: Buffer; value: Buffer | null }[]): void {
    if (records.length === 0) return;
    if (!this.#log) throw new Error('this broker does not coordinate groups');
    const blob = encodeRecordBatch({ records });
    const checked = validateProducedBlob(blob, Number.MAX_SAFE_INTEGER);
    if (!checked.ok) throw new Error(`offset record batch invalid: ${checked.problem.detail}`);
    this.#log.append(blob, checked.batches, this.#leaderEpoch());
    this.#appended();
  }

  /** Every record the coordinator knows, in log order, and the live keys still in the old JSON form. */
  replay(): ReplayedLog {
    const records: GroupLogRecord[] = [];
    const legacy = new Map<string, Buffer>();
    if (!this.#log) return { records, legacyKeys: [] };
    let offset = this.#log.logStartOffset;
    while (offset < this.#log.logEndOffset) {
      const blob = this.#log.read(offset, 1 << 20);
      const { batches } = splitBatches(blob);
      if (batches.length === 0) break;
      for (const span of batches) {
        const batch = decodeRecordBatch(blob.subarray(span.position, span.position + span.size));
        for (const r of batch.records) {
          if (r.key === null) continue;
          const record = decodeGroupLogRecord(r.key, r.value);
          if (record) records.push(record);
          if (isLegacyJsonKey(r.key)) {
            if (r.value === null) legacy.delete(r.key.toString('latin1'));
            else legacy.set(r.key.toString('latin1'), Buffer.from(r.key));
          }
        }
        offset = Number(batch.baseOffset) + batch.lastOffsetDelta + 1;
      }
    }
    return { records, legacyKeys: [...legacy.values()] };
  }
}
