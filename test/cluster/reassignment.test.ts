import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKafkaTool, type KafkaToolResult } from '@tributary/testkit';
import { BrokerConnection, KafkaAdminClient, type TopicMetadata } from '@tributary/kafka-admin';
import { ApiKey, type AlterPartitionReassignmentsResponse } from '@tributary/protocol';
import { startCluster, type TestCluster } from '../support/cluster.ts';
import { ensureJavaPrograms } from '../support/java-client.ts';
import { until } from '../support/until.ts';
import { checkDelivery, readAll, startKafkajsProducer, startPythonProducer, type RunningProducer } from '../chaos/producers.ts';

/**
 * Issue 20's partition reassignment on a 4-broker Tributary cluster, driven by Apache Kafka 4.4's
 * own tools while idempotent acks=all producers (kafkajs and librdkafka) write the whole time:
 * kafka-reassign-partitions --generate/--execute/--verify moves a topic off broker 1 onto broker 4
 * (the removed replicas delete their data); a move onto a broker that is then killed -9, with the
 * controller killed -9 as well, survives in etcd, one partition's move is cancelled with --cancel
 * (back to its original replicas) and the other completes once the receiving broker is back;
 * kafka-leader-election moves leadership back to the preferred replica. At the end every
 * acknowledged message is in the log once, where it was acknowledged, and no send failed.
 */

const TOOL = {
  reassign: 'org.apache.kafka.tools.reassign.ReassignPartitionsCommand',
  election: 'org.apache.kafka.tools.LeaderElectionCommand',
  topics: 'org.apache.kafka.tools.TopicCommand',
  configs: 'org.apache.kafka.tools.ConfigCommand',
} as const;
const TOPIC = 'moving';
let cluster: TestCluster;
let producers: RunningProducer[] = [];
let dir: string;

beforeAll(async () => {
  ensureJavaPrograms();
  dir = mkdtempSync(join(tmpdir(), 'tributary-reassign-'));
  cluster = await startCluster({
    brokers: 4,
    timeoutMs: 90_000,
    settings: {
      'replica.lag.time.max.ms': '3000',
      // Leadership stays where elections put it, so kafka-leader-election has something to do.
      'leader.imbalance.check.interval.seconds': '3600',
      'min.insync.replicas': '2',
    },
  });
}, 240_000);
afterAll(async () => {
  await Promise.all(producers.map((p) => p.stop().catch(() => undefined)));
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

const tool = (name: keyof typeof TOOL, args: string[], timeoutMs = 120_000): Promise<KafkaToolResult> => runKafkaTool(TOOL[name], ['--bootstrap-server', cluster.bootstrap.join(','), ...args], { timeoutMs });
const ok = (r: KafkaToolResult, what: string): string => {
  expect(r.exitCode, `${what}: exit ${r.exitCode}${r.timedOut ? ' (timed out)' : ''}\nstdout: ${r.stdout.slice(-3000)}\nstderr: ${r.stderr.slice(-3000)}`).toBe(0);
  return r.stdout;
};
const file = (name: string, content: unknown): string => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
};
const assignment = (parts: Record<number, number[]>) => ({ version: 1, partitions: Object.entries(parts).map(([p, replicas]) => ({ topic: TOPIC, partition: Number(p), replicas, log_dirs: replicas.map(() => 'any') })) });

async function partitions(): Promise<TopicMetadata['partitions']> {
  const admin = await KafkaAdminClient.connect(cluster.bootstrap[0]!, { timeoutMs: 10_000 });
  try {
    return (await admin.metadata([TOPIC])).topics[0]!.partitions.sort((a, b) => a.partition - b.partition);
  } finally {
    admin.close();
  }
}

async function written(): Promise<number> {
  const admin = await KafkaAdminClient.connect(cluster.bootstrap[0]!, { timeoutMs: 10_000 });
  try {
    return [...(await admin.listOffsets(TOPIC, [0, 1, 2], 'latest')).values()].reduce((n, o) => n + Number(o), 0);
  } finally {
    admin.close();
  }
}

/** --verify until every partition of the file is done; the tool exits 0 then (and clears throttles). */
async function verified(json: string, parts: number[]): Promise<void> {
  await until(
    async () => {
      const r = await tool('reassign', ['--verify', '--reassignment-json-file', json]);
      return r.exitCode === 0 && parts.every((p) => r.stdout.includes(`Reassignment of partition ${TOPIC}-${p} is completed`)) ? true : null;
    },
    `kafka-reassign-partitions --verify reporting ${parts.length} completed`,
    180_000,
  );
}

/** Bytes in a broker's segment files of partition 0 of `topic` (0 while it has none). */
function logBytes(nodeId: number, topic: string): number {
  const path = join(cluster.brokers.get(nodeId)!.dataDir, `${topic}-0`);
  return existsSync(path) ? readdirSync(path).filter((f) => f.endsWith('.log')).reduce((n, f) => n + statSync(join(path, f)).size, 0) : 0;
}

const hostsLog = (nodeId: number, partition: number) => existsSync(join(cluster.brokers.get(nodeId)!.dataDir, `${TOPIC}-${partition}`));

describe('partition reassignment with Kafka 4.4 tools under idempotent acks=all producers (kafkajs, librdkafka)', () => {
  it('kafka-reassign-partitions --generate/--execute/--verify moves the topic off broker 1 onto broker 4; removed replicas delete their logs', async () => {
    ok(await tool('topics', ['--create', '--topic', TOPIC, '--replica-assignment', '1:2:3,2:3:1,3:1:2']), 'kafka-topics --create');
    for (let p = 0; p < 3; p++) await cluster.waitForIsr(TOPIC, p, 3, 90_000);
    producers = [startKafkajsProducer(() => cluster.bootstrap, TOPIC, 'kjs'), startPythonProducer(cluster.bootstrap.join(','), TOPIC, 'py')];
    await until(async () => ((await written()) >= 100 ? true : null), 'the producer writing', 120_000);

    const generated = ok(await tool('reassign', ['--generate', '--topics-to-move-json-file', file('topics.json', { version: 1, topics: [{ topic: TOPIC }] }), '--broker-list', '2,3,4']), 'kafka-reassign-partitions --generate');
    const proposed = generated.split('\n').slice(generated.split('\n').findIndex((l) => l.startsWith('Proposed partition reassignment configuration')) + 1).find((l) => l.startsWith('{'));
    expect(proposed, generated).toBeDefined();
    const plan = JSON.parse(proposed!) as { partitions: { partition: number; replicas: number[] }[] };
    const json = file('move-off-1.json', plan);
    const executed = ok(await tool('reassign', ['--execute', '--reassignment-json-file', json]), 'kafka-reassign-partitions --execute');
    expect(executed).toContain('Successfully started partition reassignment');
    await verified(json, [0, 1, 2]);

    const after = await partitions();
    for (const p of plan.partitions) {
      const now = after[p.partition]!;
      expect(now.replicas, `partition ${p.partition}`).toEqual(p.replicas);
      expect(p.replicas[0]).not.toBe(1);
      expect(now.leader).not.toBe(1);
    }
    expect(after.flatMap((p) => p.replicas)).toContain(4);
    // Broker 1 no longer hosts the topic: its logs are gone (the watch removes them right after the move).
    await until(async () => ([0, 1, 2].every((p) => !hostsLog(1, p)) ? true : null), 'broker 1 deleting its logs of the topic', 30_000);
    for (const p of plan.partitions) for (const id of p.replicas) expect(hostsLog(id, p.partition), `broker ${id} hosts ${TOPIC}-${p.partition}`).toBe(true);
    for (let p = 0; p < 3; p++) await cluster.waitForIsr(TOPIC, p, 3, 90_000);
  }, 600_000);

  it('--execute --throttle sets the replication throttles (KIP-73), which hold the move to their rate; --verify clears them once it is done', async () => {
    // 3,000 records of 1,000 B on broker 2 alone (acks=1: one replica is below the cluster's min.insync.replicas), moved to brokers 2 and 3 at 100 kB/s.
    const THROTTLED = 'throttled';
    ok(await tool('topics', ['--create', '--topic', THROTTLED, '--replica-assignment', '2']), 'kafka-topics --create');
    const perf = await runKafkaTool('org.apache.kafka.tools.ProducerPerformance', ['--topic', THROTTLED, '--num-records', '3000', '--record-size', '1000', '--throughput', '-1', '--producer-props', `bootstrap.servers=${cluster.bootstrap.join(',')}`, 'acks=1'], { timeoutMs: 120_000 });
    ok(perf, 'kafka-producer-perf-test');
    const json = file('throttled.json', { version: 1, partitions: [{ topic: THROTTLED, partition: 0, replicas: [2, 3], log_dirs: ['any', 'any'] }] });
    const executed = ok(await tool('reassign', ['--execute', '--throttle', '100000', '--reassignment-json-file', json]), 'kafka-reassign-partitions --execute --throttle');
    expect(executed).toContain('The inter-broker throttle limit was set to 100000 B/s');
    // The copy, watched in broker 3's log directory: from its first bytes to all of broker 2's.
    const firstBytes = await until(() => (logBytes(3, THROTTLED) > 0 ? Date.now() : null), 'broker 3 receiving the first bytes', 120_000);
    const copied = await until(() => (logBytes(3, THROTTLED) >= logBytes(2, THROTTLED) ? Date.now() : null), 'broker 3 holding all of the partition', 180_000);
    // 3 MB at 100 kB/s measured over Kafka's window of 11 one-second samples: until the first
    // sample expires (11 s) at most 1 MB plus one fetch (1 MiB, replica.fetch.max.bytes) can move.
    // Unthrottled, the copy takes well under a second.
    expect(copied - firstBytes).toBeGreaterThanOrEqual(9_000);
    // The tool set the rates on the brokers of the move and the replica lists on the topic; they stay until --verify.
    for (const id of [2, 3]) {
      const rates = ok(await tool('configs', ['--describe', '--entity-type', 'brokers', '--entity-name', String(id)]), `kafka-configs --describe broker ${id}`);
      expect(rates).toContain('leader.replication.throttled.rate=100000');
      expect(rates).toContain('follower.replication.throttled.rate=100000');
    }
    const lists = ok(await tool('configs', ['--describe', '--entity-type', 'topics', '--entity-name', THROTTLED]), 'kafka-configs --describe topic');
    expect(lists).toContain('leader.replication.throttled.replicas=0:2');
    expect(lists).toContain('follower.replication.throttled.replicas=0:3');
    const cleared = await until(async () => {
      const r = await runKafkaTool(TOOL.reassign, ['--bootstrap-server', cluster.bootstrap.join(','), '--verify', '--reassignment-json-file', json], { timeoutMs: 120_000 });
      return r.exitCode === 0 && r.stdout.includes(`Reassignment of partition ${THROTTLED}-0 is completed`) ? r.stdout : null;
    }, 'the throttled move completing', 180_000);
    expect(cleared).toContain('Clearing broker-level throttles on brokers');
    expect(cleared).toContain(`Clearing topic-level throttles on topic ${THROTTLED}`);
    const after = ok(await tool('configs', ['--describe', '--entity-type', 'brokers', '--entity-name', '3']), 'kafka-configs --describe broker 3 after');
    expect(after).not.toContain('replication.throttled.rate');
    expect(ok(await tool('configs', ['--describe', '--entity-type', 'topics', '--entity-name', THROTTLED]), 'kafka-configs topic after')).not.toContain('throttled.replicas');
    await cluster.waitForIsr(THROTTLED, 0, 2, 90_000);
  }, 600_000);

  it('a move onto a broker killed -9 survives the controller being killed -9; --cancel reverts one partition, the other completes when the broker is back', async () => {
    // The controller must not be broker 1 (the receiving broker, paused below).
    if ((await cluster.controllerId()) === 1) {
      await cluster.restart(1);
      await until(async () => ((await cluster.controllerId()) !== 1 ? true : null), 'a controller other than broker 1', 60_000);
    }
    const before = await partitions();
    const original = { 0: before[0]!.replicas, 1: before[1]!.replicas };
    // Broker 1 joins each partition in place of its last replica.
    const target = { 0: [1, ...original[0].slice(0, 2)], 1: [...original[1].slice(0, 2), 1] };
    const controller = await cluster.controllerId();
    const address = cluster.brokers.get(controller)!.bootstrap.split(':');
    // Paused, broker 1 stays registered but cannot catch up: the moves stay in progress.
    cluster.pause(1);
    try {
      const conn = await BrokerConnection.open(address[0]!, Number(address[1]), 'reassign-test', 30_000);
      try {
        const res = await conn.send<AlterPartitionReassignmentsResponse>(ApiKey.AlterPartitionReassignments, 0, { timeoutMs: 30_000, topics: [{ name: TOPIC, partitions: Object.entries(target).map(([p, replicas]) => ({ partitionIndex: Number(p), replicas })) }] });
        expect(res.errorCode).toBe(0);
        expect(res.responses[0]!.partitions.map((p) => p.errorCode)).toEqual([0, 0]);
      } finally {
        conn.close();
      }
    } finally {
      // The receiving broker dies mid-move; then the controller.
      await cluster.brokers.get(1)!.kill();
      cluster.resume(1);
    }
    await cluster.brokers.get(controller)!.kill();
    await until(async () => ((await cluster.controllerId()) !== controller ? true : null), 'a new controller', 60_000);

    // The new controller knows both moves (they are in etcd), with Kafka's adding/removing view.
    const listed = ok(await tool('reassign', ['--list']), 'kafka-reassign-partitions --list');
    expect(listed).toContain(`${TOPIC}-0: replicas: ${[...target[0], original[0][2]].join(',')}. adding: 1. removing: ${original[0][2]}.`);
    expect(listed).toContain(`${TOPIC}-1: replicas: ${[...target[1], original[1][2]].join(',')}. adding: 1. removing: ${original[1][2]}.`);

    await cluster.restart(controller);
    // --preserve-throttles: clearing throttles (Kafka's tool does it on every target broker) would
    // wait for broker 1, which is still down, in Kafka as here.
    const cancelled = ok(await tool('reassign', ['--cancel', '--preserve-throttles', '--reassignment-json-file', file('cancel-0.json', assignment({ 0: target[0] }))]), 'kafka-reassign-partitions --cancel');
    expect(cancelled).toContain(`Successfully cancelled partition reassignment for: ${TOPIC}-0`);
    expect((await partitions())[0]!.replicas).toEqual(original[0]);

    await cluster.restart(1);
    await verified(file('finish-1.json', assignment({ 1: target[1] })), [1]);
    const now = await partitions();
    expect(now[1]!.replicas).toEqual(target[1]);
    expect(now[0]!.replicas).toEqual(original[0]);
    await until(async () => (!hostsLog(1, 0) ? true : null), 'broker 1 holding no log of the cancelled partition', 30_000);
    for (let p = 0; p < 3; p++) await cluster.waitForIsr(TOPIC, p, 3, 90_000);
  }, 600_000);

  it('kafka-leader-election --election-type preferred moves leadership back to the preferred replicas', async () => {
    // The preferred leader of partition 2 restarts: leadership moved away and stays away.
    const preferred = (await partitions())[2]!.replicas[0]!;
    await cluster.restart(preferred);
    await cluster.waitForIsr(TOPIC, 2, 3, 90_000);
    await until(async () => ((await partitions())[2]!.leader !== preferred ? true : null), 'partition 2 led by another broker', 30_000);
    const out = ok(await tool('election', ['--election-type', 'preferred', '--all-topic-partitions']), 'kafka-leader-election');
    expect(out).toContain('Successfully completed leader election (PREFERRED) for partitions');
    expect(out).toContain(`${TOPIC}-2`);
    const now = await partitions();
    for (const p of now) expect(p.leader, `partition ${p.partition}`).toBe(p.replicas[0]);
    const again = ok(await tool('election', ['--election-type', 'preferred', '--topic', TOPIC, '--partition', '2']), 'kafka-leader-election again');
    expect(again).toContain(`Valid replica already elected for partitions ${TOPIC}-2`);
  }, 300_000);

  it('no producer ever failed, and every acknowledged message is in the log once, where it was acknowledged', async () => {
    const outcomes = await Promise.all(producers.map((p) => p.stop()));
    producers = [];
    for (const o of outcomes) {
      expect(o.failed, o.tag).toEqual([]);
      expect(o.acked.length, o.tag).toBeGreaterThan(100);
    }
    const records = await readAll(cluster.bootstrap, TOPIC);
    expect(checkDelivery(records, outcomes)).toEqual([]);
  }, 300_000);
});
