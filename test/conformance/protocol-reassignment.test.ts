import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode, type ApiVersionsResponse, type CreateTopicsResponse, type ListPartitionReassignmentsResponse, type MetadataResponse } from '@tributary/protocol';
import { advertised, common, expectCovered, type Advertised } from './coverage.ts';
import { compare, createTopic, expectRunsExplained, startPair, upsertScramUser, type Pair, type Side } from './harness.ts';
import { RawClient } from './raw-client.ts';
import { startTargetCluster, type ClusterKind, type TargetCluster } from '../support/target-cluster.ts';
import { until } from '../support/until.ts';

/**
 * Differential scenarios for partition reassignment and leader elections (issue 20) on one broker
 * each: what a single node answers (nothing moves, its replica always leads) and every error path
 * that needs no second broker. Moving data between brokers is proven on a cluster with Kafka's own
 * tools (test/cluster/reassignment.test.ts). KIP-860's allow_replication_factor_change needs a
 * second registered broker before a replica count can change at all, so its scenario runs on two
 * brokers of each kind (the last describe).
 */

let pair: Pair;
let adv: Advertised;

beforeAll(async () => {
  pair = await startPair();
  adv = await advertised(pair);
  await Promise.all([createTopic(pair.kafka, 'moves', 2), createTopic(pair.tributary, 'moves', 2)]);
}, 180_000);
afterAll(async () => {
  await pair?.stop();
});

const send = async (s: Side, apiKey: number, v: number, body: unknown) => (await s.client()).send(apiKey, v, body);
const nodeId = async (s: Side) => (await (await s.client()).request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })).brokers[0]!.nodeId;

describe('reassignment and elections against Apache Kafka 4.4 (one broker each)', () => {
  it('AlterPartitionReassignments and ListPartitionReassignments: no-op moves, cancels without a move, unknown partitions, invalid targets', async () => {
    for (const v of common(adv, ApiKey.AlterPartitionReassignments)) {
      await compare(pair, `alter-partition-reassignments/v${v}`, async (s) => {
        const me = await nodeId(s);
        return send(s, ApiKey.AlterPartitionReassignments, v, {
          timeoutMs: 30_000,
          topics: [
            { name: 'moves', partitions: [{ partitionIndex: 0, replicas: [me] }, { partitionIndex: 1, replicas: null }, { partitionIndex: 7, replicas: [me] }] },
            { name: 'moves-none', partitions: [{ partitionIndex: 0, replicas: [me] }] },
          ],
        });
      });
      await compare(pair, `alter-partition-reassignments/deadline-passed/v${v}`, async (s) => {
        const me = await nodeId(s);
        return send(s, ApiKey.AlterPartitionReassignments, v, { timeoutMs: 0, topics: [{ name: 'moves', partitions: [{ partitionIndex: 0, replicas: [me] }] }, { name: 'moves-none', partitions: [{ partitionIndex: 0, replicas: [me] }] }] });
      });
      await compare(pair, `alter-partition-reassignments/invalid/v${v}`, async (s) => {
        const me = await nodeId(s);
        return send(s, ApiKey.AlterPartitionReassignments, v, { timeoutMs: 30_000, topics: [{ name: 'moves', partitions: [{ partitionIndex: 0, replicas: [me, me] }, { partitionIndex: 1, replicas: [me + 100] }] }] });
      });
    }
    for (const v of common(adv, ApiKey.ListPartitionReassignments)) {
      await compare(pair, `list-partition-reassignments/all/v${v}`, (s) => send(s, ApiKey.ListPartitionReassignments, v, { timeoutMs: 30_000, topics: null }));
      await compare(pair, `list-partition-reassignments/named/v${v}`, (s) => send(s, ApiKey.ListPartitionReassignments, v, { timeoutMs: 30_000, topics: [{ name: 'moves', partitionIndexes: [0, 1, 9] }, { name: 'moves-none', partitionIndexes: [0] }] }));
    }
  });

  it('ElectLeaders at every version: preferred and unclean on a partition that has its leader, unknown partitions, all partitions', async () => {
    for (const v of common(adv, ApiKey.ElectLeaders)) {
      for (const electionType of v === 0 ? [0] : [0, 1]) {
        await compare(pair, `elect-leaders/type-${electionType}/v${v}`, (s) =>
          send(s, ApiKey.ElectLeaders, v, { electionType, timeoutMs: 30_000, topicPartitions: [{ topic: 'moves', partitions: [0, 1, 8] }, { topic: 'moves-none', partitions: [0] }] }),
        );
        // A timeout of 0 or less: Kafka's controller deadline has passed, REQUEST_TIMED_OUT for all
        // (kafka-go's ElectLeaders sends 0 unless a Timeout is set).
        await compare(pair, `elect-leaders/deadline-passed/type-${electionType}/v${v}`, async (s) => ({
          named: await send(s, ApiKey.ElectLeaders, v, { electionType, timeoutMs: 0, topicPartitions: [{ topic: 'moves', partitions: [0, 8] }, { topic: 'moves-none', partitions: [0] }] }),
          all: await send(s, ApiKey.ElectLeaders, v, { electionType, timeoutMs: -1, topicPartitions: null }),
        }));
        await compare(pair, `elect-leaders/all/type-${electionType}/v${v}`, async (s) => {
          const o = await send(s, ApiKey.ElectLeaders, v, { electionType, timeoutMs: 30_000, topicPartitions: null });
          if (o.kind !== 'response') return o;
          // Internal topics are left out: Kafka creates __consumer_offsets on the first
          // FindCoordinator, a standalone Tributary broker when it starts.
          const b = o.body as { replicaElectionResults: { topic: string }[] };
          return { ...o, body: { ...b, replicaElectionResults: b.replicaElectionResults.filter((r) => !r.topic.startsWith('__')) } };
        });
      }
    }
  });

  it('UpdateFeatures at every version (kafka-features): Kafka\'s checks and messages, dry runs, and eligible.leader.replicas.version downgraded to 0 and back as ApiVersions shows it', async () => {
    type Update = { feature: string; maxVersionLevel: number; upgradeType?: number; allowDowngrade?: boolean };
    // v0 carries allowDowngrade (Kafka 4.4 ignores it: a downgrade needs v1's upgrade type), v1+ the upgrade type and validateOnly.
    const body = (v: number, updates: Update[], validateOnly = false) => ({
      timeoutMs: 30_000,
      featureUpdates: updates.map(({ upgradeType = 1, allowDowngrade = upgradeType !== 1, ...u }) => (v === 0 ? { ...u, allowDowngrade } : { ...u, upgradeType })),
      ...(v >= 1 ? { validateOnly } : {}),
    });
    const ELR = 'eligible.leader.replicas.version';
    for (const v of common(adv, ApiKey.UpdateFeatures)) {
      const cases: [string, Update[], boolean?][] = [
        ['same-level', [{ feature: ELR, maxVersionLevel: 1 }]],
        ['downgrade-without-downgrade-type', [{ feature: ELR, maxVersionLevel: 0 }]],
        ['downgrade-v0-allow-downgrade', [{ feature: ELR, maxVersionLevel: 0, upgradeType: 2 }], true],
        ['unknown-feature-fails-all', [{ feature: 'unknown.thing', maxVersionLevel: 1 }, { feature: 'group.version', maxVersionLevel: 1 }]],
        ['beyond-supported', [{ feature: 'group.version', maxVersionLevel: 5 }]],
        ['repeated-feature', [{ feature: 'group.version', maxVersionLevel: 1 }, { feature: 'group.version', maxVersionLevel: 1 }]],
        ['none', []],
        ...(v >= 1
          ? ([
              ['unknown-upgrade-type', [{ feature: 'group.version', maxVersionLevel: 1, upgradeType: 7 }]],
              ['dry-run-safe-downgrade', [{ feature: ELR, maxVersionLevel: 0, upgradeType: 2 }], true],
              ['dry-run-unsafe-downgrade', [{ feature: ELR, maxVersionLevel: 0, upgradeType: 3 }], true],
              ['dry-run-transaction-version-1', [{ feature: 'transaction.version', maxVersionLevel: 1, upgradeType: 2 }], true],
            ] as [string, Update[], boolean?][])
          : []),
      ];
      for (const [name, updates, validateOnly] of cases) await compare(pair, `update-features/${name}/v${v}`, (s) => send(s, ApiKey.UpdateFeatures, v, body(v, updates, validateOnly)));
    }
    // kafka-features downgrade --feature eligible.leader.replicas.version=0, then upgrade back: the
    // answers, and the finalized levels of the features Tributary lists as ApiVersions shows them (a
    // feature at 0 is left out; the epoch grows). Kafka's broker learns the levels from its controller: wait for them.
    const finalized = async (s: Side, elr: boolean, epochBefore = -1n) => {
      const read = async () => {
        const r = await (await s.client()).request<ApiVersionsResponse>(ApiKey.ApiVersions, 4, { clientSoftwareName: 'conformance', clientSoftwareVersion: '1' });
        return { features: r.finalizedFeatures.filter((f) => SUPPORTED.includes(f.name)).sort((a, b) => a.name.localeCompare(b.name)), epoch: r.finalizedFeaturesEpoch };
      };
      const r = await until(async () => {
        const now = await read();
        return now.features.some((f) => f.name === ELR) === elr ? now : null;
      }, `${s.name}: ApiVersions with ${ELR} ${elr ? 'finalized' : 'left out'}`, 30_000);
      return { features: r.features, epoch: r.epoch, epochGrew: r.epoch > epochBefore };
    };
    const SUPPORTED = [ELR, 'group.version', 'transaction.version'];
    const v = Math.max(...common(adv, ApiKey.UpdateFeatures));
    const epochs = new Map<string, bigint>();
    await compare(pair, 'update-features/downgrade-elr', async (s) => {
      epochs.set(s.name, (await finalized(s, true)).epoch);
      const answer = await send(s, ApiKey.UpdateFeatures, v, body(v, [{ feature: ELR, maxVersionLevel: 0, upgradeType: 2 }]));
      const after = await finalized(s, false, epochs.get(s.name));
      epochs.set(s.name, after.epoch);
      return { answer, features: after.features, epochGrew: after.epochGrew };
    });
    await compare(pair, 'update-features/upgrade-elr', async (s) => {
      const answer = await send(s, ApiKey.UpdateFeatures, v, body(v, [{ feature: ELR, maxVersionLevel: 1 }]));
      const after = await finalized(s, true, epochs.get(s.name));
      return { answer, features: after.features, epochGrew: after.epochGrew };
    });
    // Not Kafka's (test/conformance/README.md): Tributary always serves KIP-848 groups, so group.version stays 1.
    const refused = await send(pair.tributary, ApiKey.UpdateFeatures, v, body(v, [{ feature: 'group.version', maxVersionLevel: 0, upgradeType: 2 }], true));
    expect(refused).toMatchObject({ kind: 'response', body: { errorCode: 95, errorMessage: expect.stringContaining('Tributary keeps group.version 1') } });
  });

  it('replication throttles (KIP-73): broker rates set, described, refused and deleted, and topic throttled-replica lists validated, as kafka-reassign-partitions uses them', async () => {
    const RATES = ['leader.replication.throttled.rate', 'follower.replication.throttled.rate', 'replica.alter.log.dirs.io.max.bytes.per.second'];
    type Described = { results: { configs: { name: string; value: string | null; synonyms: { value: string | null }[] }[] }[] };
    const alter = (s: Side, name: string, configs: { name: string; configOperation: number; value: string | null }[], validateOnly = false) =>
      send(s, ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: 4, resourceName: name, configs }], validateOnly });
    const describe = (s: Side, name: string) => send(s, ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 4, resourceName: name, configurationKeys: RATES }], includeSynonyms: true, includeDocumentation: true });
    // Kafka applies a dynamic config through its metadata log, a moment after it answered: describe until it shows `expected` (name=value/synonym values).
    const settled = (s: Side, name: string, expected: string) => until(async () => {
      const o = await describe(s, name);
      if (o.kind !== 'response') return o;
      const shown = (o.body as Described).results[0]!.configs.map((c) => `${c.name}=${c.value}/${c.synonyms.map((x) => x.value).join('/')}`).sort().join(' ');
      return shown === expected ? o : null;
    }, `${s.name} to describe ${expected || 'no throttle'}`, 30_000);
    const [leader, follower] = RATES as [string, string];
    await compare(pair, 'throttles/set', async (s) => alter(s, String(await nodeId(s)), [{ name: leader, configOperation: 0, value: '1000' }, { name: follower, configOperation: 0, value: '2000' }]));
    await compare(pair, 'throttles/set-default', (s) => alter(s, '', [{ name: leader, configOperation: 0, value: '500' }]));
    await compare(pair, 'throttles/described', async (s) => settled(s, String(await nodeId(s)), `${follower}=2000/2000 ${leader}=1000/1000/500`));
    await compare(pair, 'throttles/described-default', (s) => settled(s, '', `${leader}=500/500`));
    for (const [i, value] of ['-5', 'abc', '1.5', '9223372036854775808', '', null].entries()) {
      await compare(pair, `throttles/invalid-${i}`, async (s) => alter(s, String(await nodeId(s)), [{ name: leader, configOperation: 0, value }]));
    }
    await compare(pair, 'throttles/append', async (s) => alter(s, String(await nodeId(s)), [{ name: leader, configOperation: 2, value: '5' }]));
    await compare(pair, 'throttles/other-broker', async (s) => alter(s, String((await nodeId(s)) + 6), [{ name: leader, configOperation: 0, value: '5' }]));
    await compare(pair, 'throttles/validate-only', async (s) => alter(s, String(await nodeId(s)), [{ name: leader, configOperation: 0, value: '77' }], true));
    await compare(pair, 'throttles/unchanged-by-validate-only', async (s) => settled(s, String(await nodeId(s)), `${follower}=2000/2000 ${leader}=1000/1000/500`));
    // kafka-reassign-partitions --verify deletes all three on every broker, and the default.
    await compare(pair, 'throttles/delete', async (s) => alter(s, String(await nodeId(s)), RATES.map((name) => ({ name, configOperation: 1, value: null }))));
    await compare(pair, 'throttles/delete-default', (s) => alter(s, '', RATES.map((name) => ({ name, configOperation: 1, value: null }))));
    await compare(pair, 'throttles/deleted', async (s) => settled(s, String(await nodeId(s)), ''));
    for (const [i, value] of ['*', ' * ', '0:1,1:1', '0:1, 1:1', '', 'x', '0:a', '0:1,*', '0:1:2', '-1:1'].entries()) {
      for (const name of ['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas']) {
        await compare(pair, `throttles/topic-replicas-${i}/${name}`, (s) => send(s, ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: 2, resourceName: 'moves', configs: [{ name, configOperation: 0, value }] }], validateOnly: true }));
      }
    }
  });

  it('KIP-860 on one broker: allow_replication_factor_change false with a same-size target is accepted, an empty one is refused as invalid first', async () => {
    for (const v of common(adv, ApiKey.AlterPartitionReassignments).filter((x) => x >= 1)) {
      await compare(pair, `alter-partition-reassignments/no-rf-change/v${v}`, async (s) => {
        const me = await nodeId(s);
        return send(s, ApiKey.AlterPartitionReassignments, v, { timeoutMs: 30_000, allowReplicationFactorChange: false, topics: [{ name: 'moves', partitions: [{ partitionIndex: 0, replicas: [me] }, { partitionIndex: 1, replicas: [] }] }] });
      });
    }
  });

  it('DescribeQuorum (kafka-metadata-quorum) and UnregisterBroker (kafka-cluster unregister): the one node leads its quorum; other partitions and unknown ids refused', async () => {
    for (const v of common(adv, ApiKey.DescribeQuorum)) {
      await compare(pair, `describe-quorum/v${v}`, (s) => send(s, ApiKey.DescribeQuorum, v, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] }));
      await compare(pair, `describe-quorum/unknown/v${v}`, (s) => send(s, ApiKey.DescribeQuorum, v, { topics: [{ topicName: 'moves', partitions: [{ partitionIndex: 0 }] }, { topicName: '__cluster_metadata', partitions: [{ partitionIndex: 1 }] }] }));
    }
    for (const v of common(adv, ApiKey.UnregisterBroker)) {
      await compare(pair, `unregister-broker/unknown/v${v}`, async (s) => send(s, ApiKey.UnregisterBroker, v, { brokerId: (await nodeId(s)) + 98 }));
    }
    // Kafka's controller authorises both on the cluster (DESCRIBE, ALTER): a SCRAM user without
    // ACLs is refused with CLUSTER_AUTHORIZATION_FAILED, nothing unregistered.
    await Promise.all([pair.kafka, pair.tributary].map((s) => upsertScramUser(s, 'quorum-user', 'quorum-secret')));
    await compare(pair, 'describe-quorum-unregister-broker/unauthorised', async (s) => {
      // The new credential reaches Kafka's broker through its metadata: log in once it does.
      const c = await until(() => RawClient.connect(s.saslBootstrap, s.name, { sasl: { mechanism: 'SCRAM-SHA-256', username: 'quorum-user', password: 'quorum-secret' } }), `${s.name}: quorum-user's login`, 30_000);
      try {
        const me = await nodeId(s);
        const answers = {
          describeQuorum: await c.send(ApiKey.DescribeQuorum, 2, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] }),
          unregister: await c.send(ApiKey.UnregisterBroker, 0, { brokerId: me }),
          stillRegistered: (await (await s.client()).request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false })).brokers.map((b) => b.nodeId === me),
        };
        // Equal answers could be equal successes: each must be the refusal.
        for (const a of [answers.describeQuorum, answers.unregister]) expect(a, s.name).toMatchObject({ kind: 'response', body: { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED } });
        return answers;
      } finally {
        c.close();
      }
    });
  });

  it("covers every version Tributary advertises of this file's APIs", () => {
    expectCovered('protocol-reassignment', adv);
  });
});

/**
 * KIP-860 (AlterPartitionReassignments v1) on two brokers of each kind: with the flag false a
 * target that grows or shrinks a partition's replica set is refused with INVALID_REPLICATION_FACTOR
 * ("The replication factor is changed from 1 to 2", and 2 to 1), checked after the target's own validity (an
 * empty target stays INVALID_REPLICA_ASSIGNMENT) while a same-size move goes ahead; with it true the
 * same targets are accepted and the replica sets end as asked. Broker ids become roles (a = the
 * lower id, b = the other) so the answers and the final replica sets compare directly.
 */
describe('AlterPartitionReassignments v1 (KIP-860) against Apache Kafka 4.4 on two brokers each', () => {
  const runs = new Map<ClusterKind, { observed: Record<string, unknown>; runStart: number }>();
  let running: TargetCluster | undefined;
  afterAll(async () => running?.stop(), 60_000);

  async function scenario(cluster: TargetCluster): Promise<{ observed: Record<string, unknown>; runStart: number }> {
    const runStart = Date.now();
    const target = cluster.kind === 'Tributary' ? 'cluster-tributary' : 'cluster-kafka';
    const observed: Record<string, unknown> = {};
    const any = await RawClient.connect(cluster.live()[0]!, target);
    const clients = [any];
    try {
      const md = await any.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      const [a, b] = md.brokers.map((x) => x.nodeId).sort((x, y) => x - y) as [number, number];
      const role = (id: number) => (id === a ? 'a' : id === b ? 'b' : `unknown-${id}`);
      const controller = md.brokers.find((x) => x.nodeId === md.controllerId)!;
      const toController = await RawClient.connect(`${controller.host}:${controller.port}`, target);
      clients.push(toController);
      // Kafka takes manual assignments of one size per topic: 'rf' has one replica per partition, 'rf-two' two.
      const topic = (name: string, sets: number[][]) => ({ name, numPartitions: -1, replicationFactor: -1, assignments: sets.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })), configs: [] });
      const created = await toController.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, { topics: [topic('rf', [[a], [a], [a]]), topic('rf-two', [[a, b]])], timeoutMs: 30_000, validateOnly: false });
      expect(created.topics.map((t) => t.errorCode), `${cluster.kind}: CreateTopics`).toEqual([0, 0]);
      await cluster.waitForIsr('rf-two', 0, 2, 60_000);
      const alter = (allowReplicationFactorChange: boolean, rf: { partitionIndex: number; replicas: number[] | null }[], two: { partitionIndex: number; replicas: number[] | null }[]) =>
        toController.send(ApiKey.AlterPartitionReassignments, 1, { timeoutMs: 30_000, allowReplicationFactorChange, topics: [{ name: 'rf', partitions: rf }, { name: 'rf-two', partitions: two }] });
      observed['refused'] = await alter(false, [
        { partitionIndex: 0, replicas: [a, b] },
        { partitionIndex: 1, replicas: [b] },
        { partitionIndex: 2, replicas: [] },
        { partitionIndex: 9, replicas: [a] },
      ], [{ partitionIndex: 0, replicas: [b] }]);
      observed['allowed'] = await alter(true, [{ partitionIndex: 0, replicas: [a, b] }], [{ partitionIndex: 0, replicas: [b] }]);
      await until(async () => {
        const listed = await toController.request<ListPartitionReassignmentsResponse>(ApiKey.ListPartitionReassignments, 0, { timeoutMs: 30_000, topics: null });
        return listed.topics.length === 0 ? true : null;
      }, `${cluster.kind}: every reassignment of rf to complete`, 90_000);
      let last = '';
      observed['replicas'] = await until(async () => {
        const zero = '00000000-0000-0000-0000-000000000000';
        const m = await any.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [{ name: 'rf', topicId: zero }, { name: 'rf-two', topicId: zero }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
        const shown = [...m.topics].sort((x, y) => (x.name ?? '').localeCompare(y.name ?? '')).flatMap((t) => [...t.partitions].sort((x, y) => x.partitionIndex - y.partitionIndex).map((p) => `${t.name}-${p.partitionIndex}:${p.replicaNodes.map(role).join(',')}`));
        // Metadata follows the controller a moment later: wait for the sets the requests asked for
        // (rf-0 grown, rf-1 moved, rf-2 untouched, rf-two-0 shrunk); on a timeout the last one seen is named.
        last = shown.join(' ');
        return last === 'rf-0:a,b rf-1:b rf-2:a rf-two-0:b' ? shown : null;
      }, `${cluster.kind}: the replica sets in Metadata`, 60_000, () => `last seen "${last}"`);
    } finally {
      for (const c of clients) c.close();
    }
    return { observed, runStart };
  }

  it('Apache Kafka and Tributary: refused and accepted replication-factor changes, and the replica sets after', async () => {
    for (const kind of ['Apache Kafka', 'Tributary'] as ClusterKind[]) {
      running = await startTargetCluster(kind, { brokers: 2, settings: {}, timeoutMs: 180_000 });
      try {
        runs.set(kind, await scenario(running));
      } finally {
        await running.stop();
        running = undefined;
      }
    }
    const kafka = runs.get('Apache Kafka')!;
    const tributary = runs.get('Tributary')!;
    // Not a self-comparison only: Kafka's own answer is the one named in KIP-860.
    const refused = kafka.observed['refused'] as { kind: string; body: { responses: { partitions: { partitionIndex: number; errorCode: number; errorMessage: string | null }[] }[] } };
    expect(refused.body.responses[0]!.partitions.find((p) => p.partitionIndex === 0)).toMatchObject({ errorCode: 38, errorMessage: 'The replication factor is changed from 1 to 2' });
    expectRunsExplained('kip-860', kafka, tributary);
  }, 600_000);
});
