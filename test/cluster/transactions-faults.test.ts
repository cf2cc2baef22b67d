import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { startCluster, type TestCluster } from '../support/cluster.ts';
import { ensureJavaPrograms, runJava } from '../support/java-client.ts';
import { until } from '../support/until.ts';
import { seededRandom } from '../support/seeded-random.ts';

// Exactly-once under faults: Kafka's Java client runs a transactional copy loop (read_committed
// consume → copy → produce + sendOffsetsToTransaction → commit, one transaction in five aborted
// on purpose; test/java/src/tributary/compat/CopyLoop.java) on a 3-broker cluster while this test
// writes the input in phases and, between them, kills -9 a broker chosen by a seeded random
// generator — the transaction coordinator, the group coordinator, or the leader of an input or
// output partition — at a seeded point of the loop's progress, then restarts it. The output read
// with read_committed must hold every input record exactly once, and nothing of an aborted
// transaction. The seed is printed; TXN_FAULT_SEED=N replays a schedule.
const IN = 'eos-in';
const OUT = 'eos-out';
const GROUP = 'eos-copy';
const TXN_ID = 'eos-copy-tx';
const PARTITIONS = 3;
const FAULTS = 4;
const PER_PHASE = 40; // records per partition per phase; FAULTS + 1 phases
const PER_PARTITION = PER_PHASE * (FAULTS + 1);
const SEED = Number(process.env.TXN_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));

let cluster: TestCluster;
let input: Producer;
let allBrokers: string;

beforeAll(async () => {
  ensureJavaPrograms();
  cluster = await startCluster({ brokers: 3, timeoutMs: 90_000, settings: { 'transaction.state.log.num.partitions': '3', 'transaction.state.log.replication.factor': '3', 'replica.lag.time.max.ms': '3000' } });
  allBrokers = cluster.bootstrap.join(',');
  const admin = await KafkaAdminClient.connect(cluster.bootstrap[0]!);
  try {
    const created = await admin.createTopics([{ name: IN, partitions: PARTITIONS, replicationFactor: 3 }, { name: OUT, partitions: PARTITIONS, replicationFactor: 3 }]);
    expect([created.get(IN), created.get(OUT)]).toEqual([null, null]);
  } finally {
    admin.close();
  }
  const kafka = new Kafka({ clientId: 'eos-input', brokers: cluster.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 3000 } });
  input = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await input.connect();
}, 600_000);
afterAll(async () => {
  await input?.disconnect();
  await cluster?.stop();
}, 60_000);

/** One admin question to any live broker (a killed one is left out of cluster.bootstrap). */
async function ask<T>(fn: (admin: KafkaAdminClient) => Promise<T>): Promise<T> {
  const admin = await KafkaAdminClient.connect(cluster.bootstrap[0]!, { timeoutMs: 5000 });
  try {
    return await fn(admin);
  } finally {
    admin.close();
  }
}

/** Records of the loop's input committed with its transactions so far (the group's offsets). */
async function progress(): Promise<number> {
  const offsets = await ask((a) => a.committedOffsets(GROUP, [{ topic: IN, partitions: [0, 1, 2] }]));
  return offsets.reduce((sum, o) => sum + Math.max(0, Number(o.offset)), 0);
}

async function writePhase(phase: number): Promise<void> {
  for (let p = 0; p < PARTITIONS; p++) {
    const messages = Array.from({ length: PER_PHASE }, (_, i) => ({ partition: p, value: `${p}-${phase * PER_PHASE + i}` }));
    // kafkajs answers a send without the partitions it had no leader for in its metadata (stale
    // after a kill), having sent nothing there: such a partition is sent again until it is written.
    const at = await until(async () => (await input.send({ topic: IN, acks: -1, messages })).find((m) => m.partition === p)?.baseOffset ?? null, `phase ${phase} written to ${IN}/${p}`, 60_000);
    writes.push(`phase ${phase}: ${p}@${at}`);
  }
}
/** What each phase's send was answered (partition@baseOffset), for a failure message. */
const writes: string[] = [];

type Role = 'transaction coordinator' | 'group coordinator' | `leader of ${string}`;

/** The broker playing `role` now. */
async function holder(role: Role): Promise<number> {
  if (role === 'transaction coordinator') return (await ask((a) => a.findCoordinator(TXN_ID, 'transaction'))).nodeId;
  if (role === 'group coordinator') return (await ask((a) => a.findCoordinator(GROUP, 'group'))).nodeId;
  const [topic, partition] = role.slice('leader of '.length).split('/');
  return cluster.leaderOf(topic!, Number(partition));
}

describe('exactly-once copy loop under broker kills', () => {
  it(`copies every input record exactly once and shows nothing aborted (seed ${SEED})`, async () => {
    const rnd = seededRandom(SEED);
    const roles: Role[] = ['transaction coordinator', 'group coordinator', `leader of ${IN}/${Math.floor(rnd() * PARTITIONS)}`, `leader of ${OUT}/${Math.floor(rnd() * PARTITIONS)}`];
    await writePhase(0);
    const loop = runJava<{ stuck: string; committed: number; aborted: number; restarts: number; errors: Record<string, number>; done: boolean; output: string[] }>('CopyLoop', [allBrokers, IN, OUT, GROUP, TXN_ID, String(SEED), '150000', String(PER_PARTITION)], { timeoutMs: 200_000 });
    const started = Date.now();
    let finished = false;
    void loop.finally(() => (finished = true)).catch(() => undefined);
    const faults: string[] = [];
    for (let k = 0; k < FAULTS; k++) {
      await writePhase(k + 1);
      // A seeded point inside the phase just written: the loop is copying when the broker dies.
      const at = (k * PER_PHASE + Math.floor(rnd() * PER_PHASE)) * PARTITIONS;
      await until(async () => (finished || (await progress()) >= at ? true : null), `the copy loop past ${at} records`, 90_000);
      const role = roles[Math.floor(rnd() * roles.length)]!;
      const victim = await holder(role);
      await cluster.brokers.get(victim)!.kill();
      faults.push(`${role} (broker ${victim}) killed at progress ≥ ${at} (${Math.round((Date.now() - started) / 1000)} s)`);
      // The role moves to a live broker before the victim comes back (the loop must ride the failover).
      await until(async () => ((await holder(role)) !== victim ? true : null), `${role} to move off broker ${victim}`, 60_000);
      await cluster.restart(victim);
      for (const topic of [IN, OUT]) for (let p = 0; p < PARTITIONS; p++) await cluster.waitForIsr(topic, p, 3, 60_000);
    }
    const { result } = await loop;
    console.log(`seed ${SEED}: ${faults.join('; ')}; ${result.committed} committed, ${result.aborted} aborted on purpose, ${result.restarts} restarts ${JSON.stringify(result.errors)}`);
    const inputEnds = await ask((a) => a.listOffsets(IN, [0, 1, 2], 'latest'));
    expect(result.done, `the loop did not finish: ${result.stuck}; input written ${writes.join('; ')}; input ends now ${[...inputEnds].join(' ')}`).toBe(true);
    // Jepsen-style accounting: every kind of anomaly counted, then required to be zero.
    const expected = new Set<string>();
    for (let p = 0; p < PARTITIONS; p++) for (let i = 0; i < PER_PARTITION; i++) expected.add(`${p}:copy-${p}-${i}`);
    const seen = new Map<string, number>();
    for (const v of result.output) seen.set(v, (seen.get(v) ?? 0) + 1);
    const anomalies = {
      lost: [...expected].filter((v) => !seen.has(v)).length,
      duplicated: [...seen].filter(([, n]) => n > 1).length,
      abortedVisible: [...seen.keys()].filter((v) => v.includes(':aborted-')).length,
      unexpected: [...seen.keys()].filter((v) => !expected.has(v) && !v.includes(':aborted-')).length,
    };
    expect({ faults: faults.length, anomalies, records: result.output.length }).toEqual({ faults: FAULTS, anomalies: { lost: 0, duplicated: 0, abortedVisible: 0, unexpected: 0 }, records: PARTITIONS * PER_PARTITION });
    // The aborted transactions were real: the loop aborted some, and it committed many.
    expect(result.aborted).toBeGreaterThan(0);
  }, 420_000);
});
