import type { Assignment } from './assignors/assignor.ts';
import { readAssignment, readSubscription, writeAssignment } from './classic-member-protocol.ts';
import type { TopicLookup } from './consumer-coordinator.ts';
import { ConsumerGroupState } from './consumer-group.ts';
import type { ConsumerMember } from './consumer-member.ts';
import type { Group, Member } from './group.ts';

/**
 * A classic group with members becomes a consumer group (KIP-848 online upgrade, Kafka's
 * ConsumerGroup.fromClassicGroup): the group epoch and the assignment epoch are its generation;
 * each member keeps its member id, its subscription and the partitions of its last assignment as
 * both its current and its target assignment, at the generation as its epoch, and stays a member
 * of the classic protocol (it goes on with JoinGroup/SyncGroup/Heartbeat). Null when a member's
 * subscription or assignment cannot be read, or carries a custom assignor's user data.
 */
export function consumerGroupFromClassic(g: Group, topics: TopicLookup, now: number): ConsumerGroupState | null {
  const cg = new ConsumerGroupState();
  cg.groupEpoch = g.generationId;
  cg.assignmentEpoch = g.generationId;
  for (const m of g.members.values()) {
    const metadata = m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? m.protocols[0]?.metadata;
    const subscription = metadata ? readSubscription(metadata) : null;
    const partitions = readAssignment(m.assignment);
    if (!subscription || !partitions) return null;
    const assigned: Assignment = new Map();
    const assignmentEpochs = new Map<string, number>();
    for (const t of partitions) {
      const topic = topics.byName(t.topic);
      if (!topic || t.partitions.length === 0) continue;
      assigned.set(topic.topicId, new Set(t.partitions));
      for (const p of t.partitions) assignmentEpochs.set(`${topic.topicId}:${p}`, g.generationId);
    }
    const member: ConsumerMember = {
      memberId: m.memberId,
      instanceId: m.groupInstanceId,
      rackId: subscription.rackId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      serverAssignor: null,
      subscribedTopicNames: subscription.topics,
      subscribedTopicRegex: null,
      memberEpoch: g.generationId,
      previousMemberEpoch: g.generationId,
      state: 'stable',
      assigned,
      assignmentEpochs,
      pendingRevocation: new Map(),
      lastHeartbeat: now,
      sessionTimeoutMs: m.sessionTimeoutMs,
      revocationDeadline: null,
      classic: { sessionTimeoutMs: m.sessionTimeoutMs, protocols: m.protocols },
      classicDeadline: null,
    };
    cg.updateMember(member);
    cg.targetAssignment.set(member.memberId, new Map([...assigned].map(([t, ps]) => [t, new Set(ps)])));
  }
  return cg;
}

/**
 * The members of a consumer group whose members all use the classic protocol, as members of a
 * classic group (KIP-848 online downgrade, Kafka's ClassicGroup.fromConsumerGroup): their member
 * ids, protocols and session and rebalance timeouts, and their target partitions as their
 * assignment (in their subscription's version; Kafka 4.4 serialises each member's target
 * assignment, not the partitions it owns at the moment).
 */
export function classicMembersFromConsumer(cg: ConsumerGroupState, topics: TopicLookup, now: number): Member[] {
  return [...cg.members.values()].map((m) => {
    const protocols = m.classic?.protocols ?? [];
    const version = readSubscription(protocols[0]?.metadata ?? Buffer.alloc(0))?.version ?? 0;
    const partitions = [...(cg.targetAssignment.get(m.memberId) ?? new Map<string, Set<number>>())].filter(([, ps]) => ps.size > 0).flatMap(([topicId, ps]) => {
      const topic = topics.nameOf?.(topicId);
      return topic === undefined ? [] : [{ topic, partitions: [...ps].sort((x, y) => x - y) }];
    });
    return {
      memberId: m.memberId,
      groupInstanceId: m.instanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      sessionTimeoutMs: m.classic?.sessionTimeoutMs ?? m.sessionTimeoutMs,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      protocolType: 'consumer',
      protocols,
      assignment: writeAssignment(partitions, version),
      lastHeartbeat: now,
      awaitingJoin: null,
      awaitingSync: null,
    };
  });
}
