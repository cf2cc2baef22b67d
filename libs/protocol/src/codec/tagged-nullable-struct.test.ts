import { describe, expect, it } from 'vitest';
import {
  decodeConsumerGroupMemberMetadataValue,
  encodeConsumerGroupMemberMetadataValue,
  type ConsumerGroupMemberMetadataValue,
} from '../generated/index.ts';

// A nullable struct in a tagged field (ConsumerGroupMemberMetadataValue.ClassicMemberMetadata, the
// only one in Kafka 4.4's specs) marks its presence with an unsigned varint, 0 null and 1 present,
// where a regular nullable struct has an int8 -1/1. The bytes below are what Kafka 4.4's own
// generated class writes (MessageUtil.toVersionPrefixedByteBuffer, version prefix cut off) for the
// same values; Kafka's reader fails on an int8 -1 there (BufferUnderflowException).
const base: Omit<ConsumerGroupMemberMetadataValue, 'classicMemberMetadata'> = {
  instanceId: null,
  rackId: null,
  clientId: 'c',
  clientHost: '/h',
  subscribedTopicNames: ['t'],
  subscribedTopicRegex: null,
  rebalanceTimeoutMs: 300000,
  serverAssignor: 'uniform',
};
const fields = '00000263032f6802027400000493e008756e69666f726d';
const kafka = {
  // one tagged field: tag 0, size 1, marker 0 (null)
  null: `${fields}01000100`,
  // the empty struct is the field's default (Kafka ignores the spec's JSON null default for structs): left out
  empty: `${fields}00`,
  // tag 0, size 17 (marker included), marker 1, then the struct
  full: `${fields}010011010000afc8020672616e67650301020000`,
};
const full = { sessionTimeoutMs: 45000, supportedProtocols: [{ name: 'range', metadata: Buffer.from([1, 2]) }] };
const hex = (m: ConsumerGroupMemberMetadataValue) => encodeConsumerGroupMemberMetadataValue(m, 0).toBuffer().toString('hex');
const decode = (h: string) => decodeConsumerGroupMemberMetadataValue(Buffer.from(h, 'hex'), 0).classicMemberMetadata;

describe('a nullable struct in a tagged field, as Kafka 4.4 writes and reads it', () => {
  it('writes null as the varint marker 0 inside the tagged field', () => {
    expect(hex({ ...base, classicMemberMetadata: null })).toBe(kafka.null);
  });

  it('writes a struct after the varint marker 1, the size counting the marker', () => {
    expect(hex({ ...base, classicMemberMetadata: full })).toBe(kafka.full);
  });

  it('leaves the default (empty) struct out', () => {
    expect(hex({ ...base, classicMemberMetadata: { sessionTimeoutMs: 0, supportedProtocols: [] } })).toBe(kafka.empty);
  });

  it("reads Kafka's bytes back: null, the struct, and the default struct when the field is absent", () => {
    expect(decode(kafka.null)).toBeNull();
    expect(decode(kafka.full)).toEqual(full);
    expect(decode(kafka.empty)).toEqual({ sessionTimeoutMs: 0, supportedProtocols: [] });
  });
});
