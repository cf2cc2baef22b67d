import { ApiKey, type JoinGroupResponse } from '@tributary/protocol';
import type { RawClient } from './raw-client.ts';

/**
 * Request bodies of the classic group protocol at any version, as a Java consumer fills them, for
 * the differential group scenarios (protocol-groups-security.test.ts on one broker,
 * protocol-cluster.test.ts on a cluster).
 */

/** Consumer protocol subscription (version 0): the topics, no user data. */
export function subscription(topics: string[]): Buffer {
  const parts = [Buffer.from([0, 0]), i32(topics.length)];
  for (const t of topics) parts.push(i16(Buffer.byteLength(t)), Buffer.from(t));
  parts.push(i32(-1));
  return Buffer.concat(parts);
}
/** Consumer protocol assignment (version 0). */
export function assignment(parts: Record<string, number[]>): Buffer {
  const out = [Buffer.from([0, 0]), i32(Object.keys(parts).length)];
  for (const [t, ps] of Object.entries(parts)) {
    out.push(i16(Buffer.byteLength(t)), Buffer.from(t), i32(ps.length), ...ps.map(i32));
  }
  out.push(i32(-1));
  return Buffer.concat(out);
}
function i32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
function i16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}

export function joinBody(v: number, group: string, memberId: string, topics: string[], o: { instanceId?: string; sessionMs?: number; protocolType?: string } = {}) {
  return {
    groupId: group,
    sessionTimeoutMs: o.sessionMs ?? 30_000,
    ...(v >= 1 ? { rebalanceTimeoutMs: 20_000 } : {}),
    memberId,
    ...(v >= 5 ? { groupInstanceId: o.instanceId ?? null } : {}),
    protocolType: o.protocolType ?? 'consumer',
    protocols: [{ name: 'range', metadata: subscription(topics) }],
    ...(v >= 8 ? { reason: null } : {}),
  };
}

/** JoinGroup, answering MEMBER_ID_REQUIRED (v4+) with the given id, as a client does. */
export async function join(c: RawClient, v: number, group: string, topics: string[], memberId = '', o: Parameters<typeof joinBody>[4] = {}): Promise<{ first: unknown; res: JoinGroupResponse }> {
  let res = await c.request<JoinGroupResponse>(ApiKey.JoinGroup, v, joinBody(v, group, memberId, topics, o));
  const first = res;
  if (res.errorCode === 79) res = await c.request<JoinGroupResponse>(ApiKey.JoinGroup, v, joinBody(v, group, res.memberId, topics, o));
  return { first, res };
}

export function syncBody(v: number, group: string, generationId: number, memberId: string, assignments: { memberId: string; assignment: Buffer }[], instanceId: string | null = null) {
  return { groupId: group, generationId, memberId, ...(v >= 3 ? { groupInstanceId: instanceId } : {}), ...(v >= 5 ? { protocolType: 'consumer', protocolName: 'range' } : {}), assignments };
}

export function heartbeatBody(group: string, generationId: number, memberId: string, instanceId: string | null = null) {
  return { groupId: group, generationId, memberId, groupInstanceId: instanceId };
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** `topicId`: v10+ names the topic by id (the name is not sent). */
export function commitBody(v: number, group: string, generation: number, memberId: string, topic: string, offsets: [number, bigint][], topicId = ZERO_UUID) {
  return {
    groupId: group,
    ...(v >= 1 ? { generationIdOrMemberEpoch: generation, memberId } : {}),
    ...(v >= 7 ? { groupInstanceId: null } : {}),
    ...(v >= 2 && v <= 4 ? { retentionTimeMs: -1n } : {}),
    topics: [{ name: topic, ...(v >= 10 ? { topicId } : {}), partitions: offsets.map(([p, off]) => ({ partitionIndex: p, committedOffset: off, ...(v >= 6 ? { committedLeaderEpoch: -1 } : {}), ...(v === 1 ? { commitTimestamp: -1n } : {}), committedMetadata: 'm' })) }],
  };
}

/** v10+ names each topic by its `topicId`. */
export function fetchOffsetsBody(v: number, group: string, topics: { name: string; topicId?: string; partitionIndexes: number[] }[] | null) {
  if (v >= 8) return { groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics }], requireStable: false };
  return { groupId: group, topics, ...(v >= 7 ? { requireStable: false } : {}) };
}

