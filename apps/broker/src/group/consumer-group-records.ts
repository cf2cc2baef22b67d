import {
  decodeConsumerGroupCurrentMemberAssignmentKey,
  decodeConsumerGroupCurrentMemberAssignmentValue,
  decodeConsumerGroupMemberMetadataKey,
  decodeConsumerGroupMemberMetadataValue,
  decodeConsumerGroupMetadataKey,
  decodeConsumerGroupMetadataValue,
  decodeConsumerGroupRegularExpressionKey,
  decodeConsumerGroupRegularExpressionValue,
  decodeConsumerGroupTargetAssignmentMemberKey,
  decodeConsumerGroupTargetAssignmentMemberValue,
  decodeConsumerGroupTargetAssignmentMetadataKey,
  decodeConsumerGroupTargetAssignmentMetadataValue,
  encodeConsumerGroupCurrentMemberAssignmentKey,
  encodeConsumerGroupCurrentMemberAssignmentValue,
  encodeConsumerGroupMemberMetadataKey,
  encodeConsumerGroupMemberMetadataValue,
  encodeConsumerGroupMetadataKey,
  encodeConsumerGroupMetadataValue,
  encodeConsumerGroupRegularExpressionKey,
  encodeConsumerGroupRegularExpressionValue,
  encodeConsumerGroupTargetAssignmentMemberKey,
  encodeConsumerGroupTargetAssignmentMemberValue,
  encodeConsumerGroupTargetAssignmentMetadataKey,
  encodeConsumerGroupTargetAssignmentMetadataValue,
  Reader,
  Writer,
} from '@tributary/protocol';
import type { Assignment } from './assignors/assignor.ts';
import type { ClassicMemberMetadata, MemberState } from './consumer-member.ts';

/**
 * A KIP-848 consumer group's records in `__consumer_offsets`, in Kafka's format: the key's int16
 * version is the record type (3 group epoch, 5 member subscription, 6 target assignment epoch,
 * 7 a member's target assignment, 8 a member's current assignment, 16 a resolved regular
 * expression), the value an int16 version (0)
 * and the schema generated from libs/protocol/specs/records. Kafka 4.4 also writes type 4
 * (subscription metadata, deprecated) and newer value versions with tagged fields, which this
 * broker neither writes nor needs.
 */
export const CONSUMER_GROUP_RECORD_TYPES = { metadata: 3, member: 5, targetMetadata: 6, targetMember: 7, current: 8, regex: 16 } as const;

/**
 * A resolved regular expression (Kafka's ConsumerGroupRegularExpressionValue, type 16): the topics
 * it matched, the metadata version it was resolved at and when. Kafka writes the offset of its
 * KRaft metadata image as the version; Tributary writes its cluster metadata's version
 * (ClusterMetadata.metadataVersion; -1 when unknown), and tells new topics by the names that
 * existed at the resolution (regex-refresh.ts), not by the version.
 */
export interface ResolvedRegexRecord {
  topics: string[];
  version: bigint;
  timestamp: number;
}

export interface MemberMetadataRecord {
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  rebalanceTimeoutMs: number;
  serverAssignor: string | null;
  /** A member of the classic protocol (online migration): its session timeout and protocols; null for the consumer protocol. */
  classic?: ClassicMemberMetadata | null;
}

export interface CurrentAssignmentRecord {
  memberEpoch: number;
  previousMemberEpoch: number;
  state: MemberState;
  assigned: Assignment;
  pendingRevocation: Assignment;
}

export type ConsumerGroupRecord =
  | { kind: 'cg-metadata'; group: string; value: { epoch: number } | null }
  | { kind: 'cg-member'; group: string; memberId: string; value: MemberMetadataRecord | null }
  | { kind: 'cg-target-metadata'; group: string; value: { assignmentEpoch: number } | null }
  | { kind: 'cg-target-member'; group: string; memberId: string; value: Assignment | null }
  | { kind: 'cg-current'; group: string; memberId: string; value: CurrentAssignmentRecord | null }
  | { kind: 'cg-regex'; group: string; regex: string; value: ResolvedRegexRecord | null };

/** Kafka's MemberState bytes. */
const STATE_BYTE: Record<MemberState, number> = { stable: 0, 'unrevoked-partitions': 1, 'unreleased-partitions': 2 };
const STATE_OF = new Map<number, MemberState>(Object.entries(STATE_BYTE).map(([k, v]) => [v, k as MemberState]));

function versioned(version: number, encode: (w: Writer) => void): Buffer {
  const w = new Writer();
  w.int16(version);
  encode(w);
  return w.toBuffer();
}

const toList = (a: Assignment) => [...a].filter(([, ps]) => ps.size > 0).map(([topicId, ps]) => ({ topicId, partitions: [...ps].sort((x, y) => x - y) }));
const fromList = (l: { topicId: string; partitions: number[] }[]): Assignment => new Map(l.map((t) => [t.topicId, new Set(t.partitions)]));

export function encodeConsumerGroupKey(r: ConsumerGroupRecord): Buffer {
  const T = CONSUMER_GROUP_RECORD_TYPES;
  switch (r.kind) {
    case 'cg-metadata':
      return versioned(T.metadata, (w) => encodeConsumerGroupMetadataKey({ groupId: r.group }, T.metadata, w));
    case 'cg-member':
      return versioned(T.member, (w) => encodeConsumerGroupMemberMetadataKey({ groupId: r.group, memberId: r.memberId }, T.member, w));
    case 'cg-target-metadata':
      return versioned(T.targetMetadata, (w) => encodeConsumerGroupTargetAssignmentMetadataKey({ groupId: r.group }, T.targetMetadata, w));
    case 'cg-target-member':
      return versioned(T.targetMember, (w) => encodeConsumerGroupTargetAssignmentMemberKey({ groupId: r.group, memberId: r.memberId }, T.targetMember, w));
    case 'cg-current':
      return versioned(T.current, (w) => encodeConsumerGroupCurrentMemberAssignmentKey({ groupId: r.group, memberId: r.memberId }, T.current, w));
    case 'cg-regex':
      return versioned(T.regex, (w) => encodeConsumerGroupRegularExpressionKey({ groupId: r.group, regularExpression: r.regex }, T.regex, w));
  }
}

export function encodeConsumerGroupValue(r: ConsumerGroupRecord): Buffer | null {
  if (r.value === null) return null;
  switch (r.kind) {
    case 'cg-metadata':
      return versioned(0, (w) => encodeConsumerGroupMetadataValue({ epoch: r.value!.epoch }, 0, w));
    case 'cg-member':
      // A member of the consumer protocol has no classic member metadata: null, written as Kafka
      // writes it (the tagged field with a null marker; left out, Kafka would read an empty struct
      // and take the member for a classic-protocol one).
      return versioned(0, (w) => {
        const { classic, ...value } = r.value!;
        encodeConsumerGroupMemberMetadataValue({ ...value, classicMemberMetadata: classic ? { sessionTimeoutMs: classic.sessionTimeoutMs, supportedProtocols: classic.protocols.map((p) => ({ name: p.name, metadata: p.metadata })) } : null }, 0, w);
      });
    case 'cg-target-metadata':
      return versioned(0, (w) => encodeConsumerGroupTargetAssignmentMetadataValue({ assignmentEpoch: r.value!.assignmentEpoch }, 0, w));
    case 'cg-target-member':
      return versioned(0, (w) => encodeConsumerGroupTargetAssignmentMemberValue({ topicPartitions: toList(r.value!) }, 0, w));
    case 'cg-current': {
      const v = r.value;
      return versioned(0, (w) => encodeConsumerGroupCurrentMemberAssignmentValue({ memberEpoch: v.memberEpoch, previousMemberEpoch: v.previousMemberEpoch, state: STATE_BYTE[v.state], assignedPartitions: toList(v.assigned), partitionsPendingRevocation: toList(v.pendingRevocation) }, 0, w));
    }
    case 'cg-regex': {
      const v = r.value;
      return versioned(0, (w) => encodeConsumerGroupRegularExpressionValue({ topics: v.topics, version: v.version, timestamp: BigInt(v.timestamp) }, 0, w));
    }
  }
}

/** Decodes a record of types 3, 5, 6, 7, 8 or 16; null for other consumer-group types (4, Kafka's deprecated subscription metadata). */
export function decodeConsumerGroupRecord(keyVersion: number, key: Reader, value: Buffer | null): ConsumerGroupRecord | null {
  const T = CONSUMER_GROUP_RECORD_TYPES;
  const v = value === null ? null : { reader: new Reader(value, 2), version: value.readInt16BE(0) };
  switch (keyVersion) {
    case T.metadata: {
      const k = decodeConsumerGroupMetadataKey(key, keyVersion);
      return { kind: 'cg-metadata', group: k.groupId, value: v && { epoch: decodeConsumerGroupMetadataValue(v.reader, v.version).epoch } };
    }
    case T.member: {
      const k = decodeConsumerGroupMemberMetadataKey(key, keyVersion);
      if (!v) return { kind: 'cg-member', group: k.groupId, memberId: k.memberId, value: null };
      const m = decodeConsumerGroupMemberMetadataValue(v.reader, v.version);
      return { kind: 'cg-member', group: k.groupId, memberId: k.memberId, value: { instanceId: m.instanceId, rackId: m.rackId, clientId: m.clientId, clientHost: m.clientHost, subscribedTopicNames: m.subscribedTopicNames, subscribedTopicRegex: m.subscribedTopicRegex, rebalanceTimeoutMs: m.rebalanceTimeoutMs, serverAssignor: m.serverAssignor, classic: m.classicMemberMetadata ? { sessionTimeoutMs: m.classicMemberMetadata.sessionTimeoutMs, protocols: m.classicMemberMetadata.supportedProtocols.map((p) => ({ name: p.name, metadata: p.metadata })) } : null } };
    }
    case T.targetMetadata: {
      const k = decodeConsumerGroupTargetAssignmentMetadataKey(key, keyVersion);
      return { kind: 'cg-target-metadata', group: k.groupId, value: v && { assignmentEpoch: decodeConsumerGroupTargetAssignmentMetadataValue(v.reader, v.version).assignmentEpoch } };
    }
    case T.targetMember: {
      const k = decodeConsumerGroupTargetAssignmentMemberKey(key, keyVersion);
      return { kind: 'cg-target-member', group: k.groupId, memberId: k.memberId, value: v && fromList(decodeConsumerGroupTargetAssignmentMemberValue(v.reader, v.version).topicPartitions) };
    }
    case T.current: {
      const k = decodeConsumerGroupCurrentMemberAssignmentKey(key, keyVersion);
      if (!v) return { kind: 'cg-current', group: k.groupId, memberId: k.memberId, value: null };
      const c = decodeConsumerGroupCurrentMemberAssignmentValue(v.reader, v.version);
      return { kind: 'cg-current', group: k.groupId, memberId: k.memberId, value: { memberEpoch: c.memberEpoch, previousMemberEpoch: c.previousMemberEpoch, state: STATE_OF.get(c.state) ?? 'stable', assigned: fromList(c.assignedPartitions), pendingRevocation: fromList(c.partitionsPendingRevocation) } };
    }
    case T.regex: {
      const k = decodeConsumerGroupRegularExpressionKey(key, keyVersion);
      if (!v) return { kind: 'cg-regex', group: k.groupId, regex: k.regularExpression, value: null };
      const x = decodeConsumerGroupRegularExpressionValue(v.reader, v.version);
      return { kind: 'cg-regex', group: k.groupId, regex: k.regularExpression, value: { topics: x.topics, version: x.version, timestamp: Number(x.timestamp) } };
    }
    default:
      return null;
  }
}
