import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';
import { connectorRunning, connectorStatus, connectRest, sinkLines, startConnectWorker, workerWarnings, type ConnectWorker } from '../support/connect.ts';
import { until as untilCondition } from '../support/until.ts';

/**
 * Kafka Connect 4.4.0 in distributed mode against Tributary: two workers of one Connect group keep
 * their configs, source offsets and statuses in compacted topics on the broker; a source connector
 * (test/compat/connect) writes numbered records into a topic and a sink connector with two tasks
 * writes them to files. One worker is killed with SIGKILL mid-stream: its tasks move to the other
 * worker and every record reaches the files (Connect delivers at least once: a record may arrive
 * twice after the kill, none may be missing).
 */
const GROUP = 'tributary-connect';
const TOPIC = 'connect-data';
const COUNT = 3000;
let broker: BrokerProcess;
let outDir: string;
let workDirs: string[] = [];
const workers: ConnectWorker[] = [];

beforeAll(async () => {
  broker = await startBroker({ settings: { 'group.initial.rebalance.delay.ms': '0' }, timeoutMs: 60_000 });
  outDir = mkdtempSync(join(tmpdir(), 'tributary-connect-out-'));
  workDirs = [mkdtempSync(join(tmpdir(), 'tributary-connect-a-')), mkdtempSync(join(tmpdir(), 'tributary-connect-b-'))];
  const started = await Promise.all(workDirs.map((dir) => startConnectWorker({ bootstrap: broker.bootstrap, groupId: GROUP, replication: 1, dir })));
  workers.push(...started);
}, 300_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  await broker?.destroy();
  // For a failure: the workers' logs stay where CONNECT_LOG_DIR says.
  for (const dir of workDirs) if (!process.env.CONNECT_LOG_DIR) rmSync(dir, { recursive: true, force: true });
  if (outDir) rmSync(outDir, { recursive: true, force: true });
}, 60_000);

/** Waits for a condition of the Connect group; a timeout shows the workers' warnings. */
const until = <T>(what: string, ms: number, probe: () => Promise<T | null> | T | null) => untilCondition(probe, what, ms, () => workerWarnings(workers));

describe('Kafka Connect 4.4.0 (distributed, two workers) against Tributary', () => {
  it('keeps its config, offset and status topics compacted on the broker', async () => {
    const admin = await KafkaAdminClient.connect(broker.bootstrap);
    try {
      for (const kind of ['configs', 'offsets', 'status']) {
        const configs = await admin.describeTopicConfigs(`${GROUP}-${kind}`);
        expect(configs['cleanup.policy']?.value, `${GROUP}-${kind}`).toBe('compact');
      }
      const md = await admin.metadata([`${GROUP}-configs`, `${GROUP}-offsets`, `${GROUP}-status`]);
      // Connect requires a single-partition config topic; the others as the worker properties say.
      expect(md.topics.map((t) => [t.name, t.partitions.length]).sort()).toEqual([
        [`${GROUP}-configs`, 1],
        [`${GROUP}-offsets`, 5],
        [`${GROUP}-status`, 3],
      ]);
    } finally {
      admin.close();
    }
  });

  it('moves data from a source connector through a topic into a sink connector, and survives the kill of a worker', async () => {
    const admin = await KafkaAdminClient.connect(broker.bootstrap);
    try {
      expect((await admin.createTopics([{ name: TOPIC, partitions: 4, replicationFactor: 1 }])).get(TOPIC)).toBeNull();
    } finally {
      admin.close();
    }
    const [first] = workers;
    await connectRest(first!, 'POST', '/connectors', {
      name: 'counter',
      config: { 'connector.class': 'dev.tributary.connect.CountingSourceConnector', 'tasks.max': '1', topic: TOPIC, count: String(COUNT), batch: '20', 'interval.ms': '50' },
    });
    await connectRest(first!, 'POST', '/connectors', {
      name: 'lines',
      config: { 'connector.class': 'dev.tributary.connect.LineFileSinkConnector', 'tasks.max': '2', topics: TOPIC, dir: outDir },
    });
    await until('both connectors and their tasks running', 120_000, async () => ((connectorRunning(await connectorStatus(first!, 'counter'), 1) && connectorRunning(await connectorStatus(first!, 'lines'), 2)) ? true : null));
    // Both workers of the group are in use: the three tasks are spread over them.
    const placed = [await connectorStatus(first!, 'counter'), await connectorStatus(first!, 'lines')].flatMap((s) => s.tasks.map((t) => t.worker_id));
    expect(new Set(placed)).toEqual(new Set(workers.map((w) => w.id)));
    await until('records arriving in the sink files', 60_000, () => (sinkLines(outDir).length > 300 ? true : null));

    // Kill the worker that runs the source task, mid-stream.
    const sourceWorker = (await connectorStatus(first!, 'counter')).tasks[0]!.worker_id;
    const victim = workers.findIndex((w) => w.id === sourceWorker);
    const survivor = workers[1 - victim]!;
    await workers[victim]!.kill();
    expect(sinkLines(outDir).length, 'the kill came before the source was done').toBeLessThan(COUNT);
    await until('every task running on the surviving worker', 120_000, async () => {
      const [c, l] = [await connectorStatus(survivor, 'counter'), await connectorStatus(survivor, 'lines')];
      return connectorRunning(c, 1) && connectorRunning(l, 2) && [...c.tasks, ...l.tasks].every((t) => t.worker_id === survivor.id) ? true : null;
    });
    await until(`all ${COUNT} records in the sink files`, 120_000, () => {
      const have = new Set(sinkLines(outDir));
      return Array.from({ length: COUNT }, (_, i) => `record-${i}`).every((v) => have.has(v)) ? true : null;
    });
    expect(sinkLines(outDir).every((l) => /^record-\d+$/.test(l))).toBe(true);

    // The killed worker comes back and rejoins the group; the connectors stay running.
    workers[victim] = await workers[victim]!.restart();
    await until('the restarted worker serving the group', 60_000, async () => {
      const names = await connectRest<string[]>(workers[victim]!, 'GET', '/connectors');
      return names.sort().join() === 'counter,lines' && connectorRunning(await connectorStatus(workers[victim]!, 'lines'), 2) ? true : null;
    });
  }, 420_000);
});
