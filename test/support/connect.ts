import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, kafkaClasspath } from '@tributary/testkit';

/**
 * Kafka Connect in distributed mode (connect-runtime from the Kafka jars in .cache/kafka/libs): worker
 * processes of one Connect group, each `org.apache.kafka.connect.cli.ConnectDistributed` with its own
 * properties file and REST listener on a free loopback port, plus the test connectors of
 * test/compat/connect (compiled with javac into .cache/connect-plugins when their sources change).
 */
const ROOT = resolve(import.meta.dirname, '../..');
const PLUGIN_SRC = join(ROOT, 'test/compat/connect/src');
const PLUGIN_OUT = join(ROOT, '.cache/connect-plugins');
const JVM_FLAGS = ['-Xmx256m', '-Xms64m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true'];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Compiles the test connectors when the classes are missing or older than their sources. */
export function connectPluginClasses(): string {
  const stamp = join(PLUGIN_OUT, '.compiled');
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= newestMtime(PLUGIN_SRC)) return PLUGIN_OUT;
  const classpath = kafkaClasspath();
  rmSync(PLUGIN_OUT, { recursive: true, force: true });
  mkdirSync(PLUGIN_OUT, { recursive: true });
  const sources = readdirSync(PLUGIN_SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.java')).map((f) => join(PLUGIN_SRC, f));
  try {
    execFileSync('javac', ['-nowarn', '-cp', classpath, '-d', PLUGIN_OUT, ...sources], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`javac could not compile the test connectors in ${PLUGIN_SRC}: ${e.stderr?.toString() || e.message}`, { cause: err });
  }
  // ServiceLoader manifests: the workers discover plugins with plugin.discovery=service_load.
  cpSync(join(PLUGIN_SRC, 'META-INF'), join(PLUGIN_OUT, 'META-INF'), { recursive: true });
  writeFileSync(stamp, '');
  return PLUGIN_OUT;
}

export interface ConnectWorker {
  id: string;
  url: string;
  process: ChildProcess;
  log: () => string;
  kill(): Promise<void>;
  /** Starts the worker again with the same properties and port. */
  restart(): Promise<ConnectWorker>;
}

export interface ConnectWorkerOptions {
  bootstrap: string;
  groupId: string;
  /** Replication factor of the config, offset and status topics. */
  replication: number;
  dir?: string;
  port?: number;
  timeoutMs?: number;
}

export async function startConnectWorker(options: ConnectWorkerOptions): Promise<ConnectWorker> {
  const plugins = connectPluginClasses();
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'tributary-connect-'));
  const rf = String(options.replication);
  const props = {
    'bootstrap.servers': options.bootstrap,
    'group.id': options.groupId,
    'config.storage.topic': `${options.groupId}-configs`,
    'offset.storage.topic': `${options.groupId}-offsets`,
    'status.storage.topic': `${options.groupId}-status`,
    'config.storage.replication.factor': rf,
    'offset.storage.replication.factor': rf,
    'status.storage.replication.factor': rf,
    'offset.storage.partitions': '5',
    'status.storage.partitions': '3',
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
    listeners: `http://127.0.0.1:${port}`,
    'rest.advertised.host.name': '127.0.0.1',
    'rest.advertised.port': String(port),
    'plugin.discovery': 'service_load',
    'offset.flush.interval.ms': '1000',
    // A dead worker's tasks move at once (the default waits 5 minutes for it to come back), and
    // the group notices the death within a few seconds.
    'scheduled.rebalance.max.delay.ms': '0',
    'session.timeout.ms': '6000',
    'heartbeat.interval.ms': '1000',
    'task.shutdown.graceful.timeout.ms': '2000',
  };
  const propsFile = join(dir, 'worker.properties');
  writeFileSync(propsFile, Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const logFile = join(dir, `worker-${port}.log`);
  const log4j = join(dir, 'log4j2.properties');
  writeFileSync(
    log4j,
    ['status = error', 'appender.file.type = File', 'appender.file.name = FILE', `appender.file.fileName = ${logFile}`, 'appender.file.append = true', 'appender.file.layout.type = PatternLayout', 'appender.file.layout.pattern = [%d] %p %m (%c)%n', 'rootLogger.level = INFO', 'rootLogger.appenderRef.file.ref = FILE', 'logger.reflections.name = org.reflections', 'logger.reflections.level = ERROR', ''].join('\n'),
  );
  const child = spawn('java', [...JVM_FLAGS, `-Dlog4j2.configurationFile=${log4j}`, '-cp', `${kafkaClasspath()}:${plugins}`, 'org.apache.kafka.connect.cli.ConnectDistributed', propsFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '') + output;
  const url = `http://127.0.0.1:${port}`;
  const worker: ConnectWorker = {
    id: `127.0.0.1:${port}`,
    url,
    process: child,
    log,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    restart: () => startConnectWorker({ ...options, port, dir }),
  };
  // Up when its REST API answers and it has joined the group (GET /connectors answers only then).
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Connect worker exited with ${child.exitCode}:\n${log().slice(-4000)}`);
    try {
      const res = await fetch(`${url}/connectors`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return worker;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await worker.kill();
      throw new Error(`Connect worker on ${url} not ready within ${options.timeoutMs ?? 120_000} ms:\n${log().slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** One REST call to a worker; the parsed JSON body, or an error with the status and body. */
export async function connectRest<T>(worker: ConnectWorker, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${worker.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} on ${worker.url}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

export interface ConnectorStatus {
  name: string;
  connector: { state: string; worker_id: string; trace?: string };
  tasks: { id: number; state: string; worker_id: string; trace?: string }[];
}

/** A connector's status as one worker reports it. */
export const connectorStatus = (worker: ConnectWorker, name: string) => connectRest<ConnectorStatus>(worker, 'GET', `/connectors/${name}/status`);

/** The connector and exactly `tasks` tasks of it are RUNNING. */
export const connectorRunning = (s: ConnectorStatus, tasks: number) => s.connector.state === 'RUNNING' && s.tasks.length === tasks && s.tasks.every((t) => t.state === 'RUNNING');

/** The last ERROR and WARN lines of each worker: what a timed-out wait shows to explain itself. */
export function workerWarnings(workers: readonly ConnectWorker[]): string {
  return workers.map((w) => `--- worker ${w.id}\n${w.log().split('\n').filter((l) => /\b(ERROR|WARN)\b/.test(l)).slice(-30).join('\n')}`).join('\n');
}

/** Every line the file sink connector (test/compat/connect) has written into `dir` so far. */
export function sinkLines(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean));
}
