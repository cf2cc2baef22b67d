import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureJavaPrograms, runJava } from '../support/java-client.ts';
import { startTargetCluster, type ClusterKind, type TargetCluster } from '../support/target-cluster.ts';
import { until } from '../support/until.ts';
import { seededRandom } from '../support/seeded-random.ts';

// Transactions under faults, checked the way Jepsen checks them: several transactional producers
// (Kafka's Java client, test/java/.../TxnChaosProducer.java) commit and abort transactions at random over three partitions while a seeded schedule
// kills -9 partition leaders and the transaction coordinators and pauses brokers (SIGSTOP). Then
// Kafka's own Java consumer reads the topic with read_committed, and every record is classified
// against what the producers were told:
//   aborted-read  a record of a transaction whose abort was acknowledged
//   lost          a record of a transaction whose commit was acknowledged is missing
//   duplicate     a record read twice
//   fractured     a transaction seen in part (some of its records, not all)
// A transaction whose commit or abort failed (the client saw an error) is indeterminate: it may be
// seen or not, but only whole. Every count is printed; all four must be zero. The same scenario
// runs against a 3-node Apache Kafka 4.4, which must show the same (none). TXN_ANOMALY_SEED=N
// replays a schedule.
const TOPIC = 'txn-anomalies';
const PARTITIONS = 3;
const PRODUCERS = 3;
const FAULTS = 4;
/** Transactions each producer ends (committed, aborted or failed) before it stops, at the least. */
const MIN_TRANSACTIONS = 12;
const SEED = Number(process.env.TXN_ANOMALY_SEED ?? Math.floor(Math.random() * 2 ** 31));
const SETTINGS = {
  'offsets.topic.replication.factor': '3',
  'transaction.state.log.num.partitions': '3',
  'transaction.state.log.replication.factor': '3',
  'min.insync.replicas': '2',
  'replica.lag.time.max.ms': '3000',
  // A paused broker is found by its missing heartbeats; both sides get the same, shorter session.
  'broker.session.timeout.ms': '3000',
};
const KAFKA_ONLY = { 'broker.heartbeat.interval.ms': '1000' };

type Outcome = 'committed' | 'aborted' | 'indeterminate';
interface ProducerRun {
  transactions: { id: string; size: number; outcome: Outcome }[];
  errors: Record<string, number>;
}

describe.each<ClusterKind>(['Tributary', 'Apache Kafka'])('transactions under kills and pauses on a 3-broker %s cluster', (kind) => {
  let target: TargetCluster;

  beforeAll(async () => {
    ensureJavaPrograms();
    target = await startTargetCluster(kind, { settings: SETTINGS, kafkaOnly: KAFKA_ONLY, timeoutMs: 180_000 });
    await until(
      () =>
        target.ask(async (admin) => {
          const created = await admin.createTopics([{ name: TOPIC, partitions: PARTITIONS, replicationFactor: 3 }]);
          const err = created.get(TOPIC);
          return err && err.errorName !== 'TOPIC_ALREADY_EXISTS' ? null : true;
        }),
      `topic ${TOPIC} on ${kind}`,
      120_000,
    );
    for (let p = 0; p < PARTITIONS; p++) await target.waitForIsr(TOPIC, p, 3, 120_000);
  }, 420_000);
  afterAll(async () => {
    await target?.stop();
  }, 60_000);

  it('a read_committed reader sees no aborted record, loses no committed one, reads none twice and sees every transaction whole or not at all', async () => {
    const rand = seededRandom(SEED + (kind === 'Tributary' ? 0 : 1));
    const faults: string[] = [];
    const stopFile = join(mkdtempSync(join(tmpdir(), 'txn-anomalies-')), 'stop');
    const progress = Array.from({ length: PRODUCERS }, () => 0);
    const ended = () => progress.reduce((a, b) => a + b, 0);
    const producers = Array.from({ length: PRODUCERS }, (_, i) =>
      runJava<ProducerRun>('TxnChaosProducer', [target.live().join(','), TOPIC, String(PARTITIONS), `anomaly-${i}`, String(SEED * 31 + i), String(MIN_TRANSACTIONS), stopFile], {
        timeoutMs: 600_000,
        onLine: (l) => {
          if (l.startsWith('PROGRESS ')) progress[i] = Number(l.slice(9));
        },
      }),
    );

    // The schedule: each fault waits for the producers to end a few more transactions first, so
    // every fault hits transactions in flight.
    for (let f = 0; f < FAULTS; f++) {
      const before = ended();
      await until(() => ended() >= before + 4, `producers ending transactions before fault ${f + 1} on ${kind}`, 120_000);
      const kindOfFault = rand();
      if (kindOfFault < 0.35) {
        const partition = Math.floor(rand() * PARTITIONS);
        const victim = await target.leaderOf(TOPIC, partition);
        await target.kill(victim);
        faults.push(`killed leader ${victim} of partition ${partition}`);
        await resumeWork(victim, 'restart');
      } else if (kindOfFault < 0.7) {
        const txnId = `anomaly-${Math.floor(rand() * PRODUCERS)}`;
        const victim = await until(() => target.ask(async (admin) => (await admin.findCoordinator(txnId, 'transaction')).nodeId), `the coordinator of ${txnId}`, 60_000);
        await target.kill(victim);
        faults.push(`killed transaction coordinator ${victim} of ${txnId}`);
        await resumeWork(victim, 'restart');
      } else {
        const victim = 1 + Math.floor(rand() * 3);
        target.pause(victim);
        faults.push(`paused broker ${victim}`);
        await resumeWork(victim, 'resume');
      }
    }
    writeFileSync(stopFile, '');
    const runs = (await Promise.all(producers)).map((r) => r.result);
    const written = new Map(runs.flatMap((r) => r.transactions.map((t) => [t.id, t] as const)));

    /** The fault lasts until the others have ended two more transactions (bounded), then the broker comes back whole. */
    async function resumeWork(victim: number, how: 'restart' | 'resume'): Promise<void> {
      const at = ended();
      await until(() => ended() >= at + 2, `transactions ending while broker ${victim} is down on ${kind}`, 90_000).catch(() => undefined);
      if (how === 'restart') await target.restart(victim);
      else target.resume(victim);
      for (let p = 0; p < PARTITIONS; p++) await target.waitForIsr(TOPIC, p, 3, 120_000);
    }

    // Every transaction is over: ended by its producer, or aborted by the coordinator at
    // transaction.timeout.ms (10 s) when its producer gave up on it. The reader goes to the LSO.
    const read = await until(
      async () => {
        const run = await runJava<{ end: number; records: { p: number; o: number; k: string; v: string }[] }>('ReadCommitted', [target.live().join(','), TOPIC, String(PARTITIONS), '60000'], { timeoutMs: 120_000 }).catch(() => null);
        return run?.result ?? null;
      },
      `a read_committed read of ${TOPIC} on ${kind}`,
      180_000,
    );

    const seen = new Map<string, number>();
    for (const r of read.records) seen.set(r.k, (seen.get(r.k) ?? 0) + 1);
    const anomalies = { 'aborted-read': 0, lost: 0, duplicate: 0, fractured: 0 };
    const tally = { committed: 0, aborted: 0, indeterminateSeen: 0, indeterminateAbsent: 0 };
    for (const [id, t] of written) {
      const counts = Array.from({ length: t.size }, (_, i) => seen.get(`${id}-${i}`) ?? 0);
      const present = counts.filter((c) => c > 0).length;
      anomalies.duplicate += counts.filter((c) => c > 1).length;
      if (present > 0 && present < t.size) anomalies.fractured++;
      if (t.outcome === 'aborted') anomalies['aborted-read'] += present;
      if (t.outcome === 'committed') anomalies.lost += t.size - present;
      if (t.outcome === 'indeterminate') tally[present === t.size ? 'indeterminateSeen' : 'indeterminateAbsent']++;
      else tally[t.outcome]++;
    }
    // Each anomalous transaction with where its records were read (partition@offset, '-' when not):
    // what a failure needs to tell a lost marker from a batch in the wrong transaction.
    for (const [id, t] of written) {
      const at = Array.from({ length: t.size }, (_, i) => `${i}:${read.records.filter((r) => r.k === `${id}-${i}`).map((r) => `p${r.p}@${r.o}`).join('/') || '-'}`);
      const present = at.filter((a) => !a.endsWith(':-')).length;
      if ((t.outcome === 'aborted' && present > 0) || (t.outcome === 'committed' && present < t.size) || (present > 0 && present < t.size)) console.log(`${kind} anomalous: ${id} ${t.outcome}, ${t.size} records: ${at.join(' ')}`);
    }
    const unknownRecords = [...seen.keys()].filter((k) => !written.has(k.slice(0, k.lastIndexOf('-')))).length;
    console.log(`${kind}, seed ${SEED}: ${faults.join('; ')}; transactions ${JSON.stringify(tally)}; records read ${read.records.length}; producer errors ${JSON.stringify(runs.map((r) => r.errors))}; anomalies ${JSON.stringify(anomalies)}`);
    expect(anomalies).toEqual({ 'aborted-read': 0, lost: 0, duplicate: 0, fractured: 0 });
    expect(unknownRecords).toBe(0);
    // The schedule did what it says: faults happened and both outcomes were acknowledged under them.
    expect(faults).toHaveLength(FAULTS);
    expect(tally.committed).toBeGreaterThan(0);
    expect(tally.aborted).toBeGreaterThan(0);
  }, 900_000);
});
