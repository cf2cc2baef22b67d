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

export interface RecordBatch<R extends KafkaRecord = KafkaRecord> extends RecordBatchHeader {
  compression: CompressionId;
  /** 0 = create time, 1 = log-append time. */
  timestampType: 0 | 1;
  isTransactional: boolean;
  isControl: boolean;
  records: R[];
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
  // Varints of up to three bytes (every length below 1 MiB, every delta in a normal batch) are read
  // inline without allocating; the general loop, and any string for an error path, only past that.
  if (pos + 2 < end) {
    const b0 = buf[pos]!;
    if (b0 < 0x80) {
      next = pos + 1;
      return b0 & 1 ? -((b0 + 1) >> 1) : b0 >> 1;
    }
    const b1 = buf[pos + 1]!;
    if (b1 < 0x80) {
      const raw = (b0 & 0x7f) | (b1 << 7);
      next = pos + 2;
      return raw & 1 ? -((raw + 1) >> 1) : raw >> 1;
    }
    const b2 = buf[pos + 2]!;
    if (b2 < 0x80) {
      const raw = (b0 & 0x7f) | ((b1 & 0x7f) << 7) | (b2 << 14);
      next = pos + 3;
      return raw & 1 ? -((raw + 1) >> 1) : raw >> 1;
    }
  } else if (pos < end && buf[pos]! < 0x80) {
    const b0 = buf[pos]!;
    next = pos + 1;
    return b0 & 1 ? -((b0 + 1) >> 1) : b0 >> 1;
  }
  const [value, after] = readVarint(buf, pos, end, fieldPath(record, name));
  next = after;
  return value;
}

/** Skips a nullable varint-length byte field; returns its length (-1 for null), `next` after it. */
function skipBytes(buf: Buffer, pos: number, end: number, record: number, name: string): number {
  const len = varintAt(buf, pos, end, record, name);
  if (len < -1) throw new DecodeError('invalid-value', `length ${len}`, pos, [fieldPath(record, name)]);
  const start = next;
  if (len > 0 && start + len > end) throw new DecodeError('length-exceeds-buffer', `claims ${len} bytes, ${end - start} left`, start, [fieldPath(record, name)]);
  next = start + Math.max(len, 0);
  return len;
}

/** Records without headers (nearly all) share one frozen empty array instead of one each. */
const NO_HEADERS: RecordHeader[] = Object.freeze([]) as unknown as RecordHeader[];

/**
 * One record of a v2 batch whose fields were read and whose lengths were all checked, but whose key,
 * value and headers are sliced out of the batch only when read. A consumer that looks at a few
 * fields, or only at sizes and offsets, pays for no Buffer objects; every byte was still validated,
 * so reading a field never fails.
 */
export class RecordView implements KafkaRecord {
  readonly attributes: number;
  readonly timestampDelta: number;
  readonly offsetDelta: number;
  /** Position of the key's bytes in the batch body; `keyLength` is -1 for a null key. */
  readonly keyOffset: number;
  readonly keyLength: number;
  readonly valueOffset: number;
  readonly valueLength: number;
  readonly headerCount: number;
  readonly #body: Buffer;
  readonly #headersOffset: number;

  constructor(body: Buffer, attributes: number, timestampDelta: number, offsetDelta: number, keyOffset: number, keyLength: number, valueOffset: number, valueLength: number, headersOffset: number, headerCount: number) {
    this.#body = body;
    this.attributes = attributes;
    this.timestampDelta = timestampDelta;
    this.offsetDelta = offsetDelta;
    this.keyOffset = keyOffset;
    this.keyLength = keyLength;
    this.valueOffset = valueOffset;
    this.valueLength = valueLength;
    this.#headersOffset = headersOffset;
    this.headerCount = headerCount;
  }

  get key(): Buffer | null {
    return this.keyLength < 0 ? null : this.#body.subarray(this.keyOffset, this.keyOffset + this.keyLength);
  }

  get value(): Buffer | null {
    return this.valueLength < 0 ? null : this.#body.subarray(this.valueOffset, this.valueOffset + this.valueLength);
  }

  get headers(): RecordHeader[] {
    if (this.headerCount === 0) return NO_HEADERS;
    const headers: RecordHeader[] = new Array(this.headerCount);
    let pos = this.#headersOffset;
    for (let h = 0; h < this.headerCount; h++) {
      const keyLength = varintAt(this.#body, pos, this.#body.length, 0, '');
      const keyStart = next;
      const valueLength = varintAt(this.#body, keyStart + keyLength, this.#body.length, 0, '');
      const valueStart = next;
      pos = valueStart + Math.max(valueLength, 0);
      headers[h] = { key: this.#body.toString('utf8', keyStart, keyStart + keyLength), value: valueLength < 0 ? null : this.#body.subarray(valueStart, pos) };
    }
    return headers;
  }

  /** A plain object with every field sliced out (what `decodeRecords` returns). */
  toRecord(): KafkaRecord {
    return { attributes: this.attributes, timestampDelta: this.timestampDelta, offsetDelta: this.offsetDelta, key: this.key, value: this.value, headers: this.headers };
  }
}

/**
 * What walkRecords hands over for each record: its fields and the positions of its key, value and
 * headers in the records section (lengths -1 for null). Plain numbers, so a walk allocates nothing.
 */
export type RecordVisitor = (index: number, attributes: number, timestampDelta: number, offsetDelta: number, keyOffset: number, keyLength: number, valueOffset: number, valueLength: number, headersOffset: number, headerCount: number) => void;

/**
 * Walks and validates the records section of a batch (already decompressed) without slicing any
 * field or allocating per record: every length is checked against the bytes, so a lying count or
 * length fails here (DecodeError), after `visit` saw the records before it. The broker's
 * per-record checks of produced batches use it directly: a RecordView per record was most of the
 * young-generation garbage of a 100-byte-record produce load (bench/README.md, issue 21).
 */
export function walkRecords(buf: Buffer, count: number, visit: RecordVisitor): void {
  checkRecordCount(buf, count);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const length = varintAt(buf, pos, buf.length, i, '');
    const bodyStart = next;
    const end = bodyStart + length;
    if (length <= 0 || end > buf.length) throw new DecodeError('length-exceeds-buffer', `record claims ${length} bytes`, pos, [`records[${i}]`]);
    const attributes = buf[bodyStart]!;
    const timestampDelta = varintAt(buf, bodyStart + 1, end, i, 'timestampDelta');
    const offsetDelta = varintAt(buf, next, end, i, 'offsetDelta');
    const keyLength = skipBytes(buf, next, end, i, 'key');
    const keyOffset = next - Math.max(keyLength, 0);
    const valueLength = skipBytes(buf, next, end, i, 'value');
    const valueOffset = next - Math.max(valueLength, 0);
    const headerCount = varintAt(buf, next, end, i, 'headers');
    const headersOffset = next;
    if (headerCount < 0 || headerCount * 2 > end - next) throw new DecodeError('length-exceeds-buffer', `record claims ${headerCount} headers`, next, [`records[${i}].headers`]);
    for (let h = 0; h < headerCount; h++) {
      if (skipBytes(buf, next, end, i, `headers[${h}].key`) < 0) throw new DecodeError('invalid-value', 'header key is null', next, [`records[${i}].headers[${h}].key`]);
      skipBytes(buf, next, end, i, `headers[${h}].value`);
    }
    if (next !== end) throw new DecodeError('invalid-value', `record length ${length} does not match its fields`, next, [`records[${i}]`]);
    visit(i, attributes, timestampDelta, offsetDelta, keyOffset, keyLength, valueOffset, valueLength, headersOffset, headerCount);
    pos = end;
  }
  // Bytes after the declared count mean the count or a length lies (Kafka refuses these too).
  if (pos !== buf.length) throw new DecodeError('invalid-value', `${buf.length - pos} bytes left after ${count} records`, pos, ['records']);
}

/** Each record needs at least 7 bytes; a count the bytes cannot hold is refused before allocating. */
function checkRecordCount(buf: Buffer, count: number): void {
  if (count < 0 || count * 7 > buf.length) throw new DecodeError('length-exceeds-buffer', `batch claims ${count} records in ${buf.length} bytes`, 0, ['records']);
}

/**
 * Walks and validates the records section of a batch (already decompressed) without slicing any
 * field (walkRecords), one RecordView per record.
 */
export function decodeRecordViews(buf: Buffer, count: number): RecordView[] {
  checkRecordCount(buf, count);
  const records: RecordView[] = new Array(count);
  walkRecords(buf, count, (i, attributes, timestampDelta, offsetDelta, keyOffset, keyLength, valueOffset, valueLength, headersOffset, headerCount) => {
    records[i] = new RecordView(buf, attributes, timestampDelta, offsetDelta, keyOffset, keyLength, valueOffset, valueLength, headersOffset, headerCount);
  });
  return records;
}

/** Decodes the records section of a batch (already decompressed) into plain objects. */
export function decodeRecords(buf: Buffer, count: number): KafkaRecord[] {
  const views = decodeRecordViews(buf, count);
  const records: KafkaRecord[] = new Array(views.length);
  for (let i = 0; i < views.length; i++) records[i] = views[i]!.toRecord();
  return records;
}

/** Decodes one whole v2 batch (CRC checked, records decompressed and decoded). */
export function decodeRecordBatch(batch: Buffer, options: { maxDecompressedBytes?: number; verifyCrc?: boolean; lazy?: false } = {}): RecordBatch {
  return decodeBatch(batch, options, decodeRecords);
}

/** Like decodeRecordBatch, but records are RecordViews: validated now, sliced when read. */
export function decodeRecordBatchLazy(batch: Buffer, options: { maxDecompressedBytes?: number; verifyCrc?: boolean } = {}): RecordBatch<RecordView> {
  return decodeBatch(batch, options, decodeRecordViews);
}

/**
 * Checks one whole v2 batch as decodeRecordBatch does (CRC unless `verifyCrc: false`, records
 * decompressed) and walks its records with `visit` (walkRecords: nothing allocated per record).
 * Returns the batch's header.
 */
export function walkRecordBatch(batch: Buffer, options: { maxDecompressedBytes?: number; verifyCrc?: boolean }, visit: RecordVisitor): RecordBatchHeader {
  const { header, body } = batchBody(batch, options);
  walkRecords(body, header.recordsCount, visit);
  return header;
}

function decodeBatch<R extends KafkaRecord>(batch: Buffer, options: { maxDecompressedBytes?: number; verifyCrc?: boolean }, records: (body: Buffer, count: number) => R[]): RecordBatch<R> {
  const { header, compression, body } = batchBody(batch, options);
  return {
    ...header,
    compression,
    timestampType: header.attributes & ATTR_TIMESTAMP_TYPE ? 1 : 0,
    isTransactional: (header.attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (header.attributes & ATTR_CONTROL) !== 0,
    records: records(body, header.recordsCount),
  };
}

/** A v2 batch's header, checked, and its records section decompressed. */
function batchBody(batch: Buffer, options: { maxDecompressedBytes?: number; verifyCrc?: boolean }): { header: RecordBatchHeader; compression: CompressionId; body: Buffer } {
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
  return { header, compression, body };
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
