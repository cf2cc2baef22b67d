import { decodeConsumerProtocolSubscription, ConsumerProtocolSubscriptionVersions } from '@tributary/protocol';

/**
 * The topics a consumer-protocol member subscribes to, read from its JoinGroup metadata
 * (int16 version, then ConsumerProtocolSubscription). Null when the metadata cannot be read, so
 * that callers can be conservative (treat the member as subscribed to everything).
 */
export function subscribedTopics(metadata: Buffer): string[] | null {
  if (metadata.length < 2) return null;
  // Newer subscription versions only append fields, so the newest version we know reads the topics.
  const version = Math.min(metadata.readInt16BE(0), ConsumerProtocolSubscriptionVersions.max);
  if (version < 0) return null;
  try {
    return decodeConsumerProtocolSubscription(metadata.subarray(2), version).topics;
  } catch {
    return null;
  }
}
