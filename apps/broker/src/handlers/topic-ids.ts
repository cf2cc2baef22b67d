import type { BrokerContext } from './context.ts';

/**
 * Requests that name topics by id (Produce v13, TxnOffsetCommit v6; KIP-516): each topic gets the
 * name the topic registry has for its id, so the rest of a handler works with names as at older
 * versions. An id this broker does not know (the zero id too) gets the empty name, which no topic
 * can have: `unknownTopicId` tells the handler to answer UNKNOWN_TOPIC_ID for it.
 */
export function namedByTopicId<T extends { name: string; topicId: string }>(ctx: BrokerContext, topics: T[]): T[] {
  return topics.map((t) => ({ ...t, name: ctx.topics.byId(t.topicId)?.name ?? '' }));
}

/** A topic `namedByTopicId` found no name for. */
export function unknownTopicId(topic: { name: string }): boolean {
  return topic.name === '';
}
