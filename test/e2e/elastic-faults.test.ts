import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { startE2eStack, type E2eStack } from '../support/e2e-stack.ts';
import { untilInstanceRunning } from '../support/instance-running.ts';
import { until } from '../support/until.ts';
import { elasticSpec, operation, operationEnded, startLoad, untilBalanced, type Load } from './elastic-support.ts';

/**
 * Issue 20's faults during a rebalance, through the REST API on the real local stack (API, operator
 * with etcd, local runtime, brokers), under an idempotent acks=all producer and a consumer group of
 * each client (kafkajs; librdkafka through python3-confluent-kafka). The operator's moves run at
 * 100 kB/s per broker and the topic holds ~1 MB per partition, so a scale-up's copy takes tens of
 * seconds: long enough to act while it is partly done.
 * - A scale-up cancelled while its copy is partly done, with POST /v1/operations/{id}/cancel: the scale ends Failed
 *   (cancelled), every partition that was moving has its original replicas again, nothing moves.
 * - The same scale asked again, with kill -9 of the controller and then of a broker receiving
 *   replicas while the copy runs (pids from the local runtime's state): the operator restarts them,
 *   the moves complete, the operation Succeeds and the placement is balanced.
 * At the end no send failed, and the log and each group's reads hold every acknowledged message once.
 */
const KEY = 'trib_e2e_elastic_faults_key_0123456789ab';
const TOPIC = 'faults';
const PARTITIONS = 6;
const THROTTLE = 100_000;
let stack: E2eStack;
let id: string;
let load: Load | undefined;

const read = async () => (await stack.api('GET', `/v1/instances/${id}`)).json();
const internal = async () => (await stack.runtime.observe(id))!.internalBootstrapServers;
async function withAdmin<T>(use: (admin: KafkaAdminClient) => Promise<T>): Promise<T> {
  const admin = await KafkaAdminClient.connect((await internal())[0]!, { timeoutMs: 30_000 });
  try {
    return await use(admin);
  } finally {
    admin.close();
  }
}
const assignment = () => withAdmin(async (admin) => (await admin.metadata([TOPIC])).topics[0]!.partitions.map((p) => [...p.replicas]));
const moving = () => withAdmin((admin) => admin.listPartitionReassignments());
const pidOf = (nodeId: number) => (JSON.parse(readFileSync(join(stack.root, id, 'cluster.json'), 'utf8')) as { brokers: { nodeId: number; pid: number | null }[] }).brokers.find((b) => b.nodeId === nodeId)!.pid!;
/** kill -9 of one broker, then waits until the operator has started it again and it is ready. */
async function killAndWaitRestart(nodeId: number): Promise<void> {
  const before = (await stack.runtime.observe(id))!.brokers.find((b) => b.nodeId === nodeId)!.restarts;
  process.kill(pidOf(nodeId), 'SIGKILL');
  await until(async () => {
    const b = (await stack.runtime.observe(id))!.brokers.find((x) => x.nodeId === nodeId)!;
    return b.restarts > before && b.ready ? true : null;
  }, `broker ${nodeId} restarted by the operator`, 90_000);
}
/** Waits until the operation's copy is under way and partly done: bytes copied above zero and below the total. */
async function untilCopying(opId: string) {
  let seen: unknown;
  return until(async () => {
    const op = await operation(stack, opId);
    seen = op;
    const p = op.progress;
    return op.state === 'Running' && p && p.bytesTotal > 0 && p.bytesMoved > 0 && p.bytesMoved < p.bytesTotal ? p : null;
  }, `operation ${opId} copying, partly done`, 120_000, () => `last seen: ${JSON.stringify(seen)}`);
}

/** ~1 MB of unique 1 kB records per partition (acks=all) over the internal listener, so moves take tens of seconds at the throttle. */
async function fill(): Promise<void> {
  const producer = new Kafka({ clientId: 'elastic-fill', brokers: await internal(), logLevel: logLevel.NOTHING, retry: { retries: 30 } }).producer();
  await producer.connect();
  try {
    const pad = 'x'.repeat(1000);
    for (let batch = 0; batch < 10; batch++) {
      for (let p = 0; p < PARTITIONS; p++) await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: 100 }, (_, i) => ({ partition: p, value: `fill:${p}-${batch}-${i}:${pad}` })) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Opt-in: the suite takes 1.5-2.5 min (idle to loaded), over what CI grants issue 20 beside elastic-scale.test.ts (~75 s). */
const optedIn = process.env['TRIBUTARY_ELASTIC_FAULTS'] === '1';

describe.skipIf(!optedIn)('faults during a rebalance, under kafkajs and librdkafka load (opt-in with TRIBUTARY_ELASTIC_FAULTS=1; skipped in CI: its 1.5-2.5 min would put issue 20 over its CI budget)', () => {
  beforeAll(async () => {
    stack = await startE2eStack({ key: KEY, etcd: true, stopGraceMs: 30_000, replicationThrottle: THROTTLE });
  }, 120_000);
  afterAll(async () => {
    await load?.stop();
    await stack?.stop();
  }, 180_000);

  it('runs a 3-broker instance with an RF 3 topic of ~1 MB per partition, producers and groups running', async () => {
    const created = await stack.api('POST', '/v1/instances', { name: 'elastic-faults', spec: elasticSpec(3) });
    expect(created.statusCode, created.body).toBe(202);
    id = created.json().resource.id as string;
    await untilInstanceRunning(read, 'the instance to be Running', { ms: 120_000 });
    const topic = await stack.api('POST', `/v1/instances/${id}/topics`, { name: TOPIC, partitions: PARTITIONS, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    expect(topic.statusCode, topic.body).toBe(202);
    expect((await operationEnded(stack, topic.json().operation.id, 90_000)).state).toBe('Succeeded');
    await fill();
    // The copy the next steps act in the middle of: ~1 MB on each partition's leader, as the operator's planner reads it.
    let seen = '';
    await until(async () => {
      const sizes = await withAdmin((admin) => admin.partitionSizes(TOPIC));
      seen = JSON.stringify([...sizes].map(([p, n]) => [p, Number(n)]));
      return [...sizes.values()].filter((n) => n >= 900_000n).length === PARTITIONS ? true : null;
    }, 'every partition ~1 MB in the leaders\' log dirs', 60_000, () => `sizes: ${seen}`);
    load = await startLoad(stack, id, TOPIC);
  }, 300_000);

  it('a scale-up cancelled while its copy is partly done leaves the original assignment and moves nothing more', async () => {
    const original = await assignment();
    const scaled = await stack.api('PUT', `/v1/instances/${id}`, { spec: elasticSpec(5) });
    expect(scaled.statusCode, scaled.body).toBe(202);
    const scaleOp = scaled.json().operation.id as string;
    await untilCopying(scaleOp);
    const inFlight = await moving();
    expect(inFlight.filter((m) => m.topic === TOPIC).length).toBeGreaterThan(0);

    const cancelled = await stack.api('POST', `/v1/operations/${scaleOp}/cancel`);
    expect(cancelled.statusCode, cancelled.body).toBe(202);
    const cancelOp = await operationEnded(stack, cancelled.json().id, 120_000);
    expect(cancelOp.state, JSON.stringify(cancelOp)).toBe('Succeeded');
    const scale = await operationEnded(stack, scaleOp, 60_000);
    expect(scale.state).toBe('Failed');
    expect(scale.error).toMatch(/cancelled/);
    // Kafka's cancel: every partition still moving gets its original replicas back; each of this topic's partitions was still copying.
    expect(await moving()).toEqual([]);
    expect(await assignment()).toEqual(original);
    // Held: the instance runs on 5 brokers as the cancel left it, and the next passes start no moves.
    const held = await untilInstanceRunning(read, 'the instance Running after the cancel', { ms: 120_000, also: (b) => b.status!.brokers === 5 });
    expect(held.status!.conditions).toContainEqual(expect.objectContaining({ type: 'RebalanceCancelled', status: 'True' }));
    expect(await moving()).toEqual([]);
    expect(await assignment()).toEqual(original);
  }, 300_000);

  it('the scale asked again completes after kill -9 of the controller and of a receiving broker mid-copy', async () => {
    const again = await stack.api('PUT', `/v1/instances/${id}`, { spec: elasticSpec(5) });
    expect(again.statusCode, again.body).toBe(202);
    const scaleOp = again.json().operation.id as string;
    await untilCopying(scaleOp);
    const controller = await withAdmin(async (admin) => (await admin.metadata([])).controllerId);
    await killAndWaitRestart(controller);
    // Still moving after the controller's failover (the reassignments are kept in etcd); a broker receiving replicas goes next.
    const inFlight = await until(async () => { const m = await moving(); return m.some((x) => x.adding.length > 0) ? m : null; }, 'reassignments still in flight after the controller kill', 60_000);
    const receiver = inFlight.find((m) => m.adding.length > 0)!.adding[0]!;
    await killAndWaitRestart(receiver);
    const op = await operationEnded(stack, scaleOp, 300_000);
    expect(op.state, JSON.stringify(op)).toBe('Succeeded');
    const b = await untilBalanced(async () => (await internal())[0]!, [1, 2, 3, 4, 5], TOPIC, 'the placement balanced over 5 brokers with full ISRs');
    expect([4, 5].map((n) => b.byTopic[TOPIC]![n] ?? 0).every((n) => n >= 3)).toBe(true);
  }, 420_000);

  it('no send failed, and the log and both groups hold every acknowledged message once', async () => {
    await load!.stopAndCheck();
    load = undefined;
  }, 300_000);
});
