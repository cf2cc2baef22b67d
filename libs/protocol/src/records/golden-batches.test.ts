import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FixtureEntry } from '../../golden/capture.ts';
import { Compression, decompress } from '../compression/codecs.ts';
import type { ProduceRequest } from '../generated/messages/produce-request.ts';
import { decodeRequest } from '../headers/headers.ts';
import { BatchHeader } from './batch-header.ts';
import { decodeRecordBatch, encodeRecordBatch, type RecordBatch } from './record-batch.ts';
import { splitBatches, validateProducedBlob } from './record-set.ts';

// The record batches inside the Produce requests kcat (librdkafka) and kafkajs sent to the capture
// server. Our encoder makes the same choices as both clients for the record fields, so given the
// same header values it must reproduce their records section byte for byte; uncompressed batches
// must match whole.
const dir = join(import.meta.dirname, '../../golden/fixtures');
const produces = (JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as FixtureEntry[]).filter((f) => f.api === 'Produce');

function batchesOf(f: FixtureEntry): Buffer[] {
  const body = decodeRequest(readFileSync(join(dir, f.file))).body as ProduceRequest;
  const blob = body.topicData[0]!.partitionData[0]!.records as Buffer;
  const { batches, partialBytes } = splitBatches(blob);
  expect(partialBytes).toBe(0);
  expect(validateProducedBlob(blob, 1 << 20)).toMatchObject({ ok: true });
  return batches.map((s) => blob.subarray(s.position, s.position + s.size));
}

function reencode(b: RecordBatch, compression: RecordBatch['compression']): Buffer {
  const base = Number(b.baseTimestamp);
  return encodeRecordBatch({
    compression,
    baseOffset: b.baseOffset,
    partitionLeaderEpoch: b.partitionLeaderEpoch,
    baseTimestamp: base,
    timestampType: b.timestampType,
    isTransactional: b.isTransactional,
    producerId: b.producerId,
    producerEpoch: b.producerEpoch,
    baseSequence: b.baseSequence,
    records: b.records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: base + r.timestampDelta, offsetDelta: r.offsetDelta })),
  });
}

describe.each(produces.map((f) => [f.file, f] as const))('%s', (_file, fixture) => {
  it('re-encodes the client records section byte for byte (whole batch when uncompressed)', () => {
    const batches = batchesOf(fixture);
    expect(batches.length).toBeGreaterThan(0);
    for (const raw of batches) {
      const decoded = decodeRecordBatch(raw);
      expect(decoded.maxTimestamp).toBe(decoded.baseTimestamp + BigInt(Math.max(...decoded.records.map((r) => r.timestampDelta))));
      const ours = reencode(decoded, Compression.none);
      const theirSection = decompress(decoded.compression, raw.subarray(BatchHeader.SIZE));
      expect(ours.subarray(BatchHeader.SIZE).toString('hex')).toBe(theirSection.toString('hex'));
      if (decoded.compression === Compression.none) expect(ours.toString('hex')).toBe(raw.toString('hex'));
      // Recompressed with our codec, the header (bar length and CRC) still matches theirs.
      const recompressed = reencode(decoded, decoded.compression);
      expect(recompressed.subarray(BatchHeader.ATTRIBUTES, BatchHeader.SIZE).equals(raw.subarray(BatchHeader.ATTRIBUTES, BatchHeader.SIZE))).toBe(true);
      expect(decodeRecordBatch(recompressed).records).toEqual(decoded.records);
    }
  });
});
