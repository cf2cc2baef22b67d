import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerConnection, KafkaAdminClient } from '@tributary/kafka-admin';
import { ApiKey, encodeRecordBatch, type FetchResponse } from '@tributary/protocol';
import { startCluster, type TestCluster } from '../support/cluster.ts';
import { until } from '../support/until.ts';

// tributary_broker_bytes_out_total counts the record bytes consumers are sent: a long poll collects
// its partitions several times but answers once, and followers' replication fetches are counted
// apart (tributary_broker_replication_bytes_out_total) and left out of the client byte counters
// that quotas, the instance bandwidth and billing use. Issue 13's open item 3 (both were counted).
let cluster: TestCluster;
const TOPIC = 'bytes-out';

beforeAll(async () => {
  cluster = await startCluster({ brokers: 3, metrics: true, settings: { 'leader.imbalance.check.interval.seconds': '3600' }, timeoutMs: 60_000 });
  const admin = await KafkaAdminClient.connect(cluster.brokers.get(await cluster.controllerId())!.bootstrap, { timeoutMs: 15_000 });
  try {
    expect((await admin.createTopics([{ name: TOPIC, partitions: 1, replicationFactor: 3 }])).get(TOPIC)).toBeNull();
  } finally {
    admin.close();
  }
  await cluster.waitForIsr(TOPIC, 0, 3, 60_000);
}, 180_000);
afterAll(async () => cluster?.stop(), 60_000);

/** Sum of a counter's samples on one broker whose labels include `labels`. */
async function counter(nodeId: number, name: string, labels: Record<string, string>): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${cluster.brokers.get(nodeId)!.metricsPort}/metrics`);
  let sum = 0;
  for (const line of (await res.text()).split('\n')) {
    const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

describe('bytes out on a 3-broker cluster', () => {
  it('counts what consumers are sent once per answered fetch, and replication apart', async () => {
    const batch = encodeRecordBatch({ records: [{ key: null, value: Buffer.alloc(5000, 1) }] });
    const admin = await KafkaAdminClient.connect(cluster.bootstrap[0]!, { timeoutMs: 15_000 });
    try {
      await admin.produceBatch(TOPIC, 0, batch, { acks: -1 });
    } finally {
      admin.close();
    }
    const leader = await cluster.leaderOf(TOPIC, 0);
    // acks=-1 answered: both followers have fetched the batch from the leader.
    await until(async () => (await counter(leader, 'tributary_broker_replication_bytes_out_total', { topic: TOPIC })) >= 2 * batch.length, 'the leader counting both followers\' replication of the batch');
    for (const id of [1, 2, 3]) {
      expect(await counter(id, 'tributary_broker_bytes_out_total', { topic: TOPIC }), `broker ${id} before any consumer`).toBe(0);
      expect(await counter(id, 'tributary_broker_client_bytes_total', { direction: 'out' }), `broker ${id} client bytes before any consumer`).toBe(0);
    }

    // A long poll asking for far more than the partition holds: the broker reads the partition,
    // waits out maxWaitMs, reads it again and answers the second read.
    const [host, port] = cluster.brokers.get(leader)!.bootstrap.split(':') as [string, string];
    const conn = await BrokerConnection.open(host, Number(port), 'bytes-out-test', 30_000);
    let sent: number;
    try {
      const res = await conn.send<FetchResponse>(ApiKey.Fetch, 12, {
        replicaId: -1, maxWaitMs: 1000, minBytes: 1_000_000, maxBytes: 10_000_000, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1_000_000 }] }],
        forgottenTopicsData: [], rackId: '',
      });
      const p = res.responses[0]!.partitions[0]!;
      expect(p.errorCode).toBe(0);
      sent = (p.records as Buffer).length;
    } finally {
      conn.close();
    }
    expect(sent).toBe(batch.length);
    expect(await counter(leader, 'tributary_broker_bytes_out_total', { topic: TOPIC })).toBe(sent);
    expect(await counter(leader, 'tributary_broker_metered_bytes_total', { direction: 'out', topic: TOPIC })).toBe(sent);
    expect(await counter(leader, 'tributary_broker_client_bytes_total', { direction: 'out' })).toBe(sent);
    for (const id of [1, 2, 3].filter((n) => n !== leader)) {
      expect(await counter(id, 'tributary_broker_bytes_out_total', { topic: TOPIC }), `follower ${id}`).toBe(0);
      expect(await counter(id, 'tributary_broker_client_bytes_total', { direction: 'out' }), `follower ${id} client bytes`).toBe(0);
    }
  }, 120_000);
});
