import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode, type DescribeGroupsResponse, type ListGroupsResponse, type OffsetFetchResponse } from '@tributary/protocol';
import { BrokerConnection, KafkaAdminClient } from '@tributary/kafka-admin';
import { coordinatorPartitionFor } from '../../apps/broker/src/topics/internal-topics.ts';
import { TEST_BROKER_SETTINGS } from '../support/broker-process.ts';
import { startCluster, type TestCluster } from '../support/cluster.ts';
import { until } from '../support/until.ts';

// libs/kafka-admin against a real 3-broker cluster on etcd. The admin client is connected to a broker
// that is NOT the controller: topic creation, deletion and partition growth only succeed if they are
// routed to the controller (a non-controller answers NOT_CONTROLLER); offsets only if each partition's
// leader is asked (others answer NOT_LEADER_OR_FOLLOWER); group reads only on the group's coordinator.
const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');
let cluster: TestCluster;
/** The instance's consumer-group limit; the last test fills it with groups coordinated by different brokers. */
const GROUP_LIMIT = 16;
let admin: KafkaAdminClient;
let controller: number;
let connectedTo: number;

beforeAll(async () => {
  cluster = await startCluster({ brokers: 3, settings: { 'min.insync.replicas': '2', 'tributary.instance.max.consumer.groups': String(GROUP_LIMIT) } });
  controller = await cluster.controllerId();
  connectedTo = [1, 2, 3].find((id) => id !== controller)!;
  admin = await KafkaAdminClient.connect(cluster.brokers.get(connectedTo)!.bootstrap, { timeoutMs: 10_000 });
}, 120_000);
afterAll(async () => {
  admin?.close();
  await cluster?.stop();
}, 60_000);


describe('KafkaAdminClient on a 3-broker cluster', () => {
  it('routes CreateTopics / CreatePartitions / DeleteTopics to the controller from a non-controller', { timeout: 120_000 }, async () => {
    expect((await admin.metadata([])).controllerId).toBe(controller);
    expect(connectedTo).not.toBe(controller);
    const created = await admin.createTopics([
      { name: 'routed', partitions: 6, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } },
      { name: 'too-wide', partitions: 1, replicationFactor: 4 },
    ]);
    expect(created.get('routed')).toBeNull();
    expect(created.get('too-wide')).toMatchObject({ errorName: 'INVALID_REPLICATION_FACTOR' });
    const full = await until(async () => {
      const t = (await admin.metadata(['routed'])).topics[0]!;
      return t.partitions.every((p) => p.isr.length === 3 && p.leader >= 0) ? t : null;
    }, 'full ISR on every partition of routed');
    expect(full.partitions.map((p) => [...p.replicas].sort())).toEqual(Array.from({ length: 6 }, () => [1, 2, 3]));
    // Leadership is spread: the connected broker does not lead every partition.
    expect(new Set(full.partitions.map((p) => p.leader)).size).toBeGreaterThan(1);
    expect(await admin.underReplicatedPartitions()).toEqual([]);

    await admin.createPartitions('routed', 8);
    expect((await admin.metadata(['routed'])).topics[0]!.partitions).toHaveLength(8);
    await expect(admin.createPartitions('routed', 2)).rejects.toMatchObject({ errorName: 'INVALID_PARTITIONS' });

    await admin.createTopics([{ name: 'short-lived', partitions: 1, replicationFactor: 2 }]);
    expect((await admin.deleteTopics(['short-lived'])).get('short-lived')).toBeNull();
    await until(async () => !(await admin.metadata(null)).topics.some((t) => t.name === 'short-lived'), 'short-lived gone');
  });

  it('asks each partition leader for offsets and sizes, and the coordinator for group state', { timeout: 120_000 }, async () => {
    await admin.createTopics([{ name: 'counted', partitions: 3, replicationFactor: 3 }]);
    await until(async () => (await admin.metadata(['counted'])).topics[0]?.partitions.every((p) => p.isr.length === 3) ?? false, 'counted fully replicated');
    const kafka = new Kafka({ clientId: 'routing', brokers: cluster.bootstrap, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    for (let p = 0; p < 3; p++) await producer.send({ topic: 'counted', acks: -1, messages: Array.from({ length: 10 * (p + 1) }, () => ({ partition: p, value: 'x'.repeat(500) })) });
    await producer.disconnect();

    const leaders = (await admin.metadata(['counted'])).topics[0]!.partitions.map((p) => p.leader);
    const latest = await admin.listOffsets('counted', [0, 1, 2], 'latest');
    expect([0, 1, 2].map((p) => latest.get(p))).toEqual([10n, 20n, 30n]);
    expect([...(await admin.listOffsets('counted', [0, 1, 2], 'earliest')).values()]).toEqual([0n, 0n, 0n]);
    // At least one partition is led elsewhere, so the routing was needed for this answer.
    expect(leaders.some((l) => l !== connectedTo)).toBe(true);

    const sizes = await admin.partitionSizes('counted');
    expect(sizes.get(2)!).toBeGreaterThan(sizes.get(0)!);
    expect(sizes.get(0)!).toBeGreaterThan(5_000n);
    const byBroker = await admin.describeLogDirsByBroker([{ topic: 'counted', partitions: [0, 1, 2] }]);
    expect([...byBroker.keys()].sort()).toEqual([1, 2, 3]);
    for (const dirs of byBroker.values()) expect(dirs.flatMap((d) => d.partitions).map((p) => p.partition).sort()).toEqual([0, 1, 2]);

    const consumer = kafka.consumer({ groupId: 'routed-readers', sessionTimeout: 10_000, heartbeatInterval: 300 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'counted', fromBeginning: true });
    let seen = 0;
    await consumer.run({ eachMessage: async () => void seen++ });
    await until(() => seen >= 60, '60 messages consumed');
    // Whichever broker coordinates the group, the client asks that one.
    const coordinator = await admin.findCoordinator('routed-readers', 'group');
    expect([1, 2, 3]).toContain(coordinator.nodeId);
    expect((await admin.listGroups()).map((g) => g.groupId)).toContain('routed-readers');
    expect(await admin.describeGroup('routed-readers')).toMatchObject({ state: 'Stable', protocolType: 'consumer' });
    await consumer.disconnect();
    const committed = await until(async () => {
      const c = await admin.committedOffsets('routed-readers');
      return c.length === 3 && c.every((o) => o.offset >= 0n) ? c : null;
    }, 'offsets committed');
    expect(committed.map((c) => c.offset).sort((a, b) => Number(a - b))).toEqual([10n, 20n, 30n]);
    await admin.commitOffsets('routed-readers', [0, 1, 2].map((partition) => ({ topic: 'counted', partition, offset: 0n })));
    expect((await admin.committedOffsets('routed-readers')).map((c) => c.offset)).toEqual([0n, 0n, 0n]);
    expect((await admin.deleteGroups(['routed-readers'])).get('routed-readers')).toBeNull();
  });

  it('coordinates each group on the leader of its __consumer_offsets partition (Kafka\'s partitioning): FindCoordinator names it, the other brokers answer NOT_COORDINATOR, ListGroups on each broker lists its own groups', { timeout: 120_000 }, async () => {
    const count = Number(TEST_BROKER_SETTINGS['offsets.topic.num.partitions']);
    await admin.createTopics([{ name: 'grouped', partitions: 1, replicationFactor: 3 }]);
    const leaders = await until(async () => {
      const t = (await admin.metadata(['__consumer_offsets', 'grouped'])).topics;
      const offsets = t.find((x) => x.name === '__consumer_offsets');
      const ready = offsets?.partitions.length === count && offsets.partitions.every((p) => p.leader >= 0) && t.find((x) => x.name === 'grouped')?.partitions[0]?.leader !== undefined;
      return ready ? new Map(offsets.partitions.map((p) => [p.partition, p.leader])) : null;
    }, 'every __consumer_offsets partition led');
    // The controller spreads the partitions' leaders: groups have more than one coordinator.
    expect(new Set(leaders.values()).size).toBeGreaterThan(1);
    // One group per partition.
    const groups = new Map<number, string>();
    for (let i = 0; groups.size < count; i++) if (!groups.has(coordinatorPartitionFor(`spread-${i}`, count))) groups.set(coordinatorPartitionFor(`spread-${i}`, count), `spread-${i}`);
    const connections = new Map(await Promise.all([1, 2, 3].map(async (id) => [id, await BrokerConnection.open('127.0.0.1', cluster.brokers.get(id)!.port, 'routing-test')] as const)));
    try {
      for (const [partition, group] of groups) {
        const coordinator = leaders.get(partition)!;
        expect((await admin.findCoordinator(group, 'group')).nodeId, group).toBe(coordinator);
        await admin.commitOffsets(group, [{ topic: 'grouped', partition: 0, offset: BigInt(partition + 1) }]);
        expect(await admin.committedOffsets(group, [{ topic: 'grouped', partitions: [0] }])).toEqual([{ topic: 'grouped', partition: 0, offset: BigInt(partition + 1) }]);
        for (const [id, c] of connections) {
          const answer = await c.send<OffsetFetchResponse>(ApiKey.OffsetFetch, 8, { groups: [{ groupId: group, topics: [{ name: 'grouped', partitionIndexes: [0] }] }], requireStable: false });
          expect(answer.groups[0]!.errorCode, `${group} asked on broker ${id}`).toBe(id === coordinator ? 0 : ErrorCode.NOT_COORDINATOR);
        }
      }
      // Several groups in one request: each answered by its own coordinator, NOT_COORDINATOR on the others.
      for (const [id, c] of connections) {
        const described = await c.send<DescribeGroupsResponse>(ApiKey.DescribeGroups, 5, { groups: [...groups.values()], includeAuthorizedOperations: false });
        expect(described.groups.map((g) => [g.groupId, g.errorCode]), `DescribeGroups on broker ${id}`).toEqual([...groups].map(([p, g]) => [g, leaders.get(p) === id ? 0 : ErrorCode.NOT_COORDINATOR]));
      }
      for (const [id, c] of connections) {
        const listed = (await c.send<ListGroupsResponse>(ApiKey.ListGroups, 4, { statesFilter: [] })).groups.map((g) => g.groupId).filter((g) => g.startsWith('spread-'));
        expect(listed.sort(), `groups listed by broker ${id}`).toEqual([...groups].filter(([p]) => leaders.get(p) === id).map(([, g]) => g).sort());
      }
    } finally {
      for (const c of connections.values()) c.close();
    }
  });

  it('counts the instance\'s consumer groups over every coordinator: past the limit a new group is refused whichever broker coordinates it', { timeout: 120_000 }, async () => {
    const count = Number(TEST_BROKER_SETTINGS['offsets.topic.num.partitions']);
    const leaders = new Map((await admin.metadata(['__consumer_offsets'])).topics[0]!.partitions.map((p) => [p.partition, p.leader]));
    const coordinatorOf = (group: string) => leaders.get(coordinatorPartitionFor(group, count))!;
    const connections = new Map(await Promise.all([1, 2, 3].map(async (id) => [id, await BrokerConnection.open('127.0.0.1', cluster.brokers.get(id)!.port, 'group-limit-test')] as const)));
    const listedOn = async (id: number) => (await connections.get(id)!.send<ListGroupsResponse>(ApiKey.ListGroups, 4, { statesFilter: [] })).groups.length;
    const joinOn = async (c: BrokerConnection, group: string) => (await c.send<{ errorCode: number }>(ApiKey.JoinGroup, 3, { groupId: group, sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 60_000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] })).errorCode;
    const join = async (group: string) => joinOn(connections.get(coordinatorOf(group))!, group);
    try {
      const existing = (await Promise.all([1, 2, 3].map(listedOn))).reduce((a, b) => a + b, 0);
      expect(existing, 'groups left by the tests before').toBeLessThan(GROUP_LIMIT);
      // New groups up to the limit, taken in turn from each coordinator so that every broker holds some.
      const byCoordinator = new Map<number, string[]>([[1, []], [2, []], [3, []]]);
      for (let i = 0; [...byCoordinator.values()].some((g) => g.length < GROUP_LIMIT); i++) byCoordinator.get(coordinatorOf(`limited-${i}`))?.push(`limited-${i}`);
      const fresh: string[] = [];
      for (let turn = 0; fresh.length < GROUP_LIMIT - existing; turn++) fresh.push(byCoordinator.get((turn % 3) + 1)![Math.floor(turn / 3)]!);
      const last = fresh.pop()!;
      for (const group of fresh) expect(await join(group), `JoinGroup creating ${group}`).toBe(0);
      // The last place, asked for by three joins for new groups on one coordinator at once (each on its own
      // connection, while that broker asks the others for their counts): each counts the others being created, one gets it.
      const target = coordinatorOf(last);
      const racing = [last, ...byCoordinator.get(target)!.filter((g) => g !== last && !fresh.includes(g)).slice(0, 2)];
      const racers = await Promise.all(racing.map(() => BrokerConnection.open('127.0.0.1', cluster.brokers.get(target)!.port, 'group-limit-race')));
      try {
        const codes = await Promise.all(racing.map((g, i) => joinOn(racers[i]!, g)));
        expect(codes.sort((a, b) => a - b), `joins creating ${racing.join(', ')} at once on broker ${target}`).toEqual([0, ErrorCode.POLICY_VIOLATION, ErrorCode.POLICY_VIOLATION]);
      } finally {
        for (const c of racers) c.close();
      }
      fresh.push(...racing);
      // One more, on the broker coordinating the fewest: its own groups are below the limit, the instance's are not.
      const ownCounts = await Promise.all([1, 2, 3].map(async (id) => [id, await listedOn(id)] as const));
      const [quietest, own] = ownCounts.sort((a, b) => a[1] - b[1])[0]!;
      expect(own, `groups coordinated by broker ${quietest}`).toBeLessThan(GROUP_LIMIT);
      const oneTooMany = byCoordinator.get(quietest)!.find((g) => !fresh.includes(g))!;
      expect(await join(oneTooMany), `JoinGroup creating ${oneTooMany} on broker ${quietest}`).toBe(ErrorCode.POLICY_VIOLATION);
    } finally {
      for (const c of connections.values()) c.close();
    }
  });
});
