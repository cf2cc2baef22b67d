import { ErrorCode } from '@tributary/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { GroupCoordinator } from './coordinator.ts';
import { closeCoordinators, coordinatorAt, fresh, freshReplicated, joinRequest, leaveOne, replicationGate, RETENTION_MS, subscription, syncOf } from './test-support.ts';

afterEach(closeCoordinators);

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
    coordinator.sync('g', { memberId: leader.memberId, groupInstanceId: leader === a ? 'one' : 'two' }, syncOf(leader.generationId, assignments)),
    coordinator.sync('g', { memberId: follower.memberId, groupInstanceId: follower === a ? 'one' : 'two' }, syncOf(follower.generationId, [])),
  ]);
  expect([ls.assignment.toString(), fs.assignment.toString()]).toEqual(['for-leader', 'for-follower']);
  return { one: a, two: b, generation: a.generationId, leaderInstance: leader === a ? 'one' : 'two' };
}

describe('OffsetDelete', () => {
  it('deletes the offsets of an empty group and persists the deletion as tombstones', async () => {
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
    for (const m of [one, two]) await leaveOne(coordinator, { memberId: m.memberId, groupInstanceId: null });
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

  it('counts from the commit for groups it never saw with members (standalone commits, after a restart)', async () => {
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
    const sync = await coordinator.sync('g', { memberId: again.memberId, groupInstanceId: follower.instance }, syncOf(generation, []));
    expect(sync.assignment.toString()).toBe('for-follower');
    const stale = { memberId: follower.old.memberId, groupInstanceId: follower.instance };
    expect(await coordinator.heartbeat('g', stale, generation)).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await coordinator.sync('g', stale, syncOf(generation, []))).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(coordinator.commit('g', stale, generation, [])).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await coordinator.join(joinRequest({ memberId: follower.old.memberId, groupInstanceId: follower.instance }))).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(await coordinator.heartbeat('g', { memberId: again.memberId, groupInstanceId: follower.instance }, generation)).toBe(0);
  });

  it('a rejoining leader gets skipAssignment on JoinGroup v9; before v9 it is told the old leader id and the group stays stable', async () => {
    const { coordinator } = fresh();
    const { generation, leaderInstance } = await stableStaticGroup(coordinator);
    const oldLeaderId = coordinator.get('g')!.leaderId;
    const v9 = await coordinator.join(joinRequest({ groupInstanceId: leaderInstance, supportsSkipAssignment: true }));
    expect(v9).toMatchObject({ errorCode: 0, generationId: generation, skipAssignment: true });
    expect(v9.leader).toBe(v9.memberId);
    expect(v9.members).toHaveLength(2);
    expect(coordinator.get('g')?.state).toBe('Stable');

    // Kafka's answer to a pre-v9 leader (KIP-814): the previous leader id, no members, no skipAssignment,
    // so the new incarnation syncs as a follower and keeps its assignment; nobody rebalances.
    const old = await coordinator.join(joinRequest({ groupInstanceId: leaderInstance }));
    expect(old).toMatchObject({ errorCode: 0, generationId: generation, leader: v9.memberId, members: [], skipAssignment: false });
    expect(old.memberId).not.toBe(v9.memberId);
    expect(oldLeaderId).not.toBe(old.memberId);
    const g = coordinator.get('g')!;
    expect(g.state).toBe('Stable');
    expect(g.leaderId).toBe(old.memberId);
    const other = [...g.members.values()].find((m) => m.groupInstanceId !== leaderInstance)!;
    expect(await coordinator.heartbeat('g', { memberId: other.memberId, groupInstanceId: other.groupInstanceId }, generation)).toBe(0);
    const sync = await coordinator.sync('g', { memberId: old.memberId, groupInstanceId: leaderInstance }, syncOf(generation, []));
    expect(sync).toMatchObject({ errorCode: 0 });
    expect(sync.assignment.toString()).toBe('for-leader');
  });

  it('LeaveGroup by group.instance.id removes the member; unknown ids and stale member ids are refused', async () => {
    const { coordinator } = fresh();
    const { one } = await stableStaticGroup(coordinator);
    expect(await leaveOne(coordinator, { memberId: '', groupInstanceId: 'nobody' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await leaveOne(coordinator, { memberId: 'stale', groupInstanceId: 'one' })).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(await leaveOne(coordinator, { memberId: '', groupInstanceId: 'two' })).toBe(0);
    expect([...coordinator.get('g')!.members.values()].map((m) => m.groupInstanceId)).toEqual(['one']);
    expect(coordinator.get('g')!.staticMembers.has('two')).toBe(false);
    expect(await leaveOne(coordinator, { memberId: one.memberId, groupInstanceId: 'one' })).toBe(0);
    expect(coordinator.get('g')?.state).toBe('Empty');
  });

  it('a static member silent for its session timeout is removed and its instance id freed', async () => {
    const { clock, coordinator } = fresh();
    const { one, generation } = await stableStaticGroup(coordinator);
    clock.now += 5_000;
    expect(await coordinator.heartbeat('g', { memberId: one.memberId, groupInstanceId: 'one' }, generation)).toBe(0);
    clock.now += 6_000; // "two" has been silent for 11 s > its 10 s session timeout
    coordinator.expireSessions();
    const g = coordinator.get('g')!;
    expect([...g.members.values()].map((m) => m.groupInstanceId)).toEqual(['one']);
    expect(g.staticMembers.has('two')).toBe(false);
    expect(g.state).toBe('PreparingRebalance');
  });
});

describe('unloading (leadership of the group\'s partition moved)', () => {
  it('answers a JoinGroup still waiting with NOT_COORDINATOR, as Kafka\'s onGroupUnloaded', async () => {
    const { coordinator } = fresh();
    const { one } = await stableStaticGroup(coordinator);
    // "one" rejoins: the group waits for "two" to rejoin too.
    const waitingJoin = coordinator.join(joinRequest({ groupInstanceId: 'one', memberId: one.memberId }));
    let joinAnswered = false;
    void waitingJoin.then(() => (joinAnswered = true));
    await new Promise((r) => setImmediate(r));
    expect(joinAnswered).toBe(false);
    coordinator.close();
    expect((await waitingJoin).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
  });
});

describe('the group\'s records replicated before the answer (acks=-1 on __consumer_offsets, as Kafka\'s coordinator runtime)', () => {
  const settled = () => new Promise((r) => setImmediate(r));
  const twoJoined = async (coordinator: GroupCoordinator) => {
    const [a, b] = await Promise.all([coordinator.join(joinRequest({ groupInstanceId: 'one' })), coordinator.join(joinRequest({ groupInstanceId: 'two' }))]);
    const leader = a.leader === a.memberId ? a : b;
    const follower = leader === a ? b : a;
    return { leader: { ...leader, instance: leader === a ? 'one' : 'two' }, follower: { ...follower, instance: follower === a ? 'one' : 'two' } };
  };

  it('SyncGroup: the leader and the followers get their assignments, and the group is Stable, once the group record is replicated', async () => {
    const gate = replicationGate();
    const { coordinator } = freshReplicated(gate);
    const { leader, follower } = await twoJoined(coordinator);
    const answered: string[] = [];
    const fs = coordinator.sync('g', { memberId: follower.memberId, groupInstanceId: follower.instance }, syncOf(follower.generationId, []));
    const ls = coordinator.sync('g', { memberId: leader.memberId, groupInstanceId: leader.instance }, syncOf(leader.generationId, [{ memberId: follower.memberId, assignment: Buffer.from('f') }, { memberId: leader.memberId, assignment: Buffer.from('l') }]));
    void fs.then(() => answered.push('follower'));
    void ls.then(() => answered.push('leader'));
    await settled();
    expect({ answered, state: coordinator.get('g')!.state, waiting: gate.waiting }).toEqual({ answered: [], state: 'CompletingRebalance', waiting: 1 });
    gate.answer(0);
    expect([(await ls).assignment.toString(), (await fs).assignment.toString()]).toEqual(['l', 'f']);
    expect(coordinator.get('g')!.state).toBe('Stable');
  });

  it('SyncGroup: a group record not replicated in time is COORDINATOR_NOT_AVAILABLE to every member waiting, and the group rebalances', async () => {
    const gate = replicationGate();
    const { coordinator } = freshReplicated(gate);
    const { leader, follower } = await twoJoined(coordinator);
    const fs = coordinator.sync('g', { memberId: follower.memberId, groupInstanceId: follower.instance }, syncOf(follower.generationId, []));
    const ls = coordinator.sync('g', { memberId: leader.memberId, groupInstanceId: leader.instance }, syncOf(leader.generationId, [{ memberId: follower.memberId, assignment: Buffer.from('f') }]));
    await settled();
    gate.answer(ErrorCode.REQUEST_TIMED_OUT);
    expect([(await ls).errorCode, (await fs).errorCode]).toEqual([ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_NOT_AVAILABLE]);
    expect(coordinator.get('g')!.state).toBe('PreparingRebalance');
  });

  /** Two static members synced through the gate: a Stable group whose record is replicated. */
  const stableThroughGate = async (gate: ReturnType<typeof replicationGate>, coordinator: GroupCoordinator) => {
    const { leader, follower } = await twoJoined(coordinator);
    const fs = coordinator.sync('g', { memberId: follower.memberId, groupInstanceId: follower.instance }, syncOf(follower.generationId, []));
    const ls = coordinator.sync('g', { memberId: leader.memberId, groupInstanceId: leader.instance }, syncOf(leader.generationId, [{ memberId: follower.memberId, assignment: Buffer.from('f') }, { memberId: leader.memberId, assignment: Buffer.from('l') }]));
    await settled();
    gate.answer(0);
    await Promise.all([ls, fs]);
    return { leader, follower };
  };

  it('Heartbeat: answered at once with nothing pending, after the pending writes otherwise (their error if they fail); refusals at once', async () => {
    const gate = replicationGate();
    const { coordinator } = freshReplicated(gate);
    const { leader, follower } = await stableThroughGate(gate, coordinator);
    const ref = { memberId: follower.memberId, groupInstanceId: follower.instance };
    expect(await coordinator.heartbeat('g', ref, follower.generationId)).toBe(0);
    // A record of the group pending: the leader restarted as a static member, replaced in place.
    const replaced = coordinator.join(joinRequest({ groupInstanceId: leader.instance }));
    await settled();
    expect(gate.waiting).toBe(1);
    let answered = false;
    const beat = coordinator.heartbeat('g', ref, follower.generationId);
    void beat.then(() => (answered = true));
    // A refusal is not held back by the pending write.
    expect(await coordinator.heartbeat('g', { memberId: 'nobody', groupInstanceId: null }, follower.generationId)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    await settled();
    expect(answered).toBe(false);
    gate.answer(ErrorCode.REQUEST_TIMED_OUT);
    expect(await beat).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect((await replaced).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });

  it('OffsetCommit: answered once its record is replicated; one that writes nothing (every partition OFFSET_METADATA_TOO_LARGE) once the pending writes are; refusals at once', async () => {
    const gate = replicationGate();
    const { coordinator } = freshReplicated(gate);
    const simple = { memberId: '', groupInstanceId: null };
    // Its own record: answered once replicated, the error of a write that failed.
    const own = coordinator.commitOffsets('solo', simple, -1, [{ topic: 'a', partition: 0, value: offset(4, 0) }]);
    await settled();
    expect(gate.waiting).toBe(1);
    gate.answer(ErrorCode.REQUEST_TIMED_OUT);
    expect(await own).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    // Another group's record pending on the partition; a commit with nothing to write waits for it.
    expect(coordinator.commit('other', simple, -1, [{ topic: 'a', partition: 0, value: offset(1, 0) }])).toBe(0);
    let answered = false;
    const nothing = coordinator.commitOffsets('solo', simple, -1, []);
    void nothing.then(() => (answered = true));
    // A refusal (a generation for a group that does not exist) is not held back.
    expect(await coordinator.commitOffsets('nobody', { memberId: 'm', groupInstanceId: null }, 3, [])).toBe(ErrorCode.ILLEGAL_GENERATION);
    await settled();
    expect(answered).toBe(false);
    gate.answer(0);
    expect(await nothing).toBe(0);
    // Nothing pending: at once.
    expect(await coordinator.commitOffsets('solo', simple, -1, [])).toBe(0);
  });

  it('TxnOffsetCommit: answered once its transactional batch is replicated; one that writes nothing once the pending writes are; refusals at once', async () => {
    const gate = replicationGate();
    const { coordinator } = freshReplicated(gate);
    const simple = { memberId: '', groupInstanceId: null };
    let answered = false;
    const own = coordinator.txnCommitOffsets('tx', 7n, 0, simple, -1, [{ topic: 'a', partition: 0, value: offset(4, 0) }]);
    void own.then(() => (answered = true));
    await settled();
    expect({ answered, waiting: gate.waiting }).toEqual({ answered: false, waiting: 1 });
    // Writing nothing (every partition's metadata too long): it waits for that batch too.
    const nothing = coordinator.txnCommitOffsets('tx', 7n, 0, simple, -1, []);
    // A refusal (a generation for a group that does not exist) is not held back.
    expect(await coordinator.txnCommitOffsets('nobody', 7n, 0, { memberId: 'm', groupInstanceId: null }, 3, [])).toBe(ErrorCode.ILLEGAL_GENERATION);
    gate.answer(ErrorCode.REQUEST_TIMED_OUT);
    expect([await own, await nothing]).toEqual([ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_NOT_AVAILABLE]);
  });

  it('OffsetDelete and DeleteGroups: answered once their tombstones are replicated (their error if that fails); a refused OffsetDelete at once', async () => {
    const gate = replicationGate();
    const { coordinator } = freshReplicated(gate);
    const simple = { memberId: '', groupInstanceId: null };
    for (const g of ['a', 'b']) coordinator.commit(g, simple, -1, [{ topic: 't', partition: 0, value: offset(1, 0) }, { topic: 't', partition: 1, value: offset(1, 0) }]);
    const settledAll = coordinator.writesCommitted();
    await settled();
    gate.answer(0);
    expect(await settledAll).toBe(0);
    let answered = false;
    const del = coordinator.deleteOffsetsCommitted('a', [{ topic: 't', partition: 0 }]);
    void del.then(() => (answered = true));
    // The group's refusal is not held back.
    expect((await coordinator.deleteOffsetsCommitted('nobody', [{ topic: 't', partition: 0 }])).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    await settled();
    expect({ answered, waiting: gate.waiting }).toEqual({ answered: false, waiting: 1 });
    gate.answer(0);
    expect((await del).errorCode).toBe(0);
    // DeleteGroups of this partition: every group's answer (an unknown one's too) once the write is committed.
    let deletedAnswered = false;
    const deleted = coordinator.deleteGroups(['b', 'nobody']);
    void deleted.then(() => (deletedAnswered = true));
    await settled();
    expect(deletedAnswered).toBe(false);
    gate.answer(ErrorCode.REQUEST_TIMED_OUT);
    expect(await deleted).toEqual([ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_NOT_AVAILABLE]);
  });

  it('OffsetFetch reads at the last committed offset: commits and deletions not yet replicated are not seen; require_stable reads them as written once the pending writes are committed', async () => {
    const gate = replicationGate();
    const { coordinator } = freshReplicated(gate);
    const simple = { memberId: '', groupInstanceId: null };
    const offsetsOf = (m: ReadonlyMap<string, { offset: bigint }>) => Object.fromEntries([...m].map(([k, v]) => [k.replace('\u0000', '/'), v.offset]));
    const first = coordinator.commitOffsets('solo', simple, -1, [{ topic: 'a', partition: 0, value: offset(5, 0) }]);
    await settled();
    gate.answer(0);
    expect(await first).toBe(0);
    // A second commit (a new value, a new partition) not replicated yet: readers see the first.
    const second = coordinator.commitOffsets('solo', simple, -1, [{ topic: 'a', partition: 0, value: offset(9, 0) }, { topic: 'a', partition: 1, value: offset(3, 0) }]);
    await settled();
    expect(gate.waiting).toBe(1);
    expect(offsetsOf(coordinator.committedOffsets('solo'))).toEqual({ 'a/0': 5n });
    expect(coordinator.committed('solo', 'a', 1)).toBeUndefined();
    // require_stable: the offsets as written, answered once the pending writes are committed.
    expect(offsetsOf(coordinator.latestOffsets('solo'))).toEqual({ 'a/0': 9n, 'a/1': 3n });
    let stable = false;
    const writes = coordinator.writesCommitted();
    void writes.then(() => (stable = true));
    await settled();
    expect(stable).toBe(false);
    gate.answer(0);
    expect([await second, await writes]).toEqual([0, 0]);
    expect(offsetsOf(coordinator.committedOffsets('solo'))).toEqual({ 'a/0': 9n, 'a/1': 3n });
    // A deletion (OffsetDelete of the Empty group) is seen once its tombstone is replicated.
    expect(coordinator.deleteOffsets('solo', [{ topic: 'a', partition: 1 }]).errorCode).toBe(0);
    expect(offsetsOf(coordinator.committedOffsets('solo'))).toEqual({ 'a/0': 9n, 'a/1': 3n });
    expect(offsetsOf(coordinator.latestOffsets('solo'))).toEqual({ 'a/0': 9n });
    const after = coordinator.writesCommitted();
    await settled();
    gate.answer(ErrorCode.REQUEST_TIMED_OUT);
    // Not replicated in time: still not committed, so still not seen (the record stays in the log).
    expect(await after).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(offsetsOf(coordinator.committedOffsets('solo'))).toEqual({ 'a/0': 9n, 'a/1': 3n });
    const later = coordinator.writesCommitted();
    await settled();
    gate.answer(0);
    expect(await later).toBe(0);
    expect(offsetsOf(coordinator.committedOffsets('solo'))).toEqual({ 'a/0': 9n });
  });

  it('LeaveGroup: answered once the group record of the emptied group is replicated; NOT_COORDINATOR for the request when leadership went meanwhile', async () => {
    const gate = replicationGate();
    const { coordinator } = freshReplicated(gate);
    const { leader, follower } = await stableThroughGate(gate, coordinator);
    // The first leaves: the group rebalances (no record yet), nothing pending: answered at once.
    expect(await coordinator.leave('g', [{ memberId: follower.memberId, groupInstanceId: follower.instance }])).toMatchObject({ errorCode: 0 });
    // The last member leaves: the join phase completes with nobody, the Empty group's record is written.
    let answered = false;
    const last = coordinator.leave('g', [{ memberId: leader.memberId, groupInstanceId: leader.instance }]);
    void last.then(() => (answered = true));
    await settled();
    expect({ answered, waiting: gate.waiting, state: coordinator.get('g')!.state }).toEqual({ answered: false, waiting: 1, state: 'Empty' });
    gate.answer(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(await last).toEqual({ errorCode: ErrorCode.NOT_COORDINATOR, members: [] });
  });

  it('a static member replacing itself in a Stable group is answered once the group record is replicated', async () => {
    const gate = replicationGate();
    const { coordinator } = freshReplicated(gate);
    const { follower } = await stableThroughGate(gate, coordinator);
    let answered = false;
    const again = coordinator.join(joinRequest({ groupInstanceId: follower.instance }));
    void again.then(() => (answered = true));
    await settled();
    expect({ answered, waiting: gate.waiting }).toEqual({ answered: false, waiting: 1 });
    gate.answer(0);
    const joined = await again;
    expect(joined).toMatchObject({ errorCode: 0, generationId: follower.generationId });
    expect(coordinator.get('g')!.staticMembers.get(follower.instance)).toBe(joined.memberId);
  });

  it('a static member\'s replacement whose record fails is undone: the old member id holds the instance again (Kafka\'s appendFuture failing)', async () => {
    const gate = replicationGate();
    const { coordinator } = freshReplicated(gate);
    const { leader, follower } = await stableThroughGate(gate, coordinator);
    const again = coordinator.join(joinRequest({ groupInstanceId: leader.instance, supportsSkipAssignment: true }));
    await settled();
    // Until the write fails, the new member id holds the instance (and the leadership).
    expect(coordinator.get('g')!.leaderId).not.toBe(leader.memberId);
    gate.answer(ErrorCode.REQUEST_TIMED_OUT);
    expect(await again).toMatchObject({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, memberId: '', generationId: leader.generationId, leader: leader.memberId, members: [], skipAssignment: false });
    const g = coordinator.get('g')!;
    expect({ holder: g.staticMembers.get(leader.instance), leaderId: g.leaderId, members: g.members.size, state: g.state }).toEqual({ holder: leader.memberId, leaderId: leader.memberId, members: 2, state: 'Stable' });
    // The failed write is still pending (as in Kafka's deferred queue): heartbeats wait until the followers catch up.
    const beats = Promise.all([
      coordinator.heartbeat('g', { memberId: leader.memberId, groupInstanceId: leader.instance }, leader.generationId),
      coordinator.heartbeat('g', { memberId: follower.memberId, groupInstanceId: follower.instance }, follower.generationId),
    ]);
    await settled();
    gate.answer(0);
    expect(await beats).toEqual([0, 0]);
  });

  it('unloaded while answers wait for a write (leadership moved, the write replicated all the same): NOT_COORDINATOR, and a static replacement is not answered as done', async () => {
    const gate = replicationGate();
    const { coordinator } = freshReplicated(gate);
    const { leader, follower } = await stableThroughGate(gate, coordinator);
    const replaced = coordinator.join(joinRequest({ groupInstanceId: leader.instance }));
    const beat = coordinator.heartbeat('g', { memberId: follower.memberId, groupInstanceId: follower.instance }, follower.generationId);
    const left = coordinator.leave('g', [{ memberId: follower.memberId, groupInstanceId: follower.instance }]);
    await settled();
    coordinator.close();
    gate.answer(0);
    expect([await beat, (await left).errorCode, (await replaced).errorCode]).toEqual([ErrorCode.NOT_COORDINATOR, ErrorCode.NOT_COORDINATOR, ErrorCode.NOT_COORDINATOR]);
  });

  it('ConsumerGroupHeartbeat: a record not replicated in time is COORDINATOR_NOT_AVAILABLE without a message, a refusal is answered at once', async () => {
    const gate = replicationGate();
    const { coordinator } = freshReplicated(gate);
    const topics = { byName: (n: string) => (n === 't' ? { topicId: '6f1d2c3b-1111-4222-8333-944455556666', partitions: 4 } : undefined), names: () => ['t'], nameOf: () => 't' };
    const beat = (memberId: string, memberEpoch: number) => coordinator.consumerGroupHeartbeat({ apiVersion: 1, groupId: 'g', memberId, memberEpoch, instanceId: null, rackId: null, rebalanceTimeoutMs: 5_000, subscribedTopicNames: ['t'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [], clientId: 'c', clientHost: '/h' }, topics);
    const joining = beat('A', 0);
    expect((await beat('B', 7)).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    await settled();
    gate.answer(ErrorCode.REQUEST_TIMED_OUT);
    expect(await joining).toEqual({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: null, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null });
  });

  it('a classic member\'s JoinGroup and SyncGroup in a consumer group wait for the records; the partition\'s leadership moving meanwhile answers NOT_COORDINATOR', async () => {
    const gate = replicationGate();
    const { coordinator } = freshReplicated(gate);
    const topics = { byName: (n: string) => (n === 't' ? { topicId: '6f1d2c3b-1111-4222-8333-944455556666', partitions: 4 } : undefined), names: () => ['t'], nameOf: () => 't' };
    const first = coordinator.consumerGroupHeartbeat({ apiVersion: 1, groupId: 'g', memberId: 'A', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 5_000, subscribedTopicNames: ['t'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [], clientId: 'c', clientHost: '/h' }, topics);
    await settled();
    expect(gate.waiting).toBe(1);
    gate.answer(0);
    expect((await first).errorCode).toBe(0);
    let answered = false;
    const join = coordinator.join(joinRequest({ memberId: 'C', protocols: [{ name: 'range', metadata: subscription('t') }] }), topics);
    void join.then(() => (answered = true));
    await settled();
    expect({ answered, waiting: gate.waiting }).toEqual({ answered: false, waiting: 1 });
    gate.answer(0);
    const joined = await join;
    expect(joined.errorCode).toBe(0);
    // A write on the partition not replicated yet (another group's commit): the SyncGroup, which writes nothing, waits for it.
    expect(coordinator.commit('other', { memberId: '', groupInstanceId: null }, -1, [{ topic: 't', partition: 0, value: offset(1, 0) }])).toBe(0);
    const sync = coordinator.sync('g', { memberId: 'C', groupInstanceId: null }, syncOf(joined.generationId, []), topics);
    await settled();
    expect(gate.waiting).toBe(1);
    // Leadership of the partition moves: the replica manager fails the wait with NOT_LEADER_OR_FOLLOWER.
    gate.answer(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect((await sync).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
  });
});
