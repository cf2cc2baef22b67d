import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { LocalRuntime } from '../runtimes/local/local-runtime.ts';
import { conditionStatus } from '../status/conditions.ts';
import type { DesiredInstance, InstanceStatus } from './desired-instance.ts';
import { InstanceReconciler } from './instance-reconciler.ts';
import { BROKER_NODE_FLAGS } from '@tributary/contracts';

// The reconciler against the local runtime running the real tributary-broker binary.
const brokerBin = resolve(import.meta.dirname, '../../../../node_modules/.bin/tributary-broker');
// Test brokers keep 3 __consumer_offsets partitions, not Kafka's 50 (test/support/broker-process.ts TEST_BROKER_SETTINGS).
const TEST_BROKER_ARGS = ['--set', 'offsets.topic.num.partitions=3'];
let root: string;
let runtime: LocalRuntime;
let reconciler: InstanceReconciler;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'tributary-reconcile-'));
  runtime = new LocalRuntime({ rootDir: root, brokerCommand: [process.execPath, ...BROKER_NODE_FLAGS, brokerBin, ...TEST_BROKER_ARGS], stopGraceMs: 10_000 });
  reconciler = new InstanceReconciler(runtime);
});
afterAll(async () => {
  await runtime.deleteCluster('ins-1');
  rmSync(root, { recursive: true, force: true });
});

/** Reconciles until done, as the job queue would by requeueing; bounded. Events of every pass are kept. */
async function converge(desired: DesiredInstance, status: InstanceStatus | null): Promise<InstanceStatus> {
  let current = status;
  const events: string[] = [];
  for (let i = 0; i < 60; i++) {
    const { status: next, requeueAfterMs } = await reconciler.reconcile(desired, current);
    current = next;
    events.push(...next.events);
    if (requeueAfterMs === null) return { ...current, events };
    await new Promise((r) => setTimeout(r, Math.min(requeueAfterMs, 500)));
  }
  throw new Error(`did not converge: ${JSON.stringify(current?.conditions)}`);
}

const base: DesiredInstance = {
  id: 'ins-1',
  generation: 1,
  brokers: 1,
  brokerConfig: { 'log.retention.ms': '3600000' },
  topics: [{ name: 'orders', partitions: 3, replicationFactor: 1, configs: { 'retention.ms': '60000' } }],
  deletedTopics: [],
  deleting: false,
};

describe('InstanceReconciler (local runtime, real broker)', () => {
  let status: InstanceStatus;

  it('brings an instance to Running with its topics, bootstrap servers and conditions', { timeout: 60_000 }, async () => {
    status = await converge(base, null);
    expect(status).toMatchObject({ phase: 'Running', observedGeneration: 1 });
    expect(conditionStatus(status.conditions, 'Ready')).toBe('True');
    expect(conditionStatus(status.conditions, 'BrokersHealthy')).toBe('True');
    expect(status.internalBootstrapServers).toHaveLength(1);
    const admin = await KafkaAdminClient.connect(status.internalBootstrapServers[0]!);
    expect((await admin.metadata(['orders'])).topics[0]!.partitions).toHaveLength(3);
    admin.close();
  });

  it('puts back a topic deleted and a config changed behind its back, and logs the drift', { timeout: 60_000 }, async () => {
    const admin = await KafkaAdminClient.connect(status.internalBootstrapServers[0]!);
    await admin.deleteTopics(['orders']);
    status = await converge(base, status);
    expect(status.events).toContain('topic orders created');
    await admin.alterTopicConfigs('orders', { 'retention.ms': '5', 'cleanup.policy': 'compact' });
    status = await converge(base, status);
    expect(status.events).toEqual([expect.stringContaining('topic orders: configs put back')]);
    const configs = await admin.describeTopicConfigs('orders');
    expect(configs['retention.ms']!.value).toBe('60000');
    expect(configs['cleanup.policy']!.isDefault).toBe(true);
    admin.close();
  });

  it('adds partitions and rolls the broker when a broker setting changes', { timeout: 60_000 }, async () => {
    const next = { ...base, generation: 2, brokerConfig: { 'log.retention.ms': '7200000' }, topics: [{ ...base.topics[0]!, partitions: 5 }] };
    status = await converge(next, status);
    expect(status).toMatchObject({ phase: 'Running', observedGeneration: 2 });
    expect(status.events).toEqual(expect.arrayContaining([expect.stringContaining('rolling restart: broker 1')]));
    const brokerArgs = readFileSync(`/proc/${JSON.parse(readFileSync(join(root, 'ins-1', 'cluster.json'), 'utf8')).brokers[0].pid}/cmdline`, 'utf8');
    expect(brokerArgs).toContain('log.retention.ms=7200000');
    const admin = await KafkaAdminClient.connect(status.internalBootstrapServers[0]!);
    expect((await admin.metadata(['orders'])).topics[0]!.partitions).toHaveLength(5);
    admin.close();
  });

  it('restarts a crashed broker and reports it', { timeout: 60_000 }, async () => {
    const pid = JSON.parse(readFileSync(join(root, 'ins-1', 'cluster.json'), 'utf8')).brokers[0].pid as number;
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    status = await converge({ ...base, generation: 2, brokerConfig: { 'log.retention.ms': '7200000' }, topics: [{ ...base.topics[0]!, partitions: 5 }] }, status);
    expect(status.phase).toBe('Running');
    expect(status.brokers[0]!.restarts).toBeGreaterThanOrEqual(1);
  });

  it('refuses a shape it cannot run yet with a NotSupported condition, never a silent success', async () => {
    const { status: refused } = await reconciler.reconcile({ ...base, id: 'ins-3', brokers: 3, generation: 1 }, null);
    expect(refused.phase).toBe('Failed');
    expect(conditionStatus(refused.conditions, 'NotSupported')).toBe('True');
    expect(refused.observedGeneration).toBe(0);
  });

  it('deletes the instance: processes and data gone', { timeout: 60_000 }, async () => {
    const { status: gone } = await reconciler.reconcile({ ...base, deleting: true, generation: 3 }, status);
    expect(gone.phase).toBe('Deleted');
    expect(existsSync(join(root, 'ins-1'))).toBe(false);
  });
});
