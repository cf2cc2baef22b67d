import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { runKafkaTool, startKafka, type TestKafka } from '@tributary/testkit';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from '../support/cluster.ts';
import { ensureJavaPrograms, runJava } from '../support/java-client.ts';
import { until } from '../support/until.ts';

// Kafka Streams 4.4 (from Maven Central, scripts/setup.d/10-kafka.sh) with
// processing.guarantee=exactly_once_v2 counting words (test/java/src/tributary/compat/StreamsCount.java:
// a repartition topic, a state store and its changelog, two stream threads, no record cache, so
// every word read gives one count out) on 3 brokers, against Tributary and Apache Kafka 4.4 (both
// at their default, transaction.version 2: KIP-890 part 2). While it runs, each once more counts
// are out: the leader of an output partition is killed -9 and restarted, then the transaction
// coordinator of one of the application's transactions (as kafka-transactions.sh lists them) is
// killed -9 and restarted, then the Streams process itself is killed -9 and a new one with the same
// application id and state directory takes over. Every word counted n times must show exactly
// the counts 1, 2, …, n in the output read with read_committed: a repeated count is a record
// counted twice, a gap one lost. Both brokers must give the same counts (the input is the same, seeded).
const IN = 'wc-in';
const OUT = 'wc-out';
const LINES = 1600;
// The input goes in four chunks, each written once the test opens its gate (StreamsCount's
// input.gate), so the count cannot finish before its faults however fast or slow the machine is.
const CHUNKS = 4;

interface StreamsRun {
  expected: Record<string, number>;
  counts: Record<string, number[]>;
  state: string;
}
const runs = new Map<string, StreamsRun>();

interface Target {
  bootstrap: string;
  /** Kills -9 the broker with this id and starts it again on its data. */
  fault(nodeId: number): Promise<void>;
  stop(): Promise<void>;
}

const SETTINGS = { 'transaction.state.log.num.partitions': '3', 'transaction.state.log.replication.factor': '3', 'replica.lag.time.max.ms': '3000' };
const targets: [string, () => Promise<Target>][] = [
  ['Tributary', async () => {
    const c: TestCluster = await startCluster({ brokers: 3, timeoutMs: 90_000, settings: SETTINGS });
    return {
      bootstrap: c.bootstrap.join(','),
      fault: async (id) => {
        await c.brokers.get(id)!.kill();
        await c.leaderOf(OUT, 0, { not: id, timeoutMs: 60_000 });
        await c.restart(id);
      },
      stop: () => c.stop(),
    };
  }],
  ['Apache Kafka', async () => {
    const k: TestKafka = await startKafka({ nodes: 3, settings: SETTINGS });
    return {
      bootstrap: k.bootstrap,
      fault: async (id) => {
        await k.kill(id);
        await k.restart(id);
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

  it('exactly_once_v2 word count: every count once, in order, with an output leader, a transaction coordinator and the Streams process killed -9 mid-run', async () => {
    const first = target.bootstrap.split(',')[0]!;
    const admin = await KafkaAdminClient.connect(first);
    try {
      const created = await admin.createTopics([{ name: IN, partitions: 3, replicationFactor: 3 }, { name: OUT, partitions: 3, replicationFactor: 3 }]);
      expect([created.get(IN), created.get(OUT)]).toEqual([null, null]);
    } finally {
      admin.close();
    }
    const app = `wc-${name === 'Tributary' ? 't' : 'k'}`;
    const args = [target.bootstrap, app, IN, OUT, stateDir, '7', String(LINES), '420000'];
    const gate = mkdtempSync(join(tmpdir(), 'wc-gate-'));
    const written = new Set<number>();
    const open = async (chunk: number) => {
      writeFileSync(join(gate, `chunk-${chunk}`), '');
      await until(() => written.has(chunk) || null, `input chunk ${chunk} written`, 60_000);
    };
    let streams: ChildProcess | null = null;
    const run = runJava<StreamsRun>('StreamsCount', args, {
      timeoutMs: 480_000,
      jvmArgs: ['-Xmx384m', `-Dinput.chunks=${CHUNKS}`, `-Dinput.gate=${gate}`],
      onStart: (child) => (streams = child),
      onLine: (line) => {
        const m = /^WROTE (\d+)$/.exec(line);
        if (m) written.add(Number(m[1]));
      },
    });
    let finished: string | null = null;
    run.then(
      ({ result }) => (finished = `ended ${result.state}`),
      (err: unknown) => (finished = `failed: ${String(err).slice(0, 2000)}`),
    );
    /** Counts in the output so far (the output's end offsets, from a live broker). */
    const countsOut = async () => {
      for (const address of target.bootstrap.split(',')) {
        const a = await KafkaAdminClient.connect(address, { timeoutMs: 5000 }).catch(() => null);
        if (!a) continue;
        try {
          return [...(await a.listOffsets(OUT, [0, 1, 2], 'latest')).values()].reduce((s, o) => s + Number(o), 0);
        } catch {
          // Moving leaders: ask the next broker.
        } finally {
          a.close();
        }
      }
      return null;
    };
    /** Waits until `more` counts beyond the last fault's end are out, then returns what `pick` picks. */
    let mark = 0;
    const whenMoreOut = <T>(more: number, what: string, pick: () => Promise<T | null>): Promise<T> =>
      until(async () => {
        if (finished) throw new Error(`the word count ${finished} before ${what} (${await countsOut()} counts out)`);
        const out = await countsOut();
        return out !== null && out >= mark + more ? pick() : null;
      }, `${more} more counts out before ${what}`, 180_000);
    /** After a fault (and its restart): counts from here on are the word count's progress past it. */
    const faultDone = async () => {
      mark = await until(countsOut, 'the output read after a fault', 60_000);
    };
    const faults: string[] = [];

    const leader = await whenMoreOut(300, 'killing an output leader', async () => {
      const a = await KafkaAdminClient.connect(target.bootstrap.split(',')[0]!, { timeoutMs: 5000 });
      try {
        const l = (await a.metadata([OUT])).topics[0]?.partitions.find((p) => p.partition === 0)?.leader ?? -1;
        return l >= 0 ? l : null;
      } finally {
        a.close();
      }
    });
    await target.fault(leader);
    faults.push(`output leader ${leader}`);
    await faultDone();
    await open(1);

    const coordinator = await whenMoreOut(200, 'killing a transaction coordinator', async () => {
      // kafka-transactions.sh list: TransactionalId, Coordinator, ProducerId, TransactionState.
      const listed = await runKafkaTool('org.apache.kafka.tools.TransactionsCommand', ['--bootstrap-server', target.bootstrap, 'list'], { timeoutMs: 60_000 });
      const row = listed.stdout.split('\n').map((l) => l.trim().split(/\s+/)).find((cols) => cols[0]?.startsWith(`${app}-`) && Number(cols[1]) > 0);
      return row ? Number(row[1]) : null;
    });
    await target.fault(coordinator);
    faults.push(`transaction coordinator ${coordinator}`);
    await faultDone();
    await open(2);

    await whenMoreOut(200, 'killing the Streams process', () => Promise.resolve(true));
    expect(streams, 'the Streams process').not.toBeNull();
    streams!.kill('SIGKILL');
    await run.catch(() => undefined);
    faults.push('the Streams process');
    rmSync(gate, { recursive: true, force: true });
    // A new Streams process, same application id and state directory, goes on from what was
    // committed and writes the last chunk.
    const { result } = await runJava<StreamsRun>('StreamsCount', args, { timeoutMs: 480_000, jvmArgs: ['-Xmx384m', `-Dinput.chunks=${CHUNKS}`, `-Dinput.from=${CHUNKS - 1}`] });
    console.log(`${name}: killed -9 ${faults.join(', ')}`);
    runs.set(name, result);
    expect(result.state).toBe('RUNNING');
    const wrong = Object.entries(result.expected).filter(([word, n]) => JSON.stringify(result.counts[word]) !== JSON.stringify(Array.from({ length: n }, (_, i) => i + 1)));
    expect(wrong.map(([word, n]) => `${word}: expected 1..${n}, got ${JSON.stringify(result.counts[word])}`)).toEqual([]);
    expect(Object.keys(result.counts).sort()).toEqual(Object.keys(result.expected).sort());
  }, 900_000);
});

describe('Tributary and Apache Kafka', () => {
  it('count the same words the same way', () => {
    expect(runs.size).toBe(2);
    expect(runs.get('Tributary')!.counts).toEqual(runs.get('Apache Kafka')!.counts);
  });
});
