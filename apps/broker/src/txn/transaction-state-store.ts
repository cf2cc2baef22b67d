import { decodeRecordBatch, encodeRecordBatch, splitBatches, validateProducedBlob } from '@tributary/protocol';
import type { PartitionLog } from '../log/partition-log.ts';
import { decodeTransactionRecord, encodeTransactionKey, encodeTransactionValue, type TransactionRecord } from './transaction-records.ts';

/** `__transaction_state`: the internal topic whose leader is the transaction coordinator. */
export const TRANSACTION_STATE_TOPIC = '__transaction_state';

/**
 * The transaction coordinator's state in a `__transaction_state` partition log, in Kafka's record
 * format (transaction-records.ts): one record per transition, the last per transactional id wins
 * on replay, compaction keeps only that one.
 */
export class TransactionStateStore {
  readonly #log: PartitionLog;
  readonly #leaderEpoch: () => number;

  readonly #appended: () => void;

  /** `appended` runs after every write (the broker moves the high watermark and wakes followers there). */
  constructor(log: PartitionLog, leaderEpoch: () => number = () => 0, appended: () => void = () => undefined) {
    this.#log = log;
    this.#leaderEpoch = leaderEpoch;
    this.#appended = appended;
  }

  /** Where the last append ended: a transition is safe once the high watermark passes it. */
  get endOffset(): number {
    return this.#log.logEndOffset;
  }

  append(transactionalId: string, value: TransactionRecord | null): void {
    const blob = encodeRecordBatch({ records: [{ key: encodeTransactionKey(transactionalId), value: value === null ? null : encodeTransactionValue(value) }] });
    const checked = validateProducedBlob(blob, Number.MAX_SAFE_INTEGER);
    if (!checked.ok) throw new Error(`transaction state batch invalid: ${checked.problem.detail}`);
    this.#log.append(blob, checked.batches, this.#leaderEpoch());
    this.#appended();
  }

  /** The last record of every transactional id still in the log (tombstoned ids left out). */
  replay(): Map<string, TransactionRecord> {
    const state = new Map<string, TransactionRecord>();
    let offset = this.#log.logStartOffset;
    while (offset < this.#log.logEndOffset) {
      const blob = this.#log.read(offset, 1 << 20);
      const { batches } = splitBatches(blob);
      if (batches.length === 0) break;
      for (const span of batches) {
        const batch = decodeRecordBatch(blob.subarray(span.position, span.position + span.size));
        for (const r of batch.records) {
          if (r.key === null) continue;
          const decoded = decodeTransactionRecord(r.key, r.value);
          if (!decoded) continue;
          if (decoded.value === null) state.delete(decoded.transactionalId);
          else state.set(decoded.transactionalId, decoded.value);
        }
        offset = Number(batch.baseOffset) + batch.lastOffsetDelta + 1;
      }
    }
    return state;
  }
}
