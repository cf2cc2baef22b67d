import { connect as netConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { ApiKey, encodeRequest, type FindCoordinatorResponse, type JoinGroupResponse } from '@tributary/protocol';
import { advertised, common, expectCovered, tributaryOnly, type Advertised } from './coverage.ts';
import { batch, compare, createTopic, produceOk, producerIdsReady, startPair, upsertScramUser, type Pair, type Side } from './harness.ts';
import { assignment, commitBody, fetchOffsetsBody, join, joinBody, syncBody } from './group-requests.ts';
import type { RawClient } from './raw-client.ts';

/**
 * Differential scenarios for the classic group coordinator, SASL, SCRAM credentials, ACLs and
 * client quotas: the same raw requests to Apache Kafka 4.4.0 and to Tributary.
 */

let pair: Pair;
let adv: Advertised;
let T0: number;

beforeAll(async () => {
  // Connection limits set on both (test 'Connection limits'): only connections from 127.0.0.3 are
  // limited in number, and the listener-prefixed ones are far above what the file opens.
  pair = await startPair({ settings: CONNECTION_LIMIT_SETTINGS });
  adv = await advertised(pair);
  T0 = pair.runStart - 10 * 60_000;
  // Both need __consumer_offsets before group answers are comparable: Kafka creates it on the first FindCoordinator.
  for (const s of [pair.kafka, pair.tributary]) await coordinatorReady(s);
  await producerIdsReady(pair);
}, 180_000);
afterAll(async () => {
  await pair?.stop();
});

const CONNECTION_LIMIT_SETTINGS = {
  'max.connections.per.ip.overrides': '127.0.0.3:2',
  'listener.name.sasl_plaintext.max.connections': '1000',
  'listener.name.sasl_plaintext.max.connection.creation.rate': '100000',
};

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const both = async (fn: (s: Side) => Promise<void>) => {
  await fn(pair.kafka);
  await fn(pair.tributary);
};
const send = async (s: Side, apiKey: number, v: number, body: unknown) => (await s.client()).send(apiKey, v, body);

async function coordinatorReady(s: Side): Promise<void> {
  const c = await s.client();
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await c.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 3, { key: 'warm-up', keyType: 0 });
    if (r.errorCode === 0) return;
    if (Date.now() > deadline) throw new Error(`${s.name}: no group coordinator within 30 s (error ${r.errorCode})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const stripJoin = (r: JoinGroupResponse) => r; // normalise.ts already replaces member-id uuids

describe('differential: Apache Kafka 4.4.0 vs Tributary — groups, SASL, SCRAM, ACLs, quotas', { timeout: 240_000 }, () => {
  it('FindCoordinator at every version: groups, transactions, batched keys', async () => {
    for (const v of common(adv, ApiKey.FindCoordinator)) {
      await compare(pair, `find-coordinator/v${v}`, async (s) => ({
        group: await send(s, ApiKey.FindCoordinator, v, v >= 4 ? { keyType: 0, coordinatorKeys: ['g-a', 'g-b'] } : { key: 'g-a', ...(v >= 1 ? { keyType: 0 } : {}) }),
        transaction: v >= 1 ? await send(s, ApiKey.FindCoordinator, v, v >= 4 ? { keyType: 1, coordinatorKeys: ['tx-a'] } : { key: 'tx-a', keyType: 1 }) : null,
        invalidType: v >= 1 ? await send(s, ApiKey.FindCoordinator, v, v >= 4 ? { keyType: 9, coordinatorKeys: ['x'] } : { key: 'x', keyType: 9 }) : null,
      }));
    }
  });

  it('JoinGroup at every version for one member, then SyncGroup, Heartbeat, OffsetCommit, OffsetFetch, DescribeGroups, LeaveGroup at every version', async () => {
    await both((s) => createTopic(s, 'grp-t', 2));
    for (const v of common(adv, ApiKey.JoinGroup)) {
      await compare(pair, `join-group/v${v}/single-member`, async (s) => {
        const c = await s.connect();
        try {
          const { first, res } = await join(c, v, `gj-${v}`, ['grp-t']);
          const sv = Math.min(v, 5);
          const sync = await c.send(ApiKey.SyncGroup, sv, syncBody(sv, `gj-${v}`, res.generationId, res.memberId, [{ memberId: res.memberId, assignment: assignment({ 'grp-t': [0, 1] }) }]));
          return { first, join: stripJoin(res), sync };
        } finally {
          c.close();
        }
      });
    }
    for (const v of tributaryOnly(adv, ApiKey.JoinGroup)) {
      await compare(pair, `removed-version/join-group/v${v}`, async (s) => {
        const c = await s.connect();
        try {
          return (await c.send(ApiKey.JoinGroup, v, joinBody(v, '', '', ['grp-t'], { sessionMs: 10_000 }))).kind;
        } finally {
          c.close();
        }
      });
    }
    // A stable one-member group to sweep the other APIs' versions over.
    const member = new Map<string, { c: RawClient; memberId: string; generation: number }>();
    await both(async (s) => {
      const c = await s.connect();
      const { res } = await join(c, 9, 'gs', ['grp-t']);
      await c.request(ApiKey.SyncGroup, 5, syncBody(5, 'gs', res.generationId, res.memberId, [{ memberId: res.memberId, assignment: assignment({ 'grp-t': [0, 1] }) }]));
      member.set(s.name, { c, memberId: res.memberId, generation: res.generationId });
    });
    for (const v of common(adv, ApiKey.SyncGroup)) {
      await compare(pair, `sync-group/v${v}/rejoin`, async (s) => {
        const m = member.get(s.name)!;
        const { res } = await join(m.c, 9, 'gs', ['grp-t'], m.memberId);
        m.generation = res.generationId;
        return { join: res, sync: await m.c.send(ApiKey.SyncGroup, v, syncBody(v, 'gs', res.generationId, m.memberId, [{ memberId: m.memberId, assignment: assignment({ 'grp-t': [0, 1] }) }])) };
      });
    }
    for (const v of common(adv, ApiKey.Heartbeat)) {
      await compare(pair, `heartbeat/v${v}`, async (s) => {
        const m = member.get(s.name)!;
        const hb = (generationId: number, memberId: string, group = 'gs') => m.c.send(ApiKey.Heartbeat, v, { groupId: group, generationId, memberId, ...(v >= 3 ? { groupInstanceId: null } : {}) });
        return { ok: await hb(m.generation, m.memberId), staleGeneration: await hb(m.generation - 1, m.memberId), unknownMember: await hb(m.generation, 'nobody'), unknownGroup: await hb(1, 'nobody', 'gs-none') };
      });
    }
    // v10 names topics by id: each broker's own id of grp-t, and an id neither knows.
    const grpT = new Map<string, string>();
    await both(async (s) => {
      const md = await (await s.client()).request<{ topics: { name: string; topicId: string }[] }>(ApiKey.Metadata, 12, { topics: [{ name: 'grp-t', topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      grpT.set(s.name, md.topics[0]!.topicId);
    });
    const NO_SUCH_ID = '5b3c0f2e-7a91-4d6e-9c1a-2f8e4b7d6a10';
    for (const v of common(adv, ApiKey.OffsetCommit)) {
      await compare(pair, `offset-commit/v${v}`, async (s) => {
        const m = member.get(s.name)!;
        const id = grpT.get(s.name)!;
        return {
          ok: await m.c.send(ApiKey.OffsetCommit, v, commitBody(v, 'gs', m.generation, m.memberId, 'grp-t', [[0, BigInt(v)], [1, 7n]], id)),
          unknownPartition: await m.c.send(ApiKey.OffsetCommit, v, commitBody(v, 'gs', m.generation, m.memberId, 'grp-t', [[9, 1n]], id)),
          unknownTopic: await m.c.send(ApiKey.OffsetCommit, v, commitBody(v, 'gs', m.generation, m.memberId, 'grp-none', [[0, 1n]], NO_SUCH_ID)),
          staleGeneration: await m.c.send(ApiKey.OffsetCommit, v, commitBody(v, 'gs', m.generation - 1, m.memberId, 'grp-t', [[0, 1n]], id)),
          unknownMember: await m.c.send(ApiKey.OffsetCommit, v, commitBody(v, 'gs', m.generation, 'nobody', 'grp-t', [[0, 1n]], id)),
          simpleOnLiveGroup: await m.c.send(ApiKey.OffsetCommit, v, commitBody(v, 'gs', -1, '', 'grp-t', [[0, 1n]], id)),
          simpleOnNewGroup: await m.c.send(ApiKey.OffsetCommit, v, commitBody(v, `simple-${v}`, -1, '', 'grp-t', [[0, 3n]], id)),
          // Only an unknown topic: Kafka answers before its coordinator sees the request, so the
          // group is not created (Dead below) and nothing waits.
          unknownTopicOnNewGroup: await m.c.send(ApiKey.OffsetCommit, v, commitBody(v, `nothing-${v}`, -1, '', 'grp-none', [[0, 1n]], NO_SUCH_ID)),
          notCreated: await m.c.send(ApiKey.DescribeGroups, 5, { groups: [`nothing-${v}`], includeAuthorizedOperations: false }),
        };
      });
    }
    for (const v of tributaryOnly(adv, ApiKey.OffsetCommit)) {
      await compare(pair, `removed-version/offset-commit/v${v}`, async (s) => {
        const c = await s.connect();
        try {
          const kind = (await c.send(ApiKey.OffsetCommit, v, commitBody(v, 'old-probe', -1, '', 'grp-t', [[0, 1n]]))).kind;
          // Leave no group behind on the broker that accepted the old version (later scenarios list groups).
          await (await s.client()).send(ApiKey.DeleteGroups, 2, { groupsNames: ['old-probe'] });
          return kind;
        } finally {
          c.close();
        }
      });
    }
    for (const v of common(adv, ApiKey.OffsetFetch)) {
      await compare(pair, `offset-fetch/v${v}`, async (s) => {
        const m = member.get(s.name)!;
        return {
          some: await m.c.send(ApiKey.OffsetFetch, v, fetchOffsetsBody(v, 'gs', [{ name: 'grp-t', topicId: grpT.get(s.name)!, partitionIndexes: [0, 1, 5] }, { name: 'grp-none', topicId: NO_SUCH_ID, partitionIndexes: [0] }])),
          all: v >= 2 ? await m.c.send(ApiKey.OffsetFetch, v, fetchOffsetsBody(v, 'gs', null)) : null,
          unknownGroup: await m.c.send(ApiKey.OffsetFetch, v, fetchOffsetsBody(v, 'gs-none', [{ name: 'grp-t', topicId: grpT.get(s.name)!, partitionIndexes: [0] }])),
        };
      });
    }
    for (const v of tributaryOnly(adv, ApiKey.OffsetFetch)) {
      await compare(pair, `removed-version/offset-fetch/v${v}`, async (s) => {
        const c = await s.connect();
        try {
          return (await c.send(ApiKey.OffsetFetch, v, fetchOffsetsBody(v, 'gs', [{ name: 'grp-t', partitionIndexes: [0] }]))).kind;
        } finally {
          c.close();
        }
      });
    }
    for (const v of common(adv, ApiKey.DescribeGroups)) {
      await compare(pair, `describe-groups/v${v}`, async (s) => send(s, ApiKey.DescribeGroups, v, { groups: ['gs', 'gs-none', `simple-${common(adv, ApiKey.OffsetCommit)[0]}`], ...(v >= 3 ? { includeAuthorizedOperations: false } : {}) }));
      // KIP-430 as the super user: every operation of a group, DESCRIBE_CONFIGS and ALTER_CONFIGS
      // (KIP-848's group configs) included, also for a group that does not exist (before v6).
      if (v >= 3) await compare(pair, `describe-groups/authorized-operations/v${v}`, async (s) => send(s, ApiKey.DescribeGroups, v, { groups: ['gs', 'gs-none'], includeAuthorizedOperations: true }));
    }
    for (const v of common(adv, ApiKey.ListGroups)) {
      await compare(pair, `list-groups/v${v}`, async (s) => {
        const all = await send(s, ApiKey.ListGroups, v, { ...(v >= 4 ? { statesFilter: [] } : {}), ...(v >= 5 ? { typesFilter: [] } : {}) });
        const stable = v >= 4 ? await send(s, ApiKey.ListGroups, v, { statesFilter: ['Stable'], ...(v >= 5 ? { typesFilter: [] } : {}) }) : null;
        const consumerType = v >= 5 ? await send(s, ApiKey.ListGroups, v, { statesFilter: [], typesFilter: ['consumer'] }) : null;
        const classicType = v >= 5 ? await send(s, ApiKey.ListGroups, v, { statesFilter: [], typesFilter: ['classic'] }) : null;
        return { all, stable, consumerType, classicType };
      });
    }
    for (const v of common(adv, ApiKey.LeaveGroup)) {
      await compare(pair, `leave-group/v${v}`, async (s) => {
        const c = await s.connect();
        try {
          const group = `gl-${v}`;
          const { res } = await join(c, 9, group, ['grp-t']);
          await c.request(ApiKey.SyncGroup, 5, syncBody(5, group, res.generationId, res.memberId, [{ memberId: res.memberId, assignment: assignment({ 'grp-t': [0] }) }]));
          const leave = (memberId: string) => c.send(ApiKey.LeaveGroup, v, v >= 3 ? { groupId: group, members: [{ memberId, groupInstanceId: null, ...(v >= 5 ? { reason: 'test' } : {}) }] } : { groupId: group, memberId });
          const unknown = await leave('nobody');
          const ok = await leave(res.memberId);
          const describe = await c.send(ApiKey.DescribeGroups, 5, { groups: [group], includeAuthorizedOperations: false });
          return { unknown, ok, describe };
        } finally {
          c.close();
        }
      });
    }
    for (const m of member.values()) m.c.close();
  });

  it('JoinGroup and SyncGroup error paths', async () => {
    await compare(pair, 'join-group-error/invalid', async (s) => {
      const c = await s.connect();
      try {
        return {
          emptyGroupId: await c.send(ApiKey.JoinGroup, 9, joinBody(9, '', '', ['grp-t'])),
          sessionTooShort: await c.send(ApiKey.JoinGroup, 9, joinBody(9, 'gerr', '', ['grp-t'], { sessionMs: 1 })),
          sessionTooLong: await c.send(ApiKey.JoinGroup, 9, joinBody(9, 'gerr', '', ['grp-t'], { sessionMs: 10 * 3600_000 })),
          unknownMemberId: await c.send(ApiKey.JoinGroup, 9, joinBody(9, 'gerr-2', 'made-up-member', ['grp-t'])),
          noProtocols: await c.send(ApiKey.JoinGroup, 9, { ...joinBody(9, 'gerr-3', '', ['grp-t']), protocols: [] }),
          emptyProtocolType: await c.send(ApiKey.JoinGroup, 9, joinBody(9, 'gerr-4', '', ['grp-t'], { protocolType: '' })),
        };
      } finally {
        c.close();
      }
    });
    await compare(pair, 'join-group-error/inconsistent-protocol', async (s) => {
      const a = await s.connect();
      const b = await s.connect();
      try {
        const { res } = await join(a, 9, 'gproto', ['grp-t']);
        await a.request(ApiKey.SyncGroup, 5, syncBody(5, 'gproto', res.generationId, res.memberId, [{ memberId: res.memberId, assignment: assignment({}) }]));
        return { other: await b.send(ApiKey.JoinGroup, 9, joinBody(9, 'gproto', '', ['grp-t'], { protocolType: 'connect' })) };
      } finally {
        a.close();
        b.close();
      }
    });
    await compare(pair, 'offset-commit-error/empty-group-id', async (s) => ({
      commit: await send(s, ApiKey.OffsetCommit, 8, commitBody(8, '', -1, '', 'grp-t', [[0, 1n]])),
      fetch: await send(s, ApiKey.OffsetFetch, 8, fetchOffsetsBody(8, '', null)),
    }));
    await compare(pair, 'sync-group-error/unknown', async (s) => {
      const c = await s.connect();
      try {
        return {
          unknownGroup: await c.send(ApiKey.SyncGroup, 5, syncBody(5, 'gsync-none', 1, 'nobody', [])),
          unknownMember: await c.send(ApiKey.SyncGroup, 5, syncBody(5, 'gs', 1, 'nobody', [])),
        };
      } finally {
        c.close();
      }
    });
  });

  it('Rebalance with two members: commits during PreparingRebalance and CompletingRebalance, changed subscriptions, generations and assignments', async () => {
    await both(async (s) => {
      await createTopic(s, 'rb-a', 2);
      await createTopic(s, 'rb-b', 2);
    });
    await compare(pair, 'rebalance/two-members', async (s) => {
      const a = await s.connect(undefined, 30_000);
      const b = await s.connect(undefined, 30_000);
      const out: Record<string, unknown> = {};
      try {
        const g = 'grb';
        const ja = await join(a, 5, g, ['rb-a']);
        out.aJoin1 = ja.res;
        out.aSync1 = await a.send(ApiKey.SyncGroup, 3, syncBody(3, g, ja.res.generationId, ja.res.memberId, [{ memberId: ja.res.memberId, assignment: assignment({ 'rb-a': [0, 1] }) }]));
        // b asks for its member id, then joins: the group goes to PreparingRebalance and b's JoinGroup waits for a.
        const bFirst = await b.request<JoinGroupResponse>(ApiKey.JoinGroup, 5, joinBody(5, g, '', ['rb-a']));
        out.bFirst = bFirst;
        const bJoin = b.request<JoinGroupResponse>(ApiKey.JoinGroup, 5, joinBody(5, g, bFirst.memberId, ['rb-a']));
        out.stateAfterSecondJoin = await waitForState(s, g, 'PreparingRebalance');
        out.describePreparing = await send(s, ApiKey.DescribeGroups, 5, { groups: [g], includeAuthorizedOperations: false });
        // What a consumer does as it revokes: commit with the old generation while the group prepares (Kafka accepts it).
        out.aCommitPreparing = await a.send(ApiKey.OffsetCommit, 8, commitBody(8, g, ja.res.generationId, ja.res.memberId, 'rb-a', [[0, 5n], [1, 6n]]));
        out.aHeartbeatPreparing = await a.send(ApiKey.Heartbeat, 4, { groupId: g, generationId: ja.res.generationId, memberId: ja.res.memberId, groupInstanceId: null });
        const aJoin2 = await join(a, 5, g, ['rb-a'], ja.res.memberId);
        const bJoin2 = await bJoin;
        const leader = aJoin2.res.leader === ja.res.memberId ? 'a' : 'b';
        out.leader = leader;
        out.aJoin2 = { ...aJoin2.res, members: aJoin2.res.members.length };
        out.bJoin2 = { ...bJoin2, members: bJoin2.members.length };
        // The follower's SyncGroup waits for the leader's; meanwhile the group is CompletingRebalance.
        const [leaderC, leaderJ, followerC, followerJ] = leader === 'a' ? [a, aJoin2.res, b, bJoin2] : [b, bJoin2, a, aJoin2.res];
        const followerSync = followerC.send(ApiKey.SyncGroup, 3, syncBody(3, g, followerJ.generationId, followerJ.memberId, []));
        out.describeCompleting = await send(s, ApiKey.DescribeGroups, 5, { groups: [g], includeAuthorizedOperations: false });
        out.commitCompleting = await leaderC.send(ApiKey.OffsetCommit, 8, commitBody(8, g, leaderJ.generationId, leaderJ.memberId, 'rb-a', [[0, 8n]]));
        out.leaderSync = await leaderC.send(ApiKey.SyncGroup, 3, syncBody(3, g, leaderJ.generationId, leaderJ.memberId, [{ memberId: leaderJ.memberId, assignment: assignment({ 'rb-a': [0] }) }, { memberId: followerJ.memberId, assignment: assignment({ 'rb-a': [1] }) }]));
        out.followerSync = await followerSync;
        out.committed = await send(s, ApiKey.OffsetFetch, 8, fetchOffsetsBody(8, g, null));
        // The follower changes its subscription: Kafka starts a rebalance (a new generation).
        const followerRejoin = join(followerC, 5, g, ['rb-a', 'rb-b'], followerJ.memberId);
        out.stateAfterSubscriptionChange = await waitForState(s, g, 'PreparingRebalance');
        const leaderRejoin = await join(leaderC, 5, g, ['rb-a'], leaderJ.memberId);
        const fr = await followerRejoin;
        out.afterSubscriptionChange = { leaderGeneration: leaderRejoin.res.generationId, followerGeneration: fr.res.generationId, leaderSees: leaderRejoin.res.members.map((m) => m.metadata.toString('hex')).sort() }; // member order in JoinGroup is not a contract
        out.describeAfter = await send(s, ApiKey.DescribeGroups, 5, { groups: [g], includeAuthorizedOperations: false });
        return out;
      } catch (err) {
        // A step that got no answer (a JoinGroup the coordinator never completes) ends the scenario: what happened so far is compared.
        out.stoppedBy = (err as Error).message;
        return out;
      } finally {
        a.close();
        b.close();
      }
    });
  }, 120_000);

  it('DeleteGroups and OffsetDelete at every version, and their errors', async () => {
    await both(async (s) => {
      await createTopic(s, 'del-t', 1);
      await produceOk(s, 'del-t', 0, batch([{ key: 'k', value: 'v' }], { baseTimestamp: T0 }));
    });
    for (const v of common(adv, ApiKey.OffsetDelete)) {
      await compare(pair, `offset-delete/v${v}`, async (s) => {
        const c = await s.client();
        await c.request(ApiKey.OffsetCommit, 8, commitBody(8, 'god', -1, '', 'del-t', [[0, 1n]]));
        return {
          ok: await c.send(ApiKey.OffsetDelete, v, { groupId: 'god', topics: [{ name: 'del-t', partitions: [{ partitionIndex: 0 }, { partitionIndex: 3 }] }] }),
          unknownGroup: await c.send(ApiKey.OffsetDelete, v, { groupId: 'god-none', topics: [{ name: 'del-t', partitions: [{ partitionIndex: 0 }] }] }),
          after: await c.send(ApiKey.OffsetFetch, 8, fetchOffsetsBody(8, 'god', null)),
        };
      });
    }
    for (const v of common(adv, ApiKey.DeleteGroups)) {
      await compare(pair, `delete-groups/v${v}`, async (s) => {
        const c = await s.client();
        const live = await s.connect();
        try {
          await c.request(ApiKey.OffsetCommit, 8, commitBody(8, `gd-${v}`, -1, '', 'del-t', [[0, 1n]]));
          const { res } = await join(live, 9, `gd-live-${v}`, ['del-t']);
          await live.request(ApiKey.SyncGroup, 5, syncBody(5, `gd-live-${v}`, res.generationId, res.memberId, [{ memberId: res.memberId, assignment: assignment({ 'del-t': [0] }) }]));
          return { deleted: await c.send(ApiKey.DeleteGroups, v, { groupsNames: [`gd-${v}`, `gd-live-${v}`, 'gd-none', ''] }) };
        } finally {
          live.close();
        }
      });
    }
  });

  it('SASL: handshakes and authentication at every version, on PLAINTEXT and SASL listeners', async () => {
    for (const v of common(adv, ApiKey.SaslHandshake)) {
      await compare(pair, `sasl-handshake/v${v}/plaintext-listener`, async (s) => {
        const c = await s.connect();
        try {
          return await c.send(ApiKey.SaslHandshake, v, { mechanism: 'SCRAM-SHA-256' });
        } finally {
          c.close();
        }
      });
      await compare(pair, `sasl-handshake/v${v}/unknown-mechanism`, async (s) => {
        const c = await (await import('./raw-client.ts')).RawClient.connect(s.saslBootstrap, s.name);
        try {
          return await c.send(ApiKey.SaslHandshake, v, { mechanism: 'GSSAPI' });
        } finally {
          c.close();
        }
      });
    }
    for (const v of common(adv, ApiKey.SaslAuthenticate)) {
      await compare(pair, `sasl-authenticate/v${v}`, async (s) => {
        const { RawClient } = await import('./raw-client.ts');
        const { ScramClient } = await import('@tributary/protocol');
        const plain = await s.connect();
        const onPlaintext = await plain.send(ApiKey.SaslAuthenticate, v, { authBytes: Buffer.from('x') });
        plain.close();
        const c = await RawClient.connect(s.saslBootstrap, s.name);
        try {
          await c.request(ApiKey.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-512' });
          const scram = new ScramClient('SCRAM-SHA-512', 'admin', 'wrong-password');
          const first = await c.request<{ errorCode: number; authBytes: Buffer }>(ApiKey.SaslAuthenticate, v, { authBytes: scram.first() });
          const wrong = await c.send(ApiKey.SaslAuthenticate, v, { authBytes: scram.final(first.authBytes) });
          const norm = (o: typeof wrong) => (o.kind === 'response' ? { errorCode: (o.body as { errorCode: number }).errorCode } : o);
          return { onPlaintext, firstError: first.errorCode, wrong: norm(wrong) };
        } finally {
          c.close();
        }
      });
    }
    await compare(pair, 'sasl/unknown-user-and-good-login', async (s) => {
      const { RawClient } = await import('./raw-client.ts');
      const bad = await RawClient.connect(s.saslBootstrap, s.name).then(async (c) => {
        try {
          await c.login({ mechanism: 'SCRAM-SHA-256', username: 'nobody', password: 'x' });
          return 'logged in';
        } catch (err) {
          return String((err as Error).message);
        } finally {
          c.close();
        }
      });
      const good = await RawClient.connect(s.saslBootstrap, s.name, { sasl: { mechanism: 'SCRAM-SHA-256', username: 'admin', password: 'admin-secret' } });
      const md = await good.send(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false });
      good.close();
      return { bad, metadataAfterLogin: md.kind };
    });
  });

  it('SCRAM credentials: AlterUserScramCredentials and DescribeUserScramCredentials at every version, with errors', async () => {
    for (const v of common(adv, ApiKey.AlterUserScramCredentials)) {
      await compare(pair, `alter-user-scram-credentials/v${v}`, async (s) => {
        const c = await s.client();
        const salt = Buffer.from('0123456789abcdef');
        const up = (name: string, mechanism: number, iterations = 4096) => ({ name, mechanism, iterations, salt, saltedPassword: Buffer.alloc(mechanism === 1 ? 32 : 64, 7) });
        return {
          ok: await c.send(ApiKey.AlterUserScramCredentials, v, { deletions: [], upsertions: [up('alice', 1), up('alice', 2), up('bob', 1)] }),
          errors: await c.send(ApiKey.AlterUserScramCredentials, v, { deletions: [{ name: 'nobody', mechanism: 1 }, { name: 'bob', mechanism: 2 }], upsertions: [up('carol', 1, 100), up('', 1), up('dave', 0), up('erin', 1, 100_000)] }),
          duplicate: await c.send(ApiKey.AlterUserScramCredentials, v, { deletions: [{ name: 'bob', mechanism: 1 }], upsertions: [up('bob', 1)] }),
        };
      });
    }
    for (const v of common(adv, ApiKey.DescribeUserScramCredentials)) {
      await compare(pair, `describe-user-scram-credentials/v${v}`, async (s) => {
        const c = await s.client();
        return {
          all: await c.send(ApiKey.DescribeUserScramCredentials, v, { users: null }),
          some: await c.send(ApiKey.DescribeUserScramCredentials, v, { users: [{ name: 'alice' }, { name: 'nobody' }] }),
          duplicate: await c.send(ApiKey.DescribeUserScramCredentials, v, { users: [{ name: 'alice' }, { name: 'alice' }] }),
        };
      });
    }
  });

  it('ACLs: CreateAcls, DescribeAcls, DeleteAcls at every version, then what an unauthorised principal is told', async () => {
    await both(async (s) => {
      await upsertScramUser(s, 'carl', 'carl-secret');
      await createTopic(s, 'acl-read', 1);
      await createTopic(s, 'acl-secret', 1);
      await createTopic(s, 'aclp-one', 1);
      await produceOk(s, 'acl-read', 0, batch([{ key: 'k', value: 'v' }], { baseTimestamp: T0 }));
    });
    const acl = (resourceType: number, resourceName: string, patternType: number, operation: number, permissionType = 3, principal = 'User:carl') => ({ resourceType, resourceName, resourcePatternType: patternType, principal, host: '*', operation, permissionType });
    // resource types: 2 topic, 3 group, 4 cluster; patterns: 3 literal, 4 prefixed; operations: 3 read, 4 write, 8 describe, 2 all; permission 2 deny, 3 allow
    const filter = (o: Record<string, unknown> = {}) => ({ resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1, ...o });
    const alone = async (s: Side, apiKey: number, v: number, body: unknown) => {
      // Kafka closes the connection on some invalid requests: each goes on its own connection.
      const c = await s.connect();
      try {
        return await c.send(apiKey, v, body);
      } finally {
        c.close();
      }
    };
    for (const v of common(adv, ApiKey.CreateAcls)) {
      await compare(pair, `create-acls/v${v}`, async (s) => ({
        valid: await send(s, ApiKey.CreateAcls, v, {
          creations: [acl(2, 'acl-read', 3, 3), acl(2, 'acl-read', 3, 8), acl(2, 'aclp-', 4, 4), acl(3, 'acl-group', 3, 3), acl(2, 'acl-secret', 3, 3, 2)],
        }),
        principalWithoutType: await alone(s, ApiKey.CreateAcls, v, { creations: [acl(2, 'x', 3, 3, 3, 'carl')] }),
        resourceTypeAny: await alone(s, ApiKey.CreateAcls, v, { creations: [acl(1, 'x', 3, 3)] }),
        operationUnknown: await alone(s, ApiKey.CreateAcls, v, { creations: [acl(2, 'x', 3, 0)] }),
        patternMatch: await alone(s, ApiKey.CreateAcls, v, { creations: [acl(2, 'x', 2, 3)] }),
      }));
    }
    for (const v of tributaryOnly(adv, ApiKey.CreateAcls)) {
      await compare(pair, `removed-version/create-acls/v${v}`, async (s) => {
        const c = await s.connect();
        try {
          const kind = (await c.send(ApiKey.CreateAcls, v, { creations: [acl(2, 'old-acl', 3, 3)] })).kind;
          // Leave no ACL behind on the broker that accepted the old version (later scenarios list ACLs).
          await (await s.client()).send(ApiKey.DeleteAcls, 3, { filters: [filter({ resourceTypeFilter: 2, resourceNameFilter: 'old-acl', patternTypeFilter: 3 })] });
          return kind;
        } finally {
          c.close();
        }
      });
    }
    for (const v of common(adv, ApiKey.DescribeAcls)) {
      await compare(pair, `describe-acls/v${v}`, async (s) => ({
        all: await send(s, ApiKey.DescribeAcls, v, filter()),
        topicMatch: v >= 1 ? await send(s, ApiKey.DescribeAcls, v, filter({ resourceTypeFilter: 2, resourceNameFilter: 'aclp-one', patternTypeFilter: 2 })) : null,
        deny: await send(s, ApiKey.DescribeAcls, v, filter({ permissionType: 2 })),
        invalid: await alone(s, ApiKey.DescribeAcls, v, filter({ resourceTypeFilter: 0 })),
      }));
    }
    for (const v of tributaryOnly(adv, ApiKey.DescribeAcls)) {
      await compare(pair, `removed-version/describe-acls/v${v}`, async (s) => {
        const c = await s.connect();
        try {
          return (await c.send(ApiKey.DescribeAcls, v, { resourceTypeFilter: 1, resourceNameFilter: null, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 })).kind;
        } finally {
          c.close();
        }
      });
    }
    await compare(pair, 'authorization/unauthorised-principal', async (s) => {
      const { RawClient } = await import('./raw-client.ts');
      const c = await RawClient.connect(s.saslBootstrap, s.name, { sasl: { mechanism: 'SCRAM-SHA-256', username: 'carl', password: 'carl-secret' } });
      try {
        const md = await c.send(ApiKey.Metadata, 12, { topics: [{ name: 'acl-read', topicId: '00000000-0000-0000-0000-000000000000' }, { name: 'acl-secret', topicId: '00000000-0000-0000-0000-000000000000' }, { name: 'acl-none', topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: true });
        const allTopics = await c.send(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false });
        const fetchBody = (topic: string) => ({ replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic, topicId: '00000000-0000-0000-0000-000000000000', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' });
        const produceTo = (topic: string) => c.send(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch([{ key: 'k', value: 'v' }], { baseTimestamp: T0 }) }] }] });
        return {
          metadata: md,
          allTopics: allTopics.kind === 'response' ? (allTopics.body as { topics: { name: string }[] }).topics.map((t) => t.name).sort() : allTopics,
          fetchAllowed: await c.send(ApiKey.Fetch, 12, fetchBody('acl-read')),
          fetchDenied: await c.send(ApiKey.Fetch, 12, fetchBody('acl-secret')),
          produceDenied: await produceTo('acl-read'),
          producePrefixed: await produceTo('aclp-one'),
          createTopic: await c.send(ApiKey.CreateTopics, 7, { topics: [{ name: 'acl-new', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: true }),
          deleteTopic: await c.send(ApiKey.DeleteTopics, 6, { topics: [{ name: 'acl-read', topicId: '00000000-0000-0000-0000-000000000000' }], timeoutMs: 10_000 }),
          describeConfigs: await c.send(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: 'acl-secret', configurationKeys: ['retention.ms'] }, { resourceType: 4, resourceName: '1', configurationKeys: ['num.partitions'] }], includeSynonyms: false, includeDocumentation: false }),
          findCoordinatorDenied: await c.send(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['other-group'] }),
          findCoordinatorAllowed: await c.send(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['acl-group'] }),
          joinDenied: await c.send(ApiKey.JoinGroup, 9, joinBody(9, 'other-group', '', ['acl-read'])),
          commitAllowedGroupDeniedTopic: await c.send(ApiKey.OffsetCommit, 8, commitBody(8, 'acl-group', -1, '', 'acl-secret', [[0, 1n]])),
          commitAllowed: await c.send(ApiKey.OffsetCommit, 8, commitBody(8, 'acl-group', -1, '', 'acl-read', [[0, 1n]])),
          listGroups: await c.send(ApiKey.ListGroups, 4, { statesFilter: [] }),
          describeGroupsOperations: await c.send(ApiKey.DescribeGroups, 5, { groups: ['acl-group', 'other-group'], includeAuthorizedOperations: true }),
          describeAcls: await c.send(ApiKey.DescribeAcls, 3, filter()),
          createAcls: await c.send(ApiKey.CreateAcls, 3, { creations: [acl(2, 'acl-secret', 3, 3)] }),
          listOffsetsDenied: await c.send(ApiKey.ListOffsets, 8, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'acl-secret', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] }),
          describeCluster: await c.send(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: true, endpointType: 1 }),
          alterScram: await c.send(ApiKey.AlterUserScramCredentials, 0, { deletions: [{ name: 'alice', mechanism: 1 }], upsertions: [] }),
          describeQuotas: await c.send(ApiKey.DescribeClientQuotas, 1, { components: [], strict: false }),
          initProducerId: await c.send(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }),
          ...(await consumerGroupTopicAuthorization(s, c)),
        };
      } finally {
        c.close();
      }
    });
    for (const v of common(adv, ApiKey.DeleteAcls)) {
      await compare(pair, `delete-acls/v${v}`, async (s) => ({
        deleted: await send(s, ApiKey.DeleteAcls, v, { filters: [filter({ resourceTypeFilter: 3 }), filter({ resourceTypeFilter: 2, resourceNameFilter: 'nothing-matches' })] }),
        unknownOperation: await alone(s, ApiKey.DeleteAcls, v, { filters: [filter({ operation: 0 })] }),
        left: await send(s, ApiKey.DescribeAcls, Math.min(v, 3), filter()),
      }));
    }
    for (const v of tributaryOnly(adv, ApiKey.DeleteAcls)) {
      await compare(pair, `removed-version/delete-acls/v${v}`, async (s) => {
        const c = await s.connect();
        try {
          return (await c.send(ApiKey.DeleteAcls, v, { filters: [{ resourceTypeFilter: 2, resourceNameFilter: 'none', principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }] })).kind;
        } finally {
          c.close();
        }
      });
    }
  });

  it('Client quotas: AlterClientQuotas and DescribeClientQuotas at every version, with errors', async () => {
    const entity = (entityType: string, entityName: string | null) => ({ entityType, entityName });
    const op = (key: string, value: number, remove = false) => ({ key, value, remove });
    for (const v of common(adv, ApiKey.AlterClientQuotas)) {
      await compare(pair, `alter-client-quotas/v${v}`, async (s) => withWording({
        ok: await send(s, ApiKey.AlterClientQuotas, v, {
          entries: [
            { entity: [entity('user', `q-user-${v}`)], ops: [op('producer_byte_rate', 1024 * 1024), op('consumer_byte_rate', 2048 * 1024)] },
            { entity: [entity('client-id', null)], ops: [op('request_percentage', 50)] },
            { entity: [entity('user', `q-user-${v}`), entity('client-id', 'app')], ops: [op('producer_byte_rate', 4096)] },
          ],
          validateOnly: false,
        }),
        errors: await send(s, ApiKey.AlterClientQuotas, v, {
          entries: [
            { entity: [entity('user', 'q-bad')], ops: [op('no_such_quota', 1)] },
            { entity: [entity('nonsense', 'x')], ops: [op('producer_byte_rate', 1)] },
            { entity: [entity('user', 'q-neg')], ops: [op('producer_byte_rate', -5)] },
            { entity: [entity('user', 'q-dup'), entity('user', 'q-dup2')], ops: [op('producer_byte_rate', 1)] },
            { entity: [], ops: [op('producer_byte_rate', 1)] },
          ],
          validateOnly: false,
        }),
        validateOnly: await send(s, ApiKey.AlterClientQuotas, v, { entries: [{ entity: [entity('user', 'q-vo')], ops: [op('producer_byte_rate', 1)] }], validateOnly: true }),
        remove: await send(s, ApiKey.AlterClientQuotas, v, { entries: [{ entity: [entity('user', `q-user-${v}`)], ops: [op('consumer_byte_rate', 0, true)] }], validateOnly: false }),
      }));
    }
    for (const v of common(adv, ApiKey.DescribeClientQuotas)) {
      await compare(pair, `describe-client-quotas/v${v}`, async (s) => {
        // Quotas are applied asynchronously by Kafka's controller: read until every alteration is
        // visible, the last one included (each q-user-N has lost its consumer_byte_rate again).
        const deadline = Date.now() + 10_000;
        let all;
        for (;;) {
          all = await send(s, ApiKey.DescribeClientQuotas, v, { components: [], strict: false });
          if (allAlterationsVisible(all) || Date.now() > deadline) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        return {
          all,
          exactUser: await send(s, ApiKey.DescribeClientQuotas, v, { components: [{ entityType: 'user', matchType: 0, match: `q-user-${common(adv, ApiKey.AlterClientQuotas)[0]}` }], strict: false }),
          defaultClient: await send(s, ApiKey.DescribeClientQuotas, v, { components: [{ entityType: 'client-id', matchType: 1, match: null }], strict: true }),
          anyUserStrict: await send(s, ApiKey.DescribeClientQuotas, v, { components: [{ entityType: 'user', matchType: 2, match: null }], strict: true }),
          invalid: await send(s, ApiKey.DescribeClientQuotas, v, { components: [{ entityType: 'user', matchType: 7, match: null }], strict: false }),
          invalidWording: wording(await send(s, ApiKey.DescribeClientQuotas, v, { components: [{ entityType: 'user', matchType: 7, match: null }], strict: false })),
          duplicate: answered(await send(s, ApiKey.DescribeClientQuotas, v, { components: [{ entityType: 'user', matchType: 2, match: null }, { entityType: 'user', matchType: 1, match: null }], strict: false })),
          exactWithoutName: answered(await send(s, ApiKey.DescribeClientQuotas, v, { components: [{ entityType: 'user', matchType: 0, match: null }], strict: false })),
          defaultWithName: answered(await send(s, ApiKey.DescribeClientQuotas, v, { components: [{ entityType: 'user', matchType: 1, match: 'x' }], strict: false })),
          anyWithName: answered(await send(s, ApiKey.DescribeClientQuotas, v, { components: [{ entityType: 'client-id', matchType: 2, match: 'x' }], strict: false })),
          unknownType: answered(await send(s, ApiKey.DescribeClientQuotas, v, { components: [{ entityType: 'nonsense', matchType: 2, match: null }], strict: false })),
          emptyType: answered(await send(s, ApiKey.DescribeClientQuotas, v, { components: [{ entityType: '', matchType: 2, match: null }], strict: false })),
        };
      });
    }
  });

  // KIP-612's ip entity: what AlterClientQuotas and DescribeClientQuotas accept and refuse, then the
  // connection_creation_rate enforced on accept, counted from a second loopback address (127.0.0.2)
  // so that the file's own clients (127.0.0.1) are never held back.
  it('Client quotas: the ip entity (connection_creation_rate), its errors and filters, and the rate enforced on new connections', async () => {
    const entity = (entityType: string, entityName: string | null) => ({ entityType, entityName });
    const op = (key: string, value: number, remove = false) => ({ key, value, remove });
    const v = common(adv, ApiKey.AlterClientQuotas).at(-1)!;
    const dv = common(adv, ApiKey.DescribeClientQuotas).at(-1)!;
    await compare(pair, 'client-quotas-ip/alter', async (s) => withWording({
      ok: await send(s, ApiKey.AlterClientQuotas, v, { entries: [
        { entity: [entity('ip', '127.0.0.2')], ops: [op('connection_creation_rate', 1)] },
        { entity: [entity('ip', '::1')], ops: [op('connection_creation_rate', 7)] },
        { entity: [entity('ip', null)], ops: [op('connection_creation_rate', 1000)] },
      ], validateOnly: false }),
      errors: await send(s, ApiKey.AlterClientQuotas, v, { entries: [
        { entity: [entity('ip', 'not-an-ip.invalid')], ops: [op('connection_creation_rate', 5)] },
        { entity: [entity('ip', '127.0.0.3')], ops: [op('producer_byte_rate', 5)] },
        { entity: [entity('ip', '127.0.0.4'), entity('user', 'u')], ops: [op('connection_creation_rate', 5)] },
        { entity: [entity('ip', '127.0.0.5')], ops: [op('connection_creation_rate', 2.5)] },
        { entity: [entity('ip', '127.0.0.6')], ops: [op('connection_creation_rate', 3e9)] },
        { entity: [entity('ip', '')], ops: [op('connection_creation_rate', 5)] },
        { entity: [entity('user', 'q-ip-key')], ops: [op('connection_creation_rate', 5)] },
      ], validateOnly: false }),
    }));
    await compare(pair, 'client-quotas-ip/describe', async (s) => {
      // Kafka applies quotas asynchronously: read until all three are visible (bounded).
      const deadline = Date.now() + 10_000;
      let ips;
      for (;;) {
        ips = await send(s, ApiKey.DescribeClientQuotas, dv, { components: [{ entityType: 'ip', matchType: 2, match: null }], strict: false });
        if ((ips.kind === 'response' && ((ips.body as { entries: unknown[] | null }).entries?.length ?? 0) >= 3) || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      if (ips.kind === 'response') (ips.body as { entries: { entity: { entityName: string | null }[] }[] }).entries.sort((a, b) => String(a.entity[0]!.entityName).localeCompare(String(b.entity[0]!.entityName)));
      return {
        ips,
        exact: await send(s, ApiKey.DescribeClientQuotas, dv, { components: [{ entityType: 'ip', matchType: 0, match: '127.0.0.2' }], strict: true }),
        default: await send(s, ApiKey.DescribeClientQuotas, dv, { components: [{ entityType: 'ip', matchType: 1, match: null }], strict: true }),
        withUser: await send(s, ApiKey.DescribeClientQuotas, dv, { components: [{ entityType: 'ip', matchType: 2, match: null }, { entityType: 'user', matchType: 2, match: null }], strict: false }),
        withUserWording: wording(await send(s, ApiKey.DescribeClientQuotas, dv, { components: [{ entityType: 'ip', matchType: 2, match: null }, { entityType: 'user', matchType: 2, match: null }], strict: false })),
      };
    });
    // 1 connection/s from 127.0.0.2: with Kafka's window (11 samples of 1 s, elapsed counted as at
    // least 10 s) 10 connections at once are within the rate and the next ones are not: Kafka
    // neither reads nor answers those and closes them after the throttle time (~1 s).
    await compare(pair, 'client-quotas-ip/enforced', async (s) => {
      const outcomes = await Promise.all(Array.from({ length: 14 }, () => apiVersionsFrom(s.bootstrap, '127.0.0.2')));
      return { answered: outcomes.filter((o) => o === 'answered').length, closedUnanswered: outcomes.filter((o) => o === 'closed').length, silent: outcomes.filter((o) => o === 'silent').length };
    });
    await compare(pair, 'client-quotas-ip/remove', async (s) => send(s, ApiKey.AlterClientQuotas, v, { entries: [
      { entity: [entity('ip', '127.0.0.2')], ops: [op('connection_creation_rate', 0, true)] },
      { entity: [entity('ip', '::1')], ops: [op('connection_creation_rate', 0, true)] },
      { entity: [entity('ip', null)], ops: [op('connection_creation_rate', 0, true)] },
    ], validateOnly: false }));
  });

  // max.connections.per.ip.overrides (127.0.0.3:2): a third connection from the address is closed
  // at once, unanswered, and one is taken again once another has closed. Then how DescribeConfigs
  // of the broker shows the connection settings, the listener-prefixed ones included.
  it('Connection limits: max.connections.per.ip.overrides enforced, and the connection settings described', async () => {
    await compare(pair, 'connection-limits/per-ip', async (s) => {
      const first = await openFrom(s.bootstrap, '127.0.0.3');
      const second = await openFrom(s.bootstrap, '127.0.0.3');
      const third = await openFrom(s.bootstrap, '127.0.0.3');
      first.socket.destroy();
      // The broker counts the first as closed once it has seen it close: retry until a fourth is taken (bounded).
      let fourth = await openFrom(s.bootstrap, '127.0.0.3');
      for (let i = 0; i < 50 && fourth.outcome !== 'answered'; i++) fourth = await openFrom(s.bootstrap, '127.0.0.3');
      for (const c of [second, third, fourth]) c.socket.destroy();
      return { first: first.outcome, second: second.outcome, third: third.outcome, fourth: fourth.outcome };
    });
    await compare(pair, 'connection-limits/describe-configs', async (s) => send(s, ApiKey.DescribeConfigs, 4, {
      resources: [{ resourceType: 4, resourceName: '1', configurationKeys: ['max.connections', 'max.connections.per.ip', 'max.connections.per.ip.overrides', 'max.connection.creation.rate', ...Object.keys(CONNECTION_LIMIT_SETTINGS).filter((k) => k.startsWith('listener.name.'))] }],
      includeSynonyms: true,
      includeDocumentation: false,
    }));
  });

  // An ip quota named by a host name applies to the address the name resolves to (Kafka:
  // InetAddress.getByName when the quota is applied): localhost, 1 connection/s, then 14 new
  // connections from 127.0.0.1 at once, as the ip entity test does from 127.0.0.2. The quota is
  // removed and its removal seen before the test ends, so the file's next connections are not held.
  it('Client quotas: an ip entity named by a host name limits the address the name resolves to', async () => {
    const v = common(adv, ApiKey.AlterClientQuotas).at(-1)!;
    const dv = common(adv, ApiKey.DescribeClientQuotas).at(-1)!;
    const entity = [{ entityType: 'ip', entityName: 'localhost' }];
    const visible = async (s: Side, present: boolean) => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const r = await send(s, ApiKey.DescribeClientQuotas, dv, { components: [{ entityType: 'ip', matchType: 0, match: 'localhost' }], strict: true });
        const n = r.kind === 'response' ? ((r.body as { entries: unknown[] | null }).entries?.length ?? 0) : -1;
        if ((n > 0) === present || Date.now() > deadline) return r;
        await new Promise((done) => setTimeout(done, 100));
      }
    };
    await compare(pair, 'client-quotas-ip-host/alter', async (s) => ({
      alter: await send(s, ApiKey.AlterClientQuotas, v, { entries: [{ entity, ops: [{ key: 'connection_creation_rate', value: 1, remove: false }] }], validateOnly: false }),
      described: await visible(s, true),
    }));
    await compare(pair, 'client-quotas-ip-host/enforced', async (s) => {
      const outcomes = await Promise.all(Array.from({ length: 14 }, () => apiVersionsFrom(s.bootstrap, '127.0.0.1')));
      return { answered: outcomes.filter((o) => o === 'answered').length, closedUnanswered: outcomes.filter((o) => o === 'closed').length, silent: outcomes.filter((o) => o === 'silent').length };
    });
    await compare(pair, 'client-quotas-ip-host/remove', async (s) => ({
      remove: await send(s, ApiKey.AlterClientQuotas, v, { entries: [{ entity, ops: [{ key: 'connection_creation_rate', value: 0, remove: true }] }], validateOnly: false }),
      described: await visible(s, false),
    }));
  });

  it('covers every version Tributary advertises of this file\'s APIs', () => {
    expectCovered('protocol-groups-security', adv);
  });
});

/**
 * The error messages of a quota answer (the whole answer's, or each entry's), under a name
 * normalise.ts keeps: Kafka's wording is compared here, where tools show it to operators.
 */
function wording(r: Awaited<ReturnType<typeof send>>): unknown {
  if (r.kind !== 'response') return r.kind;
  const body = r.body as { errorMessage?: string | null; entries?: { errorMessage?: string | null; entity: { entityType: string; entityName: string | null }[] }[] | null };
  if (body.errorMessage !== undefined) return { text: body.errorMessage };
  // Kafka answers the entries, and the parts of an entity, in an order of its own: keyed by entity.
  return Object.fromEntries((body.entries ?? []).map((e) => [e.entity.map((p) => `${p.entityType}=${p.entityName ?? '<default>'}`).sort().join(',') || '(empty)', { text: e.errorMessage ?? null }]));
}

/** An answer and its wording. */
const answered = (r: Awaited<ReturnType<typeof send>>) => ({ answer: r, wording: wording(r) });

/** Adds the wording of every refusal in `answers.errors` (AlterClientQuotas entries) beside it. */
function withWording<T extends { errors: Awaited<ReturnType<typeof send>> }>(answers: T): T & { errorsWording: unknown } {
  return { ...answers, errorsWording: wording(answers.errors) };
}

type QuotaEntries = { entity: { entityType: string; entityName: string | null }[]; values: { key: string }[] }[];

/** Whether a DescribeClientQuotas answer shows the end state of the Client quotas test's alterations. */
/**
 * KIP-848 heartbeats of a principal (carl: READ on group acl-group; DESCRIBE on topics acl-read
 * and, through WRITE, aclp-*; none on acl-secret and the missing acl-none): subscribed topic names
 * it may not describe are TOPIC_AUTHORIZATION_FAILED, and a regular expression resolves to the
 * topics it may describe only. Answers are summarised as error, message and assigned topic names
 * (topic ids differ between the brokers).
 */
async function consumerGroupTopicAuthorization(s: Side, c: RawClient): Promise<Record<string, unknown>> {
  const names = new Map<string, string>();
  const md = await (await s.client()).request<{ topics: { name: string; topicId: string }[] }>(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  for (const t of md.topics) names.set(t.topicId, t.name);
  const hb = async (o: Record<string, unknown>) => {
    const out = await c.send(ApiKey.ConsumerGroupHeartbeat, 1, { groupId: 'acl-group', memberId: 'carl-member', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000, subscribedTopicNames: null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [], ...o });
    if (out.kind !== 'response') return { outcome: out.kind, memberEpoch: 0, topics: [] as string[] };
    const b = out.body as { errorCode: number; errorMessage: string | null; memberEpoch: number; assignment: { topicPartitions: { topicId: string }[] } | null };
    return { errorCode: b.errorCode, message: b.errorMessage, memberEpoch: b.memberEpoch, topics: (b.assignment?.topicPartitions ?? []).map((t) => names.get(t.topicId) ?? t.topicId).sort() };
  };
  const out: Record<string, unknown> = {};
  out.cgUndescribableTopic = await hb({ subscribedTopicNames: ['acl-read', 'acl-secret'] });
  out.cgMissingTopic = await hb({ subscribedTopicNames: ['acl-read', 'acl-none'] });
  out.cgDescribableTopics = await hb({ subscribedTopicNames: ['acl-read', 'aclp-one'] });
  await hb({ memberEpoch: -1 });
  // Kafka resolves an expression off the request path: heartbeat until its topics are assigned (bounded).
  let last = await hb({ subscribedTopicRegex: 'acl.*' });
  for (let i = 0; i < 30 && last.topics.length === 0 && 'errorCode' in last && last.errorCode === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    last = await hb({ memberEpoch: last.memberEpoch, rebalanceTimeoutMs: -1 });
  }
  out.cgRegexResolvedToDescribable = last;
  await hb({ memberEpoch: -1 });
  // Two principals, one expression: Kafka resolves a group's expressions with the rights of the
  // member whose heartbeat triggered the refresh, and a member joining with an expression the group
  // already has triggers none, so the super user joining after carl gets carl's resolution (no
  // acl-secret) until the next refresh (new topics, or group.consumer.regex.refresh.interval.ms).
  let carl = await hb({ subscribedTopicRegex: 'acl.*' });
  for (let i = 0; i < 30 && carl.topics.length === 0 && 'errorCode' in carl && carl.errorCode === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    carl = await hb({ memberEpoch: carl.memberEpoch, rebalanceTimeoutMs: -1 });
  }
  const admin = await s.client();
  const adminHb = async (o: Record<string, unknown>) => {
    const r = await admin.request<{ errorCode: number; memberEpoch: number }>(ApiKey.ConsumerGroupHeartbeat, 1, { groupId: 'acl-group', memberId: 'admin-member', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000, subscribedTopicNames: null, subscribedTopicRegex: 'acl.*', serverAssignor: null, topicPartitions: [], ...o });
    return { errorCode: r.errorCode, memberEpoch: r.memberEpoch };
  };
  let sup = await adminHb({});
  // Heartbeats of both, the super user's last: none may trigger a refresh with its rights (Tributary
  // applies a refresh at the group's next request, so a wrong one would show by the last).
  await hb({ memberEpoch: carl.memberEpoch, rebalanceTimeoutMs: -1 });
  for (let i = 0; i < 2; i++) sup = await adminHb({ memberEpoch: sup.memberEpoch, rebalanceTimeoutMs: -1, subscribedTopicRegex: null, topicPartitions: null });
  const described = await admin.request<{ groups: { errorCode: number; members: { targetAssignment: { topicPartitions: { topicName: string }[] } }[] }[] }>(ApiKey.ConsumerGroupDescribe, 1, { groupIds: ['acl-group'], includeAuthorizedOperations: false });
  const group = described.groups[0]!;
  out.cgSharedRegexResolvedWithFirstPrincipal = { errorCode: group.errorCode, adminJoined: sup.errorCode, members: group.members.length, targetTopics: [...new Set(group.members.flatMap((m) => m.targetAssignment.topicPartitions.map((t) => t.topicName)))].sort() };
  await adminHb({ memberEpoch: -1 });
  await hb({ memberEpoch: -1 });
  for (const v of Object.values(out)) delete (v as { memberEpoch?: number }).memberEpoch;
  return out;
}

function allAlterationsVisible(all: Awaited<ReturnType<typeof send>>): boolean {
  if (all.kind !== 'response') return false;
  const entries = (all.body as { entries: QuotaEntries | null }).entries ?? [];
  const userOnly = entries.filter((e) => e.entity.length === 1 && e.entity[0]!.entityType === 'user' && e.entity[0]!.entityName?.startsWith('q-user-'));
  const versions = common(adv, ApiKey.AlterClientQuotas);
  return entries.length >= 3 && userOnly.length === versions.length && userOnly.every((e) => e.values.some((x) => x.key === 'producer_byte_rate') && !e.values.some((x) => x.key === 'consumer_byte_rate'));
}

/** Polls DescribeGroups until the group is in `state` (a second member's JoinGroup is in flight); returns the state seen last (a compared result). */
async function waitForState(s: Side, group: string, state: string): Promise<string> {
  const c = await s.client();
  const deadline = Date.now() + 5_000;
  for (;;) {
    const r = await c.request<{ groups: { groupState: string }[] }>(ApiKey.DescribeGroups, 5, { groups: [group], includeAuthorizedOperations: false });
    const seen = r.groups[0]?.groupState ?? '<none>';
    if (seen === state || Date.now() > deadline) return seen;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * One connection from `localAddress` sending ApiVersions v0: 'answered' when the broker answers,
 * 'closed' when it closes the connection without an answer, 'silent' when neither happens in 4 s.
 */
function apiVersionsFrom(bootstrap: string, localAddress: string): Promise<'answered' | 'closed' | 'silent'> {
  const [host, port] = bootstrap.split(':');
  return new Promise((done) => {
    const socket = netConnect({ host, port: Number(port), localAddress });
    const finish = (o: 'answered' | 'closed' | 'silent') => { clearTimeout(timer); socket.destroy(); done(o); };
    const timer = setTimeout(() => finish('silent'), 4000);
    socket.on('connect', () => socket.write(apiVersionsV0()));
    socket.on('data', () => finish('answered'));
    socket.on('error', () => undefined);
    socket.on('close', () => finish('closed'));
  });
}

/**
 * A connection from `localAddress` that sends ApiVersions v0 and is left open: 'answered' when the
 * broker answers, 'closed' when it closes the connection without an answer, 'silent' when neither
 * happens in 4 s.
 */
function openFrom(bootstrap: string, localAddress: string): Promise<{ outcome: 'answered' | 'closed' | 'silent'; socket: Socket }> {
  const [host, port] = bootstrap.split(':');
  return new Promise((done) => {
    const socket = netConnect({ host, port: Number(port), localAddress });
    const finish = (outcome: 'answered' | 'closed' | 'silent') => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.removeAllListeners('close');
      done({ outcome, socket });
    };
    const timer = setTimeout(() => finish('silent'), 4000);
    socket.on('connect', () => socket.write(apiVersionsV0()));
    socket.once('data', () => finish('answered'));
    socket.on('error', () => undefined);
    socket.once('close', () => finish('closed'));
  });
}

function apiVersionsV0(): Buffer {
  return Buffer.concat(encodeRequest({ apiKey: ApiKey.ApiVersions, apiVersion: 0, correlationId: 1, clientId: 'ip-quota' }, {}));
}
