import type { KafkaAdminClient, GroupDescription } from '@tributary/kafka-admin';
import { decodeConsumerProtocolAssignment } from '@tributary/protocol';
import type { z } from 'zod';
import type { ConsumerGroupSchema, OffsetResetSchema } from '@tributary/contracts';
import { ApiError, notFound } from '../errors.ts';
import { fromAdminError } from './instance-admin.ts';

/**
 * Live consumer-group views, read from the instance's brokers through the Kafka admin protocol
 * (the same client the operator uses). Nothing here is stored: groups, members and offsets belong
 * to the brokers, and the API shows them as they are at the moment of the request.
 */
export type ConsumerGroup = z.infer<typeof ConsumerGroupSchema>;
export type OffsetReset = z.infer<typeof OffsetResetSchema>;

const STATES = new Set(['Empty', 'Stable', 'PreparingRebalance', 'CompletingRebalance', 'Dead']);

/** Members' assignments as the consumer protocol encodes them (int16 version, then the struct). */
export function decodeAssignment(bytes: Buffer): { topic: string; partitions: number[] }[] {
  if (bytes.length < 2) return [];
  // Newer versions only append fields, so a version beyond ours is read with the newest we know.
  const version = Math.min(bytes.readInt16BE(0), 3);
  try {
    return decodeConsumerProtocolAssignment(bytes.subarray(2), version).assignedPartitions.map((a) => ({ topic: a.topic, partitions: [...a.partitions].sort((x, y) => x - y) }));
  } catch {
    return []; // a non-consumer protocol (e.g. Kafka Connect) has its own assignment format
  }
}

/** One group: members with decoded assignments, committed offsets, log-end offsets and lag. */
export async function describeGroup(admin: KafkaAdminClient, groupId: string): Promise<ConsumerGroup> {
  const description: GroupDescription = await admin.describeGroup(groupId);
  const committed = (await admin.committedOffsets(groupId)).filter((o) => o.offset >= 0n);
  if (description.state === 'Dead' && committed.length === 0) throw notFound('consumer group');
  const byTopic = new Map<string, number[]>();
  for (const o of committed) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o.partition]);
  const ends = new Map<string, bigint>();
  for (const [topic, partitions] of byTopic) for (const [p, end] of await admin.listOffsets(topic, partitions, 'latest')) ends.set(`${topic}/${p}`, end);
  const offsets = committed
    .map((o) => {
      const end = ends.get(`${o.topic}/${o.partition}`) ?? o.offset;
      return { topic: o.topic, partition: o.partition, committed: Number(o.offset), end: Number(end), lag: Math.max(0, Number(end - o.offset)) };
    })
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  return {
    group: groupId,
    state: (STATES.has(description.state) ? description.state : 'Unknown') as ConsumerGroup['state'],
    members: description.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, host: m.host, assignment: description.protocolType === 'consumer' ? decodeAssignment(m.assignment) : [] })),
    offsets,
  };
}

/** Groups in name order, one page at a time (the cursor is the last name of the previous page). */
export async function listGroups(admin: KafkaAdminClient, limit: number, cursor: string | undefined): Promise<{ items: ConsumerGroup[]; nextCursor?: string }> {
  const names = (await admin.listGroups()).map((g) => g.groupId).filter((g) => cursor === undefined || g > cursor).sort();
  const page = names.slice(0, limit);
  const items: ConsumerGroup[] = [];
  for (const name of page) items.push(await describeGroup(admin, name));
  return names.length > limit ? { items, nextCursor: page.at(-1)! } : { items };
}

/**
 * Moves an empty group's committed offsets on one topic, as `kafka-consumer-groups --reset-offsets`
 * does. A group with members would overwrite them on its next commit, so it is refused (409).
 */
export async function resetOffsets(admin: KafkaAdminClient, groupId: string, reset: OffsetReset): Promise<ConsumerGroup> {
  const description = await admin.describeGroup(groupId);
  if (description.members.length > 0 || !['Empty', 'Dead'].includes(description.state)) {
    throw new ApiError('group-not-empty', `group ${groupId} is ${description.state} with ${description.members.length} member(s); stop its consumers first`);
  }
  const metadata = await admin.metadata([reset.topic]);
  const topic = metadata.topics.find((t) => t.name === reset.topic);
  if (!topic || topic.partitions.length === 0) throw notFound('topic');
  const partitions = topic.partitions.map((p) => p.partition).sort((a, b) => a - b);
  const earliest = await admin.listOffsets(reset.topic, partitions, 'earliest');
  const latest = await admin.listOffsets(reset.topic, partitions, 'latest');
  let targets: Map<number, bigint>;
  switch (reset.to.kind) {
    case 'earliest':
      targets = earliest;
      break;
    case 'latest':
      targets = latest;
      break;
    case 'timestamp': {
      const found = await admin.listOffsets(reset.topic, partitions, reset.to.timestamp);
      // No record at or after the time: the consumer starts at the end, as Kafka's tool does.
      targets = new Map(partitions.map((p) => [p, (found.get(p) ?? -1n) < 0n ? latest.get(p)! : found.get(p)!]));
      break;
    }
    case 'exact': {
      const errors = [];
      targets = new Map();
      for (const [key, offset] of Object.entries(reset.to.offsets)) {
        const p = Number(key);
        const path = `/to/offsets/${key}`;
        if (!partitions.includes(p)) errors.push({ in: 'body' as const, path, message: `topic ${reset.topic} has no partition ${p} (it has ${partitions.length})` });
        else if (BigInt(offset) < earliest.get(p)! || BigInt(offset) > latest.get(p)!) errors.push({ in: 'body' as const, path, message: `offset ${offset} is outside ${earliest.get(p)}..${latest.get(p)}` });
        else targets.set(p, BigInt(offset));
      }
      if (errors.length > 0) throw new ApiError('validation-failed', 'offsets outside the partitions of the topic', { errors });
      break;
    }
  }
  await admin.commitOffsets(groupId, [...targets].map(([partition, offset]) => ({ topic: reset.topic, partition, offset })));
  return describeGroup(admin, groupId);
}

/** Deletes an empty group and its committed offsets. */
export async function deleteGroup(admin: KafkaAdminClient, groupId: string): Promise<void> {
  const result = (await admin.deleteGroups([groupId])).get(groupId);
  if (result) throw fromAdminError(result);
}
