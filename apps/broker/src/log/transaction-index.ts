/** Batch attribute bits (Kafka's DefaultRecordBatch): a transactional batch, and a control batch (a marker). */
export const TRANSACTIONAL_FLAG = 0x10;
export const CONTROL_FLAG = 0x20;
/** Control record types (the int16 after the control key's version): ABORT 0, COMMIT 1. */
export const ABORT_MARKER = 0;
export const COMMIT_MARKER = 1;

/** What the index needs of an appended batch. */
export interface IndexedBatch {
  producerId: bigint;
  attributes: number;
  baseOffset: number;
  lastOffset: number;
  /** For a control batch: ABORT_MARKER or COMMIT_MARKER (from its one record's key); ignored otherwise. */
  controlType?: number;
}

/** An aborted transaction as Fetch answers it (read_committed consumers drop its records). */
export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: number;
  /** The offset of its ABORT marker. */
  lastOffset: number;
}

/**
 * The transactional state of one partition, as Kafka's ProducerStateManager and transaction index
 * keep it: the first offset of each producer's running transaction (the last stable offset is the
 * smallest of them, capped by the high watermark), and the aborted transactions (first offset to
 * marker), which Fetch with isolation_level=read_committed answers for the range it returns.
 * Fed with every batch in log order (appends, and the batches of the log on load); a
 * truncation forgets what it cut.
 */
export class TransactionIndex {
  /** Producer id → first offset of its running transaction. */
  readonly #ongoing = new Map<bigint, number>();
  readonly #aborted: AbortedTransaction[] = [];

  append(b: IndexedBatch): void {
    if ((b.attributes & TRANSACTIONAL_FLAG) === 0) return;
    if ((b.attributes & CONTROL_FLAG) !== 0) {
      const first = this.#ongoing.get(b.producerId);
      // A marker with no running transaction (a retried marker, or one for a transaction whose
      // data was cut by retention) completes nothing, as in Kafka.
      if (first === undefined) return;
      this.#ongoing.delete(b.producerId);
      if (b.controlType === ABORT_MARKER) this.#aborted.push({ producerId: b.producerId, firstOffset: first, lastOffset: b.baseOffset });
      return;
    }
    if (!this.#ongoing.has(b.producerId)) this.#ongoing.set(b.producerId, b.baseOffset);
  }

  /** The first offset a read_committed consumer may not read yet: the earliest running transaction, or the high watermark. */
  lastStableOffset(highWatermark: number): number {
    let lso = highWatermark;
    for (const first of this.#ongoing.values()) if (first < lso) lso = first;
    return lso;
  }

  /** Aborted transactions that overlap [fetchOffset, upperBound), oldest first (Kafka's collectAbortedTxns). */
  abortedTransactions(fetchOffset: number, upperBound: number): AbortedTransaction[] {
    return this.#aborted.filter((t) => t.lastOffset >= fetchOffset && t.firstOffset < upperBound);
  }

  /** Producers with a running transaction and its first offset (DescribeProducers, the LSO lag metric). */
  ongoing(): ReadonlyMap<bigint, number> {
    return this.#ongoing;
  }

  /**
   * After the log is cut at `offset` (a follower truncating to its leader): what was appended from
   * there on is forgotten. A running transaction that started before the cut keeps running; one
   * that started after it is gone; an abort whose marker was cut is running again.
   */
  truncateTo(offset: number): void {
    for (const [pid, first] of this.#ongoing) if (first >= offset) this.#ongoing.delete(pid);
    for (let i = this.#aborted.length - 1; i >= 0; i--) {
      const t = this.#aborted[i]!;
      if (t.lastOffset < offset) continue;
      this.#aborted.splice(i, 1);
      if (t.firstOffset < offset) this.#ongoing.set(t.producerId, t.firstOffset);
    }
  }

  /** The index as JSON-safe data, for the snapshot a clean shutdown writes. */
  snapshot(): { ongoing: [string, number][]; aborted: [string, number, number][] } {
    return { ongoing: [...this.#ongoing].map(([pid, first]) => [pid.toString(), first]), aborted: this.#aborted.map((t) => [t.producerId.toString(), t.firstOffset, t.lastOffset]) };
  }

  /** The inverse of `snapshot`; null when the data is not one. */
  static restore(data: unknown): TransactionIndex | null {
    const d = data as { ongoing?: unknown; aborted?: unknown } | null;
    if (!d || !Array.isArray(d.ongoing) || !Array.isArray(d.aborted)) return null;
    const index = new TransactionIndex();
    for (const row of d.ongoing as unknown[]) {
      if (!Array.isArray(row) || typeof row[0] !== 'string' || typeof row[1] !== 'number') return null;
      index.#ongoing.set(BigInt(row[0]), row[1]);
    }
    for (const row of d.aborted as unknown[]) {
      if (!Array.isArray(row) || typeof row[0] !== 'string' || typeof row[1] !== 'number' || typeof row[2] !== 'number') return null;
      index.#aborted.push({ producerId: BigInt(row[0]), firstOffset: row[1], lastOffset: row[2] });
    }
    return index;
  }

  /** After the log start moved (retention, DeleteRecords): aborted transactions wholly before it are no longer needed. */
  dropBefore(logStartOffset: number): void {
    let keep = 0;
    while (keep < this.#aborted.length && this.#aborted[keep]!.lastOffset < logStartOffset) keep++;
    this.#aborted.splice(0, keep);
  }
}
