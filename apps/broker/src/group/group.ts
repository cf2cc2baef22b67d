import type { ConsumerGroupState } from './consumer-group.ts';

/** One member of a classic consumer group, as the coordinator tracks it. */
export interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
  assignment: Buffer;
  lastHeartbeat: number;
  /** Set while the member's JoinGroup waits for the rebalance to complete. */
  awaitingJoin: ((result: JoinResult) => void) | null;
  /** Set while the member's SyncGroup waits for the leader's assignment. */
  awaitingSync: ((result: SyncResult) => void) | null;
}

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
  /** JoinGroup v9: a static leader that replaced itself keeps the current assignment (KIP-814). */
  skipAssignment?: boolean;
}

export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface CommittedOffset {
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
  commitTimestamp: number;
}

export class Group {
  readonly groupId: string;
  /**
   * Set while this is a KIP-848 "consumer" group (ConsumerGroupHeartbeat): its members, epochs
   * and assignments; `state` then only says Empty or Stable for the code shared with classic
   * groups (offsets, deletion), and `members` stays empty. Null for a classic group.
   */
  consumer: ConsumerGroupState | null = null;
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /**
   * Member ids handed out with MEMBER_ID_REQUIRED, not yet joined, with the time by which they must
   * join (their session timeout, as in Kafka) before they are forgotten.
   */
  readonly pendingMembers = new Map<string, number>();
  readonly offsets = new Map<string, CommittedOffset>();
  /** group.instance.id → the member id that currently holds it (KIP-345 static membership). */
  readonly staticMembers = new Map<string, string>();
  /**
   * When the group last became Empty: its committed offsets expire offsets.retention.minutes after
   * this (KIP-211). Null while it has members.
   */
  emptySince: number | null = null;
  /** When the group entered its current state (Kafka's currentStateTimestamp); null when unknown. */
  currentStateTimestamp: number | null = null;
  /** The join phase's timer (Kafka's join key): the initial delay, or the rebalance timeout. */
  rebalanceTimer: NodeJS.Timeout | null = null;
  /**
   * True while the group prepares its initial rebalance (it was Empty before: Kafka's previousState
   * EMPTY): then only the initial-delay timer completes the join phase, so that a starting fleet
   * joins one generation; a member leaving still completes it.
   */
  initialRebalance = false;
  /** A member joined during the initial rebalance's current delay: the delay is extended once more. */
  newMemberAdded = false;
  /**
   * Members of the current generation that have not sent SyncGroup yet (Kafka's pendingSyncMembers):
   * those still missing when the rebalance timeout after the join phase passes are removed.
   */
  readonly pendingSync = new Set<string>();
  syncTimer: NodeJS.Timeout | null = null;

  constructor(groupId: string) {
    this.groupId = groupId;
  }

  static offsetKey(topic: string, partition: number): string {
    return `${topic}\u0000${partition}`;
  }
}
