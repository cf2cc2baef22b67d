import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '@tributary/protocol';
import { parseArgs } from '../config/broker-config.ts';
import { AppendSignal } from '../log/append-signal.ts';
import { batchOf, tempDir } from '../log/test-support.ts';
import { TopicRegistry } from '../topics/topic-registry.ts';
import type { ClusterMetadata, PartitionInfo } from './cluster-metadata.ts';
import { ReplicaManager, type IsrWriteResult, type RoleChange } from './replica-manager.ts';

let dir: string;
let topics: TopicRegistry;
let state: PartitionInfo;
let isrWrites: number[][];
let roles: RoleChange[];

let liveBrokers: number[];

/** Only partition() and the live brokers matter to the replica manager; the rest belongs to handlers. */
const metadata = {
  clustered: true,
  partition: (t: string, p: number) => (t === 'orders' && p === 0 ? state : undefined),
  brokers: () => liveBrokers.map((nodeId) => ({ nodeId, rack: null, listeners: [] })),
} as unknown as ClusterMetadata;

function manager(lagMs = 1000, minInsyncReplicas = 1): ReplicaManager {
  return new ReplicaManager({
    nodeId: 1,
    topics,
    metadata,
    appends: new AppendSignal(),
    replicaLagTimeMaxMs: lagMs,
    minInsyncReplicas: () => minInsyncReplicas,
    writeIsr: async (_t, _p, _e, isr) => {
      isrWrites.push(isr);
      return { revision: BigInt(isrWrites.length) };
    },
    onRole: (c) => roles.push(c),
  });
}

/** A manager whose ISR writes wait until the test answers them (`answer`), for what happens while one is in flight. */
function managerWithPendingWrites(lagMs: number) {
  const pending = { writes: [] as number[][], answer: (_written: IsrWriteResult) => undefined as void };
  const rm = new ReplicaManager({
    nodeId: 1,
    topics,
    metadata,
    appends: new AppendSignal(),
    replicaLagTimeMaxMs: lagMs,
    writeIsr: (_t, _p, _e, isr) => {
      pending.writes.push(isr);
      return new Promise<IsrWriteResult>((resolve) => (pending.answer = resolve));
    },
  });
  return { rm, pending };
}

/** Lets ISR writes started synchronously resolve. */
const settled = () => new Promise((r) => setImmediate(r));

/** The leader's periodic ISR check at `now`, and the writes it started settled. */
async function checkIsrAt(rm: ReplicaManager, now: number): Promise<void> {
  rm.checkIsr(now);
  await settled();
}

/** A leader (lag time 1 s) of two records that both followers fetched at `t0`. */
function leaderWithFollowersCaughtUp(): { rm: ReplicaManager; t0: number } {
  const rm = manager(1000);
  rm.leaderFor('orders', 0);
  append(2);
  const t0 = Date.now();
  rm.onFollowerFetch('orders', 0, 2, 2, { now: t0 });
  rm.onFollowerFetch('orders', 0, 3, 2, { now: t0 });
  return { rm, t0 };
}

beforeEach(() => {
  dir = tempDir();
  topics = new TopicRegistry(dir, parseArgs(['--data-dir', dir]));
  topics.apply({ name: 'orders', topicId: 'x', partitions: 1, configs: {} }, [0]);
  state = { leader: 1, leaderEpoch: 3, replicas: [1, 2, 3], isr: [1, 2, 3] };
  isrWrites = [];
  roles = [];
  liveBrokers = [1, 2, 3];
});
afterEach(() => {
  topics.close();
  rmSync(dir, { recursive: true, force: true });
});

const append = (n: number) => {
  const log = topics.log('orders', 0)!;
  for (let i = 0; i < n; i++) log.appendRecords(batchOf([`v${i}`]), 3);
};

describe('ReplicaManager (leader side)', () => {
  it('becomes leader, records where its epoch starts, and refuses stale or future epochs', () => {
    const rm = manager();
    append(2);
    expect(rm.leaderFor('orders', 0)).toMatchObject({ ok: true, leaderEpoch: 3 });
    expect(roles).toEqual([{ kind: 'leader', topic: 'orders', partition: 0, leaderEpoch: 3 }]);
    expect(topics.log('orders', 0)!.leaderEpochs.entries.at(-1)).toEqual({ epoch: 3, startOffset: 0 });
    expect(rm.leaderFor('orders', 0, 2)).toEqual({ ok: false, errorCode: ErrorCode.FENCED_LEADER_EPOCH });
    expect(rm.leaderFor('orders', 0, 4)).toEqual({ ok: false, errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH });
    expect(rm.leaderFor('orders', 1)).toEqual({ ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
  });

  it('advances the high watermark to the lowest follower log end and then answers acks=-1 waits', async () => {
    const rm = manager();
    rm.leaderFor('orders', 0);
    append(4);
    rm.onLeaderAppend('orders', 0);
    const log = topics.log('orders', 0)!;
    expect(log.highWatermark).toBe(0);
    const waiting = rm.waitForReplication('orders', 0, 4, 2, 5000);
    rm.onFollowerFetch('orders', 0, 2, 4);
    expect(log.highWatermark).toBe(0); // follower 3 has not fetched yet
    rm.onFollowerFetch('orders', 0, 3, 3);
    expect(log.highWatermark).toBe(3);
    rm.onFollowerFetch('orders', 0, 3, 4);
    expect(log.highWatermark).toBe(4);
    expect(await waiting).toBe(0);
  });

  it('holds the high watermark while the ISR is below min.insync.replicas (KIP-966, Kafka 4.4) and advances it once the ISR is back at min ISR', async () => {
    state = { ...state, isr: [1] };
    const rm = manager(1000, 2);
    rm.leaderFor('orders', 0);
    append(2);
    rm.onLeaderAppend('orders', 0);
    const log = topics.log('orders', 0)!;
    // The leader alone holds them: before, the watermark was its log end at once.
    expect(log.highWatermark).toBe(0);
    rm.onFollowerFetch('orders', 0, 2, 2);
    await settled();
    expect(isrWrites).toEqual([[1, 2]]);
    expect(log.highWatermark).toBe(2);
    // Capped at the replica count: min.insync.replicas 2 over one replica is 1, and the leader alone advances it.
    state = { leader: 1, leaderEpoch: 3, replicas: [1], isr: [1] };
    const single = manager(1000, 2);
    rm.stop();
    single.leaderFor('orders', 0);
    append(1);
    single.onLeaderAppend('orders', 0);
    expect(log.highWatermark).toBe(3);
  });

  it('proposes the ISR in ascending id order, as Kafka\'s leader does, whatever the replica order', async () => {
    state = { leader: 1, leaderEpoch: 3, replicas: [3, 1, 2], isr: [3, 1] };
    const rm = manager();
    rm.leaderFor('orders', 0);
    append(1);
    rm.onFollowerFetch('orders', 0, 3, 1);
    rm.onFollowerFetch('orders', 0, 2, 1);
    await settled();
    expect(isrWrites).toEqual([[1, 2, 3]]);
  });

  it('times out an acks=-1 wait and fails waits when leadership moves', async () => {
    const rm = manager();
    rm.leaderFor('orders', 0);
    append(1);
    expect(await rm.waitForReplication('orders', 0, 1, 2, 50)).toBe(ErrorCode.REQUEST_TIMED_OUT);
    const waiting = rm.waitForReplication('orders', 0, 1, 2, 5000);
    state = { ...state, leader: 2, leaderEpoch: 4 };
    rm.reconcile();
    expect(await waiting).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(roles.at(-1)).toEqual({ kind: 'follower', topic: 'orders', partition: 0, leader: 2, leaderEpoch: 4 });
    expect(rm.leaderFor('orders', 0)).toEqual({ ok: false, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
  });

  it('shrinks the ISR of a follower that stopped catching up, and expands it once it reaches the high watermark', async () => {
    const { rm, t0 } = leaderWithFollowersCaughtUp();
    append(2);
    rm.onFollowerFetch('orders', 0, 2, 4, { now: t0 + 1500 });
    await checkIsrAt(rm, t0 + 1500);
    expect(isrWrites).toEqual([[1, 2]]);
    state = { ...state, isr: [1, 2] };
    rm.reconcile();
    rm.onFollowerFetch('orders', 0, 3, 4, { now: t0 + 1600 });
    await settled();
    expect(isrWrites.at(-1)).toEqual([1, 2, 3]);
  });

  it('keeps an idle follower at the leader\'s log end in the ISR after the lag time, and drops it once records come that it does not fetch', async () => {
    const { rm, t0 } = leaderWithFollowersCaughtUp();
    // Neither fetches again (stopped, or its fetches are slow): nothing was written, both hold everything.
    await checkIsrAt(rm, t0 + 5000);
    expect(isrWrites).toEqual([]);
    append(1);
    rm.onFollowerFetch('orders', 0, 2, 3, { now: t0 + 5100 });
    await checkIsrAt(rm, t0 + 5100);
    expect(isrWrites).toEqual([[1, 2]]);
  });

  it('gives followers the lag time from its election before they must have fetched', async () => {
    const rm = manager(1000);
    const elected = Date.now();
    rm.leaderFor('orders', 0);
    await checkIsrAt(rm, elected + 500);
    expect(isrWrites).toEqual([]);
    rm.onFollowerFetch('orders', 0, 2, 0, { now: elected + 600 });
    await checkIsrAt(rm, elected + 1500);
    expect(isrWrites).toEqual([[1, 2]]);
  });

  it('adds a follower back only from its own fetch: a follower the cluster removed (dead) stays out at the periodic check, whatever it reached before', async () => {
    const { rm, t0 } = leaderWithFollowersCaughtUp();
    // Broker 3 dies; the controller takes it out of the ISR. What the leader remembers of it (caught up at 2) is stale.
    state = { ...state, isr: [1, 2] };
    rm.reconcile();
    rm.checkIsr(t0 + 100);
    rm.onFollowerFetch('orders', 0, 2, 2, { now: t0 + 200 });
    await settled();
    expect(isrWrites, 'no ISR write adds the dead follower').toEqual([]);
    // Its own fetch at the high watermark brings it back.
    rm.onFollowerFetch('orders', 0, 3, 2, { now: t0 + 300 });
    await settled();
    expect(isrWrites).toEqual([[1, 2, 3]]);
  });

  it('does not take a follower whose broker is not registered (UnregisterBroker of a live broker) back into the ISR from its fetches, as Kafka\'s isReplicaIsrEligible', async () => {
    const { rm, t0 } = leaderWithFollowersCaughtUp();
    // Broker 3 is unregistered while it runs: the controller takes it out of the ISR, it keeps fetching.
    liveBrokers = [1, 2];
    state = { ...state, isr: [1, 2] };
    rm.reconcile();
    rm.onFollowerFetch('orders', 0, 3, 2, { now: t0 + 100 });
    await settled();
    expect(isrWrites, 'no ISR write adds the unregistered follower').toEqual([]);
    // Registered again (it restarted): its next fetch at the high watermark brings it back.
    liveBrokers = [1, 2, 3];
    rm.onFollowerFetch('orders', 0, 3, 2, { now: t0 + 200 });
    await settled();
    expect(isrWrites).toEqual([[1, 2, 3]]);
  });

  it('counts a follower it is adding to the ISR in the high watermark while that write is in flight (Kafka\'s maximal ISR)', async () => {
    // Once the expanded ISR is written, the cluster may elect the new member (a reassignment moves
    // leadership to it at once). Had the watermark moved past that member's log end meanwhile,
    // batches acknowledged to acks=all producers would be missing on the new leader: lost, and an
    // idempotent producer's next sequence out of order there.
    const { rm, pending } = managerWithPendingWrites(10_000);
    state = { leader: 1, leaderEpoch: 3, replicas: [1, 2, 3], isr: [1, 2] };
    rm.leaderFor('orders', 0);
    const log = topics.log('orders', 0)!;
    append(2);
    rm.onFollowerFetch('orders', 0, 2, 2);
    expect(log.highWatermark).toBe(2);
    append(2);
    // Follower 3 reaches the watermark (2, not the log end 4): the leader proposes it.
    rm.onFollowerFetch('orders', 0, 3, 2);
    expect(pending.writes).toEqual([[1, 2, 3]]);
    const acked = rm.waitForReplication('orders', 0, 4, 2, 5000);
    rm.onFollowerFetch('orders', 0, 2, 4);
    expect(log.highWatermark).toBe(2);
    pending.answer({ revision: 8n });
    await settled();
    expect(log.highWatermark).toBe(2);
    rm.onFollowerFetch('orders', 0, 3, 4);
    expect(log.highWatermark).toBe(4);
    expect(await acked).toBe(0);
  });

  it('counts a follower fetch only in its own epoch and at an offset its log has (as Kafka\'s Partition.fetchRecords)', () => {
    const rm = manager();
    rm.leaderFor('orders', 0);
    const log = topics.log('orders', 0)!;
    append(4);
    rm.onFollowerFetch('orders', 0, 2, 4, { currentLeaderEpoch: 3 });
    // A fetch sent in an earlier epoch, and one past this log's end (a divergent tail not yet
    // truncated), say nothing of what the follower holds now.
    rm.onFollowerFetch('orders', 0, 3, 4, { currentLeaderEpoch: 2 });
    rm.onFollowerFetch('orders', 0, 3, 9, { currentLeaderEpoch: 3 });
    expect(log.highWatermark).toBe(0);
    rm.onFollowerFetch('orders', 0, 3, 4, { currentLeaderEpoch: 3 });
    expect(log.highWatermark).toBe(4);
  });

  it('keeps the ISR it wrote when a reconcile brings a view older than that write', async () => {
    // The write's answer can come before the watch delivers it, and any other change in the
    // cluster makes the broker reconcile: a stale ISR taken then would drop the member just added
    // from the watermark, while the controller may already have elected it.
    const { rm, pending } = managerWithPendingWrites(10_000);
    state = { leader: 1, leaderEpoch: 3, replicas: [1, 2, 3], isr: [1, 2], revision: 7n };
    rm.leaderFor('orders', 0);
    const log = topics.log('orders', 0)!;
    append(2);
    rm.onFollowerFetch('orders', 0, 2, 2);
    rm.onFollowerFetch('orders', 0, 3, 2);
    pending.answer({ revision: 9n });
    await settled();
    append(2);
    rm.reconcile(); // the view still at revision 7: ISR [1, 2]
    rm.onFollowerFetch('orders', 0, 2, 4);
    expect(log.highWatermark).toBe(2);
    // The view catches up, then a newer change (the controller took 3 out) is taken as it is.
    state = { ...state, isr: [1, 2, 3], revision: 9n };
    rm.reconcile();
    expect(log.highWatermark).toBe(2);
    state = { ...state, isr: [1, 2], revision: 10n };
    rm.reconcile();
    expect(log.highWatermark).toBe(4);
  });

  it('keeps counting a follower it is removing from the ISR until that write has won', async () => {
    const { rm, pending } = managerWithPendingWrites(1000);
    rm.leaderFor('orders', 0);
    const log = topics.log('orders', 0)!;
    append(2);
    const t0 = Date.now();
    rm.onFollowerFetch('orders', 0, 2, 2, { now: t0 });
    rm.onFollowerFetch('orders', 0, 3, 2, { now: t0 });
    append(2);
    rm.onFollowerFetch('orders', 0, 2, 4, { now: t0 + 1500 });
    rm.checkIsr(t0 + 1500);
    expect(log.highWatermark).toBe(2);
    // The shrink lost its race (leadership moved): follower 3 was never out, the watermark stays.
    pending.answer(null);
    await settled();
    expect(log.highWatermark).toBe(2);
  });

  it('tells a follower whose fetch does not ask for a led partition that it has records to replicate there', () => {
    const rm = manager();
    rm.leaderFor('orders', 0);
    const others = [{ topic: 'payments', partition: 0 }];
    // Nothing appended: nothing to replicate, the follower's long-poll may go on.
    expect(rm.followerHasUnaskedData(2, others)).toBe(false);
    append(1);
    expect(rm.followerHasUnaskedData(2, others)).toBe(true);
    // A fetch that asks for the partition, or a broker that is no replica of it, is not hurried.
    expect(rm.followerHasUnaskedData(2, [...others, { topic: 'orders', partition: 0 }])).toBe(false);
    expect(rm.followerHasUnaskedData(4, others)).toBe(false);
    // Once the follower has caught up, there is nothing left it has not asked for.
    rm.onFollowerFetch('orders', 0, 2, 1);
    expect(rm.followerHasUnaskedData(2, others)).toBe(false);
  });
});

describe('ReplicaManager (DeleteRecords: the low watermark)', () => {
  /** The leader deletes the records before `offset` and asks to be told when every live replica has. */
  function deleteBefore(rm: ReplicaManager, offset: number, timeoutMs = 5000) {
    topics.log('orders', 0)!.deleteRecordsBefore(offset);
    return rm.waitForLowWatermark('orders', 0, offset, timeoutMs);
  }

  it('answers once every follower has reported a log start offset at or past the deleted offset', async () => {
    const rm = manager();
    append(4);
    rm.onFollowerFetch('orders', 0, 2, 4, { logStartOffset: 0 });
    rm.onFollowerFetch('orders', 0, 3, 4, { logStartOffset: 0 });
    expect(rm.lowWatermark('orders', 0)).toBe(0);
    let answer: unknown = null;
    const waiting = deleteBefore(rm, 3).then((a) => (answer = a));
    rm.onFollowerFetch('orders', 0, 2, 4, { logStartOffset: 3 });
    await settled();
    // One follower still holds the deleted records: a leader elected from it would bring them back.
    expect(answer).toBeNull();
    expect(rm.lowWatermark('orders', 0)).toBe(0);
    rm.onFollowerFetch('orders', 0, 3, 4, { logStartOffset: 3 });
    expect(await waiting).toEqual({ errorCode: 0, lowWatermark: 3 });
  });

  it('counts a follower that has not fetched in this epoch as holding everything, and leaves out followers on dead brokers', async () => {
    const rm = manager();
    append(4);
    rm.onFollowerFetch('orders', 0, 2, 4, { logStartOffset: 0 });
    expect(rm.lowWatermark('orders', 0)).toBe(-1);
    const waiting = deleteBefore(rm, 2);
    rm.onFollowerFetch('orders', 0, 2, 4, { logStartOffset: 2 });
    // Broker 3 never fetched; once it is no longer registered (its lease expired) it stops counting.
    liveBrokers = [1, 2];
    rm.reconcile();
    expect(await waiting).toEqual({ errorCode: 0, lowWatermark: 2 });
  });

  it('answers REQUEST_TIMED_OUT with the low watermark it started from, and NOT_LEADER_OR_FOLLOWER when leadership moves', async () => {
    const rm = manager();
    append(4);
    rm.onFollowerFetch('orders', 0, 2, 4, { logStartOffset: 1 });
    rm.onFollowerFetch('orders', 0, 3, 4, { logStartOffset: 1 });
    expect(await deleteBefore(rm, 2, 50)).toEqual({ errorCode: ErrorCode.REQUEST_TIMED_OUT, lowWatermark: 1 });
    const waiting = deleteBefore(rm, 3);
    state = { ...state, leader: 2, leaderEpoch: 4 };
    rm.reconcile();
    expect(await waiting).toEqual({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, lowWatermark: -1 });
    expect(rm.lowWatermark('orders', 0)).toBeNull();
  });

  it('answers at once for a partition whose only replica is the leader', async () => {
    state = { leader: 1, leaderEpoch: 3, replicas: [1], isr: [1] };
    const rm = manager();
    append(4);
    expect(await deleteBefore(rm, 4)).toEqual({ errorCode: 0, lowWatermark: 4 });
  });
});

describe('ReplicaManager (a consumer reading a replica, KIP-392)', () => {
  it('serves a follower replica in its epoch, fences an older epoch before the role, and refuses a broker that is no replica', () => {
    state = { leader: 2, leaderEpoch: 5, replicas: [1, 2, 3], isr: [1, 2, 3] };
    const rm = manager();
    expect(rm.leaderFor('orders', 0)).toEqual({ ok: false, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
    expect(rm.readableReplicaFor('orders', 0)).toMatchObject({ ok: true, leaderEpoch: 5 });
    expect(rm.readableReplicaFor('orders', 0, 5)).toMatchObject({ ok: true, leaderEpoch: 5 });
    // Kafka's getLocalLog: the epoch check comes first, so a follower fences a stale client too.
    expect(rm.readableReplicaFor('orders', 0, 4)).toEqual({ ok: false, errorCode: ErrorCode.FENCED_LEADER_EPOCH });
    expect(rm.readableReplicaFor('orders', 0, 6)).toEqual({ ok: false, errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH });
    expect(rm.readableReplicaFor('orders', 1)).toEqual({ ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
    // A log left here after the partition moved to other brokers.
    state = { leader: 2, leaderEpoch: 6, replicas: [2, 3], isr: [2, 3] };
    const moved = manager();
    expect(moved.readableReplicaFor('orders', 0)).toEqual({ ok: false, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
  });
});
