import { crc32 } from 'node:zlib';
import { DecodeError } from '../codec/decode-error.ts';
import { Compression, compressionName, decompress, DEFAULT_MAX_DECOMPRESSED_BYTES, type CompressionId } from '../compression/codecs.ts';
import { encodeRecordBatch, type RecordInput } from './record-batch.ts';

/**
 * Message sets of magic 0 and 1, which old clients still send. The broker stores only v2 batches,
 * so these are decoded (including compressed wrapper messages) and converted.
 */
export interface LegacyMessage {
  offset: bigint;
  magic: 0 | 1;
  attributes: number;
  /** Present for magic 1; -1 for magic 0. */
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

const MESSAGE_OVERHEAD = 12; // offset + size

function bytesAt(buf: Buffer, pos: number, end: number, field: string): [Buffer | null, number] {
  if (pos + 4 > end) throw new DecodeError('truncated', 'length runs past the message', pos, [field]);
  const len = buf.readInt32BE(pos);
  if (len === -1) return [null, pos + 4];
  if (len < 0 || pos + 4 + len > end) throw new DecodeError('length-exceeds-buffer', `claims ${len} bytes`, pos, [field]);
  return [buf.subarray(pos + 4, pos + 4 + len), pos + 4 + len];
}

/** Decodes a magic 0/1 message set, expanding compressed wrappers into their inner messages. */
export function decodeLegacyMessageSet(blob: Buffer, maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES, depth = 0): LegacyMessage[] {
  const out: LegacyMessage[] = [];
  let pos = 0;
  while (blob.length - pos >= MESSAGE_OVERHEAD) {
    const offset = blob.readBigInt64BE(pos);
    const size = blob.readInt32BE(pos + 8);
    const start = pos + MESSAGE_OVERHEAD;
    const end = start + size;
    // A trailing partial message is legal at the end of a fetched set; a produced set must be whole.
    if (size < 14 || end > blob.length) break;
    const storedCrc = blob.readUInt32BE(start);
    if ((crc32(blob.subarray(start + 4, end)) >>> 0) !== storedCrc) throw new DecodeError('invalid-value', 'CRC32 mismatch', start, ['crc']);
    const magic = blob.readInt8(start + 4);
    if (magic !== 0 && magic !== 1) throw new DecodeError('invalid-value', `magic ${magic} in a legacy message set`, start + 4, ['magic']);
    const attributes = blob.readInt8(start + 5);
    let p = start + 6;
    let timestamp = -1n;
    if (magic === 1) {
      timestamp = blob.readBigInt64BE(p);
      p += 8;
    }
    const [key, afterKey] = bytesAt(blob, p, end, 'key');
    const [value] = bytesAt(blob, afterKey, end, 'value');
    const codec = (attributes & 0x07) as CompressionId;
    compressionName(codec);
    if (codec === Compression.none) {
      out.push({ offset, magic, attributes, timestamp, key, value });
    } else {
      if (depth > 0) throw new DecodeError('invalid-value', 'nested compressed message', start, ['value']);
      const inner = decodeLegacyMessageSet(decompress(codec, value ?? Buffer.alloc(0), maxDecompressedBytes), maxDecompressedBytes, depth + 1);
      // Magic 1 wrappers carry the last inner offset; inner offsets are relative to the first.
      const last = inner.at(-1);
      for (const m of inner) {
        const absolute = magic === 1 && last ? offset - last.offset + m.offset : m.offset;
        out.push({ ...m, offset: absolute, timestamp: magic === 1 && attributes & 0x08 ? timestamp : m.timestamp });
      }
    }
    pos = end;
  }
  return out;
}

/** Converts a legacy message set to one v2 batch (uncompressed unless asked), as Kafka's broker does on produce. */
export function convertLegacyToBatch(blob: Buffer, options: { compression?: CompressionId; now?: number } = {}): Buffer {
  const messages = decodeLegacyMessageSet(blob);
  if (messages.length === 0) throw new DecodeError('truncated', 'message set holds no complete message', 0, ['records']);
  const now = options.now ?? Date.now();
  const first = messages[0]!.offset;
  const records: RecordInput[] = messages.map((m) => ({
    key: m.key,
    value: m.value,
    timestamp: m.timestamp >= 0n ? Number(m.timestamp) : now,
    offsetDelta: Number(m.offset - first),
  }));
  const baseTimestamp = Math.min(...records.map((r) => r.timestamp!));
  return encodeRecordBatch({ records, baseOffset: first, baseTimestamp, compression: options.compression ?? Compression.none });
}

/** Builds a legacy message (for tests and for down-conversion experiments). */
export function encodeLegacyMessage(m: { offset: bigint; magic: 0 | 1; attributes?: number; timestamp?: bigint; key: Buffer | null; value: Buffer | null }): Buffer {
  const keyLen = m.key ? m.key.length : 0;
  const valueLen = m.value ? m.value.length : 0;
  const body = Buffer.alloc(4 + 1 + 1 + (m.magic === 1 ? 8 : 0) + 4 + keyLen + 4 + valueLen);
  let p = 4;
  body.writeInt8(m.magic, p++);
  body.writeInt8(m.attributes ?? 0, p++);
  if (m.magic === 1) {
    body.writeBigInt64BE(m.timestamp ?? -1n, p);
    p += 8;
  }
  for (const b of [m.key, m.value]) {
    body.writeInt32BE(b ? b.length : -1, p);
    p += 4;
    if (b) p += b.copy(body, p);
  }
  body.writeUInt32BE(crc32(body.subarray(4)) >>> 0, 0);
  const head = Buffer.alloc(MESSAGE_OVERHEAD);
  head.writeBigInt64BE(m.offset, 0);
  head.writeInt32BE(body.length, 8);
  return Buffer.concat([head, body]);
}
