import type { Assignment } from './assignors/assignor.ts';

/**
 * Where a member stands in reconciling its assignment with the target (Kafka's MemberState):
 * `stable` owns what it may at its epoch; `unrevoked-partitions` must first give up partitions
 * (it stays at its epoch until its heartbeat no longer lists them); `unreleased-partitions` waits
 * for partitions another member has not released yet.
 */
export type MemberState = 'stable' | 'unrevoked-partitions' | 'unreleased-partitions';

/** One member of a KIP-848 consumer group, as the coordinator tracks it. */
export interface ConsumerMember {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  serverAssignor: string | null;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  /** The member's epoch; -2 while a static member is away (it left with epoch -2 and may come back). */
  memberEpoch: number;
  /** The epoch before the last bump: a heartbeat at it is still accepted when its partitions are a subset of the assignment (the answer with the bump may have been lost). */
  previousMemberEpoch: number;
  state: MemberState;
  /** Partitions the member may own now. */
  assigned: Assignment;
  /** `${topicId}:${partition}` → the target epoch at which the member got each assigned partition (a commit at an older member epoch is accepted for partitions it already had then). */
  assignmentEpochs: Map<string, number>;
  /** Partitions the member must give up before it reaches the target epoch. */
  pendingRevocation: Assignment;
  /** When the coordinator last heard from it (its session runs from here). */
  lastHeartbeat: number;
  /** Its session timeout: group.consumer.session.timeout.ms, or the group's consumer.session.timeout.ms when set. */
  sessionTimeoutMs: number;
  /** Set while it must revoke partitions: by then it is fenced (its rebalance timeout). */
  revocationDeadline: number | null;
  /**
   * A member of the classic protocol in a consumer group (KIP-848 online migration): its JoinGroup
   * session timeout and protocols (name and subscription metadata, in its order). Absent for
   * members of the consumer protocol.
   */
  classic?: ClassicMemberMetadata | null;
  /**
   * A classic member told to rejoin (REBALANCE_IN_PROGRESS) or to sync after its JoinGroup must do
   * so by then (its rebalance timeout; Kafka's join and sync timeouts), else it is removed.
   */
  classicDeadline?: number | null;
}

export interface ClassicMemberMetadata {
  sessionTimeoutMs: number;
  protocols: { name: string; metadata: Buffer }[];
}
