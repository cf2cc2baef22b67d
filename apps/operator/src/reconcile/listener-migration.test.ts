import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import { BROKER_NODE_FLAGS } from '@tributary/contracts';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { saltedPassword } from '@tributary/protocol';
import { metadataWithoutLogin, startEtcd, until, type TestEtcd } from '@tributary/testkit';
import { writeClusterState, type LocalClusterState } from '../runtimes/local/cluster-state.ts';
import { freeLoopbackPort } from '../runtimes/local/free-port.ts';
import { LocalRuntime } from '../runtimes/local/local-runtime.ts';
import { MARKER_VARIABLE, spawnDetached } from '../runtimes/local/processes.ts';
import { clusterSettings } from './cluster-settings.ts';
import type { DesiredInstance, InstanceStatus } from './desired-instance.ts';
import { InstanceReconciler } from './instance-reconciler.ts';

// Migration of a running instance onto the listener layout of issue 14 (runtimes/listeners.ts). The
// test starts a 3-broker instance exactly as the operator did before — PLAINTEXT handed to clients,
// `super.users=User:ANONYMOUS`, the state file of that version — writes to it without credentials as
// any client could, and lets the current reconciler take it over: the brokers are rolled one at a
// time, the old PLAINTEXT ports close for good, the SASL ports stay, and nothing written is lost.
const run = promisify(execFile);
const brokerBin = resolve(import.meta.dirname, '../../../../node_modules/.bin/tributary-broker');
// Test brokers keep 3 __consumer_offsets partitions, not Kafka's 50 (test/support/broker-process.ts TEST_BROKER_SETTINGS).
const TEST_BROKER_ARGS = ['--set', 'offsets.topic.num.partitions=3'];
const ID = 'ins-legacy1';
const PASSWORD = 'legacy-app-password';
let root: string;
let etcd: TestEtcd;
let runtime: LocalRuntime;

beforeAll(async () => {
  etcd = await startEtcd();
  root = mkdtempSync(join(tmpdir(), 'tributary-listener-migration-'));
  runtime = new LocalRuntime({ rootDir: root, brokerCommand: [process.execPath, ...BROKER_NODE_FLAGS, brokerBin, ...TEST_BROKER_ARGS], stopGraceMs: 30_000 });
}, 60_000);
afterAll(async () => {
  await runtime?.deleteCluster(ID);
  await etcd?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
}, 120_000);

/** Starts the brokers of an instance as the operator before issue 14 did, with that version's state file. */
async function startLegacyInstance(): Promise<LocalClusterState> {
  const state: LocalClusterState = { instanceId: ID, brokers: [] };
  for (let nodeId = 1; nodeId <= 3; nodeId++) {
    const broker = { nodeId, port: await freeLoopbackPort('127.0.0.1'), saslPort: await freeLoopbackPort('127.0.0.1'), metricsPort: await freeLoopbackPort('127.0.0.1'), configHash: 'before-issue-14', pid: null as number | null, restarts: 0 };
    const dir = join(runtime.instanceDir(ID), `broker-${nodeId}`);
    mkdirSync(join(dir, 'data'), { recursive: true });
    const listener = `PLAINTEXT://127.0.0.1:${broker.port},SASL_PLAINTEXT://127.0.0.1:${broker.saslPort}`;
    const args = [
      ...BROKER_NODE_FLAGS, brokerBin, '--node-id', String(nodeId), '--listeners', listener, '--advertised-listeners', listener,
      '--data-dir', join(dir, 'data'), '--metrics-port', String(broker.metricsPort),
      '--set', 'super.users=User:ANONYMOUS', '--set', 'sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512',
      ...Object.entries(clusterSettings(3, {})).flatMap(([k, v]) => ['--set', `${k}=${v}`]),
      '--etcd-endpoints', etcd.endpoint, '--cluster-id', ID,
    ];
    broker.pid = spawnDetached(process.execPath, args, join(dir, 'broker.log'), { ...process.env, [MARKER_VARIABLE]: `tributary:${ID}:broker-${nodeId}` });
    state.brokers.push(broker);
  }
  await writeClusterState(join(runtime.instanceDir(ID), 'cluster.json'), state);
  return state;
}

/** The end of each broker's log, for a failure message: what a broker that never became ready said. */
function brokerLogTails(): string {
  return [1, 2, 3].map((nodeId) => {
    const log = join(runtime.instanceDir(ID), `broker-${nodeId}`, 'broker.log');
    let text: string;
    try {
      text = readFileSync(log, 'utf8');
    } catch (error) {
      text = String(error);
    }
    return `--- broker ${nodeId} (${log}):\n${text.split('\n').slice(-40).join('\n')}`;
  }).join('\n');
}

function refuses(address: string): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((res) => {
    const socket = connect({ host: host!, port: Number(port) });
    socket.once('connect', () => (socket.destroy(), res(false)));
    socket.once('error', () => res(true));
  });
}

it('rolls an instance of the earlier layout onto SASL-only client endpoints without losing a record', { timeout: 300_000 }, async () => {
  // The brokers' logs go with the instance directory in afterAll: a failure prints their ends first.
  onTestFailed(() => console.error(brokerLogTails()));
  const legacy = await startLegacyInstance();
  const plaintext = legacy.brokers.map((b) => `127.0.0.1:${b.port}`);
  const sasl = legacy.brokers.map((b) => `127.0.0.1:${b.saslPort}`);
  // The hole being closed: anyone reaching a PLAINTEXT port creates topics and writes without a login.
  await until(async () => {
    const admin = await KafkaAdminClient.connect(plaintext[0]!);
    try {
      const md = await admin.metadata([]);
      return md.brokers.length === 3 && md.controllerId >= 0 ? true : null;
    } finally {
      admin.close();
    }
  }, 'the legacy brokers to form a cluster', 90_000);
  const admin = await KafkaAdminClient.connect(plaintext[0]!);
  try {
    expect((await admin.createTopics([{ name: 'orders', partitions: 3, replicationFactor: 3 }])).get('orders')).toBeNull();
  } finally {
    admin.close();
  }
  const records = Array.from({ length: 300 }, (_, i) => `before-${i}`);
  // kcat reads one record per line from stdin, acks=all so that every replica has them.
  await run('sh', ['-c', `printf '%s\\n' ${records.join(' ')} | kcat -P -b ${plaintext.join(',')} -t orders -X acks=all`], { timeout: 60_000 });

  // The current reconciler, with a SCRAM user allowed to read orders.
  const salt = randomBytes(16);
  const desired: DesiredInstance = {
    id: ID, generation: 1, brokers: 3, brokerConfig: {}, topics: [{ name: 'orders', partitions: 3, replicationFactor: 3, configs: {} }], deletedTopics: [], deleting: false,
    access: {
      users: [{ name: 'legacy-app', mechanism: 'SCRAM-SHA-512', iterations: 4096, salt: salt.toString('base64'), saltedPassword: saltedPassword('SCRAM-SHA-512', PASSWORD, salt, 4096).toString('base64') }],
      acls: [{ resourceType: 'TOPIC', resourceName: 'orders', patternType: 'LITERAL', principal: 'User:legacy-app', host: '*', operation: 'READ', permission: 'ALLOW' }],
      quotas: [],
    },
  };
  const reconciler = new InstanceReconciler(runtime, { etcdEndpoints: etcd.endpoint });
  let status: InstanceStatus | null = null;
  const events: string[] = [];
  for (let pass = 0; ; pass++) {
    expect(pass, `converged; last conditions ${JSON.stringify(status?.conditions)}`).toBeLessThan(400);
    const { status: next, requeueAfterMs } = await reconciler.reconcile(desired, status);
    status = next;
    events.push(...next.events);
    if (requeueAfterMs === null) break;
    await new Promise((r) => setTimeout(r, Math.min(requeueAfterMs, 500)));
  }
  expect(status.phase).toBe('Running');
  // Every broker was restarted once, one at a time (the roll of a config change).
  expect(events.filter((e) => e.startsWith('rolling restart: broker')).sort()).toEqual([1, 2, 3].map((n) => `rolling restart: broker ${n} picks up new settings`));

  // The client endpoint is where it was; the internal one moved off the ports clients were given.
  expect(status.clientBootstrapServers).toEqual(sasl);
  expect(status.internalBootstrapServers).toHaveLength(3);
  for (const address of status.internalBootstrapServers) expect(plaintext).not.toContain(address);
  for (const address of plaintext) expect(await refuses(address), `${address} still accepts connections`).toBe(true);
  const state = JSON.parse(readFileSync(join(runtime.instanceDir(ID), 'cluster.json'), 'utf8')) as { brokers: { port?: number; pid: number }[] };
  for (const b of state.brokers) {
    expect(b.port).toBeUndefined();
    const argv = readFileSync(`/proc/${b.pid}/cmdline`, 'utf8').split('\0');
    expect(argv).toContain('tributary.trusted.listeners=PLAINTEXT');
    expect(argv.some((a) => a.startsWith('super.users='))).toBe(false);
  }

  // Without a login the client endpoint gives nothing; the user reads every record written before.
  for (const address of sasl) expect(await metadataWithoutLogin(address)).toEqual({ bytes: 0 });
  const login = ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', 'sasl.username=legacy-app', '-X', `sasl.password=${PASSWORD}`];
  const { stdout } = await run('kcat', ['-C', '-b', sasl.join(','), ...login, '-t', 'orders', '-o', 'beginning', '-e', '-q', '-f', '%s\n'], { timeout: 60_000 });
  expect(stdout.split('\n').filter(Boolean).sort()).toEqual([...records].sort());
  // And the cluster is whole again: every partition fully replicated, seen through the internal listener.
  const internal = await KafkaAdminClient.connect(status.internalBootstrapServers[0]!);
  try {
    expect(await internal.underReplicatedPartitions()).toEqual([]);
  } finally {
    internal.close();
  }
});
