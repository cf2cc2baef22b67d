import { describe, expect, it } from 'vitest';
import { API_DEFINITIONS, ApiKey, ErrorCode, Writer } from '@tributary/protocol';
import type { BrokerConfig } from '../config/broker-config.ts';
import { StandaloneCluster } from '../cluster/standalone.ts';
import type { TopicRegistry } from '../topics/topic-registry.ts';
import type { ApiRequest } from './api-module.ts';
import type { BrokerContext, RequestSession } from './context.ts';
import { describeQuorumApi } from './describe-quorum.ts';

// A standalone broker (the cluster of one) is real here; the handlers read nothing else of the
// context, and neither the topic registry nor the session is touched.
const listeners = [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }];
const ctx = { cluster: new StandaloneCluster({ nodeId: 1, advertisedListeners: listeners } as BrokerConfig, {} as TopicRegistry) } as unknown as BrokerContext;
const session = {} as RequestSession;

const describeQuorum = (apiVersion: number, topics: { topicName: string; partitions: { partitionIndex: number }[] }[]) =>
  describeQuorumApi.handle(ctx, { apiVersion, header: { clientId: 'test' }, body: { topics } } as unknown as ApiRequest<'DescribeQuorum'>, session);

/** Encoded and decoded again at `version`, as a client reads it. */
function onTheWire(body: unknown, version: number) {
  const codec = API_DEFINITIONS.get(ApiKey.DescribeQuorum)!.response;
  const w = new Writer();
  codec.encode(body as never, version, w);
  return codec.decode(w.toBuffer(), version) as { errorCode: number; topics: { topicName: string; partitions: { partitionIndex: number; errorCode: number; errorMessage: string | null; leaderId: number; currentVoters: { replicaId: number; lastFetchTimestamp: bigint }[] }[] }[]; nodes?: { nodeId: number; listeners: unknown[] }[] };
}

describe('DescribeQuorum', () => {
  it('answers UNKNOWN_TOPIC_OR_PARTITION for every partition it names when that is not __cluster_metadata-0 alone, as Kafka\'s Raft client', async () => {
    for (const topics of [[{ topicName: 'orders', partitions: [{ partitionIndex: 0 }] }], [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 1 }] }], [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }, { partitionIndex: 1 }] }]]) {
      const answer = onTheWire(await describeQuorum(2, topics), 2);
      expect(answer.errorCode).toBe(0);
      expect(answer.topics.flatMap((t) => t.partitions.map((p) => [t.topicName, p.partitionIndex, p.errorCode, p.errorMessage]))).toEqual(
        topics.flatMap((t) => t.partitions.map((p) => [t.topicName, p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.'])),
      );
    }
  });

  it('describes a standalone broker as the only voter and leader at every version: timestamps from v1, nodes with its listeners from v2', async () => {
    const metadata = [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }];
    for (const version of [0, 1, 2]) {
      const answer = onTheWire(await describeQuorum(version, metadata), version);
      const p = answer.topics[0]!.partitions[0]!;
      expect(p).toMatchObject({ partitionIndex: 0, errorCode: 0, leaderId: 1 });
      expect(p.currentVoters.map((v) => v.replicaId)).toEqual([1]);
      if (version >= 1) expect(p.currentVoters[0]!.lastFetchTimestamp).toBeGreaterThan(0n);
      if (version >= 2) expect(answer.nodes).toEqual([{ nodeId: 1, listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }] }]);
    }
  });
});
