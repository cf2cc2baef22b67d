import { decodeTransactionLogKey, decodeTransactionLogValue, encodeTransactionLogKey, encodeTransactionLogValue, Reader, Writer } from '@tributary/protocol';

/**
 * The records of `__transaction_state` in Kafka's own format: a key (int16 version 0, then
 * TransactionLogKey: the transactional id) and a value (int16 version, then TransactionLogValue),
 * both generated from libs/protocol/specs/records. Kafka 4.4 writes value version 1 (flexible,
 * with previous/next producer id and the client's transaction version as tagged fields) once the
 * cluster's transaction.version is at least 1 (TransactionVersion.transactionLogValueVersion), as
 * it is by default; this broker writes the same. A null value is a tombstone (an expired id).
 */
export const TRANSACTION_KEY_VERSION = 0;
export const TRANSACTION_VALUE_VERSION = 1;

/** Kafka's TransactionState ids, as the value's TransactionStatus stores them. */
export const TxnState = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const;
export type TxnStateId = (typeof TxnState)[keyof typeof TxnState];
export const txnStateName = (s: TxnStateId): string => Object.keys(TxnState).find((k) => TxnState[k as keyof typeof TxnState] === s) ?? String(s);

/** What `__transaction_state` keeps per transactional id (Kafka's TxnTransitMetadata, as persisted). */
export interface TransactionRecord {
  producerId: bigint;
  previousProducerId: bigint;
  nextProducerId: bigint;
  producerEpoch: number;
  timeoutMs: number;
  state: TxnStateId;
  /** Partitions in the transaction, by topic (empty in Empty and Complete* states). */
  partitions: Map<string, Set<number>>;
  lastUpdateMs: number;
  /** When the transaction started (its first AddPartitionsToTxn); -1 when none runs. */
  startMs: number;
  clientTransactionVersion: number;
}

function versioned(version: number, encode: (w: Writer) => void): Buffer {
  const w = new Writer();
  w.int16(version);
  encode(w);
  return w.toBuffer();
}

export function encodeTransactionKey(transactionalId: string): Buffer {
  return versioned(TRANSACTION_KEY_VERSION, (w) => encodeTransactionLogKey({ transactionalId }, TRANSACTION_KEY_VERSION, w));
}

export function encodeTransactionValue(r: TransactionRecord): Buffer {
  // Kafka writes null partitions for an Empty transaction, the set otherwise (TransactionLog.valueToBytes).
  const partitions = r.state === TxnState.Empty ? null : [...r.partitions].map(([topic, ids]) => ({ topic, partitionIds: [...ids].sort((a, b) => a - b) }));
  return versioned(TRANSACTION_VALUE_VERSION, (w) =>
    encodeTransactionLogValue(
      {
        producerId: r.producerId,
        previousProducerId: r.previousProducerId,
        nextProducerId: r.nextProducerId,
        producerEpoch: r.producerEpoch,
        transactionTimeoutMs: r.timeoutMs,
        transactionStatus: r.state,
        transactionPartitions: partitions,
        transactionLastUpdateTimestampMs: BigInt(r.lastUpdateMs),
        transactionStartTimestampMs: BigInt(r.startMs),
        clientTransactionVersion: r.clientTransactionVersion,
      },
      TRANSACTION_VALUE_VERSION,
      w,
    ),
  );
}

/** A record read back; null when the key is not a transaction key version this broker knows. */
export function decodeTransactionRecord(key: Buffer, value: Buffer | null): { transactionalId: string; value: TransactionRecord | null } | null {
  const kr = new Reader(key);
  const keyVersion = kr.int16();
  if (keyVersion !== TRANSACTION_KEY_VERSION) return null;
  const { transactionalId } = decodeTransactionLogKey(kr, keyVersion);
  if (value === null) return { transactionalId, value: null };
  const vr = new Reader(value);
  const version = vr.int16();
  const v = decodeTransactionLogValue(vr, version);
  const partitions = new Map<string, Set<number>>();
  for (const p of v.transactionPartitions ?? []) partitions.set(p.topic, new Set(p.partitionIds));
  return {
    transactionalId,
    value: {
      producerId: v.producerId,
      previousProducerId: v.previousProducerId,
      nextProducerId: v.nextProducerId,
      producerEpoch: v.producerEpoch,
      timeoutMs: v.transactionTimeoutMs,
      state: v.transactionStatus as TxnStateId,
      partitions,
      lastUpdateMs: Number(v.transactionLastUpdateTimestampMs),
      startMs: Number(v.transactionStartTimestampMs),
      clientTransactionVersion: v.clientTransactionVersion,
    },
  };
}
