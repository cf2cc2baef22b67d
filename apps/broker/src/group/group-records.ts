import {
  decodeGroupMetadataKey,
  decodeGroupMetadataValue,
  decodeOffsetCommitKey,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  Reader,
  Writer,
} from '@tributary/protocol';
import type { CommittedOffset } from './group.ts';
import { decodeConsumerGroupRecord, encodeConsumerGroupKey, encodeConsumerGroupValue, type ConsumerGroupRecord } from './consumer-group-records.ts';

/**
 * The records of `__consumer_offsets` in Kafka's own format (KIP-915 coordinator records): a key
 * and a value, each an int16 version followed by the schema generated from
 * libs/protocol/specs/records. The key's version names the record type: 0 and 1 offset commits,
 * 2 classic group metadata, 3-8 KIP-848 consumer groups (consumer-group-records.ts; share and
 * streams groups, 9+, are not run here).
 * A null value is a tombstone. Kafka's tools (kafka-console-consumer with OffsetsMessageFormatter or
 * GroupMetadataMessageFormatter, lag monitors, MirrorMaker 2) read these bytes.
 */

/** What Kafka 4 writes: OffsetCommitKey 1, OffsetCommitValue 3 (no expire timestamp), GroupMetadataKey 2, GroupMetadataValue 3. */
export const OFFSET_COMMIT_KEY_VERSION = 1;
export const OFFSET_COMMIT_VALUE_VERSION = 3;
export const GROUP_METADATA_KEY_VERSION = 2;
export const GROUP_METADATA_VALUE_VERSION = 3;

export interface GroupMemberRecord {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  /** The member's metadata for the group's protocol (its subscription, for consumers). */
  subscription: Buffer;
  assignment: Buffer;
}

/** A classic group as Kafka persists it on every generation change and assignment. */
export interface GroupMetadata {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  /** When the group entered its current state; -1 when unknown. */
  currentStateTimestamp: number;
  members: GroupMemberRecord[];
}

export type GroupLogRecord =
  | { kind: 'offset'; group: string; topic: string; partition: number; value: CommittedOffset | null }
  | { kind: 'group'; group: string; value: GroupMetadata | null }
  | ConsumerGroupRecord;

function versioned(version: number, encode: (w: Writer) => void): Buffer {
  const w = new Writer();
  w.int16(version);
  encode(w);
  return w.toBuffer();
}

export function encodeRecordKey(r: GroupLogRecord): Buffer {
  if (r.kind !== 'offset' && r.kind !== 'group') return encodeConsumerGroupKey(r);
  if (r.kind === 'offset') return versioned(OFFSET_COMMIT_KEY_VERSION, (w) => encodeOffsetCommitKey({ group: r.group, topic: r.topic, partition: r.partition }, OFFSET_COMMIT_KEY_VERSION, w));
  return versioned(GROUP_METADATA_KEY_VERSION, (w) => encodeGroupMetadataKey({ group: r.group }, GROUP_METADATA_KEY_VERSION, w));
}

export function encodeRecordValue(r: GroupLogRecord): Buffer | null {
  if (r.kind !== 'offset' && r.kind !== 'group') return encodeConsumerGroupValue(r);
  if (r.value === null) return null;
  if (r.kind === 'offset') {
    const v = r.value;
    // Kafka stores a missing metadata string as "" (OffsetAndMetadata.NO_METADATA).
    return versioned(OFFSET_COMMIT_VALUE_VERSION, (w) =>
      encodeOffsetCommitValue({ offset: v.offset, leaderEpoch: v.leaderEpoch, metadata: v.metadata ?? '', commitTimestamp: BigInt(v.commitTimestamp) }, OFFSET_COMMIT_VALUE_VERSION, w),
    );
  }
  const g = r.value;
  return versioned(GROUP_METADATA_VALUE_VERSION, (w) =>
    encodeGroupMetadataValue(
      {
        protocolType: g.protocolType,
        generation: g.generation,
        protocol: g.protocol,
        leader: g.leader,
        currentStateTimestamp: BigInt(g.currentStateTimestamp),
        members: g.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          rebalanceTimeout: m.rebalanceTimeoutMs,
          sessionTimeout: m.sessionTimeoutMs,
          subscription: m.subscription,
          assignment: m.assignment,
        })),
      },
      GROUP_METADATA_VALUE_VERSION,
      w,
    ),
  );
}

/** Keys written by brokers before the binary format: a JSON array `[group, topic, partition]`. */
export function isLegacyJsonKey(key: Buffer): boolean {
  return key.length > 0 && key[0] === 0x5b; // '[': a binary key starts with a small int16, 0x00
}

/**
 * One record of `__consumer_offsets`: Kafka's binary form, or the JSON form this broker wrote before
 * (offset commits only). Null for record types a classic coordinator does not use (Kafka skips
 * unknown types on load too). Throws on bytes that claim a known type but do not decode.
 */
export function decodeGroupLogRecord(key: Buffer, value: Buffer | null): GroupLogRecord | null {
  if (isLegacyJsonKey(key)) {
    const [group, topic, partition] = JSON.parse(key.toString()) as [string, string, number];
    if (value === null) return { kind: 'offset', group, topic, partition, value: null };
    const v = JSON.parse(value.toString()) as Omit<CommittedOffset, 'offset'> & { offset: string };
    return { kind: 'offset', group, topic, partition, value: { offset: BigInt(v.offset), leaderEpoch: v.leaderEpoch, metadata: v.metadata, commitTimestamp: v.commitTimestamp } };
  }
  if (key.length < 2) throw new Error('__consumer_offsets key shorter than its version');
  const keyVersion = key.readInt16BE(0);
  const keyReader = new Reader(key, 2);
  if (keyVersion === 0 || keyVersion === 1) {
    const k = decodeOffsetCommitKey(keyReader, keyVersion);
    if (value === null) return { kind: 'offset', group: k.group, topic: k.topic, partition: k.partition, value: null };
    const v = decodeOffsetCommitValue(new Reader(value, 2), value.readInt16BE(0));
    return { kind: 'offset', group: k.group, topic: k.topic, partition: k.partition, value: { offset: v.offset, leaderEpoch: v.leaderEpoch, metadata: v.metadata, commitTimestamp: Number(v.commitTimestamp) } };
  }
  if (keyVersion === GROUP_METADATA_KEY_VERSION) {
    const k = decodeGroupMetadataKey(keyReader, keyVersion);
    if (value === null) return { kind: 'group', group: k.group, value: null };
    const v = decodeGroupMetadataValue(new Reader(value, 2), value.readInt16BE(0));
    return {
      kind: 'group',
      group: k.group,
      value: {
        protocolType: v.protocolType,
        generation: v.generation,
        protocol: v.protocol,
        leader: v.leader,
        currentStateTimestamp: Number(v.currentStateTimestamp),
        members: v.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          // Version 0 had no rebalance timeout: Kafka takes the session timeout.
          rebalanceTimeoutMs: m.rebalanceTimeout === -1 ? m.sessionTimeout : m.rebalanceTimeout,
          sessionTimeoutMs: m.sessionTimeout,
          subscription: m.subscription,
          assignment: m.assignment,
        })),
      },
    };
  }
  // KIP-848 consumer groups (types 3-8; 4 is skipped); share and streams groups (9+) are not run here.
  return decodeConsumerGroupRecord(keyVersion, keyReader, value);
}
