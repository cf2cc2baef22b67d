/**
 * The controller and etcd at scale (issue 13): how long CreateTopics and CreatePartitions take on 3
 * brokers for librdkafka 0081's requests (7 topics, 107 partitions, RF 3; 9 topics grown), and what a
 * kill -9 of one broker holding a third of ~2,000 partitions does to the survivors (etcd lease
 * losses, event-loop stalls, time until every partition has a live leader and a full ISR again).
 * Run: npm run bench:cluster-scale [-- --phase create|takeover]. Prints Markdown rows for bench/README.md.
 */
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { BrokerConnection, KafkaAdminClient } from '@tributary/kafka-admin';
import { ApiKey, type CreatePartitionsResponse } from '@tributary/protocol';
import { parseCli } from '@tributary/contracts/cli';
import { startCluster, type TestCluster } from '../../test/support/cluster.ts';

const { phase } = parseCli(
  'bench:cluster-scale',
  `
Usage: npm run bench:cluster-scale [-- --phase create|takeover]   (--help, --version)

CreateTopics/CreatePartitions latency on 3 brokers, and a broker's kill -9 with ~2,000 partitions.
A benchmark, not a test: it takes the machine for its run; results go into bench/README.md.`,
  { phase: { type: 'string', default: 'all' } },
);

const SETTINGS = {
  'num.partitions': '4',
  'default.replication.factor': '3',
  'leader.imbalance.check.interval.seconds': '3600',
  'replica.lag.time.max.ms': '10000',
  'broker.session.timeout.ms': '6000',
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) => `median ${median(xs).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms (${xs.map((x) => x.toFixed(0)).join(', ')})`;

/** Lines of a broker's output that match `msg`, from character `from` on. */
const count = (cluster: TestCluster, msg: string, from: Map<number, number>) =>
  [...cluster.brokers].map(([id, b]) => `${id}:${b.output().slice(from.get(id) ?? 0).split('\n').filter((l) => l.includes(`"msg":"${msg}"`)).length}`).join(' ');
const longestStall = (cluster: TestCluster, from: Map<number, number>) =>
  Math.max(0, ...[...cluster.brokers].flatMap(([id, b]) => [...b.output().slice(from.get(id) ?? 0).matchAll(/"msg":"event loop blocked".*?"maxDelayMs":(\d+)/g)].map((m) => Number(m[1]))));
const marks = (cluster: TestCluster) => new Map([...cluster.brokers].map(([id, b]) => [id, b.output().length]));

async function createPhase(): Promise<string[][]> {
  const cluster = await startCluster({ brokers: 3, settings: SETTINGS });
  const rows: string[][] = [];
  try {
    const controller = await cluster.controllerId();
    const admin = await KafkaAdminClient.connect(cluster.brokers.get(controller)!.bootstrap, { timeoutMs: 60_000 });
    const from = marks(cluster);
    const create: number[] = [];
    const grow: number[] = [];
    const untilLeaders: number[] = [];
    for (let round = 0; round < 5; round++) {
      // 0081's do_test_CreateTopics: 1, 15, 22, 29, 36 partitions and the default (4), RF 3.
      const names = [1, 15, 22, 29, 36, 4].map((n, i) => ({ name: `create-${round}-${i}`, partitions: n, replicationFactor: 3 }));
      let t = performance.now();
      const created = await admin.createTopics(names);
      create.push(performance.now() - t);
      for (const [name, err] of created) if (err) throw new Error(`${name}: ${err.message}`);
      // The contract: the controller's Metadata names every new partition with a leader at once.
      const md = await admin.metadata(names.map((n) => n.name));
      const missing = md.topics.flatMap((x) => x.partitions.filter((p) => p.leader < 0).map((p) => `${x.name}-${p.partition}`));
      const absent = names.filter((n) => !md.topics.some((x) => x.name === n.name && x.partitions.length === n.partitions));
      if (missing.length || absent.length) throw new Error(`right after CreateTopics the controller's Metadata lacks ${[...absent.map((a) => a.name), ...missing].join(', ')}`);
      // Every broker's Metadata: how long until all of them name every partition with a leader.
      t = performance.now();
      for (const b of cluster.bootstrap) {
        const a = await KafkaAdminClient.connect(b, { timeoutMs: 60_000 });
        for (;;) {
          const m = await a.metadata(names.map((n) => n.name));
          if (names.every((n) => m.topics.find((x) => x.name === n.name)?.partitions.filter((p) => p.leader >= 0).length === n.partitions)) break;
          await new Promise((r) => setTimeout(r, 5));
        }
        a.close();
      }
      untilLeaders.push(performance.now() - t);
      // 0081's do_test_CreatePartitions: 9 topics of 1 + 2i partitions, grown by 1 + i/2, in one request.
      const crp = Array.from({ length: 9 }, (_, i) => ({ name: `grow-${round}-${i}`, partitions: 1 + i * 2, replicationFactor: 3 }));
      await admin.createTopics(crp);
      t = performance.now();
      const conn = await BrokerConnection.open('127.0.0.1', cluster.brokers.get(controller)!.port, 'bench', 60_000);
      const res = await conn.send<CreatePartitionsResponse>(ApiKey.CreatePartitions, 3, { topics: crp.map((c, i) => ({ name: c.name, count: c.partitions + 1 + Math.floor(i / 2), assignments: null })), timeoutMs: 30_000, validateOnly: false });
      grow.push(performance.now() - t);
      conn.close();
      for (const r of res.results) if (r.errorCode !== 0) throw new Error(`CreatePartitions ${r.name}: ${r.errorCode} ${r.errorMessage}`);
    }
    admin.close();
    rows.push(['CreateTopics, 6 topics / 107 partitions RF 3 (0081), answered by the controller', fmt(create)]);
    rows.push(['… then every broker\'s Metadata names all 107 leaders', fmt(untilLeaders)]);
    rows.push(['CreatePartitions, 9 topics grown by 1–5 (0081)', fmt(grow)]);
    rows.push(['event-loop stalls ≥ 1 s during these / longest', `${count(cluster, 'event loop blocked', from)} / ${longestStall(cluster, from)} ms`]);
  } finally {
    await cluster.stop();
  }
  return rows;
}

async function takeoverPhase(): Promise<string[][]> {
  const TOPICS = 160;
  const PARTITIONS = 12;
  const cluster = await startCluster({ brokers: 3, settings: SETTINGS, timeoutMs: 120_000 });
  const rows: string[][] = [];
  let producer: Producer | null = null;
  let stop = false;
  try {
    const controller = await cluster.controllerId();
    const admin = await KafkaAdminClient.connect(cluster.brokers.get(controller)!.bootstrap, { timeoutMs: 120_000 });
    let t = performance.now();
    for (let i = 0; i < TOPICS; i += 10) {
      const created = await admin.createTopics(Array.from({ length: 10 }, (_, j) => ({ name: `scale-${i + j}`, partitions: PARTITIONS, replicationFactor: 3 })));
      for (const [name, err] of created) if (err) throw new Error(`${name}: ${err.message}`);
    }
    rows.push([`CreateTopics of ${TOPICS} topics × ${PARTITIONS} partitions RF 3, 10 per request`, `${(performance.now() - t).toFixed(0)} ms`]);
    // Wait until every partition has its full ISR (replication running everywhere).
    t = performance.now();
    for (;;) {
      const md = await admin.metadata(null);
      const short = md.topics.flatMap((x) => x.partitions).filter((p) => p.isr.length < 3 || p.leader < 0).length;
      if (short === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    rows.push(['… until every ISR is full', `${(performance.now() - t).toFixed(0)} ms`]);
    admin.close();
    // Load: an idempotent acks=all producer over 40 topics.
    const kafka = new Kafka({ clientId: 'scale-bench', brokers: cluster.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 1000, initialRetryTime: 50, maxRetryTime: 500 } });
    producer = kafka.producer({ idempotent: true });
    await producer.connect();
    let sent = 0;
    const p = producer;
    const load = (async () => {
      while (!stop) {
        await Promise.all(Array.from({ length: 4 }, (_, k) => p.send({ topic: `scale-${(sent + k) % 40}`, acks: -1, messages: Array.from({ length: 20 }, (_, m) => ({ key: String(m), value: 'x'.repeat(200) })) }).catch(() => undefined)));
        sent += 4;
      }
    })();
    await new Promise((r) => setTimeout(r, 5000));
    const before = cluster.bootstrap.length;
    const ids = [...cluster.brokers.keys()];
    const victim = ids.find((id) => id !== controller)!;
    const from = marks(cluster);
    const killedAt = performance.now();
    await cluster.brokers.get(victim)!.kill();
    // Every partition with a live leader, as the controller's Metadata says.
    const survivor = cluster.brokers.get(controller)!;
    const ctl = await KafkaAdminClient.connect(survivor.bootstrap, { timeoutMs: 120_000 });
    let ledAt = 0;
    for (;;) {
      const md = await ctl.metadata(null).catch(() => null);
      if (md && md.topics.every((x) => x.partitions.every((q) => q.leader >= 0 && q.leader !== victim))) {
        ledAt = performance.now() - killedAt;
        break;
      }
      if (performance.now() - killedAt > 180_000) throw new Error('partitions still led by the dead broker after 180 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    ctl.close();
    // Watch 30 s more for lease losses while the survivors carry the load.
    await new Promise((r) => setTimeout(r, 30_000));
    rows.push([`kill -9 of broker ${victim} (of ${before}; ${TOPICS * PARTITIONS} partitions RF 3, acks=all load): every partition led by a survivor`, `${ledAt.toFixed(0)} ms`]);
    rows.push(['… etcd leases lost by the survivors in the next 30 s (per broker)', count(cluster, 'etcd lease lost; registering again', from)]);
    rows.push(['… event-loop stalls ≥ 1 s (per broker) / longest', `${count(cluster, 'event loop blocked', from)} / ${longestStall(cluster, from)} ms`]);
    rows.push(['… controller partition-state writes (per broker)', count(cluster, 'partition state changed', from)]);
    stop = true;
    await load;
  } finally {
    stop = true;
    await producer?.disconnect().catch(() => undefined);
    await cluster.stop();
  }
  return rows;
}

const rows: string[][] = [];
if (phase === 'all' || phase === 'create') rows.push(...(await createPhase()));
if (phase === 'all' || phase === 'takeover') rows.push(...(await takeoverPhase()));
console.log('| measurement | result |\n| --- | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
