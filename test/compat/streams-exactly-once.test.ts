import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKafka, type TestKafka } from '@tributary/testkit';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from '../support/cluster.ts';
import { ensureJavaPrograms, runJava } from '../support/java-client.ts';
import { until } from '../support/until.ts';

// Kafka Streams 4.4 (from Maven Central, scripts/setup.d/10-kafka.sh) with
// processing.guarantee=exactly_once_v2 counting words (test/java/src/tributary/compat/StreamsCount.java:
// a repartition topic, a state store and its changelog, two stream threads, no record cache, so
// every word read gives one count out) on 3 brokers, against Tributary and Apache Kafka 4.4 (both
// at their default, transaction.version 2: KIP-890 part 2). While it runs, once part of the counts
// are out, the leader of an output partition is killed -9 (Tributary's is restarted; Kafka's
// stays down, its KRaft quorum keeps 2 of 3). Every word counted n times must show exactly the
// counts 1, 2, …, n in the output read with read_committed: a repeated count is a record counted
// twice, a gap one lost. Both brokers must give the same counts (the input is the same, seeded).
const IN = 'wc-in';
const OUT = 'wc-out';
const LINES = 600;

interface StreamsRun {
  expected: Record<string, number>;
  counts: Record<string, number[]>;
  state: string;
}
const runs = new Map<string, StreamsRun>();

interface Target {
  bootstrap: string;
  /** Kills -9 the broker with this id and, where the harness can, starts it again. */
  fault(nodeId: number): Promise<void>;
  stop(): Promise<void>;
}

const targets: [string, () => Promise<Target>][] = [
  ['Tributary', async () => {
    const c: TestCluster = await startCluster({ brokers: 3, timeoutMs: 90_000, settings: { 'transaction.state.log.num.partitions': '3', 'transaction.state.log.replication.factor': '3', 'replica.lag.time.max.ms': '3000' } });
    const bootstrap = c.bootstrap.join(',');
    return {
      bootstrap,
      fault: async (id) => {
        await c.brokers.get(id)!.kill();
        await c.leaderOf(OUT, 0, { not: id, timeoutMs: 60_000 });
        await c.restart(id);
      },
      stop: () => c.stop(),
    };
  }],
  ['Apache Kafka', async () => {
    const k: TestKafka = await startKafka({ nodes: 3, settings: { 'transaction.state.log.num.partitions': '3' } });
    return {
      bootstrap: k.bootstrap,
      fault: async (id) => {
        const node = k.nodes.find((n) => n.nodeId === id)!;
        node.process.kill('SIGKILL');
      },
      stop: () => k.stop(),
    };
  }],
];

beforeAll(() => ensureJavaPrograms(), 600_000);

describe.each(targets)('%s', (name, start) => {
  let target: Target;
  let stateDir: string;
  beforeAll(async () => {
    target = await start();
    stateDir = mkdtempSync(join(tmpdir(), 'tributary-streams-'));
  }, 180_000);
  afterAll(async () => {
    await target?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  }, 60_000);

  it('exactly_once_v2 word count: every count once, in order, with an output leader killed -9 mid-run', async () => {
    const first = target.bootstrap.split(',')[0]!;
    const admin = await KafkaAdminClient.connect(first);
    try {
      const created = await admin.createTopics([{ name: IN, partitions: 3, replicationFactor: 3 }, { name: OUT, partitions: 3, replicationFactor: 3 }]);
      expect([created.get(IN), created.get(OUT)]).toEqual([null, null]);
    } finally {
      admin.close();
    }
    const run = runJava<StreamsRun>('StreamsCount', [target.bootstrap, `wc-${name === 'Tributary' ? 't' : 'k'}`, IN, OUT, stateDir, '7', String(LINES), '180000'], { timeoutMs: 240_000, jvmArgs: ['-Xmx384m'] });
    let finished = false;
    void run.finally(() => (finished = true)).catch(() => undefined);
    // Part of the counts are out (the output's high watermark, read from a live broker): kill the leader of output partition 0.
    const probe = async () => {
      const a = await KafkaAdminClient.connect(first, { timeoutMs: 5000 });
      try {
        const ends = await a.listOffsets(OUT, [0, 1, 2], 'latest');
        const leader = (await a.metadata([OUT])).topics[0]?.partitions.find((p) => p.partition === 0)?.leader ?? -1;
        return [...ends.values()].reduce((s, o) => s + Number(o), 0) >= 150 && leader >= 0 ? leader : null;
      } finally {
        a.close();
      }
    };
    const victim = await until(async () => (finished ? -1 : await probe()), 'the word count under way', 120_000);
    expect(victim, 'the word count finished before the fault').toBeGreaterThan(0);
    await target.fault(victim);
    const { result } = await run;
    runs.set(name, result);
    expect(result.state).toBe('RUNNING');
    const wrong = Object.entries(result.expected).filter(([word, n]) => JSON.stringify(result.counts[word]) !== JSON.stringify(Array.from({ length: n }, (_, i) => i + 1)));
    expect(wrong.map(([word, n]) => `${word}: expected 1..${n}, got ${JSON.stringify(result.counts[word])}`)).toEqual([]);
    expect(Object.keys(result.counts).sort()).toEqual(Object.keys(result.expected).sort());
  }, 300_000);
});

describe('Tributary and Apache Kafka', () => {
  it('count the same words the same way', () => {
    expect(runs.size).toBe(2);
    expect(runs.get('Tributary')!.counts).toEqual(runs.get('Apache Kafka')!.counts);
  });
});
