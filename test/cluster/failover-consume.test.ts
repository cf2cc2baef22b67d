import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { kcatProduce } from '../support/kcat.ts';
import { startCluster, type TestCluster } from '../support/cluster.ts';
import { until } from '../support/until.ts';

// Issue 13, defect 2 as librdkafka saw it: a consumer reading a partition whose leader is killed
// and later takes the partition back (preferred leader). A broker that is no longer the leader answers the consumer's fetch
// with NOT_LEADER_OR_FOLLOWER; with a null record set there librdkafka failed to parse the whole
// response ("invalid MessageSetSize -1") instead of seeing the error, and the consumer re-read the
// partition. Each value must arrive exactly once, in order.
let cluster: TestCluster;
const TOTAL = 3000;

beforeAll(async () => {
  // Preferred-leader rebalancing every second: the killed leader, back in sync, takes the partition
  // back, so the consumer's next fetch reaches a live broker that no longer leads it.
  cluster = await startCluster({ brokers: 3, settings: { 'replica.lag.time.max.ms': '3000', 'auto.leader.rebalance.enable': 'true', 'leader.imbalance.check.interval.seconds': '1' } });
  const admin = new Kafka({ clientId: 'failover-consume', brokers: cluster.bootstrap, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'failover', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
  await admin.disconnect();
}, 120_000);
afterAll(async () => cluster?.stop(), 60_000);

function produce(from: number, to: number): Promise<string> {
  const lines = Array.from({ length: to - from }, (_, i) => String(from + i)).join('\n') + '\n';
  return kcatProduce(['-b', cluster.bootstrap.join(','), '-t', 'failover', '-p', '0', '-X', 'acks=all', '-X', 'message.send.max.retries=100', '-X', 'retry.backoff.ms=200'], lines, 120_000);
}

describe('a librdkafka consumer across a leader failover', () => {
  it('reads every value exactly once when the leader is killed mid-stream and later takes the partition back', async () => {
    await produce(0, TOTAL / 3);
    const script = resolve(import.meta.dirname, '../compat/python/failover_consume.py');
    const child = spawn('/usr/bin/python3', [script, cluster.bootstrap.join(','), 'failover', String(TOTAL), '150'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const progressed = (n: number) =>
      new Promise<void>((done, fail) => {
        const check = () => {
          const counts = out.split('\n').flatMap((l) => (l.startsWith('{"progress"') ? [JSON.parse(l).progress as number] : []));
          if (counts.some((c) => c >= n)) return done();
          if (child.exitCode !== null) fail(new Error(`consumer exited early: ${out}\n${err}`));
        };
        child.stdout.on('data', (d) => {
          out += d;
          check();
        });
        check();
      });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await progressed(TOTAL / 3 - 100);
    // Kill the partition's leader while the consumer is reading from it, write more through the new leader, bring the old one back.
    const leader = await cluster.leaderOf('failover', 0);
    await cluster.brokers.get(leader)!.kill();
    const next = await cluster.leaderOf('failover', 0, { not: leader, timeoutMs: 30_000 });
    expect(next).not.toBe(leader);
    await produce(TOTAL / 3, (2 * TOTAL) / 3);
    await cluster.restart(leader);
    await cluster.waitForIsr('failover', 0, 3, 60_000);
    // Leadership moves back to the preferred replica while the consumer reads from the interim leader.
    await until(async () => (await cluster.leaderOf('failover', 0)) === leader, 'leadership back on the preferred replica', 60_000);
    await produce((2 * TOTAL) / 3, TOTAL);
    const code = await exited;
    expect(code, err).toBe(0);
    const result = JSON.parse(out.trim().split('\n').at(-1)!) as { values: number[]; errors: string[] };
    // Exactly once and in order: a consumer that lost its position would start over at 0.
    expect(result.values.length).toBe(TOTAL);
    expect(result.values).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
  }, 240_000);
});
