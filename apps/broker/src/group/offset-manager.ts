import { ErrorCode } from '@tributary/protocol';
import { Group, type CommittedOffset } from './group.ts';
import { subscribedTopics } from './consumer-protocol.ts';
import type { OffsetStore } from './offset-store.ts';
import type { CoordinatorSettings, MemberRef } from './coordinator.ts';

export interface OffsetDeleteResult {
  errorCode: number;
  /** Per partition (keyed by Group.offsetKey): 0 or GROUP_SUBSCRIBED_TO_TOPIC. */
  partitions: Map<string, number>;
}

/** What the offset manager needs from the membership side (the group coordinator). */
export interface GroupBook {
  get(groupId: string): Group | undefined;
  all(): Group[];
  /** The group, created Empty when unknown (a commit without member creates it, as in Kafka). */
  create(groupId: string): Group;
  /** 0, or the error a request of this member gets (unknown member, fenced instance). */
  validateMember(g: Group, who: MemberRef): number;
  /** Deletes the group: offsets and metadata tombstoned, the group Dead. */
  drop(g: Group): void;
}

/**
 * Committed offsets of every group, as Kafka's OffsetMetadataManager keeps them: commits validated
 * against the group's generation and state, reads, OffsetDelete, and expiry after
 * offsets.retention.minutes. Offsets persist in `__consumer_offsets` through the offset store;
 * membership (who is in which generation) stays with the coordinator, reached through `GroupBook`.
 */
export class OffsetManager {
  readonly #store: OffsetStore;
  readonly #settings: Pick<CoordinatorSettings, 'offsetsRetentionMs'>;
  readonly #now: () => number;
  readonly #book: GroupBook;
  /** TxnOffsetCommit's offsets not yet committed: producer id → group → offset key → offset. */
  readonly #pending = new Map<bigint, Map<string, Map<string, CommittedOffset>>>();

  /**
   * Offset changes whose records are not committed yet (above the partition's high watermark), in
   * log order: each with the log end after its write and the value it replaced (undefined: none).
   * Kafka's coordinator reads at the last committed offset (its timeline snapshots), so OffsetFetch
   * sees a change only once it is replicated; undoing these over the live offsets gives that view.
   */
  readonly #uncommitted: { end: number; groupId: string; key: string; before: CommittedOffset | undefined }[] = [];

  constructor(store: OffsetStore, settings: Pick<CoordinatorSettings, 'offsetsRetentionMs'>, now: () => number, book: GroupBook) {
    this.#store = store;
    this.#settings = settings;
    this.#now = now;
    this.#book = book;
  }

  /**
   * OffsetCommit as Kafka's classic group validates it: members of the current generation commit
   * while the group is Stable or PreparingRebalance (the commit a consumer makes as its partitions
   * are revoked); CompletingRebalance answers REBALANCE_IN_PROGRESS. A commit without member
   * (generation -1, empty member id: the admin client, or a consumer without group management) is
   * accepted only while the group is Empty, and creates the group if it does not exist.
   */
  commit(groupId: string, who: MemberRef, generationId: number, offsets: { topic: string; partition: number; value: CommittedOffset }[], apiVersion = 8, topicIds?: Map<string, string>): number {
    // The empty group id is valid here (and for OffsetFetch, DescribeGroups, DeleteGroups), as in Kafka.
    let g = this.#book.get(groupId);
    if (!g) {
      if (generationId >= 0) return apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION;
      g = this.#book.create(groupId);
    }
    if (g.consumer) {
      const check = this.#validateConsumerCommit(g, who, generationId, apiVersion, topicIds);
      if (typeof check === 'number') return check;
      // One partition the member may not commit at this epoch fails the whole commit, as in Kafka.
      const refused = offsets.map((o) => check(o.topic, o.partition)).find((code) => code !== 0);
      if (refused !== undefined) return refused;
      this.#store.append(offsets.map((o) => ({ kind: 'offset', group: groupId, topic: o.topic, partition: o.partition, value: o.value })));
      this.recordChange(groupId, g.offsets, offsets.map((o) => Group.offsetKey(o.topic, o.partition)));
      for (const o of offsets) g.offsets.set(Group.offsetKey(o.topic, o.partition), o.value);
      return 0;
    }
    const error = this.#validateOffsetCommit(g, who, generationId);
    if (error !== 0) return error;
    const m = g.members.get(who.memberId);
    if (m) m.lastHeartbeat = this.#now();
    this.#store.append(offsets.map((o) => ({ kind: 'offset', group: groupId, topic: o.topic, partition: o.partition, value: o.value })));
    this.recordChange(groupId, g.offsets, offsets.map((o) => Group.offsetKey(o.topic, o.partition)));
    for (const o of offsets) g.offsets.set(Group.offsetKey(o.topic, o.partition), o.value);
    return 0;
  }

  /**
   * A consumer group's commit (Kafka 4.4's ConsumerGroup.validateOffsetCommit): without member
   * (epoch -1) only while the group has no members; otherwise the member must exist
   * (UNKNOWN_MEMBER_ID) and use OffsetCommit v9+ (UNSUPPORTED_VERSION); at its current epoch every
   * partition is accepted, at an older one only the partitions it already held then (a commit
   * made while its epoch moved on); one partition it may not commit fails the whole commit with
   * STALE_MEMBER_EPOCH. Returns a group-level error or the per-partition check.
   */
  #validateConsumerCommit(g: Group, who: MemberRef, epoch: number, apiVersion: number, topicIds?: Map<string, string>): number | ((topic: string, partition: number) => number) {
    const cg = g.consumer!;
    if (epoch < 0 && cg.members.size === 0) return () => 0;
    const m = cg.members.get(who.memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    // A member of the classic protocol (online migration) commits at its generation, its member
    // epoch, with any OffsetCommit version; a mismatch is ILLEGAL_GENERATION, as in a classic group.
    if (!m.classic && apiVersion < 9) return ErrorCode.UNSUPPORTED_VERSION;
    m.lastHeartbeat = this.#now();
    if (epoch === m.memberEpoch) return () => 0;
    const mismatch = m.classic ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.STALE_MEMBER_EPOCH;
    return (topic, partition) => {
      const id = topicIds?.get(topic);
      const since = id === undefined ? undefined : m.assignmentEpochs.get(`${id}:${partition}`);
      return epoch < m.memberEpoch && since !== undefined && since <= epoch ? 0 : mismatch;
    };
  }

  /**
   * OffsetFetch v9+ from a member of a consumer group (Kafka's validateOffsetFetch): without member
   * id and with a negative epoch (the admin client, a consumer without group management) anyone may
   * read; otherwise the member must exist and name its current epoch.
   */
  validateOffsetFetch(groupId: string, memberId: string | null, memberEpoch: number): number {
    const cg = this.#book.get(groupId)?.consumer;
    if (!cg || (memberId === null && memberEpoch < 0)) return 0;
    const m = memberId === null ? undefined : cg.members.get(memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    // A member of the classic protocol (online migration) is told ILLEGAL_GENERATION, as a classic group tells it.
    return m.memberEpoch === memberEpoch ? 0 : m.classic ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.STALE_MEMBER_EPOCH;
  }

  #validateOffsetCommit(g: Group, who: MemberRef, generationId: number): number {
    if (g.state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (generationId < 0 && g.state === 'Empty') return 0;
    if (generationId >= 0 || who.memberId !== '' || who.groupInstanceId !== null) {
      const error = this.#book.validateMember(g, who);
      if (error !== 0) return error;
      if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    } else if (g.state !== 'Empty') {
      return ErrorCode.UNKNOWN_MEMBER_ID;
    }
    return g.state === 'CompletingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : 0;
  }

  /**
   * TxnOffsetCommit (Kafka's classic group validation for transactional commits): a member of a
   * group names its generation; a commit without member (generation -1, the admin-less producer of
   * older clients) is accepted for any group. The offsets are written in the producer's
   * transactional batch and stay pending, invisible to OffsetFetch, until its transaction ends.
   */
  txnCommit(groupId: string, producerId: bigint, producerEpoch: number, who: MemberRef, generationId: number, offsets: { topic: string; partition: number; value: CommittedOffset }[]): number {
    let g = this.#book.get(groupId);
    if (!g) {
      if (generationId >= 0) return ErrorCode.ILLEGAL_GENERATION;
      g = this.#book.create(groupId);
    }
    if (g.state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (g.consumer && (who.memberId !== '' || generationId >= 0)) {
      // A consumer group member commits in a transaction at its current member epoch.
      const m = g.consumer.members.get(who.memberId);
      if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (generationId !== m.memberEpoch) return ErrorCode.ILLEGAL_GENERATION;
    } else if (who.memberId !== '' || generationId >= 0) {
      const error = this.#book.validateMember(g, who);
      if (error !== 0) return error;
      if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    }
    this.#store.appendTransactional(offsets.map((o) => ({ kind: 'offset', group: groupId, topic: o.topic, partition: o.partition, value: o.value })), producerId, producerEpoch);
    for (const o of offsets) this.addPending(producerId, groupId, o.topic, o.partition, o.value);
    return 0;
  }

  /** An offset of a running transaction (from TxnOffsetCommit, or replayed from the log). */
  addPending(producerId: bigint, groupId: string, topic: string, partition: number, value: CommittedOffset | null): void {
    if (value === null) return;
    let groups = this.#pending.get(producerId);
    if (!groups) this.#pending.set(producerId, (groups = new Map()));
    let offsets = groups.get(groupId);
    if (!offsets) groups.set(groupId, (offsets = new Map()));
    offsets.set(Group.offsetKey(topic, partition), value);
  }

  /** The transaction's marker reached `__consumer_offsets`: its offsets become the committed ones, or are dropped. */
  completeTransaction(producerId: bigint, commit: boolean): void {
    const groups = this.#pending.get(producerId);
    this.#pending.delete(producerId);
    if (!groups || !commit) return;
    for (const [groupId, offsets] of groups) {
      const g = this.#book.get(groupId) ?? this.#book.create(groupId);
      // The marker was just written: the offsets count for readers once it is replicated.
      this.recordChange(groupId, g.offsets, offsets.keys());
      for (const [key, value] of offsets) g.offsets.set(key, value);
    }
  }

  /** Whether a running transaction holds an offset for the partition (OffsetFetch with require_stable: UNSTABLE_OFFSET_COMMIT). */
  hasPending(groupId: string, topic: string, partition: number): boolean {
    const key = Group.offsetKey(topic, partition);
    for (const groups of this.#pending.values()) if (groups.get(groupId)?.has(key)) return true;
    return false;
  }

  /**
   * Call once a change's records are appended and before `offsets` (the group's live map) is
   * changed: the replaced values are kept until the high watermark passes the write.
   */
  recordChange(groupId: string, offsets: ReadonlyMap<string, CommittedOffset>, keys: Iterable<string>): void {
    const end = this.#store.endOffset;
    if (end <= this.#store.committedOffset) return;
    for (const key of keys) this.#uncommitted.push({ end, groupId, key, before: offsets.get(key) });
  }

  /** The group's offsets as written, committed to the log or not (OffsetFetch with require_stable, after waiting). */
  latestOffsets(groupId: string): ReadonlyMap<string, CommittedOffset> {
    const g = this.#book.get(groupId);
    return !g || g.state === 'Dead' ? new Map() : g.offsets;
  }

  /**
   * The group's offsets as of the partition's last committed offset (Kafka's read operations):
   * changes not yet replicated are undone, the first one of each key giving the committed value.
   */
  committedOffsets(groupId: string): ReadonlyMap<string, CommittedOffset> {
    this.#forgetCommitted();
    const latest = this.latestOffsets(groupId);
    if (!this.#uncommitted.some((c) => c.groupId === groupId)) return latest;
    const view = new Map(latest);
    const undone = new Set<string>();
    for (const c of this.#uncommitted) {
      if (c.groupId !== groupId || undone.has(c.key)) continue;
      undone.add(c.key);
      if (c.before === undefined) view.delete(c.key);
      else view.set(c.key, c.before);
    }
    return view;
  }

  /** Changes the high watermark has passed are committed: readers see them as they are. */
  #forgetCommitted(): void {
    const committed = this.#store.committedOffset;
    let done = 0;
    while (done < this.#uncommitted.length && this.#uncommitted[done]!.end <= committed) done++;
    if (done > 0) this.#uncommitted.splice(0, done);
  }

  /** One committed offset as OffsetFetch reads it (at the last committed offset). */
  committed(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.committedOffsets(groupId).get(Group.offsetKey(topic, partition));
  }

  /**
   * OffsetDelete (KIP-496): removes committed offsets of an empty group, or of topics no member of
   * a consumer group subscribes to (GROUP_SUBSCRIBED_TO_TOPIC for the others). Groups of another
   * protocol type can only lose offsets while empty (NON_EMPTY_GROUP).
   */
  deleteOffsets(groupId: string, partitions: { topic: string; partition: number }[]): OffsetDeleteResult {
    const result: OffsetDeleteResult = { errorCode: 0, partitions: new Map() };
    if (!groupId) return { ...result, errorCode: ErrorCode.INVALID_GROUP_ID };
    const g = this.#book.get(groupId);
    if (!g || g.state === 'Dead') return { ...result, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
    let subscribed: Set<string> | null = new Set();
    if (g.state !== 'Empty') {
      if (g.protocolType !== 'consumer') return { ...result, errorCode: ErrorCode.NON_EMPTY_GROUP };
      subscribed = this.#subscriptions(g);
    }
    const deleted: { topic: string; partition: number }[] = [];
    for (const p of partitions) {
      const key = Group.offsetKey(p.topic, p.partition);
      // A consumer group whose subscriptions cannot be read counts as subscribed to everything (Kafka's isSubscribedToTopic).
      if (subscribed === null || subscribed.has(p.topic)) {
        result.partitions.set(key, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
        continue;
      }
      result.partitions.set(key, 0);
      if (g.offsets.has(key)) deleted.push(p);
    }
    this.#deleteOffsetKeys(g, deleted);
    return result;
  }

  /** Topics the members subscribe to; null when a subscription cannot be read (then: all of them). */
  #subscriptions(g: Group): Set<string> | null {
    if (g.consumer) return g.consumer.subscribedTopicNames();
    const topics = new Set<string>();
    for (const m of g.members.values()) {
      const metadata = (m.protocols.find((p) => p.name === g.protocolName) ?? m.protocols[0])?.metadata;
      const subscribed = metadata ? subscribedTopics(metadata) : null;
      if (subscribed === null) return null;
      for (const t of subscribed) topics.add(t);
    }
    return topics;
  }

  #deleteOffsetKeys(g: Group, deleted: { topic: string; partition: number }[]): void {
    // Tombstones first: an offset is gone from memory only once its deletion is in the log.
    this.#store.append(deleted.map((p) => ({ kind: 'offset', group: g.groupId, topic: p.topic, partition: p.partition, value: null })));
    this.recordChange(g.groupId, g.offsets, deleted.map((p) => Group.offsetKey(p.topic, p.partition)));
    for (const p of deleted) g.offsets.delete(Group.offsetKey(p.topic, p.partition));
  }

  /**
   * offsets.retention.minutes, as Kafka applies it since KIP-211: an empty group's offsets expire
   * that long after the group became empty (after the commit, for groups whose start we did not
   * see: standalone committers and groups replayed without a state timestamp); a stable consumer
   * group loses only offsets of topics it no longer subscribes to, counted from their commit.
   * Expiry writes tombstones to __consumer_offsets; an Empty group left without offsets is deleted
   * (its metadata tombstoned).
   */
  expireOffsets(): number {
    const now = this.#now();
    const retention = this.#settings.offsetsRetentionMs;
    let expired = 0;
    for (const g of this.#book.all()) {
      let candidates: { topic: string; partition: number }[] = [];
      if (g.state === 'Empty') {
        const since = g.protocolType === null ? null : g.emptySince;
        candidates = [...g.offsets].filter(([, o]) => (since ?? o.commitTimestamp) + retention <= now).map(([key]) => splitOffsetKey(key));
      } else if (g.state === 'Stable' && g.protocolType === 'consumer') {
        const subscribed = this.#subscriptions(g);
        if (subscribed === null) continue;
        candidates = [...g.offsets].filter(([key, o]) => !subscribed.has(splitOffsetKey(key).topic) && o.commitTimestamp + retention <= now).map(([key]) => splitOffsetKey(key));
      }
      if (candidates.length > 0) {
        this.#deleteOffsetKeys(g, candidates);
        expired += candidates.length;
      }
      if (g.state === 'Empty' && g.pendingMembers.size === 0 && g.offsets.size === 0) this.#book.drop(g);
    }
    return expired;
  }
}

/** The inverse of Group.offsetKey. */
export function splitOffsetKey(key: string): { topic: string; partition: number } {
  const cut = key.lastIndexOf('\u0000');
  return { topic: key.slice(0, cut), partition: Number(key.slice(cut + 1)) };
}
