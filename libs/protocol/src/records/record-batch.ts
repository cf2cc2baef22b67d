import { DecodeError } from '../codec/decode-error.ts';
import { compress, Compression, compressionName, decompress, DEFAULT_MAX_DECOMPRESSED_BYTES, type CompressionId } from '../compression/codecs.ts';
import { BatchHeader, computeBatchCrc, readBatchHeader, type RecordBatchHeader } from './batch-header.ts';
import { readVarint, varintSize, writeVarint } from './varint.ts';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** One record of a v2 batch. key, value and header values are slices of the (decompressed) batch. */
export interface KafkaRecord {
  attributes: number;
  timestampDelta: number;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface RecordBatch extends RecordBatchHeader {
  compression: CompressionId;
  /** 0 = create time, 1 = log-append time. */
  timestampType: 0 | 1;
  isTransactional: boolean;
  isControl: boolean;
  records: KafkaRecord[];
}

const ATTR_COMPRESSION = 0x07;
const ATTR_TIMESTAMP_TYPE = 0x08;
const ATTR_TRANSACTIONAL = 0x10;
const ATTR_CONTROL = 0x20;

export function batchAttributes(a: { compression?: number; timestampType?: 0 | 1; isTransactional?: boolean; isControl?: boolean }): number {
  return (a.compression ?? 0) | (a.timestampType ? ATTR_TIMESTAMP_TYPE : 0) | (a.isTransactional ? ATTR_TRANSACTIONAL : 0) | (a.isControl ? ATTR_CONTROL : 0);
}

// Position after the last field read. Module state instead of [value, next] tuples keeps the
// per-record decode free of allocations other than the record itself and its slices.
let next = 0;

/** Field paths are only built when something fails: no string work on the hot path. */
function fieldPath(record: number, name: string): string {
  return name ? `records[${record}].${name}` : `records[${record}]`;
}

function varintAt(buf: Buffer, pos: number, end: number, record: number, name: string): number {
  // One-byte varints (most lengths and deltas in small records) skip the general loop.
  if (pos < end) {
    const b = buf[pos]!;
    if (b < 0x80) {
      next = pos + 1;
      return b & 1 ? -((b + 1) >> 1) : b >> 1;
    }
  }
  const [value, after] = readVarint(buf, pos, end, fieldPath(record, name));
  next = after;
  return value;
}

function bytesAt(buf: Buffer, pos: number, end: number, record: number, name: string): Buffer | null {
  const len = varintAt(buf, pos, end, record, name);
  if (len < 0) return null;
  const start = next;
  if (start + len > end) throw new DecodeError('length-exceeds-buffer', `claims ${len} bytes, ${end - start} left`, start, [fieldPath(record, name)]);
  next = start + len;
  return buf.subarray(start, start + len);
}

/** Decodes the records section of a batch (already decompressed). */
export function decodeRecords(buf: Buffer, count: number): KafkaRecord[] {
  // Each record needs at least 7 bytes; a count the bytes cannot hold is refused before allocating.
  if (count < 0 || count * 7 > buf.length) throw new DecodeError('length-exceeds-buffer', `batch claims ${count} records in ${buf.length} bytes`, 0, ['records']);
  const records: KafkaRecord[] = new Array(count);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const length = varintAt(buf, pos, buf.length, i, '');
    const bodyStart = next;
    const end = bodyStart + length;
    if (length <= 0 || end > buf.length) throw new DecodeError('length-exceeds-buffer', `record claims ${length} bytes`, pos, [`records[${i}]`]);
    const attributes = buf[bodyStart]!;
    const timestampDelta = varintAt(buf, bodyStart + 1, end, i, 'timestampDelta');
    const offsetDelta = varintAt(buf, next, end, i, 'offsetDelta');
    const key = bytesAt(buf, next, end, i, 'key');
    const value = bytesAt(buf, next, end, i, 'value');
    const headerCount = varintAt(buf, next, end, i, 'headers');
    if (headerCount < 0 || headerCount * 2 > end - next) throw new DecodeError('length-exceeds-buffer', `record claims ${headerCount} headers`, next, [`records[${i}].headers`]);
    const headers: RecordHeader[] = headerCount === 0 ? [] : new Array(headerCount);
    for (let h = 0; h < headerCount; h++) {
      const hk = bytesAt(buf, next, end, i, `headers[${h}].key`);
      if (hk === null) throw new DecodeError('invalid-value', 'header key is null', next, [`records[${i}].headers[${h}].key`]);
      const hv = bytesAt(buf, next, end, i, `headers[${h}].value`);
      headers[h] = { key: hk.toString('utf8'), value: hv };
    }
    if (next !== end) throw new DecodeError('invalid-value', `record length ${length} does not match its fields`, next, [`records[${i}]`]);
    records[i] = { attributes, timestampDelta, offsetDelta, key, value, headers };
    pos = end;
  }
  // Bytes after the declared count mean the count or a length lies (Kafka refuses these too).
  if (pos !== buf.length) throw new DecodeError('invalid-value', `${buf.length - pos} bytes left after ${count} records`, pos, ['records']);
  return records;
}

/** Decodes one whole v2 batch (CRC checked, records decompressed and decoded). */
export function decodeRecordBatch(batch: Buffer, options: { maxDecompressedBytes?: number; verifyCrc?: boolean } = {}): RecordBatch {
  if (batch.length < BatchHeader.SIZE) throw new DecodeError('truncated', `batch of ${batch.length} bytes is shorter than its header`, 0, ['batch']);
  const header = readBatchHeader(batch);
  if (header.magic !== 2) throw new DecodeError('invalid-value', `magic ${header.magic} is not a v2 batch`, BatchHeader.MAGIC, ['magic']);
  if (header.batchLength + BatchHeader.LOG_OVERHEAD !== batch.length) {
    throw new DecodeError('length-exceeds-buffer', `batchLength ${header.batchLength} does not match ${batch.length - BatchHeader.LOG_OVERHEAD} bytes`, BatchHeader.BATCH_LENGTH, ['batchLength']);
  }
  if (options.verifyCrc !== false && computeBatchCrc(batch) !== header.crc) throw new DecodeError('invalid-value', 'CRC32C mismatch', BatchHeader.CRC, ['crc']);
  const compression = (header.attributes & ATTR_COMPRESSION) as CompressionId;
  compressionName(compression);
  const body = decompress(compression, batch.subarray(BatchHeader.SIZE), options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES);
  return {
    ...header,
    compression,
    timestampType: header.attributes & ATTR_TIMESTAMP_TYPE ? 1 : 0,
    isTransactional: (header.attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (header.attributes & ATTR_CONTROL) !== 0,
    records: decodeRecords(body, header.recordsCount),
  };
}

/**
 * A record's timestamp as consumers see it: under log-append time every record of the batch carries
 * the broker's append time (maxTimestamp); under create time it is baseTimestamp + timestampDelta.
 */
export function recordTimestamp(batch: Pick<RecordBatch, 'timestampType' | 'baseTimestamp' | 'maxTimestamp'>, record: Pick<KafkaRecord, 'timestampDelta'>): bigint {
  return batch.timestampType === 1 ? batch.maxTimestamp : batch.baseTimestamp + BigInt(record.timestampDelta);
}

export interface RecordInput {
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  headers?: { key: string; value: Buffer | string | null }[];
  /** Absolute timestamp in ms; defaults to the batch's base timestamp. */
  timestamp?: number;
  /** Offset delta; defaults to the record's index. */
  offsetDelta?: number;
}

export interface BatchInput {
  records: RecordInput[];
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  compression?: CompressionId;
  timestampType?: 0 | 1;
  isTransactional?: boolean;
  isControl?: boolean;
  baseTimestamp?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
}

const asBuf = (v: Buffer | string | null | undefined): Buffer | null => (v === null || v === undefined ? null : typeof v === 'string' ? Buffer.from(v) : v);

/** Encodes the records section at `offset` of a buffer with `headroom` bytes reserved before it. */
function encodeRecordsSection(records: RecordInput[], baseTimestamp: number, headroom = 0): Buffer {
  const prepared = records.map((r, i) => {
    const key = asBuf(r.key);
    const value = asBuf(r.value);
    const headers = (r.headers ?? []).map((h) => ({ key: Buffer.from(h.key), value: asBuf(h.value) }));
    const timestampDelta = (r.timestamp ?? baseTimestamp) - baseTimestamp;
    const offsetDelta = r.offsetDelta ?? i;
    let body = 1 + varintSize(timestampDelta) + varintSize(offsetDelta);
    body += key ? varintSize(key.length) + key.length : 1;
    body += value ? varintSize(value.length) + value.length : 1;
    body += varintSize(headers.length);
    for (const h of headers) body += varintSize(h.key.length) + h.key.length + (h.value ? varintSize(h.value.length) + h.value.length : 1);
    return { key, value, headers, timestampDelta, offsetDelta, body };
  });
  const total = prepared.reduce((n, r) => n + varintSize(r.body) + r.body, 0);
  const out = Buffer.allocUnsafe(headroom + total);
  out.fill(0, 0, headroom);
  let p = headroom;
  for (const r of prepared) {
    p = writeVarint(out, p, r.body);
    out[p++] = 0;
    p = writeVarint(out, p, r.timestampDelta);
    p = writeVarint(out, p, r.offsetDelta);
    for (const b of [r.key, r.value]) {
      if (b === null) p = writeVarint(out, p, -1);
      else {
        p = writeVarint(out, p, b.length);
        p += b.copy(out, p);
      }
    }
    p = writeVarint(out, p, r.headers.length);
    for (const h of r.headers) {
      p = writeVarint(out, p, h.key.length);
      p += h.key.copy(out, p);
      if (h.value === null) p = writeVarint(out, p, -1);
      else {
        p = writeVarint(out, p, h.value.length);
        p += h.value.copy(out, p);
      }
    }
  }
  return out;
}

/** Builds one v2 record batch with a valid CRC. */
export function encodeRecordBatch(input: BatchInput): Buffer {
  const baseTimestamp = input.baseTimestamp ?? input.records[0]?.timestamp ?? Date.now();
  const compression = input.compression ?? Compression.none;
  let batch: Buffer;
  if (compression === Compression.none) {
    // Uncompressed: encode the records in place after the header, one allocation and no copy.
    batch = encodeRecordsSection(input.records, baseTimestamp, BatchHeader.SIZE);
  } else {
    const section = compress(compression, encodeRecordsSection(input.records, baseTimestamp));
    batch = Buffer.alloc(BatchHeader.SIZE + section.length);
    section.copy(batch, BatchHeader.SIZE);
  }
  const lastOffsetDelta = input.records.reduce((m, r, i) => Math.max(m, r.offsetDelta ?? i), 0);
  const maxTimestamp = input.records.reduce((m, r) => Math.max(m, r.timestamp ?? baseTimestamp), baseTimestamp);
  batch.writeBigInt64BE(input.baseOffset ?? 0n, BatchHeader.BASE_OFFSET);
  batch.writeInt32BE(batch.length - BatchHeader.LOG_OVERHEAD, BatchHeader.BATCH_LENGTH);
  batch.writeInt32BE(input.partitionLeaderEpoch ?? -1, BatchHeader.PARTITION_LEADER_EPOCH);
  batch.writeInt8(2, BatchHeader.MAGIC);
  batch.writeInt16BE(batchAttributes({ ...input, compression }), BatchHeader.ATTRIBUTES);
  batch.writeInt32BE(lastOffsetDelta, BatchHeader.LAST_OFFSET_DELTA);
  batch.writeBigInt64BE(BigInt(baseTimestamp), BatchHeader.BASE_TIMESTAMP);
  batch.writeBigInt64BE(BigInt(maxTimestamp), BatchHeader.MAX_TIMESTAMP);
  batch.writeBigInt64BE(input.producerId ?? -1n, BatchHeader.PRODUCER_ID);
  batch.writeInt16BE(input.producerEpoch ?? -1, BatchHeader.PRODUCER_EPOCH);
  batch.writeInt32BE(input.baseSequence ?? -1, BatchHeader.BASE_SEQUENCE);
  batch.writeInt32BE(input.records.length, BatchHeader.RECORDS_COUNT);
  batch.writeUInt32BE(computeBatchCrc(batch), BatchHeader.CRC);
  return batch;
}
