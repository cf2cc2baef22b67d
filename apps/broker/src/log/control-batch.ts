import { BatchHeader, encodeRecordBatch, readVarint } from '@tributary/protocol';
import { ABORT_MARKER, COMMIT_MARKER, CONTROL_FLAG } from './transaction-index.ts';

/**
 * Transaction markers as Kafka writes them (EndTransactionMarker, ControlRecordType): a control
 * batch of the producer's id and epoch, transactional, no sequence, holding one record whose key is
 * (int16 version 0, int16 type: ABORT 0 / COMMIT 1) and whose value is (int16 version 0, int32
 * coordinator epoch). Clients skip control batches; read_committed consumers use ABORT markers to
 * end the aborted ranges Fetch lists.
 */
export function encodeControlBatch(m: { producerId: bigint; producerEpoch: number; commit: boolean; coordinatorEpoch: number; timestamp: number }): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(m.commit ? COMMIT_MARKER : ABORT_MARKER, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(m.coordinatorEpoch, 2);
  return encodeRecordBatch({ isTransactional: true, isControl: true, producerId: m.producerId, producerEpoch: m.producerEpoch, baseSequence: -1, baseTimestamp: m.timestamp, records: [{ key, value }] });
}

/** What a control batch says: its type (ABORT 0, COMMIT 1) and the coordinator epoch of its marker. */
export interface ControlRecord {
  controlType: number;
  coordinatorEpoch: number;
}

const NO_CONTROL: ControlRecord = { controlType: -1, coordinatorEpoch: -1 };

/**
 * The control record of a stored batch (its first record: the type in the key, the coordinator
 * epoch in an EndTransactionMarker value), -1s when the batch is no control batch or cannot be
 * read. Control batches are never compressed, so the record follows the header as written.
 */
export function controlOf(batch: Buffer): ControlRecord {
  if (batch.length < BatchHeader.SIZE || (batch.readInt16BE(BatchHeader.ATTRIBUTES) & CONTROL_FLAG) === 0) return NO_CONTROL;
  try {
    const end = batch.length;
    let [, p] = readVarint(batch, BatchHeader.SIZE, end, 'length');
    p += 1; // record attributes
    [, p] = readVarint(batch, p, end, 'timestampDelta');
    [, p] = readVarint(batch, p, end, 'offsetDelta');
    const [keyLength, keyAt] = readVarint(batch, p, end, 'keyLength');
    if (keyLength < 4 || keyAt + keyLength > end) return NO_CONTROL;
    const controlType = batch.readInt16BE(keyAt + 2);
    // Markers (ABORT, COMMIT) carry (int16 version, int32 coordinator epoch); other control types may not.
    const [valueLength, valueAt] = readVarint(batch, keyAt + keyLength, end, 'valueLength');
    const coordinatorEpoch = valueLength >= 6 && valueAt + 6 <= end ? batch.readInt32BE(valueAt + 2) : -1;
    return { controlType, coordinatorEpoch };
  } catch {
    return NO_CONTROL;
  }
}
