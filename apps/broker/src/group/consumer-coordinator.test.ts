import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '@tributary/protocol';
import type { HeartbeatRequest, TopicLookup } from './consumer-coordinator.ts';
import { closeCoordinators, coordinatorAt, fresh, joinRequest, subscription, syncOf } from './test-support.ts';
import { PartitionLog } from '../log/partition-log.ts';
import { testOptions } from '../log/test-support.ts';
import { OffsetStore } from './offset-store.ts';

// KIP-848 consumer groups on a real partition log with a driven clock: the heartbeat's rules that
// the differential suite cannot drive (session and revocation timeouts need time to pass), and
// the group's records in __consumer_offsets loaded back by a new coordinator.

afterEach(closeCoordinators);

const TID = '6f1d2c3b-1111-4222-8333-944455556666';
const topics: TopicLookup = { byName: (name) => (name === 't' ? { topicId: TID, partitions: 4 } : undefined), names: () => ['t'] };
const req = (over: Partial<HeartbeatRequest>): HeartbeatRequest => ({
  apiVersion: 1, groupId: 'g', memberId: 'A', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 5_000,
  subscribedTopicNames: ['t'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [], clientId: 'c', clientHost: '/h', ...over,
});
const hb = (over: Partial<HeartbeatRequest>) => ({ memberEpoch: 0, rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: null, ...over });
const owned = (...ps: number[]) => [{ topicId: TID, partitions: ps }];
const parts = (r: { assignment: { topicPartitions: { partitions: number[] }[] } | null }) => r.assignment?.topicPartitions.flatMap((t) => t.partitions) ?? null;

describe('KIP-848 consumer group coordinator', () => {
  it('two members: the second gets its partitions once the first has revoked them', async () => {
    const { coordinator } = fresh();
    const a = await coordinator.consumerGroupHeartbeat(req({}), topics);
    expect({ epoch: a.memberEpoch, parts: parts(a) }).toEqual({ epoch: 2, parts: [0, 1, 2, 3] });
    const b = await coordinator.consumerGroupHeartbeat(req({ memberId: 'B' }), topics);
    expect({ epoch: b.memberEpoch, parts: parts(b) }).toEqual({ epoch: 3, parts: [] });
    const asked = await coordinator.consumerGroupHeartbeat(req(hb({ memberEpoch: 2, topicPartitions: owned(0, 1, 2, 3) })), topics);
    expect({ epoch: asked.memberEpoch, parts: parts(asked) }).toEqual({ epoch: 2, parts: [0, 1] });
    expect(parts(await coordinator.consumerGroupHeartbeat(req(hb({ memberId: 'B', memberEpoch: 3 })), topics))).toEqual(null);
    await coordinator.consumerGroupHeartbeat(req(hb({ memberEpoch: 2, topicPartitions: owned(0, 1) })), topics);
    expect(parts(await coordinator.consumerGroupHeartbeat(req(hb({ memberId: 'B', memberEpoch: 3 })), topics))).toEqual([2, 3]);
  });

  it('a member silent for group.consumer.session.timeout.ms is fenced and its partitions go to the other', async () => {
    const { coordinator, clock } = fresh();
    await coordinator.consumerGroupHeartbeat(req({}), topics);
    await coordinator.consumerGroupHeartbeat(req({ memberId: 'B' }), topics);
    clock.now += 30_000;
    await coordinator.consumerGroupHeartbeat(req(hb({ memberId: 'B', memberEpoch: 3 })), topics);
    clock.now += 20_000; // A: 50 s silent, over the 45 s default; B: 20 s
    coordinator.expireSessions();
    expect((await coordinator.consumerGroupHeartbeat(req(hb({ memberEpoch: 2 })), topics)).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(parts(await coordinator.consumerGroupHeartbeat(req(hb({ memberId: 'B', memberEpoch: 3 })), topics))).toEqual([0, 1, 2, 3]);
  });

  it('the group\'s consumer.session.timeout.ms (a GROUP config the handler passes) replaces the broker\'s for its members', async () => {
    const { coordinator, clock } = fresh();
    await coordinator.consumerGroupHeartbeat(req({ groupSessionTimeoutMs: 10_000 }), topics);
    clock.now += 9_000;
    coordinator.expireSessions();
    expect((await coordinator.consumerGroupHeartbeat(req(hb({ memberEpoch: 2, groupSessionTimeoutMs: 10_000 })), topics)).errorCode).toBe(0);
    clock.now += 11_000;
    coordinator.expireSessions();
    expect((await coordinator.consumerGroupHeartbeat(req(hb({ memberEpoch: 2 })), topics)).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a member that does not revoke within its rebalance timeout is fenced', async () => {
    const { coordinator, clock } = fresh();
    await coordinator.consumerGroupHeartbeat(req({}), topics);
    await coordinator.consumerGroupHeartbeat(req({ memberId: 'B' }), topics);
    await coordinator.consumerGroupHeartbeat(req(hb({ memberEpoch: 2, topicPartitions: owned(0, 1, 2, 3) })), topics);
    clock.now += 4_000;
    coordinator.expireSessions();
    expect((await coordinator.consumerGroupHeartbeat(req(hb({ memberEpoch: 2, topicPartitions: owned(0, 1, 2, 3) })), topics)).errorCode).toBe(0);
    clock.now += 2_000; // 6 s after it was asked, over its 5 s rebalance timeout
    coordinator.expireSessions();
    expect((await coordinator.consumerGroupHeartbeat(req(hb({ memberEpoch: 2 })), topics)).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a new coordinator loads the group from __consumer_offsets: members keep their epochs and assignments and go on', async () => {
    const { coordinator, dir, clock } = fresh();
    await coordinator.consumerGroupHeartbeat(req({}), topics);
    await coordinator.consumerGroupHeartbeat(req({ memberId: 'B', instanceId: 'i-b' }), topics);
    await coordinator.consumerGroupHeartbeat(req(hb({ memberEpoch: 2, topicPartitions: owned(0, 1, 2, 3) })), topics);
    await coordinator.consumerGroupHeartbeat(req(hb({ memberEpoch: 2, topicPartitions: owned(0, 1) })), topics);
    await coordinator.consumerGroupHeartbeat(req(hb({ memberId: 'B', instanceId: 'i-b', memberEpoch: 3 })), topics);
    expect(coordinator.commit('g', { memberId: 'A', groupInstanceId: null }, 3, [{ topic: 't', partition: 0, value: { offset: 7n, leaderEpoch: -1, metadata: '', commitTimestamp: clock.now } }], 9)).toBe(0);
    coordinator.close();

    const reloaded = coordinatorAt(dir, clock);
    const g = reloaded.get('g')!;
    expect(g.consumer?.state).toBe('Stable');
    expect({ groupEpoch: g.consumer!.groupEpoch, assignmentEpoch: g.consumer!.assignmentEpoch }).toEqual({ groupEpoch: 3, assignmentEpoch: 3 });
    expect([...g.consumer!.members.values()].map((m) => ({ id: m.memberId, epoch: m.memberEpoch, instance: m.instanceId, parts: [...(m.assigned.get(TID) ?? [])].sort() }))).toEqual([
      { id: 'A', epoch: 3, instance: null, parts: [0, 1] },
      { id: 'B', epoch: 3, instance: 'i-b', parts: [2, 3] },
    ]);
    // The members heartbeat on at their epochs, without a new group epoch; the commit is there.
    const a = await reloaded.consumerGroupHeartbeat(req(hb({ memberEpoch: 3, topicPartitions: owned(0, 1) })), topics);
    expect({ error: a.errorCode, epoch: a.memberEpoch }).toEqual({ error: 0, epoch: 3 });
    expect(reloaded.committed('g', 't', 0)?.offset).toBe(7n);
    // A member that left and a deleted group stay gone after another load.
    await reloaded.consumerGroupHeartbeat(req(hb({ memberId: 'B', instanceId: 'i-b', memberEpoch: -1 })), topics);
    reloaded.close();
    const third = coordinatorAt(dir, clock);
    expect([...third.get('g')!.consumer!.members.keys()]).toEqual(['A']);
    await third.consumerGroupHeartbeat(req(hb({ memberEpoch: -1 })), topics);
    expect(third.deleteGroup('g')).toBe(0);
    third.close();
    expect(coordinatorAt(dir, clock).get('g')).toBeUndefined();
  });

  describe('regular-expression subscriptions: resolved when Kafka 4.4 resolves them, with the authorization of the heartbeat that triggered it', () => {
    const TX = '7a2e3d4c-2222-4333-8444-955566667777';
    const all = new Map([['t', { topicId: TID, partitions: 4 }], ['tx', { topicId: TX, partitions: 2 }]]);
    // The cluster metadata's version these names are from (etcd's revision in a cluster): written into each resolution's record.
    const live = (names: string[], metadataVersion = 42n): TopicLookup => ({ byName: (n) => (names.includes(n) ? all.get(n) : undefined), names: () => names, metadataVersion: () => metadataVersion });
    const onlyT = (topic: string) => topic === 't';
    const topicsOf = (r: { assignment: { topicPartitions: { topicId: string }[] } | null }) => [...new Set(r.assignment?.topicPartitions.map((t) => (t.topicId === TID ? 't' : 'tx')) ?? [])].sort();
    const join = (memberId: string, canDescribeTopic?: (t: string) => boolean) => req({ memberId, subscribedTopicNames: null, subscribedTopicRegex: 't.*', ...(canDescribeTopic ? { canDescribeTopic } : {}) });
    const beat = (memberId: string, memberEpoch: number, canDescribeTopic?: (t: string) => boolean) => req({ ...hb({ memberId, memberEpoch }), ...(canDescribeTopic ? { canDescribeTopic } : {}) });

    it('a member joining with an expression the group has keeps the first principal\'s resolution until the next refresh (10 min), then gets its own', async () => {
      const { coordinator, clock } = fresh();
      const topics = live(['t', 'tx']);
      const a = await coordinator.consumerGroupHeartbeat(join('A', onlyT), topics);
      // Resolved after A's join (off the request path in Kafka): A's principal may describe t only.
      const a2 = await coordinator.consumerGroupHeartbeat(beat('A', a.memberEpoch, onlyT), topics);
      expect(topicsOf(a2)).toEqual(['t']);
      // B may describe every topic, but joins with the same expression: no refresh, tx is not subscribed.
      clock.now += 1_000;
      const b = await coordinator.consumerGroupHeartbeat(join('B'), topics);
      await coordinator.consumerGroupHeartbeat(beat('B', b.memberEpoch), topics);
      expect(coordinator.get('g')!.consumer!.matchedTopicNames).toEqual(new Set(['t']));
      // group.consumer.regex.refresh.interval.ms later B's heartbeat triggers the refresh, with B's rights: tx joins.
      clock.now += 600_001;
      await coordinator.consumerGroupHeartbeat(beat('B', b.memberEpoch), topics);
      await coordinator.consumerGroupHeartbeat(beat('A', a2.memberEpoch, onlyT), topics);
      expect(coordinator.get('g')!.consumer!.matchedTopicNames).toEqual(new Set(['t', 'tx']));
    });

    it('a topic created after the last resolution is matched from the first heartbeat 10 s after it', async () => {
      const { coordinator, clock } = fresh();
      const a = await coordinator.consumerGroupHeartbeat(join('A'), live(['t']));
      const a2 = await coordinator.consumerGroupHeartbeat(beat('A', a.memberEpoch), live(['t']));
      expect(topicsOf(a2)).toEqual(['t']);
      clock.now += 5_000;
      await coordinator.consumerGroupHeartbeat(beat('A', a2.memberEpoch), live(['t', 'tx']));
      expect(coordinator.get('g')!.consumer!.matchedTopicNames).toEqual(new Set(['t']));
      clock.now += 5_001; // over 10 s after the last resolution: this heartbeat triggers one, the next sees it
      await coordinator.consumerGroupHeartbeat(beat('A', a2.memberEpoch), live(['t', 'tx']));
      const a3 = await coordinator.consumerGroupHeartbeat(beat('A', a2.memberEpoch), live(['t', 'tx']));
      expect({ epoch: a3.memberEpoch, topics: topicsOf(a3) }).toEqual({ epoch: a2.memberEpoch + 1, topics: ['t', 'tx'] });
    });
    /** The type-16 records in the coordinator's log, in order (ConsumerGroupRegularExpression, Kafka's format). */
    const regexRecords = (dir: string) => {
      const log = new PartitionLog(dir, testOptions);
      try {
        return new OffsetStore(log).replay().records.flatMap((r) => (r.kind === 'cg-regex' ? [{ regex: r.regex, topics: r.value?.topics ?? null, at: r.value?.timestamp ?? null, version: r.value?.version ?? null }] : []));
      } finally {
        log.close();
      }
    };

    it('resolutions are persisted (type 16) and stand after a load: no re-resolution with the next principal\'s rights; tombstoned once no member uses the expression', async () => {
      const { coordinator, clock, dir } = fresh();
      const topics = live(['t', 'tx']);
      const a = await coordinator.consumerGroupHeartbeat(join('A', onlyT), topics);
      const resolvedAt = clock.now;
      const a2 = await coordinator.consumerGroupHeartbeat(beat('A', a.memberEpoch, onlyT), topics);
      expect(topicsOf(a2)).toEqual(['t']);
      // The version is the metadata's at the resolution, as Kafka writes its image's offset (before: -1).
      expect(regexRecords(dir)).toEqual([{ regex: 't.*', topics: ['t'], at: resolvedAt, version: 42n }]);
      coordinator.close();

      // A new coordinator (failover): B, who may describe every topic, joins with the same expression
      // within the refresh interval. Before persistence the first heartbeat resolved it again, with B's rights.
      clock.now += 1_000;
      const reloaded = coordinatorAt(dir, clock);
      expect(reloaded.get('g')!.consumer!.resolvedRegexes).toEqual(new Map([['t.*', new Set(['t'])]]));
      const b = await reloaded.consumerGroupHeartbeat(join('B'), topics);
      await reloaded.consumerGroupHeartbeat(beat('B', b.memberEpoch), topics);
      const a3 = await reloaded.consumerGroupHeartbeat(beat('A', a2.memberEpoch, onlyT), topics);
      expect(a3.errorCode).toBe(0);
      expect(reloaded.get('g')!.consumer!.matchedTopicNames).toEqual(new Set(['t']));
      // Nothing was resolved again: the loaded record is the only one.
      expect(regexRecords(dir)).toHaveLength(1);

      // Both members move to topic names: the expression is no longer used, its record is tombstoned.
      await reloaded.consumerGroupHeartbeat(req({ ...beat('A', a3.memberEpoch, onlyT), subscribedTopicNames: ['t'], subscribedTopicRegex: '' }), topics);
      expect(regexRecords(dir)).toHaveLength(1);
      await reloaded.consumerGroupHeartbeat(req({ ...beat('B', b.memberEpoch), subscribedTopicNames: ['t'], subscribedTopicRegex: '' }), topics);
      expect(regexRecords(dir).at(-1)).toEqual({ regex: 't.*', topics: null, at: null, version: null });
      reloaded.close();
      expect(coordinatorAt(dir, clock).get('g')!.consumer!.resolvedRegexes.size).toBe(0);
    });

    it('a refresh is applied and persisted right after the request that triggered it, not at the next one: a coordinator lost before the next heartbeat keeps it', async () => {
      const { coordinator, clock, dir } = fresh();
      const topics = live(['t', 'tx']);
      const a = await coordinator.consumerGroupHeartbeat(join('A', onlyT), topics);
      const epoch = coordinator.get('g')!.consumer!.groupEpoch;
      // Kafka's resolution runs off the request path: once it is done, its record is written and the
      // group epoch bumped (its topics joined the subscription), before any other request.
      await new Promise((r) => setImmediate(r));
      expect({ records: regexRecords(dir).map((r) => r.topics), epoch: coordinator.get('g')!.consumer!.groupEpoch }).toEqual({ records: [['t']], epoch: epoch + 1 });
      coordinator.close();
      const reloaded = coordinatorAt(dir, clock);
      // Everything may DESCRIBE tx now, but the resolution stands: no refresh within 10 s of it.
      const a2 = await reloaded.consumerGroupHeartbeat(beat('A', a.memberEpoch), topics);
      expect(topicsOf(a2)).toEqual(['t']);
    });

    it('after a load, a topic created later is matched from the first heartbeat 10 s after the persisted resolution', async () => {
      const { coordinator, clock, dir } = fresh();
      const a = await coordinator.consumerGroupHeartbeat(join('A'), live(['t']));
      const a2 = await coordinator.consumerGroupHeartbeat(beat('A', a.memberEpoch), live(['t']));
      coordinator.close();
      const reloaded = coordinatorAt(dir, clock);
      clock.now += 2_000;
      // The topics that exist at the first heartbeat after the load count as known (as Kafka's new coordinator).
      await reloaded.consumerGroupHeartbeat(beat('A', a2.memberEpoch), live(['t']));
      clock.now += 8_001;
      await reloaded.consumerGroupHeartbeat(beat('A', a2.memberEpoch), live(['t', 'tx']));
      const a3 = await reloaded.consumerGroupHeartbeat(beat('A', a2.memberEpoch), live(['t', 'tx']));
      expect({ epoch: a3.memberEpoch, topics: topicsOf(a3) }).toEqual({ epoch: a2.memberEpoch + 1, topics: ['t', 'tx'] });
      expect(regexRecords(dir).map((r) => r.topics)).toEqual([['t'], ['t', 'tx']]);
    });
  });

  describe('classic members in a consumer group (online migration)', () => {
    // A consumer-protocol member A with all partitions, then a classic member C (session 10 s, rebalance timeout 5 s).
    const mixed = async (coordinator: ReturnType<typeof fresh>['coordinator']) => {
      await coordinator.consumerGroupHeartbeat(req({}), topics);
      const joined = await coordinator.join(joinRequest({ memberId: 'C', protocols: [{ name: 'range', metadata: subscription('t') }] }), topics);
      expect({ error: joined.errorCode, generation: joined.generationId }).toEqual({ error: 0, generation: 3 });
      return joined;
    };

    it('a classic member told to rejoin that does not within its rebalance timeout is removed', async () => {
      const { coordinator, clock } = fresh();
      await mixed(coordinator);
      // C waits for partitions A still holds; once A revoked them, C is told to rejoin.
      await coordinator.consumerGroupHeartbeat(req(hb({ memberEpoch: 2, topicPartitions: owned(0, 1, 2, 3) })), topics);
      await coordinator.consumerGroupHeartbeat(req(hb({ memberEpoch: 2, topicPartitions: owned(0, 1) })), topics);
      expect(await coordinator.heartbeat('g', { memberId: 'C', groupInstanceId: null }, 3)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
      clock.now += 4_000;
      coordinator.expireSessions();
      expect([...coordinator.get('g')!.consumer!.members.keys()].sort()).toEqual(['A', 'C']);
      clock.now += 2_000;
      coordinator.expireSessions();
      expect([...coordinator.get('g')!.consumer!.members.keys()]).toEqual(['A']);
    });

    it('a classic member\'s session is its JoinGroup session timeout, not group.consumer.session.timeout.ms', async () => {
      const { coordinator, clock } = fresh();
      const joined = await mixed(coordinator);
      expect((await coordinator.sync('g', { memberId: 'C', groupInstanceId: null }, syncOf(joined.generationId, []), topics)).errorCode).toBe(0);
      // A revokes what C is to get and heartbeats on; C stays silent.
      await coordinator.consumerGroupHeartbeat(req(hb({ memberEpoch: 2, topicPartitions: owned(0, 1, 2, 3) })), topics);
      const a = await coordinator.consumerGroupHeartbeat(req(hb({ memberEpoch: 2, topicPartitions: owned(0, 1) })), topics);
      for (let i = 0; i < 3; i++) {
        clock.now += 4_000;
        await coordinator.consumerGroupHeartbeat(req(hb({ memberEpoch: a.memberEpoch, topicPartitions: owned(0, 1) })), topics);
        coordinator.expireSessions();
        expect([...coordinator.get('g')!.consumer!.members.keys()].sort(), `after ${(i + 1) * 4} s`).toEqual(i < 2 ? ['A', 'C'] : ['A']);
      }
    });

    it('a new coordinator loads the classic member with its protocol and session; it heartbeats on at its generation', async () => {
      const { coordinator, clock, dir } = fresh();
      const joined = await mixed(coordinator);
      coordinator.close();
      const reloaded = coordinatorAt(dir, clock);
      const c = reloaded.get('g')!.consumer!.members.get('C')!;
      expect({ session: c.sessionTimeoutMs, protocols: c.classic?.protocols.map((p) => p.name), epoch: c.memberEpoch }).toEqual({ session: 10_000, protocols: ['range'], epoch: joined.generationId });
      expect(await reloaded.heartbeat('g', { memberId: 'C', groupInstanceId: null }, joined.generationId)).toBe(0);
      // The last consumer-protocol member leaves: the group is classic again, rebalancing.
      await reloaded.consumerGroupHeartbeat(req(hb({ memberEpoch: -1 })), topics);
      const g = reloaded.get('g')!;
      expect({ consumer: g.consumer, state: g.state, members: [...g.members.keys()] }).toEqual({ consumer: null, state: 'PreparingRebalance', members: ['C'] });
    });

    it('with group.consumer.migration.policy=disabled a classic member may not join a consumer group, nor a consumer-protocol member convert a classic group (INCONSISTENT_GROUP_PROTOCOL, GROUP_ID_NOT_FOUND as Kafka 4.4)', async () => {
      const clock = { now: 1_000_000 };
      const { dir } = fresh();
      const coordinator = coordinatorAt(dir, clock, { migrationPolicy: 'disabled' });
      await coordinator.consumerGroupHeartbeat(req({}), topics);
      const joined = await coordinator.join(joinRequest({ memberId: 'C', protocols: [{ name: 'range', metadata: subscription('t') }] }), topics);
      expect(joined.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      // A classic group with a member (its first generation done after the initial rebalance delay).
      expect((await coordinator.join(joinRequest({ groupId: 'k', memberId: '', requireKnownMemberId: false, protocols: [{ name: 'range', metadata: subscription('t') }] }), topics)).errorCode).toBe(0);
      const upgrade = await coordinator.consumerGroupHeartbeat(req({ groupId: 'k', memberId: 'X' }), topics);
      expect({ error: upgrade.errorCode, message: upgrade.errorMessage }).toEqual({ error: ErrorCode.GROUP_ID_NOT_FOUND, message: 'Cannot upgrade classic group k to consumer group because online upgrade is disabled.' });
    });
  });
});
