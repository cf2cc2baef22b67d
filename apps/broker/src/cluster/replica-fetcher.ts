import { ApiKey, ErrorCode, type FetchResponse, type OffsetForLeaderEpochResponse } from '@tributary/protocol';
import { BrokerConnection } from '@tributary/kafka-admin';
import type { Logger } from '../logger.ts';
import type { TopicRegistry } from '../topics/topic-registry.ts';
import type { BrokerInfo } from './cluster-metadata.ts';
import type { ReplicationThrottle } from './replication-throttle.ts';
import { listenerFor } from '../config/broker-config.ts';

export interface ReplicaFetcherOptions {
  nodeId: number;
  topics: TopicRegistry;
  logger: Logger;
  /** Listener name followers use to reach leaders (inter.broker.listener.name). */
  listenerName: string;
  brokers: () => BrokerInfo[];
  maxWaitMs: number;
  partitionMaxBytes: number;
  /** After each successful fetch round (the replica manager needs nothing; metrics and tests may). */
  onFetched?: () => void;
  /** Follower side of the replication throttles: partitions left out of a fetch while over the rate. */
  throttle?: Pick<ReplicationThrottle, 'followerHoldsBack' | 'followerReceived'>;
}

interface Assignment {
  topic: string;
  partition: number;
  leaderEpoch: number;
  /** True until OffsetForLeaderEpoch told us where our log diverges from the new leader's. */
  truncating: boolean;
  /** Not before this time (ms): the leader refused (it may not know its role yet, or moved on). */
  retryAt: number;
}

const FETCH_VERSION = 12; // topic names, replica id in the body, leader epochs, flexible
const EPOCH_VERSION = 4;
const partKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * Follower side of replication: one fetch loop per leader broker (Kafka's replica fetcher
 * thread). A partition assigned to a new leader first asks it, with OffsetForLeaderEpoch, where
 * the epoch of our last record ends, and truncates anything past that (KIP-101/279); then the loop
 * fetches from our log end with our replica id, appends what arrives with the leader's offsets,
 * and takes the leader's high watermark.
 */
export class ReplicaFetcher {
  readonly #o: ReplicaFetcherOptions;
  readonly #loops = new Map<number, FetchLoop>();

  constructor(options: ReplicaFetcherOptions) {
    this.#o = options;
  }

  assign(topic: string, partition: number, leader: number, leaderEpoch: number): void {
    for (const [id, loop] of this.#loops) if (id !== leader) loop.remove(topic, partition);
    if (leader < 0) return;
    let loop = this.#loops.get(leader);
    if (!loop) this.#loops.set(leader, (loop = new FetchLoop(leader, this.#o)));
    loop.add({ topic, partition, leaderEpoch, truncating: true, retryAt: 0 });
  }

  remove(topic: string, partition: number): void {
    for (const loop of this.#loops.values()) loop.remove(topic, partition);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#loops.values()].map((l) => l.stop()));
    this.#loops.clear();
  }
}

class FetchLoop {
  readonly #leader: number;
  readonly #o: ReplicaFetcherOptions;
  readonly #parts = new Map<string, Assignment>();
  #conn: BrokerConnection | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;

  constructor(leader: number, options: ReplicaFetcherOptions) {
    this.#leader = leader;
    this.#o = options;
  }

  add(a: Assignment): void {
    const existing = this.#parts.get(partKey(a.topic, a.partition));
    if (existing && existing.leaderEpoch === a.leaderEpoch) return;
    this.#parts.set(partKey(a.topic, a.partition), a);
    this.#running ??= this.#run().finally(() => (this.#running = null));
  }

  remove(topic: string, partition: number): void {
    this.#parts.delete(partKey(topic, partition));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#conn?.close();
    await this.#running;
  }

  async #run(): Promise<void> {
    let backoff = 50;
    while (!this.#stopped && this.#parts.size > 0) {
      try {
        const conn = await this.#connect();
        await this.#truncate(conn);
        const now = Date.now();
        const throttle = this.#o.throttle;
        const active = [...this.#parts.values()].filter((a) => !a.truncating && a.retryAt <= now && !throttle?.followerHoldsBack(a.topic, a.partition, now));
        if (active.length === 0) {
          await sleep(100);
          continue;
        }
        // A partition waiting out a refusal must not wait a whole long-poll of the others too.
        const retries = [...this.#parts.values()].filter((a) => a.retryAt > now).map((a) => a.retryAt - now);
        await this.#fetch(conn, active, Math.min(this.#o.maxWaitMs, ...retries));
        backoff = 50;
      } catch (err) {
        if (this.#stopped) return;
        this.#conn?.close();
        this.#conn = null;
        this.#o.logger.log('debug', 'replica fetch failed; retrying', { leader: this.#leader, error: err instanceof Error ? err.message : String(err) });
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 1000);
      }
    }
  }

  async #connect(): Promise<BrokerConnection> {
    if (this.#conn) return this.#conn;
    const broker = this.#o.brokers().find((b) => b.nodeId === this.#leader);
    const listener = broker && listenerFor(broker.listeners, this.#o.listenerName);
    if (!listener) throw new Error(`leader ${this.#leader} is not registered`);
    this.#conn = await BrokerConnection.open(listener.host, listener.port, `tributary-replica-${this.#o.nodeId}`, this.#o.maxWaitMs + 10_000);
    return this.#conn;
  }

  /** KIP-279: truncate to where our last epoch ends on the leader, walking back epoch by epoch. */
  async #truncate(conn: BrokerConnection): Promise<void> {
    const now = Date.now();
    const pending = [...this.#parts.values()].filter((a) => a.truncating && a.retryAt <= now);
    for (const a of pending) {
      const log = this.#o.topics.log(a.topic, a.partition);
      if (!log) {
        this.#parts.delete(partKey(a.topic, a.partition));
        continue;
      }
      const ourEpoch = log.leaderEpochs.latestEpoch;
      if (ourEpoch < 0) {
        a.truncating = false;
        continue;
      }
      const res = await conn.send<OffsetForLeaderEpochResponse>(ApiKey.OffsetForLeaderEpoch, EPOCH_VERSION, {
        replicaId: this.#o.nodeId,
        topics: [{ topic: a.topic, partitions: [{ partition: a.partition, currentLeaderEpoch: a.leaderEpoch, leaderEpoch: ourEpoch }] }],
      });
      if (this.#parts.get(partKey(a.topic, a.partition)) !== a) continue; // reassigned meanwhile
      const p = res.topics[0]?.partitions[0];
      if (!p || p.errorCode !== 0) {
        a.retryAt = Date.now() + 200;
        continue;
      }
      let target: number;
      if (p.endOffset < 0) target = log.logEndOffset; // our epoch is newer than any the leader knows (cannot happen: a leader records its epoch on election): keep ours
      else if (p.leaderEpoch === ourEpoch) target = Math.min(Number(p.endOffset), log.logEndOffset);
      else target = Math.min(Number(p.endOffset), log.endOffsetForEpoch(p.leaderEpoch).endOffset);
      if (target < log.logEndOffset) {
        this.#o.logger.log('info', 'truncating divergent replica', { topic: a.topic, partition: a.partition, from: log.logEndOffset, to: target, leader: this.#leader, leaderEpoch: a.leaderEpoch });
        log.truncateTo(target);
      }
      a.truncating = false;
    }
  }

  async #fetch(conn: BrokerConnection, active: Assignment[], maxWaitMs: number): Promise<void> {
    const byTopic = new Map<string, Assignment[]>();
    for (const a of active) {
      if (!this.#o.topics.log(a.topic, a.partition)) continue;
      byTopic.set(a.topic, [...(byTopic.get(a.topic) ?? []), a]);
    }
    const res = await conn.send<FetchResponse>(ApiKey.Fetch, FETCH_VERSION, {
      replicaId: this.#o.nodeId,
      maxWaitMs,
      minBytes: 1,
      maxBytes: 64 * 1024 * 1024,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...byTopic].map(([topic, parts]) => ({
        topic,
        partitions: parts.map((a) => {
          const log = this.#o.topics.log(a.topic, a.partition)!;
          return { partition: a.partition, currentLeaderEpoch: a.leaderEpoch, fetchOffset: BigInt(log.logEndOffset), lastFetchedEpoch: -1, logStartOffset: BigInt(log.logStartOffset), partitionMaxBytes: this.#o.partitionMaxBytes };
        }),
      })),
      forgottenTopicsData: [],
      rackId: '',
    });
    if (res.errorCode) throw new Error(`fetch error ${res.errorCode}`);
    for (const t of res.responses) {
      for (const p of t.partitions) {
        const a = this.#parts.get(partKey(t.topic, p.partitionIndex));
        // Reassigned or re-epoched while the fetch was in flight: what arrived is not for the current role.
        if (!a || !active.includes(a) || a.truncating) continue;
        const log = this.#o.topics.log(t.topic, p.partitionIndex);
        if (!log) continue;
        if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          // Our log is past the leader's end (an unclean election) or before its start (retention).
          if (log.logEndOffset > Number(p.highWatermark)) a.truncating = true;
          else log.truncateFullyAndStartAt(Number(p.logStartOffset));
          continue;
        }
        if (p.errorCode !== 0) {
          a.retryAt = Date.now() + 200;
          continue;
        }
        try {
          const records = p.records as Buffer | null;
          if (records && records.length > 0) {
            const restartAt = straddledStart(log, records);
            if (restartAt !== null) log.truncateFullyAndStartAt(restartAt);
            log.appendAsFollower(records);
            this.#o.throttle?.followerReceived(t.topic, p.partitionIndex, records.length);
          }
          log.updateHighWatermark(Math.min(Number(p.highWatermark), log.logEndOffset));
          // The leader's log start (moved by DeleteRecords) becomes ours, as Kafka's follower takes it
          // from every fetch answer: records deleted on the leader are not served again by a replica
          // that leads later, and a follower restarted behind it starts there.
          if (Number(p.logStartOffset) > log.logStartOffset) log.deleteRecordsBefore(Number(p.logStartOffset));
        } catch (err) {
          // One partition whose data cannot be applied is set aside and tried again (after checking
          // where it diverges) while every other partition from this leader goes on replicating, as
          // Kafka's fetcher delays only the partitions with errors. Thrown out of the loop, it
          // stopped the whole fetch to this leader on every attempt.
          this.#o.logger.log('warn', 'replicated data not applied; retrying the partition', { topic: t.topic, partition: p.partitionIndex, leader: this.#leader, error: err instanceof Error ? err.message : String(err) });
          a.truncating = true;
          a.retryAt = Date.now() + PARTITION_ERROR_BACKOFF_MS;
        }
      }
    }
    this.#o.onFetched?.();
  }
}

/**
 * A log just restarted at the leader's log start (empty: its end is its start) when that start falls
 * inside a batch (DeleteRecords moves it to any offset; a leader serves whole batches): the batch
 * starts below our end. Kafka's follower then starts its log again at the batch's base offset and
 * appends it (Partition.appendRecordsToFollowerOrFutureReplica on UnexpectedAppendOffsetException);
 * the leader's log start, taken right after, hides the records below it again. The base offset to
 * restart at, or null when the first batch continues the log as it is.
 */
function straddledStart(log: { logStartOffset: number; logEndOffset: number }, records: Buffer): number | null {
  if (records.length < 27 || log.logEndOffset !== log.logStartOffset) return null;
  const base = Number(records.readBigInt64BE(0)); // baseOffset
  const last = base + records.readInt32BE(23); // lastOffsetDelta
  return base < log.logEndOffset && last >= log.logEndOffset ? base : null;
}

/** How long a partition whose fetched data could not be applied waits before it is tried again. */
const PARTITION_ERROR_BACKOFF_MS = 1_000;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
