import { ErrorCode } from '@tributary/protocol';

/** The last batches an idempotent producer wrote to a partition, for duplicate detection (Kafka keeps 5). */
interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
  /** The batch's max timestamp as written (its append time on LogAppendTime topics); -1 when unknown. */
  timestamp: number;
}

interface ProducerEntry {
  epoch: number;
  batches: BatchMetadata[];
  /** When the producer last wrote (batch or marker), for producer.id.expiration.ms; -1 when unknown. */
  lastTimestamp: number;
  /** The coordinator epoch of the producer's last transaction marker here; -1 before any (DescribeProducers). */
  coordinatorEpoch: number;
}

/** One producer as DescribeProducers shows it (Kafka's ProducerStateEntry). */
export interface ActiveProducer {
  producerId: bigint;
  epoch: number;
  /** The last sequence written, -1 when no batch of this epoch is cached (a new epoch started by a marker). */
  lastSequence: number;
  lastTimestamp: number;
  coordinatorEpoch: number;
}

const MAX_CACHED_BATCHES = 5;
const INT32_MAX = 2 ** 31 - 1;

export type SequenceCheck = { kind: 'append' } | { kind: 'duplicate'; baseOffset: number; timestamp: number } | { kind: 'error'; errorCode: number; message: string };

/**
 * Per-partition idempotent-producer state: producer id → epoch and last sequences. Decides whether
 * a batch is the next in order, a retry of one already written (answered with its original
 * offset), or out of order. Rebuilt from batch headers when a log is opened, so it survives restarts.
 */
export class ProducerStateTable {
  readonly #producers = new Map<bigint, ProducerEntry>();

  check(producerId: bigint, epoch: number, firstSeq: number, lastSeq: number): SequenceCheck {
    if (producerId < 0n) return { kind: 'append' };
    const entry = this.#producers.get(producerId);
    // A producer this partition has no state for (new, or its batches were deleted by retention or
    // DeleteRecords) may start at any sequence: Kafka's ProducerAppendInfo accepts it when there is
    // no current epoch, and the sequences that follow must continue from it.
    if (!entry) return { kind: 'append' };
    if (epoch < entry.epoch) return { kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `producer ${producerId} epoch ${epoch} is older than ${entry.epoch}` };
    if (epoch > entry.epoch) {
      return firstSeq === 0 ? { kind: 'append' } : { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `new epoch ${epoch} of producer ${producerId} must start at sequence 0` };
    }
    const dup = entry.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
    if (dup) return { kind: 'duplicate', baseOffset: dup.baseOffset, timestamp: dup.timestamp };
    const last = entry.batches.at(-1);
    const expected = last ? (last.lastSeq === INT32_MAX ? 0 : last.lastSeq + 1) : 0;
    if (firstSeq !== expected) return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `producer ${producerId} sent sequence ${firstSeq}, expected ${expected}` };
    return { kind: 'append' };
  }

  /** The producer's current epoch here, or undefined when the partition keeps no state for it. */
  epochOf(producerId: bigint): number | undefined {
    return this.#producers.get(producerId)?.epoch;
  }

  /**
   * Whether a marker from a transaction coordinator at `coordinatorEpoch` comes from one older than
   * the coordinator that wrote the producer's last marker here (Kafka's ProducerAppendInfo
   * checkCoordinatorEpoch): a zombie coordinator, whose decision must not be written.
   */
  fencesCoordinator(producerId: bigint, coordinatorEpoch: number): boolean {
    const entry = this.#producers.get(producerId);
    return entry !== undefined && coordinatorEpoch < entry.coordinatorEpoch;
  }

  /** Every producer this partition keeps state for. */
  active(): ActiveProducer[] {
    return [...this.#producers].map(([producerId, e]) => ({ producerId, epoch: e.epoch, lastSequence: e.batches.at(-1)?.lastSeq ?? -1, lastTimestamp: e.lastTimestamp, coordinatorEpoch: e.coordinatorEpoch }));
  }

  /**
   * The table as JSON-safe data, for the snapshot a clean shutdown writes; the coordinator epoch
   * and the last write's timestamp (a marker's may be newer than any batch) come fourth and fifth.
   */
  snapshot(): [string, number, [number, number, number, number][], number, number][] {
    return [...this.#producers].map(([id, e]) => [id.toString(), e.epoch, e.batches.map((b) => [b.firstSeq, b.lastSeq, b.baseOffset, b.timestamp]), e.coordinatorEpoch, e.lastTimestamp]);
  }

  /** The inverse of `snapshot`; null when the data is not a snapshot (snapshots written before timestamps were kept have three numbers per batch). */
  static restore(data: unknown): ProducerStateTable | null {
    if (!Array.isArray(data)) return null;
    const table = new ProducerStateTable();
    for (const row of data as unknown[]) {
      // Older snapshots have three elements (no coordinator epoch, no last timestamp).
      if (!Array.isArray(row) || (row.length !== 3 && row.length !== 5) || typeof row[0] !== 'string' || typeof row[1] !== 'number' || !Array.isArray(row[2])) return null;
      const [coordinatorEpoch, lastTimestamp]: unknown[] = row.length === 5 ? row.slice(3) : [-1, null];
      if (typeof coordinatorEpoch !== 'number' || (lastTimestamp !== null && typeof lastTimestamp !== 'number')) return null;
      const batches = (row[2] as unknown[]).map((b) => (Array.isArray(b) && (b.length === 3 || b.length === 4) && b.every((n) => typeof n === 'number') ? { firstSeq: b[0] as number, lastSeq: b[1] as number, baseOffset: b[2] as number, timestamp: (b[3] as number | undefined) ?? -1 } : null));
      if (batches.some((b) => b === null)) return null;
      table.#producers.set(BigInt(row[0]), { epoch: row[1], batches: batches as BatchMetadata[], lastTimestamp: lastTimestamp ?? (batches as BatchMetadata[]).at(-1)?.timestamp ?? -1, coordinatorEpoch });
    }
    return table;
  }

  /**
   * Forgets producers whose last batch is older than `expirationMs` (Kafka's producer.id.expiration.ms,
   * ProducerStateManager.removeExpiredProducers): without it every producer id ever seen — each
   * Idempotency-Key of the HTTP message API is one — stays for good. Age is judged, as in Kafka, by
   * the last batch's max timestamp; a producer whose timestamps are unknown (-1) is kept. A retry
   * after expiry is no longer recognised as a duplicate, which is Kafka's trade-off too.
   * `keep` says which producers stay whatever their age: those with a running transaction, as in
   * Kafka (its marker has not been written yet, and the producer's epoch must still fence zombies).
   */
  removeExpired(nowMs: number, expirationMs: number, keep: (producerId: bigint) => boolean = () => false): number {
    let removed = 0;
    for (const [id, entry] of this.#producers) {
      const last = entry.lastTimestamp;
      if (last >= 0 && nowMs - last >= expirationMs && !keep(id)) {
        this.#producers.delete(id);
        removed++;
      }
    }
    return removed;
  }

  get size(): number { return this.#producers.size; }

  record(producerId: bigint, epoch: number, firstSeq: number, lastSeq: number, baseOffset: number, timestamp: number): void {
    if (producerId < 0n) return;
    let entry = this.#producers.get(producerId);
    if (!entry || epoch > entry.epoch) this.#producers.set(producerId, (entry = { epoch, batches: [], lastTimestamp: -1, coordinatorEpoch: entry?.coordinatorEpoch ?? -1 }));
    entry.batches.push({ firstSeq, lastSeq, baseOffset, timestamp });
    entry.lastTimestamp = timestamp;
    if (entry.batches.length > MAX_CACHED_BATCHES) entry.batches.shift();
  }

  /**
   * A transaction marker of the producer (Kafka's appendEndTxnMarker): it carries no sequence, so
   * the cached batches stay (a transactional producer's sequences go on across transactions of one
   * epoch); a marker of a newer epoch (the coordinator fenced the producer) becomes the producer's
   * epoch, and its batches are forgotten: the next epoch starts at sequence 0.
   */
  recordMarker(producerId: bigint, epoch: number, timestamp: number, coordinatorEpoch: number): void {
    if (producerId < 0n) return;
    const entry = this.#producers.get(producerId);
    if (!entry || epoch > entry.epoch) this.#producers.set(producerId, { epoch, batches: [], lastTimestamp: timestamp, coordinatorEpoch });
    else {
      entry.lastTimestamp = Math.max(entry.lastTimestamp, timestamp);
      entry.coordinatorEpoch = coordinatorEpoch;
    }
  }
}

/** Last sequence of a batch, with Kafka's wrap-around at Int32.MAX_VALUE. */
export function lastSequence(baseSequence: number, lastOffsetDelta: number): number {
  const s = baseSequence + lastOffsetDelta;
  return s > INT32_MAX ? s - INT32_MAX - 1 : s;
}
