import { ErrorCode } from '@tributary/protocol';
import { TxnState, type TransactionRecord } from './transaction-records.ts';
import type { TransactionStateStore } from './transaction-state-store.ts';

/** Kafka's RecordBatch.NO_PRODUCER_EPOCH and the epoch past which a producer id is exhausted (Short.MaxValue - 1). */
const NO_EPOCH = -1;
const MAX_EPOCH = 32766;

export interface TransactionCoordinatorSettings {
  /** transaction.max.timeout.ms: a producer asking for a longer transaction.timeout.ms is refused. */
  maxTimeoutMs: number;
  /** How long to wait before writing markers again after a failed attempt. */
  markerRetryMs: number;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** The control batches (COMMIT or ABORT markers) one transaction end needs on its partitions. */
export interface MarkerRequest {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  commit: boolean;
  partitions: TopicPartition[];
}

/**
 * A leader refused the markers for good (INVALID_PRODUCER_EPOCH or TRANSACTION_COORDINATOR_FENCED):
 * the producer's epoch or the coordinator's has moved on there, so writing them again cannot succeed.
 */
export interface MarkersAbandoned {
  abandonedWith: number;
}

/**
 * Writes the markers on every partition's leader; resolves once all are written (or with
 * MarkersAbandoned when a leader fenced them), rejects to be retried.
 */
export type MarkerWriter = (markers: MarkerRequest) => Promise<MarkersAbandoned | void>;

export interface InitProducerIdResult {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

/** EndTxn's answer: v5 (transaction version 2) tells the producer the id and epoch of its next transaction. */
export type EndTxnResult = InitProducerIdResult;

/** KIP-890 part 2: clients of transaction version 2 get an epoch bump at every transaction end. */
export const TRANSACTION_VERSION_2 = 2;

/** The coordinator's in-memory view of one transactional id: the persisted record and what Kafka keeps beside it. */
interface Txn extends TransactionRecord {
  /** The epoch before the last bump: a retried InitProducerId naming it gets the current epoch again (KIP-360). */
  lastProducerEpoch: number;
  /** Markers are being written (Prepare* states): requests that would change the state wait (CONCURRENT_TRANSACTIONS). */
  completing: boolean;
}

const failed = (errorCode: number): InitProducerIdResult => ({ errorCode, producerId: -1n, producerEpoch: -1 });

/**
 * The transaction coordinator of the transactional ids whose `__transaction_state` partition this
 * broker leads, following Kafka's TransactionCoordinator for clients of transaction version 1
 * (one producer epoch for all of a producer's transactions):
 *
 * - InitProducerId gives a transactional id its producer id and bumps the epoch on every call,
 *   which fences the previous producer with that id (its requests then get PRODUCER_FENCED); a
 *   transaction still running is aborted first, and the caller told to retry
 *   (CONCURRENT_TRANSACTIONS). Epochs exhausted: a new producer id.
 * - AddPartitionsToTxn starts a transaction (Ongoing) or adds to it.
 * - EndTxn moves it to PrepareCommit/PrepareAbort (persisted: from then on the outcome is decided),
 *   has the markers written on every partition, then CompleteCommit/CompleteAbort.
 * - A transaction older than its transaction.timeout.ms is aborted by the coordinator, with the
 *   epoch bumped so that the producer that hung is fenced (`abortTimedOut`).
 *
 * Every transition is written to `__transaction_state` before it is acted on, and replayed on
 * load: a transaction found in a Prepare state gets its markers written again.
 */
export class TransactionCoordinator {
  readonly #txns = new Map<string, Txn>();
  readonly #store: TransactionStateStore;
  readonly #newProducerId: () => Promise<bigint>;
  readonly #writeMarkers: MarkerWriter;
  readonly #settings: TransactionCoordinatorSettings;
  readonly #now: () => number;
  readonly #retries = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(store: TransactionStateStore, newProducerId: () => Promise<bigint>, writeMarkers: MarkerWriter, settings: TransactionCoordinatorSettings, now: () => number = Date.now) {
    this.#store = store;
    this.#newProducerId = newProducerId;
    this.#writeMarkers = writeMarkers;
    this.#settings = settings;
    this.#now = now;
    for (const [id, record] of store.replay()) this.#txns.set(id, { ...record, lastProducerEpoch: NO_EPOCH, completing: false });
    // A coordinator that failed between deciding and completing finishes the job (Kafka's loadTransactionsForTxnTopicPartition).
    for (const [id, t] of this.#txns) if (t.state === TxnState.PrepareCommit || t.state === TxnState.PrepareAbort) this.#complete(id, t);
  }

  close(): void {
    this.#closed = true;
    for (const t of this.#retries) clearTimeout(t);
    this.#retries.clear();
  }

  /** The transaction of an id, as persisted (for DescribeTransactions and tests). */
  describe(transactionalId: string): Readonly<TransactionRecord> | undefined {
    return this.#txns.get(transactionalId);
  }

  /** Every transactional id this coordinator knows, with its transaction (ListTransactions). */
  list(): [string, Readonly<TransactionRecord>][] {
    return [...this.#txns];
  }

  async initProducerId(transactionalId: string, timeoutMs: number, expected: { producerId: bigint; producerEpoch: number } | null): Promise<InitProducerIdResult> {
    if (transactionalId === '') return failed(ErrorCode.INVALID_REQUEST);
    if (timeoutMs <= 0 || timeoutMs > this.#settings.maxTimeoutMs) return failed(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    let t = this.#txns.get(transactionalId);
    if (!t) {
      const producerId = await this.#newProducerId();
      // Created at epoch -1 and bumped below to 0, as Kafka does for a new transactional id.
      t = { producerId, previousProducerId: -1n, nextProducerId: -1n, producerEpoch: NO_EPOCH, lastProducerEpoch: NO_EPOCH, timeoutMs, state: TxnState.Empty, partitions: new Map(), lastUpdateMs: this.#now(), startMs: -1, clientTransactionVersion: 0, completing: false };
      this.#txns.set(transactionalId, t);
    }
    if (t.completing || t.state === TxnState.PrepareCommit || t.state === TxnState.PrepareAbort || t.state === TxnState.PrepareEpochFence) return failed(ErrorCode.CONCURRENT_TRANSACTIONS);
    if (expected && expected.producerEpoch !== NO_EPOCH) {
      const current = expected.producerId === t.producerId && expected.producerEpoch === t.producerEpoch;
      const retried = expected.producerId === t.producerId && expected.producerEpoch === t.lastProducerEpoch;
      // A retry of the InitProducerId that already bumped the epoch gets that epoch again.
      if (retried && !current) return { errorCode: 0, producerId: t.producerId, producerEpoch: t.producerEpoch };
      if (!current) return failed(ErrorCode.PRODUCER_FENCED);
    }
    if (t.state === TxnState.Ongoing) {
      // Fence the producer that runs it (epoch + 1, never returned), abort, and have the caller retry.
      this.#bumpEpoch(t);
      this.#prepare(transactionalId, t, false);
      return failed(ErrorCode.CONCURRENT_TRANSACTIONS);
    }
    if (t.producerEpoch >= MAX_EPOCH) {
      t.previousProducerId = t.producerId;
      t.producerId = await this.#newProducerId();
      t.lastProducerEpoch = NO_EPOCH;
      t.producerEpoch = 0;
    } else {
      this.#bumpEpoch(t);
    }
    t.timeoutMs = timeoutMs;
    t.state = TxnState.Empty;
    t.partitions = new Map();
    t.startMs = -1;
    this.#persist(transactionalId, t);
    return { errorCode: 0, producerId: t.producerId, producerEpoch: t.producerEpoch };
  }

  /** The error a request of this producer gets before any state is looked at (Kafka's checks, in Kafka's order). */
  #producerError(t: Txn | undefined, producerId: bigint, producerEpoch: number): number {
    if (!t || t.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (t.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (t.completing) return ErrorCode.CONCURRENT_TRANSACTIONS;
    return 0;
  }

  /**
   * AddPartitionsToTxn (and AddOffsetsToTxn, with the group's `__consumer_offsets` partition): 0 or
   * the error. `clientTransactionVersion` 2 when a leader adds the partition for a producer of
   * transaction version 2 (Produce v12+, TxnOffsetCommit v5+: AddPartitionsToTxn v5 not verify-only,
   * Kafka's transactionVersionForAddPartitionsToTxn); the transaction then ends with an epoch bump.
   */
  addPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: TopicPartition[], clientTransactionVersion = 0): number {
    const t = this.#txns.get(transactionalId);
    const error = this.#producerError(t, producerId, producerEpoch);
    if (error !== 0 || !t) return error;
    if (t.state === TxnState.PrepareCommit || t.state === TxnState.PrepareAbort || t.state === TxnState.PrepareEpochFence) return ErrorCode.CONCURRENT_TRANSACTIONS;
    const fresh = partitions.filter((p) => !t.partitions.get(p.topic)?.has(p.partition));
    if (t.state === TxnState.Ongoing && fresh.length === 0) return 0;
    if (t.state !== TxnState.Ongoing) {
      t.state = TxnState.Ongoing;
      t.startMs = this.#now();
      t.partitions = new Map();
      t.clientTransactionVersion = clientTransactionVersion;
    }
    for (const p of fresh) {
      const set = t.partitions.get(p.topic) ?? new Set<number>();
      set.add(p.partition);
      t.partitions.set(p.topic, set);
    }
    this.#persist(transactionalId, t);
    return 0;
  }

  /** Whether the partition is in the producer's running transaction (KIP-890 part 1: a leader asks before a transactional append). */
  inTransaction(transactionalId: string, producerId: bigint, producerEpoch: number, p: TopicPartition): boolean {
    const t = this.#txns.get(transactionalId);
    return !!t && t.producerId === producerId && t.producerEpoch === producerEpoch && t.state === TxnState.Ongoing && !!t.partitions.get(p.topic)?.has(p.partition);
  }

  /**
   * AddPartitionsToTxn v4+ verify-only, per partition: the producer's errors first (unknown id,
   * another epoch), then TRANSACTION_ABORTABLE for a partition not in its running transaction, as
   * Kafka's coordinator answers (Kafka's leaders turn that into INVALID_TXN_STATE for old clients).
   */
  verify(transactionalId: string, producerId: bigint, producerEpoch: number, p: TopicPartition): number {
    const t = this.#txns.get(transactionalId);
    const error = this.#producerError(t, producerId, producerEpoch);
    if (error !== 0) return error;
    return this.inTransaction(transactionalId, producerId, producerEpoch, p) ? 0 : ErrorCode.TRANSACTION_ABORTABLE;
  }

  /**
   * EndTxn of a producer of transaction version 2 (EndTxn v5+, KIP-890 part 2): the end bumps the
   * epoch (persisted with the Prepare state, so the markers carry the new epoch and fence whatever
   * the old epoch still sends), and the answer names the producer's id and epoch for its next
   * transaction. A retry with the epoch before the bump gets the same answer again; an abort with
   * no partition added (the producer's sends failed before any reached a leader) still bumps.
   */
  async endTxnV2(transactionalId: string, producerId: bigint, producerEpoch: number, commit: boolean): Promise<EndTxnResult> {
    const t = this.#txns.get(transactionalId);
    if (!t || t.producerId !== producerId) return failed(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    const ok = (): EndTxnResult => ({ errorCode: 0, producerId: t.producerId, producerEpoch: t.producerEpoch });
    const retry = producerEpoch === t.producerEpoch - 1 && producerEpoch === t.lastProducerEpoch;
    if (producerEpoch !== t.producerEpoch && !retry) return failed(ErrorCode.PRODUCER_FENCED);
    if (retry) {
      // The end this retries was decided: answered as it was while its markers are written, or when done.
      if (t.state === (commit ? TxnState.CompleteCommit : TxnState.CompleteAbort)) return ok();
      if (t.state === (commit ? TxnState.PrepareCommit : TxnState.PrepareAbort)) return failed(ErrorCode.CONCURRENT_TRANSACTIONS);
      // The other outcome of a decided transaction (Kafka: INVALID_TXN_STATE); a later transaction fences the old epoch.
      return failed(t.state === TxnState.Ongoing ? ErrorCode.PRODUCER_FENCED : ErrorCode.INVALID_TXN_STATE);
    }
    if (t.completing) return failed(ErrorCode.CONCURRENT_TRANSACTIONS);
    const endsEmpty = !commit && (t.state === TxnState.Empty || t.state === TxnState.CompleteCommit || t.state === TxnState.CompleteAbort);
    if (t.state !== TxnState.Ongoing && !endsEmpty) return failed(t.state === TxnState.PrepareCommit || t.state === TxnState.PrepareAbort ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE);
    if (endsEmpty) t.partitions = new Map();
    t.clientTransactionVersion = TRANSACTION_VERSION_2;
    // Epochs exhausted: the markers still carry this producer id (at the last epoch), and the
    // producer continues with a new id at epoch 0 (Kafka's nextProducerId), taken over on completion.
    const rollover = t.producerEpoch >= MAX_EPOCH ? await this.#newProducerId() : -1n;
    t.nextProducerId = rollover;
    this.#bumpEpoch(t);
    this.#prepare(transactionalId, t, commit);
    return rollover >= 0n ? { errorCode: 0, producerId: rollover, producerEpoch: 0 } : ok();
  }

  /** EndTxn: 0 once the outcome is persisted (markers follow), or the error, as Kafka's endTransaction for version-1 clients. */
  endTxn(transactionalId: string, producerId: bigint, producerEpoch: number, commit: boolean): number {
    const t = this.#txns.get(transactionalId);
    const error = this.#producerError(t, producerId, producerEpoch);
    if (error !== 0 || !t) return error;
    switch (t.state) {
      case TxnState.Ongoing:
        this.#prepare(transactionalId, t, commit);
        return 0;
      // A retry of an end that completed is answered as it was; the other outcome is not allowed any more.
      case TxnState.CompleteCommit:
        return commit ? 0 : ErrorCode.INVALID_TXN_STATE;
      case TxnState.CompleteAbort:
        return commit ? ErrorCode.INVALID_TXN_STATE : 0;
      case TxnState.PrepareCommit:
        return commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE;
      case TxnState.PrepareAbort:
        return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS;
      default:
        return ErrorCode.INVALID_TXN_STATE;
    }
  }

  /**
   * Aborts every transaction running longer than its transaction.timeout.ms, fencing its producer
   * (epoch + 1) so that a hung producer cannot add to it afterwards; returns how many. The broker
   * calls it periodically (Kafka: transaction.abort.timed.out.transaction.cleanup.interval.ms).
   */
  abortTimedOut(): number {
    const now = this.#now();
    let aborted = 0;
    for (const [id, t] of this.#txns) {
      if (t.state !== TxnState.Ongoing || t.completing || t.startMs + t.timeoutMs > now) continue;
      this.#bumpEpoch(t);
      this.#prepare(id, t, false);
      aborted++;
    }
    return aborted;
  }

  /**
   * Forgets every transactional id whose last transaction ended (or that never began one) more than
   * `expirationMs` ago (transactional.id.expiration.ms): a tombstone in `__transaction_state`, so a
   * reload and compaction forget it too, as Kafka's removeExpiredTransactionalIds; returns how many.
   * A running or completing transaction never expires. The next InitProducerId of an expired id
   * gets a new producer id at epoch 0, as for an id never seen.
   */
  expireIdle(expirationMs: number): number {
    const cutoff = this.#now() - expirationMs;
    let expired = 0;
    for (const [id, t] of this.#txns) {
      const ended = t.state === TxnState.Empty || t.state === TxnState.CompleteCommit || t.state === TxnState.CompleteAbort;
      if (!ended || t.completing || t.lastUpdateMs > cutoff) continue;
      this.#store.append(id, null);
      this.#txns.delete(id);
      expired++;
    }
    return expired;
  }

  #bumpEpoch(t: Txn): void {
    t.lastProducerEpoch = t.producerEpoch;
    t.producerEpoch += 1;
  }

  /** Decides the outcome (persisted first), then has the markers written. */
  #prepare(transactionalId: string, t: Txn, commit: boolean): void {
    t.state = commit ? TxnState.PrepareCommit : TxnState.PrepareAbort;
    this.#persist(transactionalId, t);
    this.#complete(transactionalId, t);
  }

  #complete(transactionalId: string, t: Txn): void {
    if (this.#closed) return;
    t.completing = true;
    const commit = t.state === TxnState.PrepareCommit;
    const partitions = [...t.partitions].flatMap(([topic, ids]) => [...ids].map((partition) => ({ topic, partition })));
    this.#writeMarkers({ transactionalId, producerId: t.producerId, producerEpoch: t.producerEpoch, commit, partitions }).then(
      (result) => {
        if (this.#closed) return;
        // The producer or coordinator epoch has changed on a leader: this coordinator stops sending
        // the transaction's markers and leaves it undecided here (still Prepare*, answered
        // CONCURRENT_TRANSACTIONS), as Kafka's marker completion handler drops it; the coordinator
        // that fenced this one finishes it. Retrying would be refused until the partition is lost.
        if (result) return;
        t.completing = false;
        t.state = commit ? TxnState.CompleteCommit : TxnState.CompleteAbort;
        t.partitions = new Map();
        if (t.nextProducerId >= 0n) {
          t.previousProducerId = t.producerId;
          t.producerId = t.nextProducerId;
          t.nextProducerId = -1n;
          t.producerEpoch = 0;
          t.lastProducerEpoch = NO_EPOCH;
        }
        this.#persist(transactionalId, t);
      },
      () => {
        // A leader was unreachable: the outcome is decided, so the markers are written again until they land.
        if (this.#closed) return;
        const retry = setTimeout(() => {
          this.#retries.delete(retry);
          this.#complete(transactionalId, t);
        }, this.#settings.markerRetryMs);
        retry.unref();
        this.#retries.add(retry);
      },
    );
  }

  #persist(transactionalId: string, t: Txn): void {
    t.lastUpdateMs = this.#now();
    const { lastProducerEpoch: _last, completing: _completing, ...record } = t;
    this.#store.append(transactionalId, record);
  }
}
