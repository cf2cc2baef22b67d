import { decodeRecordBatch, encodeRecordBatch, splitBatches, validateProducedBlob } from '@tributary/protocol';
import type { PartitionLog } from '../log/partition-log.ts';
import type { CommittedOffset } from './group.ts';

/**
 * Committed offsets persist as records in the internal `__consumer_offsets` topic: key
 * {group, topic, partition}, value {offset, leaderEpoch, metadata, commitTimestamp}, null value on
 * delete. Replaying the log on start-up rebuilds them (last write per key wins).
 */
export interface OffsetRecord {
  group: string;
  topic: string;
  partition: number;
  value: CommittedOffset | null;
}

export class OffsetStore {
  readonly #log: PartitionLog | null;
  readonly #leaderEpoch: () => number;

  /** `log` null: a broker that does not coordinate groups (commits never reach it). */
  constructor(log: PartitionLog | null, leaderEpoch: () => number = () => 0) {
    this.#log = log;
    this.#leaderEpoch = leaderEpoch;
  }

  /** Where the last append ended: a commit is safe once the high watermark passes it. */
  get endOffset(): number {
    return this.#log?.logEndOffset ?? 0;
  }

  append(records: OffsetRecord[]): void {
    if (records.length === 0) return;
    if (!this.#log) throw new Error('this broker does not coordinate groups');
    const blob = encodeRecordBatch({
      records: records.map((r) => ({
        key: JSON.stringify([r.group, r.topic, r.partition]),
        value: r.value === null ? null : JSON.stringify({ ...r.value, offset: r.value.offset.toString() }),
      })),
    });
    const checked = validateProducedBlob(blob, Number.MAX_SAFE_INTEGER);
    if (!checked.ok) throw new Error(`offset record batch invalid: ${checked.problem.detail}`);
    this.#log.append(blob, checked.batches, this.#leaderEpoch());
  }

  /** Every offset record in log order. */
  *replay(): Generator<OffsetRecord> {
    if (!this.#log) return;
    let offset = this.#log.logStartOffset;
    while (offset < this.#log.logEndOffset) {
      const blob = this.#log.read(offset, 1 << 20);
      const { batches } = splitBatches(blob);
      if (batches.length === 0) return;
      for (const span of batches) {
        const batch = decodeRecordBatch(blob.subarray(span.position, span.position + span.size));
        for (const r of batch.records) {
          const [group, topic, partition] = JSON.parse(r.key!.toString()) as [string, string, number];
          const v = r.value === null ? null : (JSON.parse(r.value.toString()) as Omit<CommittedOffset, 'offset'> & { offset: string });
          yield { group, topic, partition, value: v === null ? null : { ...v, offset: BigInt(v.offset) } };
        }
        offset = Number(batch.baseOffset) + batch.lastOffsetDelta + 1;
      }
    }
  }
}
