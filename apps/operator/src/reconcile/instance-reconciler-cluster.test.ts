import type { RebalanceProgress } from './rebalance-progress.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { startEtcd, type TestEtcd } from '@tributary/testkit';
import { LocalRuntime } from '../runtimes/local/local-runtime.ts';
import { conditionStatus } from '../status/conditions.ts';
import type { DesiredInstance, InstanceStatus } from './desired-instance.ts';
import { InstanceReconciler } from './instance-reconciler.ts';
import { BROKER_NODE_FLAGS } from '@tributary/contracts';

// The reconciler with etcd configured, against the local runtime running real tributary-broker
// processes that form one replicated cluster per instance.
const brokerBin = resolve(import.meta.dirname, '../../../../node_modules/.bin/tributary-broker');
// Test brokers keep 3 __consumer_offsets partitions, not Kafka's 50 (test/support/broker-process.ts TEST_BROKER_SETTINGS).
const TEST_BROKER_ARGS = ['--set', 'offsets.topic.num.partitions=3'];
let root: string;
let etcd: TestEtcd;
let runtime: LocalRuntime;
let reconciler: InstanceReconciler;
const ID = 'ins-cluster1';

beforeAll(async () => {
  etcd = await startEtcd();
  root = mkdtempSync(join(tmpdir(), 'tributary-reconcile-cluster-'));
  runtime = new LocalRuntime({ rootDir: root, brokerCommand: [process.execPath, ...BROKER_NODE_FLAGS, brokerBin, ...TEST_BROKER_ARGS], stopGraceMs: 30_000 });
  reconciler = new InstanceReconciler(runtime, { etcdEndpoints: etcd.endpoint });
}, 60_000);
afterAll(async () => {
  await runtime?.deleteCluster(ID);
  await runtime?.deleteCluster('ins-standalone2');
  await etcd?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
}, 120_000);

/** Reconciles until done, as the job queue would by requeueing; bounded. Events and wait reasons of every pass are kept. */
async function converge(r: InstanceReconciler, desired: DesiredInstance, status: InstanceStatus | null, passes = 240): Promise<InstanceStatus & { reasons: string[]; progress: RebalanceProgress[] }> {
  let current = status;
  const events: string[] = [];
  const reasons: string[] = [];
  const progress: RebalanceProgress[] = [];
  for (let i = 0; i < passes; i++) {
    const { status: next, requeueAfterMs } = await r.reconcile(desired, current);
    current = next;
    events.push(...next.events);
    if (next.rebalance) progress.push(next.rebalance);
    if (requeueAfterMs === null) return { ...current, events, reasons, progress };
    reasons.push(next.conditions.find((c) => c.type === 'Ready')?.reason ?? '');
    await new Promise((res) => setTimeout(res, Math.min(requeueAfterMs, 500)));
  }
  throw new Error(`did not converge: ${JSON.stringify(current?.conditions)}`);
}

/** fn's first result that does not throw, retried every 200 ms for at most `ms`; then its last error. */
async function eventually<T>(fn: () => Promise<T>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((res) => setTimeout(res, 200));
    }
  }
}

async function withAdmin<T>(bootstrap: string, fn: (admin: KafkaAdminClient) => Promise<T>): Promise<T> {
  const admin = await KafkaAdminClient.connect(bootstrap, { timeoutMs: 10_000 });
  try {
    return await fn(admin);
  } finally {
    admin.close();
  }
}

/** Replicas each broker holds, over every partition of every topic. */
function perBroker(topics: { partitions: { replicas: number[] }[] }[], brokers: number[]): number[] {
  return brokers.map((id) => topics.flatMap((t) => t.partitions).filter((p) => p.replicas.includes(id)).length);
}

const base: DesiredInstance = {
  id: ID,
  generation: 1,
  brokers: 3,
  brokerConfig: { 'group.initial.rebalance.delay.ms': '0' },
  topics: [{ name: 'orders', partitions: 3, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }],
  deletedTopics: [],
  deleting: false,
};

describe('InstanceReconciler with etcd (3 real brokers)', () => {
  let status: InstanceStatus;

  it('keeps multi-broker instances NotSupported when the operator has no etcd, starting nothing', { timeout: 30_000 }, async () => {
    const standalone = new InstanceReconciler(runtime);
    const { status: s, requeueAfterMs } = await standalone.reconcile({ ...base, id: 'ins-standalone2', brokers: 2 }, null);
    expect(s.phase).toBe('Failed');
    expect(s.conditions.find((c) => c.type === 'NotSupported')).toMatchObject({ status: 'True', reason: 'EtcdNotConfigured' });
    expect(requeueAfterMs).toBe(60_000);
    expect(await runtime.observe('ins-standalone2')).toBeNull();
  });

  it('brings 3 brokers up as one cluster with an RF 3 topic and all brokers in status', { timeout: 180_000 }, async () => {
    status = await converge(reconciler, base, null);
    expect(status).toMatchObject({ phase: 'Running', observedGeneration: 1 });
    expect(conditionStatus(status.conditions, 'BrokersHealthy')).toBe('True');
    expect(status.internalBootstrapServers).toHaveLength(3);
    expect(status.brokers.map((b) => b.nodeId)).toEqual([1, 2, 3]);
    // Every broker sees the whole cluster and the same controller; the cluster id is the instance id.
    // Brokers learn of a new topic through etcd's watch, a moment after the controller wrote it (as
    // Kafka's brokers learn it from the metadata log): ask each until it knows the topic, bounded.
    const views = await Promise.all(status.internalBootstrapServers.map((b) => withAdmin(b, (a) => eventually(() => a.metadata(['orders']), 15_000))));
    for (const v of views) {
      expect(v.clusterId).toBe(ID);
      expect(v.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
      expect(v.controllerId).toBe(views[0]!.controllerId);
      expect(v.topics[0]!.partitions.map((p) => [...p.replicas].sort())).toEqual([[1, 2, 3], [1, 2, 3], [1, 2, 3]]);
    }
  });

  it('scales up: a 4th broker joins and existing partitions are rebalanced onto it (replicas within ±1 per broker)', { timeout: 240_000 }, async () => {
    const grown = { ...base, generation: 2, brokers: 4, topics: [...base.topics, { name: 'wide', partitions: 4, replicationFactor: 4, configs: {} }] };
    const converged = await converge(reconciler, grown, status);
    status = converged;
    expect(status).toMatchObject({ phase: 'Running', observedGeneration: 2 });
    expect(status.brokers.map((b) => b.nodeId)).toEqual([1, 2, 3, 4]);
    // 3 → 4 brokers leaves the replication settings (min(3, N)) alone: no rolling restart.
    expect(status.events.filter((e) => e.startsWith('rolling restart'))).toEqual([]);
    // Brokers 1–3 hold orders (3) and wide (4), broker 4 only wide (no group was used, so there is no
    // __consumer_offsets: as on Kafka, the first FindCoordinator for a group creates it).
    expect(status.events.filter((e) => e.startsWith('rebalancing: replicas per broker range from 4 to 7'))).toHaveLength(1);
    expect(status.conditions.some((c) => c.type === 'Rebalancing')).toBe(false);
    // Progress as the operations show it: totals fixed at the start, counts only growing, all moved at the end.
    const { progress } = converged;
    const first = progress[0]!;
    const last = progress.at(-1)!;
    expect(first).toMatchObject({ partitionsMoved: 0, finished: false });
    expect(first.partitionsTotal).toBeGreaterThan(0);
    expect(last).toMatchObject({ finished: true, partitionsMoved: first.partitionsTotal, partitionsTotal: first.partitionsTotal, bytesMoved: first.bytesTotal, startedAt: first.startedAt });
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.partitionsMoved).toBeGreaterThanOrEqual(progress[i - 1]!.partitionsMoved);
    const md = await withAdmin(status.internalBootstrapServers[0]!, (a) => a.metadata(null));
    expect(md.brokers).toHaveLength(4);
    expect(md.topics.find((t) => t.name === 'orders')!.partitions.some((p) => p.replicas.includes(4))).toBe(true);
    expect(perBroker(md.topics, [1, 2, 3, 4])).toSatisfy((counts: number[]) => Math.max(...counts) - Math.min(...counts) <= 1);
    for (const p of md.topics.flatMap((t) => t.partitions)) expect(p.isr.length).toBe(p.replicas.length);
  });

  it('scales down: refused while a topic needs more brokers than stay; then drains broker 4 and removes it', { timeout: 240_000 }, async () => {
    const shrunk = { ...base, generation: 3, brokers: 3, topics: [...base.topics, { name: 'wide', partitions: 4, replicationFactor: 4, configs: {} }] };
    const { status: blocked, requeueAfterMs } = await reconciler.reconcile(shrunk, status);
    expect(requeueAfterMs).toBe(60_000);
    expect(blocked.conditions.find((c) => c.type === 'ScaleDownBlocked')).toMatchObject({ status: 'True', reason: 'CannotPlace' });
    expect((await runtime.observe(ID))!.brokers.map((b) => b.nodeId)).toEqual([1, 2, 3, 4]);

    // Without the RF-4 topic the data fits on 3 brokers: broker 4's replicas move, then it goes.
    status = await converge(reconciler, { ...shrunk, topics: base.topics, deletedTopics: ['wide'] }, blocked);
    expect(status.conditions.some((c) => c.type === 'ScaleDownBlocked' || c.type === 'Rebalancing')).toBe(false);
    expect(status.events.some((e) => e.startsWith('draining brokers 4 before removing them: brokers 4 still hold replicas'))).toBe(true);
    expect(status.brokers.map((b) => b.nodeId)).toEqual([1, 2, 3]);
    const md = await withAdmin(status.internalBootstrapServers[0]!, (a) => a.metadata(null));
    expect(md.topics.flatMap((t) => t.partitions).every((p) => !p.replicas.includes(4) && p.isr.length === p.replicas.length)).toBe(true);
  });

  it('changes a topic\'s replication factor in place: 3 → 2 and back to 3', { timeout: 240_000 }, async () => {
    for (const [generation, rf] of [[4, 2], [5, 3]] as const) {
      status = await converge(reconciler, { ...base, generation, topics: [{ ...base.topics[0]!, replicationFactor: rf }] }, status);
      expect(status).toMatchObject({ phase: 'Running', observedGeneration: generation });
      const md = await withAdmin(status.internalBootstrapServers[0]!, (a) => a.metadata(['orders']));
      expect(md.topics[0]!.partitions.map((p) => p.replicas.length)).toEqual([rf, rf, rf]);
      expect(md.topics[0]!.partitions.every((p) => p.isr.length === rf)).toBe(true);
    }
  });

  it('rolls a setting change one broker at a time and ends with every ISR full', { timeout: 300_000 }, async () => {
    const before = (await runtime.observe(ID))!.brokers.map((b) => b.configHash);
    const rolled = await converge(reconciler, { ...base, generation: 6, brokerConfig: { ...base.brokerConfig, 'log.retention.ms': '7200000' } }, status);
    status = rolled;
    expect(status).toMatchObject({ phase: 'Running', observedGeneration: 6 });
    expect(status.conditions.some((c) => c.type === 'RollingRestart')).toBe(false);
    expect(status.events.filter((e) => e.startsWith('rolling restart'))).toEqual([1, 2, 3].map((n) => `rolling restart: broker ${n} picks up new settings`));
    const after = (await runtime.observe(ID))!.brokers;
    expect(after.every((b) => b.configHash !== null && !before.includes(b.configHash))).toBe(true);
    expect(rolled.reasons.filter((r) => r === 'RollingRestart')).toHaveLength(3);
    // Running again only once the last restarted broker is back in every ISR.
    const md = await withAdmin(status.internalBootstrapServers[0]!, (a) => a.metadata(null));
    expect(md.topics.flatMap((t) => t.partitions).every((p) => p.isr.length === p.replicas.length)).toBe(true);
  });

  it('applies access so that every broker holds it once the instance is Running again (a client may reach any broker next)', { timeout: 120_000 }, async () => {
    const access = {
      users: [{ name: 'app', mechanism: 'SCRAM-SHA-256' as const, iterations: 4096, salt: Buffer.alloc(16, 1).toString('base64'), saltedPassword: Buffer.alloc(32, 2).toString('base64') }],
      acls: [{ resourceType: 'GROUP' as const, resourceName: 'readers', patternType: 'LITERAL' as const, principal: 'User:app', host: '*', operation: 'READ' as const, permission: 'ALLOW' as const }],
      quotas: [],
    };
    status = await converge(reconciler, { ...base, generation: 7, brokerConfig: { ...base.brokerConfig, 'log.retention.ms': '7200000' }, access }, status);
    expect(status).toMatchObject({ phase: 'Running', observedGeneration: 7 });
    // No waiting here: Running means each broker's own view already holds the user and the ACL.
    for (const address of status.internalBootstrapServers) {
      const [acls, users] = await withAdmin(address, async (a) => [await a.describeAcls({ resourceType: 'GROUP' }), await a.describeUserScramCredentials(['app'])] as const);
      expect(acls.map((x) => `${x.principal} ${x.operation} ${x.resourceName}`), address).toEqual(['User:app READ readers']);
      expect(users.get('app'), address).toEqual([{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }]);
    }
  });
});
