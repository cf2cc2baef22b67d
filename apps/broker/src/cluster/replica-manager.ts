import { ErrorCode } from '@tributary/protocol';
import type { PartitionLog } from '../log/partition-log.ts';
import type { AppendSignal } from '../log/append-signal.ts';
import type { TopicRegistry } from '../topics/topic-registry.ts';
import type { ClusterMetadata, PartitionInfo } from './cluster-metadata.ts';
import { highWatermarkOf, nextIsr, type FollowerProgress } from './isr.ts';
import { timerDelay } from '../timer-delay.ts';

/** Writes a leader's ISR change where the cluster keeps it: the revision it was written at, null when the write lost a race. */
export type IsrWriter = (topic: string, partition: number, leaderEpoch: number, isr: number[]) => Promise<IsrWriteResult>;
export type IsrWriteResult = { revision: bigint } | null;

export interface ReplicaManagerOptions {
  nodeId: number;
  topics: TopicRegistry;
  metadata: ClusterMetadata;
  appends: AppendSignal;
  replicaLagTimeMaxMs: number;
  /** Absent for a standalone broker, whose ISR is always itself. */
  writeIsr?: IsrWriter;
  /** A topic's min.insync.replicas (its override, else the broker's); 1 when absent. */
  minInsyncReplicas?: (topic: string) => number;
  /** Role changes, for the replica fetcher and the group coordinator. */
  onRole?: (change: RoleChange) => void;
}

export type RoleChange =
  | { kind: 'leader'; topic: string; partition: number; leaderEpoch: number }
  | { kind: 'follower'; topic: string; partition: number; leader: number; leaderEpoch: number }
  | { kind: 'none'; topic: string; partition: number };

interface Follower extends FollowerProgress {
  logEndOffset: number;
  lastCaughtUpMs: number;
  /** Leader's log end when this follower last fetched, for Kafka's "caught up as of last fetch". */
  leaderEndAtLastFetch: number;
  lastFetchMs: number;
  /** Log start offset the follower reported in its last fetch (-1 before one in this epoch), for DeleteRecords' low watermark. */
  logStartOffset: number;
}

interface Waiter {
  offset: number;
  minIsr: number;
  resolve: (errorCode: number) => void;
  timer: NodeJS.Timeout;
}

/** A DeleteRecords waiting for every live replica's log start to pass its offset. */
interface LowWatermarkWaiter {
  offset: number;
  resolve: (result: LowWatermarkResult) => void;
  timer: NodeJS.Timeout;
}

/** What a DeleteRecords partition answers: 0 with the low watermark reached, or the error Kafka's DelayedDeleteRecords gives. */
export interface LowWatermarkResult {
  errorCode: number;
  lowWatermark: number;
}

/** This broker's view of one hosted partition. */
interface Replica {
  topic: string;
  partition: number;
  log: PartitionLog;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  followers: Map<number, Follower>;
  waiters: Waiter[];
  lowWatermarkWaiters: LowWatermarkWaiter[];
  /**
   * The ISR this leader is writing, until the write has won or lost. The high watermark counts its
   * members as well as the current ISR's (Kafka's maximal ISR): once an expansion is written the
   * cluster may elect the new member, so nothing past that member's log end may be acknowledged.
   */
  proposedIsr: number[] | null;
  /**
   * The revision of this leader's last ISR write that won. The cluster view may still be older
   * (the write's answer can come before the watch delivers it, and any other change makes the
   * broker reconcile): an older view's ISR must not replace the one just written, or the
   * watermark would leave out a member the controller may already elect.
   */
  writtenRevision: bigint;
}

export type LeaderLookup = { ok: true; log: PartitionLog; leaderEpoch: number } | { ok: false; errorCode: number };

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * Kafka's ISR model on the leader side: which hosted partitions this broker leads, what every
 * follower has fetched, the high watermark (lowest log end over the ISR), ISR shrink and expand,
 * and produce requests with acks=-1 waiting for the high watermark to pass their batches.
 */
export class ReplicaManager {
  readonly #o: ReplicaManagerOptions;
  readonly #replicas = new Map<string, Replica>();
  #timer: NodeJS.Timeout | null = null;

  constructor(options: ReplicaManagerOptions) {
    this.#o = options;
  }

  get nodeId(): number {
    return this.#o.nodeId;
  }

  /** Periodic ISR shrink check (Kafka runs it every replica.lag.time.max.ms / 2). */
  start(): void {
    if (!this.#o.writeIsr) return;
    this.#timer = setInterval(() => this.checkIsr(), timerDelay(Math.max(100, this.#o.replicaLagTimeMaxMs / 2)));
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    for (const r of this.#replicas.values()) this.#failWaiters(r, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  }

  /**
   * Applies the cluster's current state to every hosted partition: becomes leader or follower
   * where the leader or epoch changed, forgets partitions no longer hosted.
   */
  reconcile(): void {
    const seen = new Set<string>();
    for (const t of this.#o.topics.list()) {
      for (let p = 0; p < t.partitions; p++) {
        const log = this.#o.topics.log(t.name, p);
        const info = this.#o.metadata.partition(t.name, p);
        if (!log || !info) continue;
        seen.add(key(t.name, p));
        this.#apply(t.name, p, log, info);
      }
    }
    for (const [k, r] of this.#replicas) {
      if (seen.has(k)) continue;
      this.#replicas.delete(k);
      this.#failWaiters(r, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      this.#o.onRole?.({ kind: 'none', topic: r.topic, partition: r.partition });
    }
  }

  #apply(topic: string, partition: number, log: PartitionLog, info: PartitionInfo): Replica {
    const k = key(topic, partition);
    let r = this.#replicas.get(k);
    const me = this.#o.nodeId;
    if (r && r.log === log && r.leader === info.leader && r.leaderEpoch === info.leaderEpoch) {
      // Same leadership: only the ISR or the replica set may have moved.
      if (info.revision === undefined || info.revision >= r.writtenRevision) r.isr = [...info.isr];
      r.replicas = [...info.replicas];
      if (r.leader === me) {
        this.#advanceHighWatermark(r);
        // A replica removed, or its broker gone, no longer holds DeleteRecords back.
        this.#completeLowWatermarkWaiters(r);
      }
      return r;
    }
    const wasLeader = r?.leader === me;
    if (r) this.#failWaiters(r, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    r = { topic, partition, log, leader: info.leader, leaderEpoch: info.leaderEpoch, replicas: [...info.replicas], isr: [...info.isr], followers: new Map(), waiters: [], lowWatermarkWaiters: [], proposedIsr: null, writtenRevision: 0n };
    this.#replicas.set(k, r);
    if (info.leader === me) {
      // The new epoch starts at our log end, so followers that wrote past it truncate (KIP-101);
      // written to disk with the epoch's first record, not here (leader-epoch-cache.ts).
      log.leaderEpochs.assignForNewLeader(info.leaderEpoch, log.logEndOffset);
      const now = Date.now();
      for (const id of info.replicas) if (id !== me) r.followers.set(id, newFollower(id, now));
      this.#advanceHighWatermark(r);
      this.#o.onRole?.({ kind: 'leader', topic, partition, leaderEpoch: info.leaderEpoch });
    } else if (info.replicas.includes(me)) {
      this.#o.onRole?.({ kind: 'follower', topic, partition, leader: info.leader, leaderEpoch: info.leaderEpoch });
    } else if (wasLeader) {
      this.#o.onRole?.({ kind: 'none', topic, partition });
    }
    return r;
  }

  /** The replica record for a hosted partition, created on first use from the cluster's state. */
  #replica(topic: string, partition: number): Replica | undefined {
    const r = this.#replicas.get(key(topic, partition));
    const log = this.#o.topics.log(topic, partition);
    if (r && r.log === log) return r;
    const info = this.#o.metadata.partition(topic, partition);
    if (!log || !info) return undefined;
    return this.#apply(topic, partition, log, info);
  }

  /** No replica here: a partition the cluster knows lives on other brokers; otherwise it does not exist. */
  #notHosted(topic: string, partition: number): LeaderLookup {
    const known = this.#o.metadata.partition(topic, partition) !== undefined;
    return { ok: false, errorCode: known ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  }

  /** The log to produce to or fetch from, if this broker leads the partition in that epoch. */
  leaderFor(topic: string, partition: number, currentLeaderEpoch = -1): LeaderLookup {
    const r = this.#replica(topic, partition);
    if (!r) return this.#notHosted(topic, partition);
    // KIP-320: a client that knows a newer epoch than ours is ahead of us; an older one must refresh.
    if (currentLeaderEpoch >= 0 && currentLeaderEpoch > r.leaderEpoch) return { ok: false, errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH };
    if (r.leader !== this.#o.nodeId) return { ok: false, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    if (currentLeaderEpoch >= 0 && currentLeaderEpoch < r.leaderEpoch) return { ok: false, errorCode: ErrorCode.FENCED_LEADER_EPOCH };
    return { ok: true, log: r.log, leaderEpoch: r.leaderEpoch };
  }

  /**
   * The log a consumer may read here (KIP-392, Fetch v11+): this broker's replica of the partition,
   * leader or follower, in that epoch. Kafka checks the epoch before the role (Partition's
   * getLocalLog): an older epoch is fenced and a newer one unknown whoever asks.
   */
  readableReplicaFor(topic: string, partition: number, currentLeaderEpoch = -1): LeaderLookup {
    const r = this.#replica(topic, partition);
    if (!r) return this.#notHosted(topic, partition);
    if (currentLeaderEpoch >= 0 && currentLeaderEpoch < r.leaderEpoch) return { ok: false, errorCode: ErrorCode.FENCED_LEADER_EPOCH };
    if (currentLeaderEpoch >= 0 && currentLeaderEpoch > r.leaderEpoch) return { ok: false, errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH };
    // A log left behind by a reassignment that moved the partition away is no replica to read.
    if (!r.replicas.includes(this.#o.nodeId)) return { ok: false, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    return { ok: true, log: r.log, leaderEpoch: r.leaderEpoch };
  }

  isrSize(topic: string, partition: number): number {
    return this.#replica(topic, partition)?.isr.length ?? 0;
  }

  /**
   * Kafka's Partition.effectiveMinIsr: min.insync.replicas capped at the partition's replica count.
   * A topic with fewer replicas than a broker-wide min.insync.replicas (RF 1 under 2) takes acks=all
   * writes once all its replicas have them, as Kafka 4.4 does.
   */
  effectiveMinIsr(topic: string, partition: number, minIsr: number): number {
    const r = this.#replica(topic, partition);
    return r ? Math.min(minIsr, r.replicas.length) : minIsr;
  }

  /** Whether `replicaId` is in the partition's ISR as this broker knows it (replication throttles spare in-sync replicas). */
  inIsr(topic: string, partition: number, replicaId: number): boolean {
    return this.#replica(topic, partition)?.isr.includes(replicaId) ?? false;
  }

  /** After a leader append: with the leader as the only in-sync replica the watermark moves at once. */
  onLeaderAppend(topic: string, partition: number): void {
    const r = this.#replica(topic, partition);
    if (r && r.leader === this.#o.nodeId) this.#advanceHighWatermark(r);
  }

  /**
   * A follower's fetch at `fetchOffset` tells the leader that the follower's log ends there.
   * Returns false when this broker does not lead the partition. As Kafka's Partition.fetchRecords,
   * only a fetch in this leader's epoch (`currentLeaderEpoch`, -1 when the request has none) and at
   * an offset this log has counts: a fetch sent in an earlier epoch, or from a log whose tail
   * diverges and is not yet truncated, would otherwise make the follower look further than it is,
   * and the watermark would acknowledge batches it does not hold.
   */
  onFollowerFetch(topic: string, partition: number, replicaId: number, fetchOffset: number, { currentLeaderEpoch = -1, logStartOffset = -1, now = Date.now() }: { currentLeaderEpoch?: number; logStartOffset?: number; now?: number } = {}): boolean {
    const r = this.#replica(topic, partition);
    if (!r || r.leader !== this.#o.nodeId) return false;
    if ((currentLeaderEpoch >= 0 && currentLeaderEpoch !== r.leaderEpoch) || fetchOffset > r.log.logEndOffset) return true;
    let f = r.followers.get(replicaId);
    if (!f) {
      if (!r.replicas.includes(replicaId)) return true;
      f = newFollower(replicaId, now);
      r.followers.set(replicaId, f);
    }
    const leaderEnd = r.log.logEndOffset;
    if (fetchOffset >= leaderEnd) f.lastCaughtUpMs = now;
    else if (fetchOffset >= f.leaderEndAtLastFetch) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, f.lastFetchMs);
    f.logEndOffset = fetchOffset;
    f.leaderEndAtLastFetch = leaderEnd;
    f.lastFetchMs = now;
    if (logStartOffset >= 0) f.logStartOffset = logStartOffset;
    if (!r.isr.includes(replicaId)) this.#maybeChangeIsr(r, now, replicaId);
    this.#advanceHighWatermark(r);
    this.#completeLowWatermarkWaiters(r);
    return true;
  }

  /**
   * Kafka's low watermark (Partition.lowWatermarkIfLeader): the lowest log start offset over this
   * leader and its followers on live brokers, as their fetches report it (a follower that has not
   * fetched in this epoch counts as -1). Null when this broker does not lead the partition.
   */
  lowWatermark(topic: string, partition: number): number | null {
    const r = this.#replica(topic, partition);
    return r && r.leader === this.#o.nodeId ? this.#lowWatermarkOf(r) : null;
  }

  /**
   * DeleteRecords after the leader moved its log start to `offset`: resolves once every live
   * replica has (Kafka's DelayedDeleteRecords), so the deleted records cannot come back from a
   * follower elected later. NOT_LEADER_OR_FOLLOWER (low watermark -1) when leadership moves,
   * REQUEST_TIMED_OUT with the low watermark as it was asked when `timeoutMs` passes first.
   */
  waitForLowWatermark(topic: string, partition: number, offset: number, timeoutMs: number): Promise<LowWatermarkResult> {
    const r = this.#replica(topic, partition);
    if (!r || r.leader !== this.#o.nodeId) return Promise.resolve({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, lowWatermark: -1 });
    const asked = this.#lowWatermarkOf(r);
    if (asked >= offset) return Promise.resolve({ errorCode: 0, lowWatermark: asked });
    return new Promise((resolve) => {
      const waiter: LowWatermarkWaiter = {
        offset,
        resolve,
        timer: setTimeout(() => {
          r.lowWatermarkWaiters = r.lowWatermarkWaiters.filter((w) => w !== waiter);
          resolve({ errorCode: ErrorCode.REQUEST_TIMED_OUT, lowWatermark: asked });
        }, Math.max(0, timeoutMs)),
      };
      r.lowWatermarkWaiters.push(waiter);
    });
  }

  #lowWatermarkOf(r: Replica): number {
    const live = new Set(this.#o.metadata.brokers().map((b) => b.nodeId));
    let low = r.log.logStartOffset;
    for (const id of r.replicas) {
      if (id === this.#o.nodeId || !live.has(id)) continue;
      low = Math.min(low, r.followers.get(id)?.logStartOffset ?? -1);
    }
    return low;
  }

  #completeLowWatermarkWaiters(r: Replica): void {
    if (r.lowWatermarkWaiters.length === 0) return;
    const low = this.#lowWatermarkOf(r);
    const done = r.lowWatermarkWaiters.filter((w) => w.offset <= low);
    if (done.length === 0) return;
    r.lowWatermarkWaiters = r.lowWatermarkWaiters.filter((w) => w.offset > low);
    for (const w of done) {
      clearTimeout(w.timer);
      w.resolve({ errorCode: 0, lowWatermark: low });
    }
  }

  /**
   * True when a partition this broker leads has records `replicaId` should replicate but did not
   * ask for in its fetch (`asked`). A follower's fetch loop learns of
   * a new assignment only between fetches; without this its long-poll on the other partitions
   * (replica.fetch.wait.max.ms) would hold up acks=-1 on the new one for that long.
   */
  followerHasUnaskedData(replicaId: number, asked: readonly { topic: string; partition: number }[]): boolean {
    const keys = new Set(asked.map((a) => key(a.topic, a.partition)));
    for (const [k, r] of this.#replicas) {
      if (r.leader !== this.#o.nodeId || !r.replicas.includes(replicaId) || keys.has(k)) continue;
      if (Math.max(0, r.followers.get(replicaId)?.logEndOffset ?? 0) < r.log.logEndOffset) return true;
    }
    return false;
  }

  /**
   * acks=-1: resolves with 0 once the high watermark passes `offset` (every ISR member has the
   * batch), NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR fell below `minIsr` meanwhile,
   * NOT_LEADER_OR_FOLLOWER when leadership moved, REQUEST_TIMED_OUT after `timeoutMs`.
   */
  waitForReplication(topic: string, partition: number, offset: number, configuredMinIsr: number, timeoutMs: number): Promise<number> {
    const r = this.#replica(topic, partition);
    if (!r || r.leader !== this.#o.nodeId) return Promise.resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const minIsr = Math.min(configuredMinIsr, r.replicas.length);
    if (r.log.highWatermark >= offset) return Promise.resolve(r.isr.length < minIsr ? ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND : 0);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        offset,
        minIsr,
        resolve,
        timer: setTimeout(() => {
          r.waiters = r.waiters.filter((w) => w !== waiter);
          resolve(ErrorCode.REQUEST_TIMED_OUT);
        }, Math.max(0, timeoutMs)),
      };
      r.waiters.push(waiter);
    });
  }

  /** Shrinks ISRs of led partitions whose followers stopped keeping up (never expands them: see #maybeChangeIsr). */
  checkIsr(now = Date.now()): void {
    for (const r of this.#replicas.values()) if (r.leader === this.#o.nodeId && r.isr.length > 1) this.#maybeChangeIsr(r, now, null);
  }

  /** Partitions this broker leads (controlled shutdown waits for this to reach zero). */
  ledPartitions(): { topic: string; partition: number }[] {
    return [...this.#replicas.values()].filter((r) => r.leader === this.#o.nodeId).map((r) => ({ topic: r.topic, partition: r.partition }));
  }

  /** Lag of every follower of the partitions this broker leads (metrics, tests). */
  underReplicated(): number {
    return [...this.#replicas.values()].filter((r) => r.leader === this.#o.nodeId && r.isr.length < r.replicas.length).length;
  }

  /**
   * Proposes the ISR nextIsr() computes, adding only `joining`: the follower whose fetch is being
   * handled, as Kafka expands an ISR only from that follower's fetch. What the leader remembers of
   * other followers may be stale: a follower the cluster removed (its broker died, the controller
   * took it out) still shows the log end it reached before, and adding it back from the periodic
   * check (as this did until 2026-12-02) put a dead broker into the ISR, so acks=all writes waited
   * for it until the next shrink (seen in test/conformance/protocol-txn-markers.test.ts's logs: a
   * broker continued after SIGSTOP re-added the killed one to every ISR it led).
   */
  #maybeChangeIsr(r: Replica, now: number, joining: number | null): void {
    const write = this.#o.writeIsr;
    if (!write || r.proposedIsr !== null) return;
    // In ascending id order, as Kafka's leader proposes it (its AlterPartition sends the ISR from a
    // set): what kafka-topics and Metadata show after a shrink or an expansion.
    const next = nextIsr({ leaderId: this.#o.nodeId, isr: r.isr, replicas: r.replicas, followers: [...r.followers.values()], leaderLogEndOffset: r.log.logEndOffset, highWatermark: r.log.highWatermark, nowMs: now, replicaLagTimeMaxMs: this.#o.replicaLagTimeMaxMs })
      // A follower joins only while its broker is registered (Kafka's Partition.isReplicaIsrEligible):
      // an unregistered broker that still runs and fetches (UnregisterBroker) stays out.
      .filter((id) => r.isr.includes(id) || (id === joining && this.#isRegistered(id)))
      .sort((a, b) => a - b);
    if (next.length === r.isr.length && next.every((id) => r.isr.includes(id))) return;
    r.proposedIsr = next;
    const epoch = r.leaderEpoch;
    write(r.topic, r.partition, epoch, next)
      .then((written) => {
        // Applied only when the write won and we still lead in that epoch; otherwise the watch brings the truth.
        if (written && r.leaderEpoch === epoch && this.#replicas.get(key(r.topic, r.partition)) === r) {
          r.isr = next;
          r.writtenRevision = written.revision;
        }
      })
      .catch(() => undefined)
      .finally(() => {
        r.proposedIsr = null;
        // The watermark over the ISR as it now stands: a shrink that won, or an expansion that lost, lets it move on.
        if (r.leader === this.#o.nodeId && this.#replicas.get(key(r.topic, r.partition)) === r) this.#advanceHighWatermark(r);
      });
  }

  #isRegistered(nodeId: number): boolean {
    return this.#o.metadata.brokers().some((b) => b.nodeId === nodeId);
  }

  #advanceHighWatermark(r: Replica): void {
    // KIP-966's strict min ISR, as Kafka 4.4's Partition.maybeIncrementLeaderHW: below the effective
    // min.insync.replicas the watermark stays, so nothing written meanwhile (acks=1) is exposed to
    // consumers, or acknowledged, before min ISR replicas hold it.
    if (r.isr.length < Math.min(this.#o.minInsyncReplicas?.(r.topic) ?? 1, r.replicas.length)) return;
    const maximalIsr = r.proposedIsr === null ? r.isr : [...new Set([...r.isr, ...r.proposedIsr])];
    const hw = highWatermarkOf(r.log.logEndOffset, maximalIsr, this.#o.nodeId, [...r.followers.values()].map((f) => ({ ...f, logEndOffset: Math.max(0, f.logEndOffset) })));
    if (hw > r.log.highWatermark) {
      r.log.updateHighWatermark(hw);
      // Consumers long-polling for data up to the watermark may now have some.
      this.#o.appends.notifyHighWatermark();
    }
    if (r.waiters.length === 0) return;
    const current = r.log.highWatermark;
    const done = r.waiters.filter((w) => w.offset <= current);
    if (done.length === 0) return;
    r.waiters = r.waiters.filter((w) => w.offset > current);
    for (const w of done) {
      clearTimeout(w.timer);
      w.resolve(r.isr.length < w.minIsr ? ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND : 0);
    }
  }

  #failWaiters(r: Replica, errorCode: number): void {
    for (const w of r.waiters) {
      clearTimeout(w.timer);
      w.resolve(errorCode);
    }
    r.waiters = [];
    for (const w of r.lowWatermarkWaiters) {
      clearTimeout(w.timer);
      w.resolve({ errorCode, lowWatermark: -1 });
    }
    r.lowWatermarkWaiters = [];
  }
}

/** A follower as a new leader first knows it: nothing fetched in this epoch yet, caught up as of now. */
function newFollower(brokerId: number, now: number): Follower {
  return { brokerId, logEndOffset: -1, lastCaughtUpMs: now, leaderEndAtLastFetch: 0, lastFetchMs: now, logStartOffset: -1 };
}
