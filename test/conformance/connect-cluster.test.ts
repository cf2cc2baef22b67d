import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { startCluster, type TestCluster } from '../support/cluster.ts';
import { connectorRunning, connectorStatus, connectRest, sinkLines, startConnectWorker, workerWarnings, type ConnectWorker } from '../support/connect.ts';
import { until as untilCondition } from '../support/until.ts';

/**
 * Kafka Connect 4.4.0 (distributed, two workers) on a 3-broker Tributary cluster with a leader
 * killed -9 mid-stream (issue 13): Connect's compacted config, offset and status topics and the data
 * topic have RF 3; while the source connector writes, the leader of the data topic's partition 0 is
 * killed. Every record reaches the sink files (at least once, as Connect delivers), the connectors
 * and tasks stay RUNNING, and Connect's own topics keep working (the connectors' statuses are read
 * through a worker afterwards). The single-broker scenario with a worker killed is
 * test/compat/kafka-connect.test.ts.
 */
const GROUP = 'tributary-connect-cluster';
const TOPIC = 'connect-cluster-data';
const COUNT = 2000;
let cluster: TestCluster;
let outDir: string;
let workDirs: string[] = [];
const workers: ConnectWorker[] = [];

beforeAll(async () => {
  cluster = await startCluster({
    brokers: 3,
    timeoutMs: 90_000,
    settings: { 'broker.session.timeout.ms': '6000', 'replica.lag.time.max.ms': '3000', 'leader.imbalance.check.interval.seconds': '3600', 'min.insync.replicas': '2' },
  });
  outDir = mkdtempSync(join(tmpdir(), 'tributary-connect-cluster-out-'));
  workDirs = [mkdtempSync(join(tmpdir(), 'tributary-connect-cluster-a-')), mkdtempSync(join(tmpdir(), 'tributary-connect-cluster-b-'))];
  const bootstrap = cluster.bootstrap.join(',');
  workers.push(...(await Promise.all(workDirs.map((dir) => startConnectWorker({ bootstrap, groupId: GROUP, replication: 3, dir })))));
}, 300_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  await cluster?.stop();
  for (const dir of workDirs) if (!process.env.CONNECT_LOG_DIR) rmSync(dir, { recursive: true, force: true });
  if (outDir) rmSync(outDir, { recursive: true, force: true });
}, 60_000);

/** Waits for a condition of the Connect group; a timeout shows the workers' warnings. */
const until = <T>(what: string, ms: number, probe: () => Promise<T | null> | T | null) => untilCondition(probe, what, ms, () => workerWarnings(workers));

describe('Kafka Connect 4.4.0 on a 3-broker cluster with a leader killed -9', () => {
  it('moves every record from source to sink across the kill; connectors stay running', async () => {
    const admin = await KafkaAdminClient.connect(cluster.bootstrap[0]!, { timeoutMs: 15_000 });
    try {
      expect((await admin.createTopics([{ name: TOPIC, partitions: 4, replicationFactor: 3 }])).get(TOPIC)).toBeNull();
      const md = await admin.metadata([`${GROUP}-configs`, `${GROUP}-offsets`, `${GROUP}-status`]);
      for (const t of md.topics) for (const p of t.partitions) expect(p.replicas.length, `${t.name}-${p.partition}`).toBe(3);
    } finally {
      admin.close();
    }
    for (let p = 0; p < 4; p++) await cluster.waitForIsr(TOPIC, p, 3, 60_000);
    const [first] = workers;
    await connectRest(first!, 'POST', '/connectors', {
      name: 'counter',
      config: { 'connector.class': 'dev.tributary.connect.CountingSourceConnector', 'tasks.max': '1', topic: TOPIC, count: String(COUNT), batch: '20', 'interval.ms': '50' },
    });
    await connectRest(first!, 'POST', '/connectors', {
      name: 'lines',
      config: { 'connector.class': 'dev.tributary.connect.LineFileSinkConnector', 'tasks.max': '2', topics: TOPIC, dir: outDir },
    });
    await until('both connectors and their tasks running', 120_000, async () => (connectorRunning(await connectorStatus(first!, 'counter'), 1) && connectorRunning(await connectorStatus(first!, 'lines'), 2) ? true : null));
    await until('records arriving in the sink files', 60_000, () => (sinkLines(outDir).length > 200 ? true : null));

    const leader = await cluster.leaderOf(TOPIC, 0);
    await cluster.brokers.get(leader)!.kill();
    expect(sinkLines(outDir).length, 'the kill came before the source was done').toBeLessThan(COUNT);
    await cluster.leaderOf(TOPIC, 0, { not: leader, timeoutMs: 60_000 });

    await until(`all ${COUNT} records in the sink files`, 180_000, () => {
      const have = new Set(sinkLines(outDir));
      return Array.from({ length: COUNT }, (_, i) => `record-${i}`).every((v) => have.has(v)) ? true : null;
    });
    expect(sinkLines(outDir).every((l) => /^record-\d+$/.test(l))).toBe(true);
    // Connect's status topic still answers through both workers: everything RUNNING.
    for (const w of workers) {
      await until(`worker ${w.id} reporting both connectors running`, 60_000, async () => (connectorRunning(await connectorStatus(w, 'counter'), 1) && connectorRunning(await connectorStatus(w, 'lines'), 2) ? true : null));
    }
  }, 480_000);
});
