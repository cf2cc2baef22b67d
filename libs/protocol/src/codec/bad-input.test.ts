import { describe, expect, it } from 'vitest';
import { DecodeError } from './decode-error.ts';
import { Reader } from './reader.ts';
import { decodeMetadataRequest, encodeMetadataRequest } from '../generated/messages/metadata-request.ts';
import { decodeProduceRequest, encodeProduceRequest } from '../generated/messages/produce-request.ts';
import { decodeCreateTopicsRequest, encodeCreateTopicsRequest } from '../generated/messages/create-topics-request.ts';
import { decodeRequest } from '../headers/headers.ts';

function decodeError(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DecodeError) return err;
    throw new Error(`expected a DecodeError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected a DecodeError, decode succeeded');
}

const produce = {
  acks: -1,
  timeoutMs: 1000,
  topicData: [
    { name: 'orders', partitionData: [{ index: 0, records: Buffer.alloc(40, 1) }] },
    { name: 'payments', partitionData: [{ index: 3, records: Buffer.alloc(20, 2) }] },
  ],
};

describe('decoding bad input', () => {
  it('fails with a typed error at every truncation point, for classic and flexible versions', () => {
    for (const version of [3, 9, 11]) {
      const bytes = encodeProduceRequest(produce, version).toBuffer();
      for (let cut = 0; cut < bytes.length; cut++) {
        const err = decodeError(() => decodeProduceRequest(bytes.subarray(0, cut), version));
        expect(err.api).toBe('ProduceRequest');
        expect(err.version).toBe(version);
        expect(['truncated', 'length-exceeds-buffer']).toContain(err.code);
      }
    }
  });

  it('names the field path down to the failing field', () => {
    const bytes = encodeProduceRequest(produce, 7).toBuffer();
    // Cut inside the records of the second topic's first partition.
    const err = decodeError(() => decodeProduceRequest(bytes.subarray(0, bytes.length - 5), 7));
    expect(err.fieldPath).toBe('topicData[1].partitionData[0].records');
    expect(err.message).toContain('ProduceRequest v7 topicData[1].partitionData[0].records');
  });

  it('rejects negative lengths for non-nullable strings', () => {
    const bytes = encodeProduceRequest(produce, 7).toBuffer();
    // transactionalId (nullable) -1, acks, timeout, topics count, then the first topic name length.
    const nameLengthAt = 2 + 2 + 4 + 4;
    bytes.writeInt16BE(-5, nameLengthAt);
    const err = decodeError(() => decodeProduceRequest(bytes, 7));
    expect(err.code).toBe('negative-length');
    expect(err.fieldPath).toBe('topicData[0].name');
  });

  it('rejects an array count the remaining bytes cannot hold before allocating anything', () => {
    const bytes = encodeMetadataRequest({ topics: [{ name: 'a' }] }, 4).toBuffer();
    bytes.writeInt32BE(2_000_000_000, 0);
    const before = process.memoryUsage().arrayBuffers;
    const err = decodeError(() => decodeMetadataRequest(bytes, 4));
    expect(err.code).toBe('length-exceeds-buffer');
    expect(err.fieldPath).toBe('topics');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1024 * 1024);
  });

  it('rejects huge byte lengths without allocating', () => {
    const bytes = encodeProduceRequest(produce, 7).toBuffer();
    const recordsLengthAt = bytes.indexOf(Buffer.alloc(40, 1)) - 4;
    bytes.writeInt32BE(0x7fffffff, recordsLengthAt);
    const err = decodeError(() => decodeProduceRequest(bytes, 7));
    expect(err.code).toBe('length-exceeds-buffer');
    expect(err.fieldPath).toBe('topicData[0].partitionData[0].records');
  });

  it('rejects unsigned varints longer than five bytes', () => {
    const err = decodeError(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).uvarint());
    expect(err.code).toBe('invalid-varint');
    const overflow = decodeError(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f])).uvarint());
    expect(overflow.code).toBe('invalid-varint');
  });

  it('rejects invalid varints inside a flexible message with the field path', () => {
    const bytes = encodeCreateTopicsRequest({ topics: [{ name: 't', numPartitions: 1, replicationFactor: 1 }] }, 5).toBuffer();
    // First byte is the compact array length of topics; make it a never-ending varint.
    const hostile = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), bytes.subarray(1)]);
    const err = decodeError(() => decodeCreateTopicsRequest(hostile, 5));
    expect(err.code).toBe('invalid-varint');
    expect(err.fieldPath).toBe('topics');
  });

  it('rejects unknown API keys and versions in a request header', () => {
    const unknownKey = Buffer.from([0x03, 0xe7, 0, 0, 0, 0, 0, 1]);
    expect(decodeError(() => decodeRequest(unknownKey)).code).toBe('unknown-api-key');
    const badVersion = Buffer.from([0, 3, 0x7f, 0, 0, 0, 0, 1]);
    const err = decodeError(() => decodeRequest(badVersion));
    expect(err.code).toBe('unsupported-version');
    expect(err.api).toBe('MetadataRequest');
    expect(decodeError(() => decodeProduceRequest(Buffer.alloc(10), 99)).code).toBe('unsupported-version');
  });
});
