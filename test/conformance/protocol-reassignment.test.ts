import { afterAll, beforeAll, describe, it } from 'vitest';
import { ApiKey, type MetadataResponse } from '@tributary/protocol';
import { advertised, common, expectCovered, type Advertised } from './coverage.ts';
import { compare, createTopic, startPair, type Pair, type Side } from './harness.ts';
import { until } from '../support/until.ts';

/**
 * Differential scenarios for partition reassignment and leader elections (issue 20) on one broker
 * each: what a single node answers (nothing moves, its replica always leads) and every error path
 * that needs no second broker. Moving data between brokers is proven on a cluster with Kafka's own
 * tools (test/cluster/reassignment.test.ts).
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

  it("covers every version Tributary advertises of this file's APIs", () => {
    expectCovered('protocol-reassignment', adv);
  });
});
