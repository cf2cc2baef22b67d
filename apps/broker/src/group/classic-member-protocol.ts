import {
  ConsumerProtocolAssignmentVersions,
  ConsumerProtocolSubscriptionVersions,
  decodeConsumerProtocolAssignment,
  decodeConsumerProtocolSubscription,
  encodeConsumerProtocolAssignment,
  Writer,
} from '@tributary/protocol';

/**
 * The embedded consumer protocol of a classic member (JoinGroup metadata, SyncGroup assignment) as
 * a consumer group reads and writes it when classic members live in it (KIP-848 online migration,
 * Kafka's ConsumerProtocol): an int16 version, then ConsumerProtocolSubscription or
 * ConsumerProtocolAssignment.
 */
export interface ClassicSubscription {
  version: number;
  topics: string[];
  /** Partitions the member says it owns (subscription v1+, cooperative members); empty for eager ones. */
  ownedPartitions: { topic: string; partitions: number[] }[];
  rackId: string | null;
}

/** The subscription in a member's protocol metadata; null when it cannot be read. */
export function readSubscription(metadata: Buffer): ClassicSubscription | null {
  if (metadata.length < 2) return null;
  const version = metadata.readInt16BE(0);
  if (version < 0) return null;
  try {
    // Newer versions only append fields: the newest version known reads them.
    const s = decodeConsumerProtocolSubscription(metadata.subarray(2), Math.min(version, ConsumerProtocolSubscriptionVersions.max));
    return { version, topics: s.topics, ownedPartitions: (s.ownedPartitions ?? []).map((t) => ({ topic: t.topic, partitions: t.partitions })), rackId: s.rackId ?? null };
  } catch {
    return null;
  }
}

/** The partitions of a classic assignment, or null when it cannot be read or carries a custom assignor's user data (which a consumer group would lose). */
export function readAssignment(bytes: Buffer): { topic: string; partitions: number[] }[] | null {
  if (bytes.length === 0) return [];
  if (bytes.length < 2) return null;
  const version = bytes.readInt16BE(0);
  if (version < 0) return null;
  try {
    const a = decodeConsumerProtocolAssignment(bytes.subarray(2), Math.min(version, ConsumerProtocolAssignmentVersions.max));
    if (a.userData !== null && a.userData.length > 0) return null;
    return a.assignedPartitions.map((t) => ({ topic: t.topic, partitions: t.partitions }));
  } catch {
    return null;
  }
}

/** A member's assignment as the SyncGroup answer carries it, in the version of its subscription (Kafka's prepareAssignment). */
export function writeAssignment(partitions: { topic: string; partitions: number[] }[], subscriptionVersion: number): Buffer {
  const version = Math.max(0, Math.min(subscriptionVersion, ConsumerProtocolAssignmentVersions.max));
  const w = new Writer();
  w.int16(version);
  encodeConsumerProtocolAssignment({ assignedPartitions: partitions, userData: null }, version, w);
  return w.toBuffer();
}
