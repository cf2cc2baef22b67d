import { decodeRecordBatch, encodeRecordBatch, ErrorCode, splitBatches, validateProducedBlob } from '@tributary/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { PartitionLog } from '../log/partition-log.ts';
import { testOptions } from '../log/test-support.ts';
import type { GroupCoordinator } from './coordinator.ts';
import { decodeGroupLogRecord } from './group-records.ts';
import { closeCoordinators, coordinatorAt, fresh, joinRequest, leaveOne, subscription, syncOf } from './test-support.ts';

// The classic group state machine as Kafka's GroupMetadataManager/ClassicGroup define it: which
// request each state accepts and the error every state, generation and member-id mismatch answers.
afterEach(closeCoordinators);

const offset = (n: number) => ({ offset: BigInt(n), leaderEpoch: -1, metadata: null, commitTimestamp: 1 });
const commitOne = (c: GroupCoordinator, memberId: string, generation: number, groupInstanceId: string | null = null, apiVersion = 8) =>
  c.commit('g', { memberId, groupInstanceId }, generation, [{ topic: 'a', partition: 0, value: offset(generation * 10 + 1) }], apiVersion);

/** Every record of the log in `dir`, keys and values as raw bytes. */
function rawRecords(dir: string): { key: Buffer; value: Buffer | null }[] {
  const log = new PartitionLog(dir, testOptions);
  const blob = log.read(0, 1 << 22);
  log.close();
  return splitBatches(blob).batches.flatMap((s) => decodeRecordBatch(blob.subarray(s.position, s.position + s.size)).records.map((r) => ({ key: Buffer.from(r.key!), value: r.value === null ? null : Buffer.from(r.value) })));
}

/** Two dynamic members joined (JoinGroup v3: no MEMBER_ID_REQUIRED) and, unless told otherwise, synced: Stable. */
async function twoMembers(c: GroupCoordinator, sync = true) {
  const [a, b] = await Promise.all([c.join(joinRequest({ requireKnownMemberId: false, clientId: 'a' })), c.join(joinRequest({ requireKnownMemberId: false, clientId: 'b' }))]);
  expect([a.errorCode, b.errorCode]).toEqual([0, 0]);
  const leader = a.leader === a.memberId ? a : b;
  const follower = leader === a ? b : a;
  const generation = a.generationId;
  if (sync) {
    const assignments = [
      { memberId: leader.memberId, assignment: Buffer.from('L') },
      { memberId: follower.memberId, assignment: Buffer.from('F') },
    ];
    const [ls, fs] = await Promise.all([c.sync('g', { memberId: leader.memberId, groupInstanceId: null }, syncOf(generation, assignments)), c.sync('g', { memberId: follower.memberId, groupInstanceId: null }, syncOf(generation, []))]);
    expect([ls.errorCode, fs.errorCode]).toEqual([0, 0]);
  }
  return { leader: leader.memberId, follower: follower.memberId, generation };
}

describe('OffsetCommit and the group state', () => {
  it('accepts a commit from a member of the current generation while Stable and while PreparingRebalance', async () => {
    const { coordinator } = fresh();
    const { leader, follower, generation } = await twoMembers(coordinator);
    expect(commitOne(coordinator, follower, generation)).toBe(0);
    // The leader rejoins: the group prepares a rebalance; the follower commits as its partitions are revoked.
    const rejoin = coordinator.join(joinRequest({ memberId: leader, requireKnownMemberId: false, clientId: 'a' }));
    expect(coordinator.get('g')?.state).toBe('PreparingRebalance');
    expect(commitOne(coordinator, follower, generation)).toBe(0);
    expect(coordinator.committed('g', 'a', 0)?.offset).toBe(BigInt(generation * 10 + 1));
    // ...but the generation it names must still be the current one.
    expect(commitOne(coordinator, follower, generation + 1)).toBe(ErrorCode.ILLEGAL_GENERATION);
    await Promise.all([rejoin, coordinator.join(joinRequest({ memberId: follower, requireKnownMemberId: false, clientId: 'b' }))]);
  });

  it('answers REBALANCE_IN_PROGRESS only in CompletingRebalance', async () => {
    const { coordinator } = fresh();
    const { follower, generation } = await twoMembers(coordinator, false);
    expect(coordinator.get('g')?.state).toBe('CompletingRebalance');
    expect(commitOne(coordinator, follower, generation)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it('checks member and generation first: UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, ILLEGAL_GENERATION', async () => {
    const { coordinator } = fresh();
    const { follower, generation } = await twoMembers(coordinator);
    expect(commitOne(coordinator, 'nobody', generation)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(commitOne(coordinator, follower, generation - 1)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(commitOne(coordinator, follower, generation, 'unknown-instance')).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const s = await coordinator.join(joinRequest({ groupId: 's', groupInstanceId: 'i' }));
    expect(coordinator.commit('s', { memberId: 'stale', groupInstanceId: 'i' }, s.generationId, [])).toBe(ErrorCode.FENCED_INSTANCE_ID);
  });

  it('takes commits without a member (generation -1, empty member id) only while the group is Empty, creating it; the empty group id is valid', async () => {
    const { coordinator } = fresh();
    expect(coordinator.commit('solo', { memberId: '', groupInstanceId: null }, -1, [{ topic: 'a', partition: 0, value: offset(5) }])).toBe(0);
    expect(coordinator.get('solo')?.state).toBe('Empty');
    expect(coordinator.groups().map((g) => g.groupId)).toContain('solo');
    await twoMembers(coordinator);
    expect(commitOne(coordinator, '', -1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    // The empty group id is a group like any other for commits (Kafka keeps this for old clients)...
    expect(coordinator.commit('', { memberId: '', groupInstanceId: null }, -1, [{ topic: 'a', partition: 0, value: offset(2) }])).toBe(0);
    expect(coordinator.committed('', 'a', 0)?.offset).toBe(2n);
    // ...but not for membership.
    expect((await coordinator.join(joinRequest({ groupId: '' }))).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect(await coordinator.heartbeat('', { memberId: 'm', groupInstanceId: null }, 0)).toBe(ErrorCode.INVALID_GROUP_ID);
    expect((await coordinator.sync('', { memberId: 'm', groupInstanceId: null }, syncOf(0, []))).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect((await coordinator.leave('', [{ memberId: 'm', groupInstanceId: null }])).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
  });

  it('a commit naming a generation for a group that does not exist: ILLEGAL_GENERATION, GROUP_ID_NOT_FOUND from v9', () => {
    const { coordinator } = fresh();
    expect(commitOne(coordinator, 'm', 3)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(commitOne(coordinator, 'm', 3, null, 9)).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(coordinator.get('g')).toBeUndefined();
  });
});

describe('JoinGroup', () => {
  it('a follower rejoining with a changed subscription rebalances the group, and the leader sees the new subscription', async () => {
    const { coordinator } = fresh();
    const { leader, follower, generation } = await twoMembers(coordinator);
    const changed = coordinator.join(joinRequest({ memberId: follower, requireKnownMemberId: false, clientId: 'b', protocols: [{ name: 'range', metadata: subscription('b') }] }));
    expect(coordinator.get('g')?.state).toBe('PreparingRebalance');
    expect(await coordinator.heartbeat('g', { memberId: leader, groupInstanceId: null }, generation)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const [l, f] = await Promise.all([coordinator.join(joinRequest({ memberId: leader, requireKnownMemberId: false, clientId: 'a' })), changed]);
    expect([l.generationId, f.generationId]).toEqual([generation + 1, generation + 1]);
    expect(l.members.find((m) => m.memberId === follower)?.metadata.equals(subscription('b'))).toBe(true);
  });

  it('a follower rejoining with the same subscription while Stable gets the current generation back', async () => {
    const { coordinator } = fresh();
    const { leader, follower, generation } = await twoMembers(coordinator);
    const again = await coordinator.join(joinRequest({ memberId: follower, requireKnownMemberId: false, clientId: 'b' }));
    expect(again).toMatchObject({ errorCode: 0, generationId: generation, leader, members: [] });
    expect(coordinator.get('g')?.state).toBe('Stable');
  });

  it('a member rejoining in CompletingRebalance with its metadata unchanged gets the same generation (the leader with the members)', async () => {
    const { coordinator } = fresh();
    const { leader, generation } = await twoMembers(coordinator, false);
    const again = await coordinator.join(joinRequest({ memberId: leader, requireKnownMemberId: false, clientId: 'a' }));
    expect(again).toMatchObject({ errorCode: 0, generationId: generation, leader });
    expect(again.members).toHaveLength(2);
    expect(coordinator.get('g')?.state).toBe('CompletingRebalance');
  });

  it('a known member id for a group that does not exist is UNKNOWN_MEMBER_ID and creates nothing', async () => {
    const { coordinator } = fresh();
    expect((await coordinator.join(joinRequest({ groupId: 'x', memberId: 'ghost' }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(coordinator.get('x')).toBeUndefined();
  });

  it('refuses another protocol type or no protocol in common (INCONSISTENT_GROUP_PROTOCOL)', async () => {
    const { coordinator } = fresh();
    await twoMembers(coordinator);
    expect((await coordinator.join(joinRequest({ protocolType: 'connect' }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await coordinator.join(joinRequest({ protocols: [{ name: 'roundrobin', metadata: subscription('a') }] }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });
});

describe('SyncGroup, Heartbeat, LeaveGroup', () => {
  it('SyncGroup: UNKNOWN_MEMBER_ID for unknown groups, ILLEGAL_GENERATION, INCONSISTENT_GROUP_PROTOCOL, REBALANCE_IN_PROGRESS while preparing', async () => {
    const { coordinator } = fresh();
    expect((await coordinator.sync('nope', { memberId: 'm', groupInstanceId: null }, syncOf(1, []))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const { leader, follower, generation } = await twoMembers(coordinator);
    const who = { memberId: follower, groupInstanceId: null };
    expect((await coordinator.sync('g', who, syncOf(generation + 1, []))).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await coordinator.sync('g', who, { ...syncOf(generation, []), protocolName: 'roundrobin' })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const stable = await coordinator.sync('g', who, { ...syncOf(generation, []), protocolType: 'consumer', protocolName: 'range' });
    expect(stable).toMatchObject({ errorCode: 0, protocolName: 'range' });
    expect(stable.assignment.toString()).toBe('F');
    const rejoin = coordinator.join(joinRequest({ memberId: leader, requireKnownMemberId: false, clientId: 'a' }));
    expect((await coordinator.sync('g', who, syncOf(generation, []))).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    await Promise.all([rejoin, coordinator.join(joinRequest({ memberId: follower, requireKnownMemberId: false, clientId: 'b' }))]);
  });

  it('Heartbeat: ordinary in CompletingRebalance, REBALANCE_IN_PROGRESS while preparing, UNKNOWN_MEMBER_ID for unknown groups', async () => {
    const { coordinator } = fresh();
    expect(await coordinator.heartbeat('nope', { memberId: 'm', groupInstanceId: null }, 0)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const { follower, generation } = await twoMembers(coordinator, false);
    expect(await coordinator.heartbeat('g', { memberId: follower, groupInstanceId: null }, generation)).toBe(0);
    expect(await coordinator.heartbeat('g', { memberId: follower, groupInstanceId: null }, generation - 1)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(await coordinator.heartbeat('g', { memberId: 'x', groupInstanceId: null }, generation)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('LeaveGroup: a pending member (MEMBER_ID_REQUIRED, never joined) may leave; an unknown group is UNKNOWN_MEMBER_ID', async () => {
    const { coordinator } = fresh();
    const pending = await coordinator.join(joinRequest({}));
    expect(pending.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(await leaveOne(coordinator, { memberId: pending.memberId, groupInstanceId: null })).toBe(0);
    expect(coordinator.get('g')!.pendingMembers.size).toBe(0);
    // Kafka 4.4: each member named is UNKNOWN_MEMBER_ID, the request's error is none (v0–2 answer the member's).
    expect(await coordinator.leave('nope', [{ memberId: 'm', groupInstanceId: null }])).toEqual({ errorCode: 0, members: [{ memberId: 'm', groupInstanceId: null, errorCode: ErrorCode.UNKNOWN_MEMBER_ID }] });
  });

  it('a pending member that never joins is forgotten after its session timeout, and the rebalance it held completes', async () => {
    const { clock, coordinator } = fresh();
    const { leader, follower, generation } = await twoMembers(coordinator);
    const pending = await coordinator.join(joinRequest({ clientId: 'late' }));
    expect(pending.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    // Both members rejoin; the group waits for the pending member as Kafka does...
    const joins = Promise.all([leader, follower].map((memberId, i) => coordinator.join(joinRequest({ memberId, requireKnownMemberId: false, clientId: 'ab'[i]!, protocols: [{ name: 'range', metadata: subscription('a', 'b') }] }))));
    coordinator.expireSessions();
    expect(coordinator.get('g')?.state).toBe('PreparingRebalance');
    // ...until its session timeout (10 s) has passed.
    clock.now += 10_001;
    coordinator.expireSessions();
    const results = await joins;
    expect(results.map((r) => [r.errorCode, r.generationId])).toEqual([[0, generation + 1], [0, generation + 1]]);
    expect(coordinator.get('g')!.pendingMembers.size).toBe(0);
  });

  it('the last member leaving makes the group Empty with a new generation; it is listed and can be deleted', async () => {
    const { coordinator } = fresh();
    const { leader, follower, generation } = await twoMembers(coordinator);
    expect(coordinator.deleteGroup('g')).toBe(ErrorCode.NON_EMPTY_GROUP);
    expect((await coordinator.leave('g', [{ memberId: leader, groupInstanceId: null }, { memberId: follower, groupInstanceId: null }])).members.map((m) => m.errorCode)).toEqual([0, 0]);
    const g = coordinator.get('g')!;
    expect([g.state, g.generationId]).toEqual(['Empty', generation + 1]);
    expect(coordinator.groups().map((x) => x.groupId)).toEqual(['g']);
    expect(coordinator.deleteGroup('g')).toBe(0);
    expect(coordinator.deleteGroup('g')).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(coordinator.deleteGroup('')).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });
});

describe('group metadata in __consumer_offsets', () => {
  it('a new coordinator loads the Stable group (generation, leader, protocol, members, assignments) and its offsets', async () => {
    const { dir, clock, coordinator } = fresh();
    const { leader, follower, generation } = await twoMembers(coordinator);
    expect(commitOne(coordinator, follower, generation)).toBe(0);
    const loaded = coordinatorAt(dir, clock);
    const g = loaded.get('g')!;
    expect([g.state, g.generationId, g.leaderId, g.protocolType, g.protocolName]).toEqual(['Stable', generation, leader, 'consumer', 'range']);
    expect(g.members.get(follower)?.assignment.toString()).toBe('F');
    expect(g.members.get(leader)?.protocols[0]?.metadata.equals(subscription('a'))).toBe(true);
    // Members carry on with the generation they have: no rejoin after a coordinator failover.
    expect(await loaded.heartbeat('g', { memberId: follower, groupInstanceId: null }, generation)).toBe(0);
    expect(commitOne(loaded, follower, generation)).toBe(0);
    expect(loaded.committed('g', 'a', 0)?.offset).toBe(BigInt(generation * 10 + 1));
  });

  it('a deleted group stays deleted after a reload (group and offset tombstones)', async () => {
    const { dir, clock, coordinator } = fresh();
    const { leader, follower, generation } = await twoMembers(coordinator);
    expect(commitOne(coordinator, follower, generation)).toBe(0);
    await coordinator.leave('g', [{ memberId: leader, groupInstanceId: null }, { memberId: follower, groupInstanceId: null }]);
    expect(coordinator.deleteGroup('g')).toBe(0);
    const loaded = coordinatorAt(dir, clock);
    expect(loaded.get('g')).toBeUndefined();
    expect(loaded.committed('g', 'a', 0)).toBeUndefined();
  });

  it('every record written decodes as Kafka\'s format: versioned binary keys and values', async () => {
    const { dir, coordinator } = fresh();
    const { follower, generation } = await twoMembers(coordinator);
    commitOne(coordinator, follower, generation);
    const raw = rawRecords(dir);
    expect(raw.map((r) => decodeGroupLogRecord(r.key, r.value)?.kind)).toEqual(['group', 'offset']);
    // OffsetCommitKey v1: int16 1, then group and topic (int16-length strings) and the partition.
    expect(raw[1]!.key.equals(Buffer.from([0, 1, 0, 1, 0x67, 0, 1, 0x61, 0, 0, 0, 0]))).toBe(true);
    // OffsetCommitValue v3: int16 3, offset, leader epoch, metadata ("" for none), commit timestamp.
    expect(raw[1]!.value!.subarray(0, 2).readInt16BE(0)).toBe(3);
    expect(raw[1]!.value!.readBigInt64BE(2)).toBe(BigInt(generation * 10 + 1));
    // GroupMetadataKey v2, GroupMetadataValue v3.
    expect([raw[0]!.key.readInt16BE(0), raw[0]!.value!.readInt16BE(0)]).toEqual([2, 3]);
  });

  it('converts offsets written in the old JSON form: loaded, rewritten in Kafka\'s form, JSON keys tombstoned', () => {
    const { dir, clock } = fresh();
    const log = new PartitionLog(dir, testOptions);
    const json = (group: string, topic: string, partition: number, value: object | null) => ({
      key: JSON.stringify([group, topic, partition]),
      value: value === null ? null : JSON.stringify(value),
    });
    const blob = encodeRecordBatch({
      records: [
        json('old', 't', 0, { offset: '42', leaderEpoch: 3, metadata: 'm', commitTimestamp: 1000 }),
        json('old', 't', 1, { offset: '7', leaderEpoch: -1, metadata: null, commitTimestamp: 1000 }),
        json('old', 't', 1, null),
      ],
    });
    const checked = validateProducedBlob(blob, Number.MAX_SAFE_INTEGER);
    if (!checked.ok) throw new Error(checked.problem.detail);
    log.append(blob, checked.batches, 0);
    log.close();
    const loaded = coordinatorAt(dir, clock);
    expect(loaded.committed('old', 't', 0)).toMatchObject({ offset: 42n, leaderEpoch: 3, metadata: 'm' });
    expect(loaded.committed('old', 't', 1)).toBeUndefined();
    // What the conversion appended: a tombstone for the live JSON key, then the offset in Kafka's form.
    const after = rawRecords(dir).slice(3);
    expect(after.map((r) => [r.key[0] === 0x5b ? 'json' : 'binary', r.value === null])).toEqual([
      ['json', true],
      ['binary', false],
    ]);
    expect(decodeGroupLogRecord(after[1]!.key, after[1]!.value)).toMatchObject({ kind: 'offset', group: 'old', topic: 't', partition: 0, value: { offset: 42n, leaderEpoch: 3, metadata: 'm' } });
    // And a coordinator started on the converted log still has the offset.
    expect(coordinatorAt(dir, clock).committed('old', 't', 0)?.offset).toBe(42n);
  });
});


// The sequences behind librdkafka's 0118 and kafka-python's group scenario: members that leave or
// join while a rebalance is in progress, as Kafka's completeClassicGroupJoin, expirePendingSync and
// removeMemberAndUpdateClassicGroup handle them. Each awaits the coordinator's answers, not time.
describe('rebalances with members coming and going mid-rebalance', () => {
  const ref = (memberId: string) => ({ memberId, groupInstanceId: null });

  it('a member id handed out with MEMBER_ID_REQUIRED stays valid across a join phase it missed: it joins the next generation', async () => {
    const { coordinator } = fresh();
    const a = await coordinator.join(joinRequest({ clientId: 'a' }));
    const b = await coordinator.join(joinRequest({ clientId: 'b' }));
    expect([a.errorCode, b.errorCode]).toEqual([ErrorCode.MEMBER_ID_REQUIRED, ErrorCode.MEMBER_ID_REQUIRED]);
    // The initial delay ends while b is still pending: generation 1 has a alone.
    const first = await coordinator.join(joinRequest({ clientId: 'a', memberId: a.memberId }));
    expect(first).toMatchObject({ errorCode: 0, generationId: 1, leader: a.memberId });
    // b comes with its id (Kafka: a rejoining pending member is accepted), and the group rebalances.
    const bJoin = coordinator.join(joinRequest({ clientId: 'b', memberId: b.memberId }));
    expect(coordinator.get('g')?.state).toBe('PreparingRebalance');
    expect((await coordinator.sync('g', ref(a.memberId), syncOf(1, [{ memberId: a.memberId, assignment: Buffer.from('A') }]))).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const [a2, b2] = await Promise.all([coordinator.join(joinRequest({ clientId: 'a', memberId: a.memberId })), bJoin]);
    expect([a2.errorCode, a2.generationId, b2.errorCode, b2.generationId]).toEqual([0, 2, 0, 2]);
    expect(a2.members.map((m) => m.memberId).sort()).toEqual([a.memberId, b.memberId].sort());
  });

  it('a member leaving while the other waits in JoinGroup completes the join phase at once', async () => {
    const { coordinator } = fresh();
    const { leader, follower, generation } = await twoMembers(coordinator);
    const rejoin = coordinator.join(joinRequest({ memberId: leader, requireKnownMemberId: false, clientId: 'a' }));
    expect(coordinator.get('g')?.state).toBe('PreparingRebalance');
    expect(await leaveOne(coordinator, ref(follower))).toBe(0);
    expect(coordinator.get('g')?.state).toBe('CompletingRebalance');
    expect(await rejoin).toMatchObject({ errorCode: 0, generationId: generation + 1, leader });
  });

  it('after a member leaves a Stable group, the remaining member rejoining completes the join phase at once', async () => {
    const { coordinator } = fresh();
    const { leader, follower, generation } = await twoMembers(coordinator);
    expect(await leaveOne(coordinator, ref(leader))).toBe(0);
    expect(await coordinator.heartbeat('g', ref(follower), generation)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    // The remaining member commits as its partitions are revoked, then rejoins and leads.
    expect(commitOne(coordinator, follower, generation)).toBe(0);
    const rejoined = await coordinator.join(joinRequest({ memberId: follower, requireKnownMemberId: false, clientId: 'b' }));
    expect(rejoined).toMatchObject({ errorCode: 0, generationId: generation + 1, leader: follower });
    const synced = await coordinator.sync('g', ref(follower), syncOf(generation + 1, [{ memberId: follower, assignment: Buffer.from('all') }]));
    expect([synced.errorCode, synced.assignment.toString(), coordinator.get('g')?.state]).toEqual([0, 'all', 'Stable']);
  });

  it('the leader leaving in CompletingRebalance sends the waiting follower back to JoinGroup, where it completes alone', async () => {
    const { coordinator } = fresh();
    const { leader, follower, generation } = await twoMembers(coordinator, false);
    const waiting = coordinator.sync('g', ref(follower), syncOf(generation, []));
    expect(await leaveOne(coordinator, ref(leader))).toBe(0);
    expect((await waiting).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoined = await coordinator.join(joinRequest({ memberId: follower, requireKnownMemberId: false, clientId: 'b' }));
    expect(rejoined).toMatchObject({ errorCode: 0, generationId: generation + 1, leader: follower });
  });

  it('a leader that never sends SyncGroup is removed after the rebalance timeout; the waiting follower rejoins and leads', async () => {
    const { coordinator } = fresh();
    const quick = { requireKnownMemberId: false, rebalanceTimeoutMs: 300 };
    const [a, b] = await Promise.all([coordinator.join(joinRequest({ ...quick, clientId: 'a' })), coordinator.join(joinRequest({ ...quick, clientId: 'b' }))]);
    const leader = a.leader;
    const follower = leader === a.memberId ? b.memberId : a.memberId;
    // The follower's SyncGroup waits for an assignment the leader never sends (its session is not over).
    expect((await coordinator.sync('g', ref(follower), syncOf(a.generationId, []))).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect([...coordinator.get('g')!.members.keys()]).toEqual([follower]);
    const rejoined = await coordinator.join(joinRequest({ ...quick, memberId: follower, clientId: 'x' }));
    expect(rejoined).toMatchObject({ errorCode: 0, generationId: a.generationId + 1, leader: follower });
  });

  it('a member leaving during the initial rebalance completes it once the others have joined', async () => {
    const { coordinator } = fresh();
    const a = coordinator.join(joinRequest({ requireKnownMemberId: false, clientId: 'a' }));
    const b = coordinator.join(joinRequest({ requireKnownMemberId: false, clientId: 'b' }));
    const [bId, aId] = [...coordinator.get('g')!.members.keys()].reverse();
    expect(coordinator.get('g')?.state).toBe('PreparingRebalance');
    expect(await leaveOne(coordinator, ref(bId!))).toBe(0);
    expect(coordinator.get('g')?.state).toBe('CompletingRebalance');
    expect(await a).toMatchObject({ errorCode: 0, generationId: 1, leader: aId });
    expect((await b).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });
});
