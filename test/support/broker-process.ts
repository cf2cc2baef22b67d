import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '@tributary/testkit';
import { BROKER_NODE_FLAGS } from '@tributary/contracts';

/** A real `tributary-broker` process on a free loopback port, as a user would run it. */
export interface BrokerProcess {
  bootstrap: string;
  port: number;
  /** The Prometheus port when started with `metrics: true`. */
  metricsPort: number | null;
  /** host:port of every listener by name (PLAINTEXT is `bootstrap`). */
  addresses: Record<string, string>;
  dataDir: string;
  process: ChildProcess;
  output: () => string;
  /** SIGTERM and wait for exit (graceful shutdown). */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit (a crash). */
  kill(): Promise<void>;
  /** Start again on the same port and data directory. */
  restart(): Promise<BrokerProcess>;
  /** Stop and delete the data directory. */
  destroy(): Promise<void>;
}

const BIN = resolve(import.meta.dirname, '../../node_modules/.bin/tributary-broker');

export interface StartBrokerOptions {
  settings?: Record<string, string>;
  dataDir?: string;
  port?: number;
  timeoutMs?: number;
  extraListeners?: string[];
  extraPorts?: Record<string, number>;
  metrics?: boolean;
  metricsPort?: number;
  nodeId?: number;
  /** Further flags, e.g. `--etcd-endpoints`, `--cluster-id`, `--rack`. */
  args?: string[];
  /** Start with the broker's own defaults, not TEST_BROKER_SETTINGS (the tests that compare with Kafka's defaults). */
  brokerDefaults?: boolean;
}

/**
 * What test brokers set unless `brokerDefaults`: `__consumer_offsets` with 3 partitions, not
 * Kafka's 50. Empty partitions no longer cost a start or stop anything (they are neither synced nor
 * checkpointed), but on a 3-broker cluster 50 are 150 replicas whose leadership, ISR and follower
 * fetches every cluster test would pay for. Groups still spread over partitions, and on a cluster
 * over coordinators.
 */
export const TEST_BROKER_SETTINGS: Readonly<Record<string, string>> = { 'offsets.topic.num.partitions': '3' };

export async function startBroker(options: StartBrokerOptions = {}): Promise<BrokerProcess> {
  const metricsPort = options.metrics ? (options.metricsPort ?? (await freePort())) : null;
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tributary-broker-'));
  // Extra listeners (e.g. SASL_SSL) keep their ports across restart().
  const extraPorts: Record<string, number> = { ...options.extraPorts };
  for (const name of options.extraListeners ?? []) extraPorts[name] ??= await freePort();
  const listeners = [`PLAINTEXT://127.0.0.1:${port}`, ...Object.entries(extraPorts).map(([name, p]) => `${name}://127.0.0.1:${p}`)].join(',');
  const args = ['--node-id', String(options.nodeId ?? 1), ...(options.args ?? []), '--listeners', listeners, '--data-dir', dataDir, ...(metricsPort ? ['--metrics-port', String(metricsPort)] : []), ...Object.entries({ ...(options.brokerDefaults ? {} : TEST_BROKER_SETTINGS), ...options.settings }).flatMap(([k, v]) => ['--set', `${k}=${v}`])];
  const child = spawn(process.execPath, [...BROKER_NODE_FLAGS, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await new Promise<void>((ready, fail) => {
    // Seconds on an idle machine; a loaded one (CI beside other jobs) has taken over 15.
    const limit = options.timeoutMs ?? 45_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // never left running behind a failed start
      fail(new Error(`broker did not start within ${limit} ms:\n${output}`));
    }, limit);
    const check = () => {
      if (output.includes('"broker started"')) {
        clearTimeout(timer);
        // Searched no more: with thousands of partitions a broker writes megabytes, and searching the
        // whole output on every chunk slowed the test process that reads its pipe.
        child.stdout!.off('data', check);
        ready();
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`broker exited with ${code} before starting:\n${output}`));
    });
  });
  const handle: BrokerProcess = {
    bootstrap: `127.0.0.1:${port}`,
    port,
    metricsPort,
    addresses: { PLAINTEXT: `127.0.0.1:${port}`, ...Object.fromEntries(Object.entries(extraPorts).map(([name, p]) => [name, `127.0.0.1:${p}`])) },
    dataDir,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
    restart: () => startBroker({ ...options, port, dataDir, extraPorts, ...(metricsPort ? { metricsPort } : {}) }),
    async destroy() {
      await handle.kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return handle;
}
