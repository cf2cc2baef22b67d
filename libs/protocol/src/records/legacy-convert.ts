import { crc32 } from 'node:zlib';
import { DecodeError } from '../codec/decode-error.ts';
import { compress, Compression, decompress, DEFAULT_MAX_DECOMPRESSED_BYTES, type CompressionId } from '../compression/codecs.ts';
import { xxh32 } from '../compression/lz4-frame.ts';
import { encodeLegacyMessage } from './legacy.ts';
import { decodeRecordBatch, encodeRecordBatch, type RecordInput } from './record-batch.ts';
import { splitBatches } from './record-set.ts';

/**
 * The broker's two conversions between the legacy message formats (magic 0 and 1) and the v2
 * batches it stores, as Kafka's broker does them for Produce v0–2 and Fetch v0–3.
 *
 * Up-conversion (produce) is strict where `decodeLegacyMessageSet` is lenient: a produced set must
 * be whole, every CRC must match, and each problem is answered with the Kafka error the Java broker
 * gives (CORRUPT_MESSAGE, INVALID_RECORD, MESSAGE_TOO_LARGE, UNSUPPORTED_COMPRESSION_TYPE), so the
 * caller appends nothing of a refused set.
 */
export type LegacyProblem =
  | { code: 'CORRUPT_MESSAGE'; detail: string }
  | { code: 'INVALID_RECORD'; detail: string }
  | { code: 'MESSAGE_TOO_LARGE'; detail: string }
  | { code: 'UNSUPPORTED_COMPRESSION_TYPE'; detail: string };

interface StrictMessage {
  magic: 0 | 1;
  attributes: number;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  /** Bytes on the wire including the 12-byte offset + size prefix. */
  size: number;
}

const LOG_OVERHEAD = 12;
/** crc + magic + attributes + key length + value length. */
const MIN_BODY = [14, 22] as const;
const TIMESTAMP_TYPE_BIT = 0x08;
/** Where the magic byte sits in both a legacy message and a v2 batch. */
export const MAGIC_POSITION = 16;

type Parsed = { ok: true; messages: StrictMessage[] } | { ok: false; problem: LegacyProblem };

function corrupt(detail: string): { ok: false; problem: LegacyProblem } {
  return { ok: false, problem: { code: 'CORRUPT_MESSAGE', detail } };
}

function readBytes(buf: Buffer, pos: number, end: number): [Buffer | null, number] | null {
  if (pos + 4 > end) return null;
  const len = buf.readInt32BE(pos);
  if (len === -1) return [null, pos + 4];
  if (len < 0 || pos + 4 + len > end) return null;
  return [buf.subarray(pos + 4, pos + 4 + len), pos + 4 + len];
}

/** Walks a produced message set: every message whole, CRC32 matching, key and value filling it exactly. */
function parseStrict(blob: Buffer, where: string): Parsed {
  const messages: StrictMessage[] = [];
  let pos = 0;
  while (pos < blob.length) {
    if (blob.length - pos < LOG_OVERHEAD) return corrupt(`${where}: ${blob.length - pos} trailing bytes after the last message`);
    const size = blob.readInt32BE(pos + 8);
    const start = pos + LOG_OVERHEAD;
    const end = start + size;
    if (size < MIN_BODY[0] || end > blob.length) return corrupt(`${where}: message at byte ${pos} claims ${size} bytes, ${blob.length - start} are left`);
    if ((crc32(blob.subarray(start + 4, end)) >>> 0) !== blob.readUInt32BE(start)) return corrupt(`${where}: CRC32 mismatch in the message at byte ${pos}`);
    const magic = blob.readInt8(start + 4);
    if (magic !== 0 && magic !== 1) return corrupt(`${where}: magic ${magic} in a legacy message set`);
    if (size < MIN_BODY[magic]) return corrupt(`${where}: magic ${magic} message of ${size} bytes is too short`);
    const attributes = blob.readInt8(start + 5);
    const timestamp = magic === 1 ? blob.readBigInt64BE(start + 6) : -1n;
    const key = readBytes(blob, start + (magic === 1 ? 14 : 6), end);
    const value = key && readBytes(blob, key[1], end);
    if (!key || !value || value[1] !== end) return corrupt(`${where}: key and value lengths do not fill the message at byte ${pos}`);
    messages.push({ magic, attributes, timestamp, key: key[0], value: value[0], size: size + LOG_OVERHEAD });
    pos = end;
  }
  return { ok: true, messages };
}

export interface UpConvertOptions {
  /** `max.message.bytes`: the limit for each top-level message (a compressed wrapper counts whole). */
  maxMessageBytes: number;
  /** Compacted topics refuse records without a key (INVALID_RECORD), as Kafka does. */
  requireKeys?: boolean;
  /** Timestamp given to magic 0 messages (which carry none) and to magic 1 ones without one. */
  now?: number;
  maxDecompressedBytes?: number;
}

/**
 * Converts a produced magic 0/1 message set into one v2 batch (offsets 0..n-1; the log assigns the
 * real ones). As Kafka does with `compression.type=producer`, the batch keeps the codec the client
 * chose for its wrappers. Offsets the client wrote are ignored, as Kafka's broker ignores them.
 */
export function upConvertLegacyMessageSet(blob: Buffer, options: UpConvertOptions): { ok: true; batch: Buffer; records: number } | { ok: false; problem: LegacyProblem } {
  const outer = parseStrict(blob, 'message set');
  if (!outer.ok) return outer;
  if (outer.messages.length === 0) return corrupt('the message set holds no message');
  const now = options.now ?? Date.now();
  const records: RecordInput[] = [];
  let codec: CompressionId = Compression.none;
  const add = (m: StrictMessage) => {
    if (options.requireKeys && m.key === null) return { code: 'INVALID_RECORD', detail: 'a compacted topic cannot accept a message without a key' } as const;
    records.push({ key: m.key, value: m.value, timestamp: m.timestamp >= 0n ? Number(m.timestamp) : now, offsetDelta: records.length });
    return null;
  };
  for (const m of outer.messages) {
    if (m.size > options.maxMessageBytes) return { ok: false, problem: { code: 'MESSAGE_TOO_LARGE', detail: `message of ${m.size} bytes exceeds max.message.bytes ${options.maxMessageBytes}` } };
    const wrapperCodec = m.attributes & 0x07;
    if (wrapperCodec === Compression.none) {
      const problem = add(m);
      if (problem) return { ok: false, problem };
      continue;
    }
    if (wrapperCodec === Compression.zstd) return { ok: false, problem: { code: 'UNSUPPORTED_COMPRESSION_TYPE', detail: 'zstd needs message format v2 (Produce v7 or later)' } };
    if (wrapperCodec > Compression.zstd) return corrupt(`unknown compression id ${wrapperCodec}`);
    if (m.value === null) return corrupt('a compressed wrapper message without a value');
    let innerBytes: Buffer;
    try {
      innerBytes = decompress(wrapperCodec as CompressionId, m.value, options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES);
    } catch (err) {
      if (err instanceof DecodeError) return corrupt(`compressed wrapper: ${err.message}`);
      throw err;
    }
    const inner = parseStrict(innerBytes, 'compressed wrapper');
    if (!inner.ok) return inner;
    if (inner.messages.length === 0) return corrupt('a compressed wrapper holds no message');
    for (const im of inner.messages) {
      // Kafka's LogValidator refuses both: the format cannot express them.
      if ((im.attributes & 0x07) !== Compression.none) return { ok: false, problem: { code: 'INVALID_RECORD', detail: 'a compressed wrapper holds a compressed message' } };
      if (im.magic !== m.magic) return { ok: false, problem: { code: 'INVALID_RECORD', detail: `a magic ${m.magic} wrapper holds a magic ${im.magic} message` } };
      const problem = add(im);
      if (problem) return { ok: false, problem };
    }
    codec = wrapperCodec as CompressionId;
  }
  const baseTimestamp = records.reduce((min, r) => Math.min(min, r.timestamp!), Number.POSITIVE_INFINITY);
  return { ok: true, batch: encodeRecordBatch({ records, baseOffset: 0n, baseTimestamp, compression: codec }), records: records.length };
}

export interface DownConvertOptions {
  magic: 0 | 1;
  /** Records before this offset (the start of the first batch) are left out, as Kafka does. */
  fetchOffset: number;
  /** Whole messages are served up to this many bytes; the first one is always served, so a consumer progresses. */
  maxBytes: number;
  maxDecompressedBytes?: number;
}

/**
 * Down-converts stored v2 batches (a Fetch blob; a trailing partial batch is ignored) into a magic
 * 0 or 1 message set, as Kafka's broker does for Fetch v0–3:
 * - uncompressed batches become one message per record; headers are dropped (the formats have none);
 * - compressed batches become one compressed wrapper message holding the records, with the same
 *   codec. Every client that speaks these versions reads gzip, snappy and LZ4 wrappers (that is how
 *   they were written in Kafka 0.8–0.10), and re-compressing keeps the bytes on the wire close to
 *   what was produced; decompressing would multiply them for exactly the old, slow consumers;
 * - magic 1 wrappers carry the last absolute offset and relative inner offsets (KIP-31), magic 0
 *   wrappers absolute ones; magic 0 LZ4 gets the old Kafka frame header checksum (KAFKA-3160) that
 *   0.8/0.9 Java readers check (librdkafka accepts either);
 * - zstd cannot be expressed before v2: like Kafka (KIP-110) the partition answers
 *   UNSUPPORTED_COMPRESSION_TYPE when the first batch to serve is zstd, and stops before a later one;
 * - control batches (transaction markers) are skipped.
 */
export function downConvertBatches(blob: Buffer, options: DownConvertOptions): { ok: true; records: Buffer; messages: number } | { ok: false; problem: LegacyProblem } {
  const { magic } = options;
  const parts: Buffer[] = [];
  let total = 0;
  let messages = 0;
  const fits = (m: Buffer) => total === 0 || total + m.length <= options.maxBytes;
  const push = (m: Buffer, count: number) => {
    parts.push(m);
    total += m.length;
    messages += count;
  };
  for (const span of splitBatches(blob).batches) {
    const batch = decodeRecordBatch(blob.subarray(span.position, span.position + span.size), { verifyCrc: false, maxDecompressedBytes: options.maxDecompressedBytes });
    if (batch.isControl) continue;
    const base = Number(batch.baseOffset);
    const records = batch.records.filter((r) => base + r.offsetDelta >= options.fetchOffset);
    if (records.length === 0) continue;
    if (batch.compression === Compression.zstd) {
      if (total === 0) return { ok: false, problem: { code: 'UNSUPPORTED_COMPRESSION_TYPE', detail: `zstd-compressed records at offset ${base + records[0]!.offsetDelta} cannot be served in message format v${magic}; fetch with v10 or later` } };
      break;
    }
    const logAppendTime = batch.timestampType === 1;
    const timestampOf = (delta: number) => (logAppendTime ? batch.maxTimestamp : batch.baseTimestamp + BigInt(delta));
    const typeBit = magic === 1 && logAppendTime ? TIMESTAMP_TYPE_BIT : 0;
    if (batch.compression === Compression.none) {
      for (const r of records) {
        const m = encodeLegacyMessage({ offset: BigInt(base + r.offsetDelta), magic, attributes: typeBit, timestamp: timestampOf(r.timestampDelta), key: r.key, value: r.value });
        if (!fits(m)) return done();
        push(m, 1);
      }
      continue;
    }
    const first = base + records[0]!.offsetDelta;
    const last = base + records.at(-1)!.offsetDelta;
    const inner = Buffer.concat(
      records.map((r) => encodeLegacyMessage({ offset: BigInt(magic === 1 ? base + r.offsetDelta - first : base + r.offsetDelta), magic, timestamp: timestampOf(r.timestampDelta), key: r.key, value: r.value })),
    );
    const value = compress(batch.compression, inner);
    if (magic === 0 && batch.compression === Compression.lz4) breakLz4HeaderChecksum(value);
    const maxTimestamp = records.reduce((max, r) => (timestampOf(r.timestampDelta) > max ? timestampOf(r.timestampDelta) : max), -1n);
    const wrapper = encodeLegacyMessage({ offset: BigInt(last), magic, attributes: batch.compression | typeBit, timestamp: maxTimestamp, key: null, value });
    if (!fits(wrapper)) break;
    push(wrapper, records.length);
  }
  return done();

  function done() {
    return { ok: true as const, records: parts.length === 1 ? parts[0]! : Buffer.concat(parts, total), messages };
  }
}

/**
 * Kafka before KIP-57 computed the LZ4 frame header checksum over the frame magic too; its magic 0
 * readers expect that value. Our LZ4 writer's frames carry no content size or dictionary id, so the
 * descriptor is FLG and BD and the checksum byte sits at position 6.
 */
function breakLz4HeaderChecksum(frame: Buffer): void {
  const flg = frame[4]!;
  if ((flg & 0x09) !== 0) throw new DecodeError('invalid-value', 'unexpected LZ4 frame descriptor (content size or dictionary id)', 4, ['value']);
  frame[6] = (xxh32(frame.subarray(0, 6)) >>> 8) & 0xff;
}
