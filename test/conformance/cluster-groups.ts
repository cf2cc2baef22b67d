import { ApiKey, type DescribeGroupsResponse, type HeartbeatResponse, type JoinGroupResponse, type MetadataResponse, type OffsetFetchResponse } from '@tributary/protocol';
import { coordinatorPartitionFor } from '../../apps/broker/src/topics/internal-topics.ts';
import { expect } from 'vitest';
import { until } from '../support/until.ts';
import { coordinatorOf, keyCoordinatedBy, relabel, type ClusterSteps } from './cluster-steps.ts';
import { assignment, commitBody, fetchOffsetsBody, heartbeatBody, join, joinBody, syncBody } from './group-requests.ts';
import type { Outcome, RawClient } from './raw-client.ts';

/**
 * Groups of more than one member on a cluster whose group coordinator is killed -9 (issue 13):
 * for protocol-cluster.test.ts, raw requests as Java consumers send them, answers recorded for
 * the comparison with Apache Kafka. Before the kill, on the coordinator that is then killed:
 * - a dynamic group: A joins alone, B joins (MEMBER_ID_REQUIRED, then a JoinGroup that waits),
 *   A learns of the rebalance from its heartbeat and rejoins; the leader's and the follower's
 *   SyncGroup, a commit of the new generation;
 * - a static group (group.instance.id): two members join; the follower restarts (JoinGroup v5 with
 *   no member id, its instance id: a new member id, the same generation and assignment, no
 *   rebalance), its old member id is fenced (FENCED_INSTANCE_ID); the leader restarts with
 *   JoinGroup v9 (KIP-814: skipAssignment) and then with v5 (below v9).
 * After the kill, on the new coordinator: the dynamic group continues (heartbeats of generation
 * 2, its committed offset), B leaves, A rebalances alone into generation 3 and commits; the static
 * group is described and its follower restarts once more.
 * Member ids are per broker: each is recorded as its label (A, B, S1, S2-restarted, …).
 */

const SESSION_MS = 120_000; // outlives the failover: the members must still be there after it
const RETRIABLE = [14, 15, 16]; // COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR
const V9 = 9;
const OFFSETS_TOPIC = '__consumer_offsets';
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const BELOW_V9 = 5; // the first version with group.instance.id

interface Member {
  label: string;
  c: RawClient;
  id: string;
  generation: number;
  instanceId: string | null;
}

export interface GroupsBeforeKill {
  dynamicGroup: string;
  staticGroup: string;
  a: Member;
  b: Member;
  /** The static members as they are after their restarts. */
  s1: Member;
  s2: Member;
  labels: Map<string, string>;
}

const response = (body: unknown): Outcome => ({ kind: 'response', body });
const bodyOf = <T>(o: Outcome, what: string): T => {
  if (o.kind !== 'response') throw new Error(`${what}: ${o.kind}`);
  return o.body as T;
};

/**
 * Both groups before the kill; `leader` is the broker killed next, which must coordinate them.
 * `topics`: the subscription, and a second topic for the static follower's assignment (assignments
 * are opaque to the coordinator: distinct ones show whose comes back).
 */
export async function groupsBeforeKill(steps: ClusterSteps, o: { leader: number; roles: Map<number, string>; topic: string; otherTopic: string }): Promise<GroupsBeforeKill> {
  const { kind } = steps.cluster;
  const to = () => steps.connect(steps.address.get(o.leader)!);
  const any = await to();
  const dynamicGroup = await keyCoordinatedBy(any, 0, 'cm', o.leader, `${kind}: a dynamic group coordinated by the leader`);
  const staticGroup = await keyCoordinatedBy(any, 0, 'cs', o.leader, `${kind}: a static group coordinated by the leader`);
  const labels = new Map([[dynamicGroup, 'DYNAMIC'], [staticGroup, 'STATIC']]);
  const rec = (name: string, answer: unknown) => steps.record(`groups/${name}`, relabel(answer, labels), o.roles);
  const member = async (label: string, instanceId: string | null = null): Promise<Member> => ({ label, c: await to(), id: '', generation: -1, instanceId });
  const named = (m: Member, res: JoinGroupResponse) => {
    m.id = res.memberId;
    m.generation = res.generationId;
    labels.set(m.id, m.label);
  };
  const topics = [o.topic];

  // ---- dynamic: A alone, then B, a rebalance ----
  const a = await member('A');
  const b = await member('B');
  // Kafka's coordinator takes the group's __consumer_offsets partition some time after Metadata names its leader.
  const aJoined = await until(async () => {
    const j = await join(a.c, V9, dynamicGroup, topics, '', { sessionMs: SESSION_MS });
    return RETRIABLE.includes(j.res.errorCode) ? null : j;
  }, `${kind}: the coordinator taking the dynamic group`, 60_000);
  expect(aJoined.res.errorCode, `${kind}: A's JoinGroup`).toBe(0);
  named(a, aJoined.res);
  rec('dynamic/a-join', aJoined);
  rec('dynamic/a-sync', await a.c.send(ApiKey.SyncGroup, 5, syncBody(5, dynamicGroup, a.generation, a.id, [{ memberId: a.id, assignment: assignment({ [o.topic]: [0] }) }])));
  const bFirst = await b.c.request<JoinGroupResponse>(ApiKey.JoinGroup, V9, joinBody(V9, dynamicGroup, '', topics, { sessionMs: SESSION_MS }));
  labels.set(bFirst.memberId, 'B');
  rec('dynamic/b-join-member-id-required', response(bFirst));
  // B's JoinGroup with its id waits until every member has rejoined; A hears of it in a heartbeat.
  const bJoining = b.c.send(ApiKey.JoinGroup, V9, joinBody(V9, dynamicGroup, bFirst.memberId, topics, { sessionMs: SESSION_MS }));
  const rebalancing = await until(async () => {
    const r = await a.c.request<HeartbeatResponse>(ApiKey.Heartbeat, 4, heartbeatBody(dynamicGroup, a.generation, a.id));
    return r.errorCode === 0 ? null : r;
  }, `${kind}: A told of the rebalance B's join started`, 30_000);
  rec('dynamic/a-heartbeat-while-b-joins', response(rebalancing));
  const aRejoined = await a.c.send(ApiKey.JoinGroup, V9, joinBody(V9, dynamicGroup, a.id, topics, { sessionMs: SESSION_MS }));
  const bJoined = await bJoining;
  named(a, bodyOf<JoinGroupResponse>(aRejoined, `${kind}: A's rejoin`));
  named(b, bodyOf<JoinGroupResponse>(bJoined, `${kind}: B's join`));
  rec('dynamic/a-rejoin', aRejoined);
  rec('dynamic/b-join', bJoined);
  await syncRound(steps, rec, 'dynamic/generation-2', dynamicGroup, [a, b], bodyOf<JoinGroupResponse>(aRejoined, 'A').leader, { [a.id]: { [o.topic]: [0] }, [b.id]: { [o.otherTopic]: [0] } });
  rec('dynamic/a-commit', await a.c.send(ApiKey.OffsetCommit, 8, commitBody(8, dynamicGroup, a.generation, a.id, o.topic, [[0, 7n]])));
  rec('dynamic/describe', await a.c.send(ApiKey.DescribeGroups, 5, { groups: [dynamicGroup], includeAuthorizedOperations: false }));

  // ---- static: S1 and S2 join; S2 restarts below v9, S1 (the leader) at v9 and below ----
  const s1 = await member('S1', 'static-1');
  const s2 = await member('S2', 'static-2');
  const staticJoin = (m: Member, v: number, memberId: string) => m.c.send(ApiKey.JoinGroup, v, joinBody(v, staticGroup, memberId, topics, { sessionMs: SESSION_MS, instanceId: m.instanceId! }));
  const s1Joined = await until(async () => {
    const r = bodyOf<JoinGroupResponse>(await staticJoin(s1, V9, ''), `${kind}: S1's join`);
    return RETRIABLE.includes(r.errorCode) ? null : r;
  }, `${kind}: the coordinator taking the static group`, 60_000);
  expect(s1Joined.errorCode, `${kind}: S1's JoinGroup`).toBe(0);
  named(s1, s1Joined);
  rec('static/s1-join', response(s1Joined));
  rec('static/s1-sync', await s1.c.send(ApiKey.SyncGroup, 5, syncBody(5, staticGroup, s1.generation, s1.id, [{ memberId: s1.id, assignment: assignment({ [o.topic]: [0] }) }], s1.instanceId)));
  const s2Joining = staticJoin(s2, V9, '');
  const s1Told = await until(async () => {
    const r = await s1.c.request<HeartbeatResponse>(ApiKey.Heartbeat, 4, heartbeatBody(staticGroup, s1.generation, s1.id, s1.instanceId));
    return r.errorCode === 0 ? null : r;
  }, `${kind}: S1 told of the rebalance S2's join started`, 30_000);
  rec('static/s1-heartbeat-while-s2-joins', response(s1Told));
  const s1Rejoined = await staticJoin(s1, V9, s1.id);
  const s2Joined = await s2Joining;
  named(s1, bodyOf<JoinGroupResponse>(s1Rejoined, `${kind}: S1's rejoin`));
  named(s2, bodyOf<JoinGroupResponse>(s2Joined, `${kind}: S2's join`));
  rec('static/s1-rejoin', s1Rejoined);
  rec('static/s2-join', s2Joined);
  await syncRound(steps, rec, 'static/generation-2', staticGroup, [s1, s2], bodyOf<JoinGroupResponse>(s1Rejoined, 'S1').leader, { [s1.id]: { [o.topic]: [0] }, [s2.id]: { [o.otherTopic]: [0] } });

  // S2 restarts: a new process (connection) with no member id and its instance id, below v9.
  const oldS2 = { ...s2 };
  const s2r = await member('S2-restarted-v5', s2.instanceId);
  const s2Back = bodyOf<JoinGroupResponse>(await staticJoin(s2r, BELOW_V9, ''), `${kind}: S2's restart`);
  named(s2r, s2Back);
  rec('static/s2-restart-join-v5', response(s2Back));
  rec('static/s2-restart-sync', await s2r.c.send(ApiKey.SyncGroup, 5, syncBody(5, staticGroup, s2r.generation, s2r.id, [], s2r.instanceId)));
  // The member id it had before is fenced: its instance id belongs to the new one.
  rec('static/s2-old-id-heartbeat', await oldS2.c.send(ApiKey.Heartbeat, 4, heartbeatBody(staticGroup, oldS2.generation, oldS2.id, oldS2.instanceId)));
  rec('static/s2-old-id-sync', await oldS2.c.send(ApiKey.SyncGroup, 5, syncBody(5, staticGroup, oldS2.generation, oldS2.id, [], oldS2.instanceId)));
  // The leader restarts at v9 (skipAssignment: it need not assign again) and then below v9.
  let s1Now = s1;
  for (const [v, label] of [[V9, 'S1-restarted-v9'], [BELOW_V9, 'S1-restarted-v5']] as const) {
    const back = await member(label, s1.instanceId);
    const joined = bodyOf<JoinGroupResponse>(await staticJoin(back, v, ''), `${kind}: S1's restart at v${v}`);
    named(back, joined);
    rec(`static/s1-restart-join-v${v}`, response(joined));
    rec(`static/s1-restart-sync-v${v}`, await back.c.send(ApiKey.SyncGroup, 5, syncBody(5, staticGroup, back.generation, back.id, [], back.instanceId)));
    s1Now = back;
  }
  // What Apache Kafka 4.4 answered (2026-12-02), explicit so that the test fails if both stopped:
  // restarts keep generation 2 (no rebalance), the old member id is fenced, the v9 leader skips assignment.
  expect({ s2: s2r.generation, s1: s1Now.generation, fenced: await oldS2.c.request<HeartbeatResponse>(ApiKey.Heartbeat, 4, heartbeatBody(staticGroup, oldS2.generation, oldS2.id, oldS2.instanceId)).then((r) => r.errorCode) }, `${kind}: static members restarted`).toEqual({ s2: 2, s1: 2, fenced: 82 });
  rec('static/s2-restarted-heartbeat', await s2r.c.send(ApiKey.Heartbeat, 4, heartbeatBody(staticGroup, s2r.generation, s2r.id, s2r.instanceId)));
  rec('static/describe', await s2r.c.send(ApiKey.DescribeGroups, 5, { groups: [staticGroup], includeAuthorizedOperations: false }));
  const s2Now = await heldWhileFollowerPaused(steps, rec, { group: staticGroup, leader: o.leader, s1: s1Now, s2: s2r, topics, connect: to, named });
  return { dynamicGroup, staticGroup, a, b, s1: s1Now, s2: s2Now, labels };
}

/**
 * A follower of the static group's `__consumer_offsets` partition paused (SIGSTOP) while S2
 * restarts once more (a static replacement in a Stable group: the coordinator writes the group
 * record) and S1 heartbeats: Kafka 4.4's coordinator runtime answers the replacement only once the
 * partition's writes are committed, i.e. when the follower is resumed (and the heartbeat too when it
 * arrives while that write is pending, which the test cannot order); a heartbeat it refuses (an
 * unknown member) is answered at once. The pause is short (1.5 s) so that neither kind drops the follower
 * from the ISR nor fences the broker (Kafka's broker.session.timeout.ms here is 6 s). What the
 * held answers are after the resume is compared too. (Kafka and Tributary answered the same by hand
 * with the follower paused past offsets.commit.timeout.ms: COORDINATOR_NOT_AVAILABLE after 5 s, the
 * replacement undone; not run here, as a pause that long would get Kafka's broker fenced.) That the
 * answers wait for the resume is asserted on Tributary only (below).
 */
async function heldWhileFollowerPaused(steps: ClusterSteps, rec: (name: string, answer: unknown) => void, o: { group: string; leader: number; s1: Member; s2: Member; topics: string[]; connect: () => Promise<RawClient>; named: (m: Member, res: JoinGroupResponse) => void }): Promise<Member> {
  const { kind } = steps.cluster;
  const probe = await o.connect();
  const md = await probe.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [{ name: OFFSETS_TOPIC, topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  const partition = coordinatorPartitionFor(o.group, md.topics[0]!.partitions.length);
  const isr = await steps.cluster.waitForIsr(OFFSETS_TOPIC, partition, 3, 60_000);
  const controller = await steps.cluster.controller();
  const follower = isr.find((id) => id !== o.leader && id !== controller)!;
  const s2 = { label: 'S2-restarted-while-paused', c: await o.connect(), id: '', generation: -1, instanceId: o.s2.instanceId };
  steps.cluster.pause(follower);
  let replacing: Promise<Outcome>;
  let beating: Promise<Outcome>;
  const answered = new Set<string>();
  let before: string[];
  try {
    replacing = s2.c.send(ApiKey.JoinGroup, V9, joinBody(V9, o.group, '', o.topics, { sessionMs: SESSION_MS, instanceId: s2.instanceId! }));
    beating = o.s1.c.send(ApiKey.Heartbeat, 4, heartbeatBody(o.group, o.s1.generation, o.s1.id, o.s1.instanceId));
    void replacing.then(() => answered.add('replacement'));
    // The heartbeat goes on another connection: whether it reaches the coordinator before the
    // replacement's record is pending (then it waits for it) or after is a race, on Kafka too (seen
    // answered at once by Kafka 4.4 in one run); only its final answer is compared.
    rec('paused-follower/unknown-member-heartbeat', await probe.send(ApiKey.Heartbeat, 4, heartbeatBody(o.group, o.s1.generation, 'nobody', null)));
    // Not answered while the follower is paused: an observation window (what must not happen), not a wait for a condition.
    await new Promise((r) => setTimeout(r, 1500));
    before = [...answered].sort();
  } finally {
    steps.cluster.resume(follower);
  }
  const back = bodyOf<JoinGroupResponse>(await replacing, `${kind}: S2's restart while a follower was paused`);
  o.named(s2, back);
  rec('paused-follower/s2-restart-join', response(back));
  rec('paused-follower/s1-heartbeat', await beating);
  // Tributary holds the replacement's answer until the write is committed, as Kafka 4.4 did in every
  // run by hand and in most runs here (2026-12-03). Kafka is not held to it: in 2 of 10 runs of this
  // file at load 4-10 (session 18) it answered inside the window, never when its cluster ran alone,
  // most likely because its leader had already dropped the busy follower from the ISR (a shrink
  // not yet in the controller's metadata that waitForIsr reads; not proven). So which answers came
  // before the resume is not compared between the two, only asserted on Tributary.
  if (kind === 'Tributary') expect({ before, join: back.errorCode }, `${kind}: answers held until the follower resumed`).toEqual({ before: [], join: 0 });
  else expect(back.errorCode, `${kind}: S2's restart while a follower was paused`).toBe(0);
  rec('paused-follower/s2-restart-sync', await s2.c.send(ApiKey.SyncGroup, 5, syncBody(5, o.group, s2.generation, s2.id, [], s2.instanceId)));
  await steps.cluster.waitForIsr(OFFSETS_TOPIC, partition, 3, 60_000);
  probe.close();
  return s2;
}

/** SyncGroup of one generation: the followers' first (Kafka holds them until the leader's), then the leader's with `plan`. */
async function syncRound(steps: ClusterSteps, rec: (name: string, answer: unknown) => void, name: string, group: string, members: Member[], leaderId: string, plan: Record<string, Record<string, number[]>>): Promise<void> {
  const leader = members.find((m) => m.id === leaderId);
  if (!leader) throw new Error(`${steps.cluster.kind}: ${name}: the leader ${leaderId} is none of the members`);
  const followers = members.filter((m) => m !== leader).map((m) => ({ m, syncing: m.c.send(ApiKey.SyncGroup, 5, syncBody(5, group, m.generation, m.id, [], m.instanceId)) }));
  const assignments = Object.entries(plan).map(([memberId, parts]) => ({ memberId, assignment: assignment(parts) }));
  rec(`${name}/leader-sync`, await leader.c.send(ApiKey.SyncGroup, 5, syncBody(5, group, leader.generation, leader.id, assignments, leader.instanceId)));
  for (const f of followers) rec(`${name}/follower-${f.m.label}-sync`, await f.syncing);
}

/**
 * After the coordinator was killed: both groups on their new coordinator. `killed` is the dead
 * broker; `via` any live broker's connection; `roles` names the survivors.
 */
export async function groupsAfterKill(steps: ClusterSteps, before: GroupsBeforeKill, o: { killed: number; via: RawClient; roles: Map<number, string>; topic: string }): Promise<void> {
  const { kind } = steps.cluster;
  const { dynamicGroup, staticGroup, a, b, labels } = before;
  const rec = (name: string, answer: unknown) => steps.record(`after-kill/groups/${name}`, relabel(answer, labels), o.roles);
  const coordinator = async (group: string) => {
    const found = await coordinatorOf(o.via, 0, group, o.killed, `${kind}: a new coordinator for ${labels.get(group)}`);
    return { found, connect: () => steps.connect(steps.address.get(found.coordinators[0]!.nodeId)!) };
  };

  // ---- dynamic ----
  const dyn = await coordinator(dynamicGroup);
  rec('dynamic/find-coordinator', response(dyn.found));
  // The members reconnect to the new coordinator.
  a.c = await dyn.connect();
  b.c = await dyn.connect();
  // Until it has loaded the group and serves the offset committed in generation 2 (see the one-member group: Kafka serves it once the new leader knows the high watermark).
  await until(async () => {
    const r = await a.c.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 8, fetchOffsetsBody(8, dynamicGroup, [{ name: o.topic, partitionIndexes: [0] }]));
    return r.groups[0]?.errorCode === 0 && r.groups[0].topics[0]?.partitions[0]?.committedOffset === 7n ? true : null;
  }, `${kind}: the new coordinator serving the dynamic group's offset`, 60_000);
  rec('dynamic/a-heartbeat', await a.c.send(ApiKey.Heartbeat, 4, heartbeatBody(dynamicGroup, a.generation, a.id)));
  rec('dynamic/b-heartbeat', await b.c.send(ApiKey.Heartbeat, 4, heartbeatBody(dynamicGroup, b.generation, b.id)));
  rec('dynamic/b-leave', await b.c.send(ApiKey.LeaveGroup, 5, { groupId: dynamicGroup, members: [{ memberId: b.id, groupInstanceId: null, reason: 'test' }] }));
  const told = await until(async () => {
    const r = await a.c.request<HeartbeatResponse>(ApiKey.Heartbeat, 4, heartbeatBody(dynamicGroup, a.generation, a.id));
    return r.errorCode === 0 ? null : r;
  }, `${kind}: A told of the rebalance B's leaving started`, 30_000);
  rec('dynamic/a-heartbeat-after-b-left', response(told));
  const rejoined = await a.c.send(ApiKey.JoinGroup, V9, joinBody(V9, dynamicGroup, a.id, [o.topic], { sessionMs: SESSION_MS }));
  rec('dynamic/a-rejoin', rejoined);
  const g3 = bodyOf<JoinGroupResponse>(rejoined, `${kind}: A's rejoin on the new coordinator`);
  a.generation = g3.generationId;
  await syncRound(steps, rec, 'dynamic/generation-3', dynamicGroup, [a], g3.leader, { [a.id]: { [o.topic]: [0] } });
  rec('dynamic/offset-fetch', await a.c.send(ApiKey.OffsetFetch, 8, fetchOffsetsBody(8, dynamicGroup, [{ name: o.topic, partitionIndexes: [0] }])));
  rec('dynamic/a-commit', await a.c.send(ApiKey.OffsetCommit, 8, commitBody(8, dynamicGroup, a.generation, a.id, o.topic, [[0, 8n]])));
  rec('dynamic/describe', await a.c.send(ApiKey.DescribeGroups, 5, { groups: [dynamicGroup], includeAuthorizedOperations: false }));

  // ---- static ----
  const stat = await coordinator(staticGroup);
  const toStatic = await stat.connect();
  // Until the group is loaded as it was: Stable, both static members (see above for Kafka's high watermark).
  await until(async () => {
    const g = (await toStatic.request<DescribeGroupsResponse>(ApiKey.DescribeGroups, 5, { groups: [staticGroup], includeAuthorizedOperations: false })).groups[0];
    return g?.errorCode === 0 && g.groupState === 'Stable' && g.members.length === 2 ? true : null;
  }, `${kind}: the new coordinator holding the static group`, 60_000);
  rec('static/describe', await toStatic.send(ApiKey.DescribeGroups, 5, { groups: [staticGroup], includeAuthorizedOperations: false }));
  const s1 = { ...before.s1, c: toStatic };
  rec('static/s1-heartbeat', await s1.c.send(ApiKey.Heartbeat, 4, heartbeatBody(staticGroup, s1.generation, s1.id, s1.instanceId)));
  // S2 restarts once more, now on the new coordinator.
  const s2: Member = { label: 'S2-restarted-after-kill', c: await stat.connect(), id: '', generation: -1, instanceId: before.s2.instanceId };
  const back = bodyOf<JoinGroupResponse>(await s2.c.send(ApiKey.JoinGroup, V9, joinBody(V9, staticGroup, '', [o.topic], { sessionMs: SESSION_MS, instanceId: s2.instanceId! })), `${kind}: S2's restart after the kill`);
  labels.set(back.memberId, s2.label);
  rec('static/s2-restart-join', response(back));
  rec('static/s2-restart-sync', await s2.c.send(ApiKey.SyncGroup, 5, syncBody(5, staticGroup, back.generationId, back.memberId, [], s2.instanceId)));
  rec('static/describe-after-restart', await s1.c.send(ApiKey.DescribeGroups, 5, { groups: [staticGroup], includeAuthorizedOperations: false }));
}
