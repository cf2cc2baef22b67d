import type { Assignment } from './assignors/assignor.ts';
import type { ConsumerMember } from './consumer-member.ts';

/** A refresh of a group's expressions, with the DESCRIBE check of the principal whose heartbeat triggered it (absent: no authorizer). */
export interface PendingRegexRefresh {
  at: number;
  regexes: Set<string>;
  canDescribeTopic: ((topic: string) => boolean) | undefined;
}

/** The states Kafka reports for a consumer group (ConsumerGroup.ConsumerGroupState). */
export type ConsumerGroupStateName = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable';

/**
 * The KIP-848 part of a group of type "consumer": its members, the group epoch (bumped by every
 * change that needs a new assignment: a member joining or leaving, a subscription, the subscribed
 * topics' partitions), the target assignment and the epoch it was computed at, and which member
 * epoch holds each partition (so that reconciliation gives a partition to its next owner only once
 * the previous one has released it). Committed offsets stay on the Group that holds this.
 */
export class ConsumerGroupState {
  groupEpoch = 0;
  assignmentEpoch = 0;
  readonly members = new Map<string, ConsumerMember>();
  /** group.instance.id → member id of the static member that holds it. */
  readonly staticMembers = new Map<string, string>();
  /** memberId → target assignment, as of assignmentEpoch. */
  readonly targetAssignment = new Map<string, Assignment>();
  /** `${topicId}:${partition}` → epoch of the member that holds it (assigned or pending revocation). */
  readonly #partitionEpochs = new Map<string, number>();
  /**
   * Subscription expression → the topic names it resolved to at the group's last refresh (Kafka's
   * resolvedRegularExpressions): every expression of the group is resolved at once, with the
   * authorization of the member whose heartbeat triggered the refresh (regex-refresh.ts).
   * Persisted as Kafka's ConsumerGroupRegularExpression records (type 16) and loaded back.
   */
  readonly resolvedRegexes = new Map<string, Set<string>>();
  /**
   * When the group's expressions were last resolved, and the topics that existed then (new ones
   * trigger a refresh); after a load, null until the next heartbeat adopts the topics then (Kafka's
   * new coordinator, too, counts only topics created after it loaded the group); `version` the
   * cluster metadata's version then (Kafka's metadata image offset; -1 when unknown).
   */
  lastRegexRefresh: { at: number; topicNames: Set<string> | null; version: bigint } | null = null;
  /** A refresh a heartbeat triggered: applied right after that request, or by the group's next request if that comes first (Kafka resolves off the request path). */
  pendingRegexRefresh: PendingRegexRefresh | null = null;
  /** The subscribed topics' ids and partition counts the target assignment was computed from; null after a load (adopted at the next heartbeat without a new epoch). */
  subscriptionMetadata: string | null = '';

  get state(): ConsumerGroupStateName {
    if (this.members.size === 0) return 'Empty';
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning';
    for (const m of this.members.values()) if (m.memberEpoch !== this.assignmentEpoch || m.state !== 'stable') return 'Reconciling';
    return 'Stable';
  }

  partitionEpoch(topicId: string, partition: number): number {
    return this.#partitionEpochs.get(`${topicId}:${partition}`) ?? -1;
  }

  /** Stores the member (new or changed), moving its partitions' epochs from its old state to the new one. */
  updateMember(next: ConsumerMember): void {
    const previous = this.members.get(next.memberId);
    if (previous) this.#release(previous);
    this.members.set(next.memberId, next);
    if (next.instanceId !== null) this.staticMembers.set(next.instanceId, next.memberId);
    for (const a of [next.assigned, next.pendingRevocation]) for (const [t, ps] of a) for (const p of ps) this.#partitionEpochs.set(`${t}:${p}`, next.memberEpoch);
  }

  /** Removes the member: its partitions become free, its target assignment goes. */
  removeMember(memberId: string): void {
    const m = this.members.get(memberId);
    if (!m) return;
    this.#release(m);
    this.members.delete(memberId);
    this.targetAssignment.delete(memberId);
    if (m.instanceId !== null && this.staticMembers.get(m.instanceId) === memberId) this.staticMembers.delete(m.instanceId);
  }

  #release(m: ConsumerMember): void {
    for (const a of [m.assigned, m.pendingRevocation]) {
      for (const [t, ps] of a) {
        for (const p of ps) {
          const k = `${t}:${p}`;
          if (this.#partitionEpochs.get(k) === m.memberEpoch) this.#partitionEpochs.delete(k);
        }
      }
    }
  }

  /** The existing topics the members' names and resolved expressions matched at the last heartbeat. */
  matchedTopicNames = new Set<string>();

  /** Every topic a member subscribes to, by name or through its resolved expression (OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC, offset expiry). */
  subscribedTopicNames(): Set<string> {
    const out = new Set<string>(this.matchedTopicNames);
    for (const m of this.members.values()) for (const t of m.subscribedTopicNames) out.add(t);
    return out;
  }
}
