import { afterAll, beforeAll, describe, it } from 'vitest';
import { ApiKey, type MetadataResponse } from '@tributary/protocol';
import { advertised, common, expectCovered, type Advertised } from './coverage.ts';
import { compare, createTopic, startPair, type Pair, type Side } from './harness.ts';

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

  it("covers every version Tributary advertises of this file's APIs", () => {
    expectCovered('protocol-reassignment', adv);
  });
});
