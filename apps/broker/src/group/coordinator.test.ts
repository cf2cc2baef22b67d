import { rmSync } from 'node:fs';
import { encodeConsumerProtocolSubscription, ErrorCode } from '@tributary/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { PartitionLog } from '../log/partition-log.ts';
import { tempDir, testOptions } from '../log/test-support.ts';
import { GroupCoordinator, type JoinRequest } from './coordinator.ts';
import { OffsetStore } from './offset-store.ts';

// The coordinator on a real partition log (the __consumer_offsets of a test), with a clock the test
// moves for sessions and offsets; the initial rebalance delay (real time) lets two members join one generation.
const RETENTION_MS = 60_000;
const dirs: string[] = [];
const open: { coordinator: GroupCoordinator; log: PartitionLog }[] = [];

function coordinatorAt(dir: string, clock: { now: number }) {
  const log = new PartitionLog(dir, testOptions);
  const coordinator = new GroupCoordinator(
    { initialRebalanceDelayMs: 100, minSessionTimeoutMs: 1000, maxSessionTimeoutMs: 600_000, maxGroupSize: 100, offsetsRetentionMs: RETENTION_MS, offsetsRetentionCheckIntervalMs: 3_600_000 },
    new OffsetStore(log),
    () => clock.now,
  );
  open.push({ coordinator, log });
  return coordinator;
}

function fresh() {
  const dir = tempDir();
  dirs.push(dir);
  const clock = { now: 1_000_000 };
  return { dir, clock, coordinator: coordinatorAt(dir, clock) };
}

afterEach(() => {
  for (const { coordinator, log } of open.splice(0)) {
    coordinator.close();
    log.close();
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Consumer-protocol metadata as clients send it: int16 version, then the subscription. */
function subscription(...topics: string[]): Buffer {
  const body = encodeConsumerProtocolSubscription({ topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null }, 1).toBuffer();
  const version = Buffer.alloc(2);
  version.writeInt16BE(1);
  return Buffer.concat([version, body]);
}

function joinRequest(over: Partial<JoinRequest>): JoinRequest {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    clientId: 'c',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 5_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription('a') }],
    requireKnownMemberId: true,
    supportsSkipAssignment: false,
    ...over,
  };
}

const offset = (n: number, at: number) => ({ offset: BigInt(n), leaderEpoch: -1, metadata: null, commitTimestamp: at });

/** Two static members "one" and "two" joined and synced: a stable group. */
async function stableStaticGroup(coordinator: GroupCoordinator) {
  const [a, b] = await Promise.all([coordinator.join(joinRequest({ groupInstanceId: 'one' })), coordinator.join(joinRequest({ groupInstanceId: 'two' }))]);
  expect([a.errorCode, b.errorCode]).toEqual([0, 0]);
  const leader = a.leader === a.memberId ? a : b;
  const follower = leader === a ? b : a;
  const assignments = [
    { memberId: leader.memberId, assignment: Buffer.from('for-leader') },
    { memberId: follower.memberId, assignment: Buffer.from('for-follower') },
  ];
  const [ls, fs] = await Promise.all([
    coordinator.sync('g', { memberId: leader.memberId, groupInstanceId: leader === a ? 'one' : 'two' }, leader.generationId, assignments),
    coordinator.sync('g', { memberId: follower.memberId, groupInstanceId: follower === a ? 'one' : 'two' }, follower.generationId, []),
  ]);
  expect([ls.assignment.toString(), fs.assignment.toString()]).toEqual(['for-leader', 'for-follower']);
  return { one: a, two: b, generation: a.generationId, leaderInstance: leader === a ? 'one' : 'two' };
}

describe('OffsetDelete', () => {
  it('deletes the offsets of an empty group and persists the deletion as tombstones', () => {
    const { dir, clock, coordinator } = fresh();
    const at = clock.now;
    expect(coordinator.commit('g', { memberId: '', groupInstanceId: null }, -1, [
      { topic: 'a', partition: 0, value: offset(5, at) },
      { topic: 'a', partition: 1, value: offset(7, at) },
    ])).toBe(0);
    const result = coordinator.deleteOffsets('g', [{ topic: 'a', partition: 0 }]);
    expect(result.errorCode).toBe(0);
    expect([...result.partitions.values()]).toEqual([0]);
    expect(coordinator.committed('g', 'a', 0)).toBeUndefined();
    expect(coordinator.committed('g', 'a', 1)?.offset).toBe(7n);

    const replayed = coordinatorAt(dir, clock);
    expect(replayed.committed('g', 'a', 0)).toBeUndefined();
    expect(replayed.committed('g', 'a', 1)?.offset).toBe(7n);
  });

  it('refuses topics a live consumer group subscribes to, deletes the others', async () => {
    const { coordinator } = fresh();
    const { one, generation } = await stableStaticGroup(coordinator);
    expect(coordinator.commit('g', { memberId: one.memberId, groupInstanceId: 'one' }, generation, [
      { topic: 'a', partition: 0, value: offset(1, 0) },
      { topic: 'b', partition: 0, value: offset(2, 0) },
    ])).toBe(0);
    const result = coordinator.deleteOffsets('g', [{ topic: 'a', partition: 0 }, { topic: 'b', partition: 0 }]);
    expect(result.errorCode).toBe(0);
    expect([...result.partitions.values()]).toEqual([ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, 0]);
    expect(coordinator.committed('g', 'a', 0)?.offset).toBe(1n);
    expect(coordinator.committed('g', 'b', 0)).toBeUndefined();
  });

  it('answers GROUP_ID_NOT_FOUND for unknown groups and NON_EMPTY_GROUP for live non-consumer groups', async () => {
    const { coordinator } = fresh();
    expect(coordinator.deleteOffsets('nobody', [{ topic: 'a', partition: 0 }]).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(coordinator.deleteOffsets('', []).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    const joined = await coordinator.join(joinRequest({ groupId: 'connect', groupInstanceId: 'w', protocolType: 'connect', protocols: [{ name: 'default', metadata: Buffer.from('x') }] }));
    expect(joined.errorCode).toBe(0);
    expect(coordinator.deleteOffsets('connect', [{ topic: 'a', partition: 0 }]).errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
  });
});

describe('offsets.retention.minutes', () => {
  it('expires an empty group\'s offsets retention after it became empty, with tombstones, and forgets the group', async () => {
    const { dir, clock, coordinator } = fresh();
    const { one, two, generation } = await stableStaticGroup(coordinator);
    const committedAt = clock.now;
    expect(coordinator.commit('g', { memberId: one.memberId, groupInstanceId: 'one' }, generation, [{ topic: 'a', partition: 0, value: offset(3, committedAt) }])).toBe(0);
    clock.now += 2 * RETENTION_MS; // long after the commit, but the group is not empty: nothing expires
    expect(coordinator.expireOffsets()).toBe(0);
    for (const m of [one, two]) coordinator.leave('g', { memberId: m.memberId, groupInstanceId: null });
    expect(coordinator.get('g')?.state).toBe('Empty');
    const emptyAt = clock.now;
    clock.now = emptyAt + RETENTION_MS - 1;
    expect(coordinator.expireOffsets()).toBe(0);
    expect(coordinator.committed('g', 'a', 0)?.offset).toBe(3n);
    clock.now = emptyAt + RETENTION_MS;
    expect(coordinator.expireOffsets()).toBe(1);
    expect(coordinator.committed('g', 'a', 0)).toBeUndefined();
    expect(coordinator.groups().map((g) => g.groupId)).not.toContain('g');
    expect(coordinatorAt(dir, clock).committed('g', 'a', 0)).toBeUndefined();
  });

  it('counts from the commit for groups it never saw with members (standalone commits, after a restart)', () => {
    const { dir, clock, coordinator } = fresh();
    coordinator.commit('solo', { memberId: '', groupInstanceId: null }, -1, [{ topic: 'a', partition: 0, value: offset(9, clock.now) }]);
    coordinator.commit('solo', { memberId: '', groupInstanceId: null }, -1, [{ topic: 'a', partition: 1, value: offset(9, clock.now + RETENTION_MS / 2) }]);
    const restarted = coordinatorAt(dir, clock);
    clock.now += RETENTION_MS;
    expect(restarted.expireOffsets()).toBe(1);
    expect(restarted.committed('solo', 'a', 0)).toBeUndefined();
    expect(restarted.committed('solo', 'a', 1)?.offset).toBe(9n);
  });

  it('expires offsets of topics a stable consumer group no longer subscribes to', async () => {
    const { clock, coordinator } = fresh();
    const { one, generation } = await stableStaticGroup(coordinator);
    coordinator.commit('g', { memberId: one.memberId, groupInstanceId: 'one' }, generation, [
      { topic: 'a', partition: 0, value: offset(1, clock.now) },
      { topic: 'old', partition: 0, value: offset(1, clock.now) },
    ]);
    clock.now += RETENTION_MS;
    expect(coordinator.expireOffsets()).toBe(1);
    expect(coordinator.committed('g', 'old', 0)).toBeUndefined();
    expect(coordinator.committed('g', 'a', 0)?.offset).toBe(1n);
  });
});

describe('static membership (group.instance.id)', () => {
  it('joins without MEMBER_ID_REQUIRED, while dynamic members still need it', async () => {
    const { coordinator } = fresh();
    const dynamic = await coordinator.join(joinRequest({ groupId: 'd' }));
    expect(dynamic.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(dynamic.memberId).not.toBe('');
    const statik = await coordinator.join(joinRequest({ groupId: 's', groupInstanceId: 'i1' }));
    expect(statik.errorCode).toBe(0);
    expect(statik.memberId.startsWith('i1-')).toBe(true);
  });

  it('a rejoining follower replaces its old member id without a rebalance; the old id is fenced', async () => {
    const { coordinator } = fresh();
    const { one, two, generation, leaderInstance } = await stableStaticGroup(coordinator);
    const follower = leaderInstance === 'one' ? { old: two, instance: 'two' } : { old: one, instance: 'one' };
    const again = await coordinator.join(joinRequest({ groupInstanceId: follower.instance }));
    expect(again.errorCode).toBe(0);
    expect(again.memberId).not.toBe(follower.old.memberId);
    expect(again.generationId).toBe(generation);
    expect(coordinator.get('g')?.state).toBe('Stable');
    const sync = await coordinator.sync('g', { memberId: again.memberId, groupInstanceId: follower.instance }, generation, []);
    expect(sync.assignment.toString()).toBe('for-follower');
    const stale = { memberId: follower.old.memberId, groupInstanceId: follower.instance };
    expect(coordinator.heartbeat('g', stale, generation)).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await coordinator.sync('g', stale, generation, [])).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(coordinator.commit('g', stale, generation, [])).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await coordinator.join(joinRequest({ memberId: follower.old.memberId, groupInstanceId: follower.instance }))).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(coordinator.heartbeat('g', { memberId: again.memberId, groupInstanceId: follower.instance }, generation)).toBe(0);
  });

  it('a rejoining leader gets skipAssignment on JoinGroup v9, a rebalance before', async () => {
    const { coordinator } = fresh();
    const { generation, leaderInstance } = await stableStaticGroup(coordinator);
    const v9 = await coordinator.join(joinRequest({ groupInstanceId: leaderInstance, supportsSkipAssignment: true }));
    expect(v9).toMatchObject({ errorCode: 0, generationId: generation, skipAssignment: true });
    expect(v9.leader).toBe(v9.memberId);
    expect(v9.members).toHaveLength(2);
    expect(coordinator.get('g')?.state).toBe('Stable');

    const old = coordinator.join(joinRequest({ groupInstanceId: leaderInstance }));
    // Pre-v9 leaders cannot skip the assignment, so the group rebalances: the other member is told so.
    expect(coordinator.get('g')?.state).toBe('PreparingRebalance');
    const other = [...coordinator.get('g')!.members.values()].find((m) => m.groupInstanceId !== leaderInstance)!;
    expect(coordinator.heartbeat('g', { memberId: other.memberId, groupInstanceId: other.groupInstanceId }, generation)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const otherJoin = coordinator.join(joinRequest({ memberId: other.memberId, groupInstanceId: other.groupInstanceId }));
    const [l, o] = await Promise.all([old, otherJoin]);
    expect([l.errorCode, o.errorCode, l.generationId]).toEqual([0, 0, generation + 1]);
  });

  it('LeaveGroup by group.instance.id removes the member; unknown ids and stale member ids are refused', async () => {
    const { coordinator } = fresh();
    const { one } = await stableStaticGroup(coordinator);
    expect(coordinator.leave('g', { memberId: '', groupInstanceId: 'nobody' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(coordinator.leave('g', { memberId: 'stale', groupInstanceId: 'one' })).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(coordinator.leave('g', { memberId: '', groupInstanceId: 'two' })).toBe(0);
    expect([...coordinator.get('g')!.members.values()].map((m) => m.groupInstanceId)).toEqual(['one']);
    expect(coordinator.get('g')!.staticMembers.has('two')).toBe(false);
    expect(coordinator.leave('g', { memberId: one.memberId, groupInstanceId: 'one' })).toBe(0);
    expect(coordinator.get('g')?.state).toBe('Empty');
  });

  it('a static member silent for its session timeout is removed and its instance id freed', async () => {
    const { clock, coordinator } = fresh();
    const { one, generation } = await stableStaticGroup(coordinator);
    clock.now += 5_000;
    expect(coordinator.heartbeat('g', { memberId: one.memberId, groupInstanceId: 'one' }, generation)).toBe(0);
    clock.now += 6_000; // "two" has been silent for 11 s > its 10 s session timeout
    coordinator.expireSessions();
    const g = coordinator.get('g')!;
    expect([...g.members.values()].map((m) => m.groupInstanceId)).toEqual(['one']);
    expect(g.staticMembers.has('two')).toBe(false);
    expect(g.state).toBe('PreparingRebalance');
  });
});
