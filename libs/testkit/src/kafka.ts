import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ApiKey, decodeResponse, encodeRequest, FrameReader } from '@tributary/protocol';
import { freePort } from './services.ts';

/**
 * Test-only: Apache Kafka 4.4.0 (the reference broker, "the oracle") from the jars that
 * scripts/setup.d/10-kafka.sh resolves from Maven Central into .cache/kafka/libs. KRaft combined
 * mode (every node is broker and controller), loopback ports, a throwaway data directory.
 */

const execFileAsync = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../../..');
const LIBS = join(ROOT, '.cache/kafka/libs');
const SETUP = join(ROOT, 'scripts/setup.d/10-kafka.sh');

/** `-cp` value for every Kafka JVM: the resolved jars, running the setup script first if they are missing. */
export function kafkaClasspath(): string {
  const ready = () => existsSync(LIBS) && readdirSync(LIBS).some((f) => /^kafka_2\.13-.*\.jar$/.test(f));
  if (!ready()) {
    try {
      execFileSync('bash', [SETUP], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 15 * 60_000 });
    } catch (err) {
      const e = err as { stderr?: Buffer; message: string };
      throw new Error(`Apache Kafka's jars are missing from ${LIBS} and ${SETUP} failed (it needs Maven and Maven Central): ${e.stderr?.toString() || e.message}`, { cause: err });
    }
    if (!ready()) throw new Error(`${SETUP} ran but ${LIBS} holds no kafka_2.13 jar`);
  }
  return `${LIBS}/*`;
}

// JVM flags for short-lived test JVMs on a shared 2-core machine: small heap, serial GC (no
// collector threads competing with the code under test), C1 only (startup dominates).
const JVM_FLAGS = ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xshare:auto', '-Djava.awt.headless=true'];

function log4jConfig(file: string | null, level: string): string {
  // log4j2 properties: the broker logs to a file (kept when something fails); tools log warnings to stderr.
  return file
    ? [
        'status = error',
        'appender.file.type = File',
        'appender.file.name = FILE',
        `appender.file.fileName = ${file}`,
        'appender.file.layout.type = PatternLayout',
        'appender.file.layout.pattern = [%d] %p %m (%c)%n',
        `rootLogger.level = ${level}`,
        'rootLogger.appenderRef.file.ref = FILE',
        // The noisiest INFO loggers say nothing a failed test needs.
        'logger.raft.name = org.apache.kafka.raft',
        'logger.raft.level = WARN',
        'logger.cfg.name = org.apache.kafka.common.config.AbstractConfig',
        'logger.cfg.level = WARN',
        '',
      ].join('\n')
    : ['status = error', 'appender.err.type = Console', 'appender.err.name = ERR', 'appender.err.target = SYSTEM_ERR', 'appender.err.layout.type = PatternLayout', 'appender.err.layout.pattern = %p %m (%c)%n', `rootLogger.level = ${level}`, 'rootLogger.appenderRef.err.ref = ERR', ''].join('\n');
}

export interface KafkaUser {
  name: string;
  password: string;
}

export interface StartKafkaOptions {
  /** Nodes in the cluster, each broker and controller (default 1). */
  nodes?: number;
  /**
   * A SASL_PLAINTEXT listener per node with SCRAM-SHA-256/512 and PLAIN, and the StandardAuthorizer.
   * `superUser` (and ANONYMOUS, the PLAINTEXT listener's principal) may do anything; `users` get
   * SCRAM credentials and nothing else until ACLs are created.
   */
  sasl?: { superUser: KafkaUser; users?: KafkaUser[]; allowEveryoneIfNoAclFound?: boolean };
  /** Extra server properties, overriding the test defaults below. */
  settings?: Record<string, string>;
  /** JVM heap per node in MiB (default 384). */
  heapMb?: number;
  /** How long to wait for every node to answer Metadata (default 90 s). */
  timeoutMs?: number;
  /** root logger level of the broker's log file (default INFO). */
  logLevel?: string;
  /**
   * JVM flags of the nodes instead of the test flags (serial GC, C1 only: fast start on a shared
   * machine). Benchmarks pass Kafka's own production flags so the reference runs at full speed.
   */
  jvmFlags?: string[];
  /**
   * Finalized feature levels to format the cluster with (StorageTool's --feature), e.g.
   * `{ 'transaction.version': '1' }` for a reference at the transaction version a test compares.
   */
  features?: Record<string, string>;
}

export interface KafkaNode {
  nodeId: number;
  /** host:port of the PLAINTEXT listener. */
  bootstrap: string;
  /** host:port of the SASL_PLAINTEXT listener when started with `sasl`. */
  saslBootstrap: string | null;
  /** host:port of the KRaft CONTROLLER listener (KIP-919: DescribeCluster there names the quorum leader). */
  controllerAddress: string;
  logFile: string;
  process: ChildProcess;
}

export interface TestKafka {
  /** Comma-separated PLAINTEXT addresses of every node (what `--bootstrap-server` takes). */
  bootstrap: string;
  /** Comma-separated SASL_PLAINTEXT addresses, or null without `sasl`. */
  saslBootstrap: string | null;
  clusterId: string;
  nodes: KafkaNode[];
  /** Every node's log so far, for a failure message. */
  logs(): string;
  /** SIGKILL of one node (a crash: no controlled shutdown); resolves once its JVM is gone. */
  kill(nodeId: number): Promise<void>;
  /**
   * Starts a killed node again on its data directory and ports (its `nodes` entry gets the new
   * process); resolves once it answers Metadata naming every broker.
   */
  restart(nodeId: number, timeoutMs?: number): Promise<void>;
  /** Kills the JVMs and removes the data directory; logs are copied to $KAFKA_LOG_DIR first when set. */
  stop(): Promise<void>;
}

/**
 * Kafka cluster ids are 16 random bytes in URL-safe base64 without padding (Uuid.randomUuid).
 * Like Kafka's Uuid.randomUuid, draw again when the id starts with '-': `kafka-storage format -t
 * -…` takes such an id for an option and fails (1 start in 64 did).
 */
export function clusterUuid(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function properties(map: Record<string, string>): string {
  return Object.entries(map).map(([k, v]) => `${k}=${v.replace(/\\/g, '\\\\')}`).join('\n') + '\n';
}

/** One Metadata v12 round trip; resolves to the number of brokers the node reports, or throws. */
export function kafkaMetadataBrokers(address: string, timeoutMs = 2000): Promise<number> {
  const [host, port] = splitAddress(address);
  return new Promise((resolveCount, reject) => {
    const socket = connect({ host, port });
    const frames = new FrameReader(64 * 1024 * 1024);
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no Metadata answer from ${address} within ${timeoutMs} ms`)); }, timeoutMs);
    const done = (err: Error | null, n?: number) => { clearTimeout(timer); socket.destroy(); if (err) reject(err); else resolveCount(n!); };
    socket.once('error', (err) => done(err));
    socket.once('close', () => done(new Error(`${address} closed the connection`)));
    socket.on('data', (chunk) => {
      for (const frame of frames.push(chunk)) {
        try {
          const body = decodeResponse(frame, ApiKey.Metadata, 12).body as { brokers: unknown[] };
          done(null, body.brokers.length);
        } catch (err) {
          done(err as Error);
        }
      }
    });
    socket.once('connect', () => {
      for (const b of encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 1, clientId: 'testkit' }, { topics: [], allowAutoTopicCreation: false })) socket.write(b);
    });
  });
}

function splitAddress(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), Number(address.slice(i + 1))];
}

function tail(text: string, lines = 60): string {
  return text.split('\n').slice(-lines).join('\n');
}

/**
 * Starts Apache Kafka in KRaft combined mode and waits until every node answers Metadata naming
 * every broker. Settings for tests: replication factors of internal topics at most the node count,
 * no initial rebalance delay, small heap; everything else is Kafka's default (so auto topic
 * creation is on, as in Kafka).
 */
export async function startKafka(options: StartKafkaOptions = {}): Promise<TestKafka> {
  const classpath = kafkaClasspath();
  const count = options.nodes ?? 1;
  const dir = mkdtempSync(join(tmpdir(), 'tributary-kafka-'));
  const clusterId = clusterUuid();
  const ports = [];
  for (let i = 0; i < count; i++) ports.push({ plain: await freePort(), controller: await freePort(), sasl: options.sasl ? await freePort() : 0 });
  const voters = ports.map((p, i) => `${i + 1}@127.0.0.1:${p.controller}`).join(',');
  const rf = String(Math.min(3, count));
  const nodes: KafkaNode[] = [];
  const outputs: string[] = [];

  const failWith = async (message: string): Promise<never> => {
    for (const n of nodes) n.process.kill('SIGKILL');
    const logs = readLogs();
    const kept = keepLogs('start-failure');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${message}${kept ? ` (logs kept in ${kept})` : ''}\n${tail(logs)}`);
  };
  const readLogs = () => nodes.map((n, i) => `--- node ${n.nodeId} ---\n${outputs[i] ?? ''}${existsSync(n.logFile) ? readFileSync(n.logFile, 'utf8') : ''}`).join('\n');
  const keepLogs = (why: string): string | null => {
    const target = process.env.KAFKA_LOG_DIR ?? (why === 'start-failure' ? join(tmpdir(), 'tributary-kafka-logs') : null);
    if (!target) return null;
    const into = join(target, `${clusterId}-${why}`);
    mkdirSync(into, { recursive: true });
    for (const n of nodes) if (existsSync(n.logFile)) copyFileSync(n.logFile, join(into, `node-${n.nodeId}.log`));
    return into;
  };

  const formats: Promise<string | null>[] = [];
  const prepared: { nodeId: number; p: (typeof ports)[number]; configFile: string; logFile: string; log4j: string }[] = [];
  for (let i = 0; i < count; i++) {
    const nodeId = i + 1;
    const p = ports[i]!;
    const nodeDir = join(dir, `node-${nodeId}`);
    mkdirSync(nodeDir);
    const listeners = [`PLAINTEXT://127.0.0.1:${p.plain}`, `CONTROLLER://127.0.0.1:${p.controller}`, ...(options.sasl ? [`SASL_PLAINTEXT://127.0.0.1:${p.sasl}`] : [])];
    const settings: Record<string, string> = {
      'process.roles': 'broker,controller',
      'node.id': String(nodeId),
      'controller.quorum.voters': voters,
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'PLAINTEXT',
      listeners: listeners.join(','),
      'advertised.listeners': listeners.filter((l) => !l.startsWith('CONTROLLER')).join(','),
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
      'log.dirs': join(nodeDir, 'data'),
      'offsets.topic.replication.factor': rf,
      'transaction.state.log.replication.factor': rf,
      'transaction.state.log.min.isr': '1',
      'share.coordinator.state.topic.replication.factor': rf,
      'share.coordinator.state.topic.min.isr': '1',
      'group.initial.rebalance.delay.ms': '0',
      // Fewer threads than the defaults: a test broker on 2 shared cores.
      'num.network.threads': '2',
      'num.io.threads': '2',
      'background.threads': '2',
      'num.recovery.threads.per.data.dir': '1',
      ...(options.sasl
        ? {
            'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512,PLAIN',
            'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
            'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
            'listener.name.sasl_plaintext.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required ${[options.sasl.superUser, ...(options.sasl.users ?? [])].map((u) => `user_${u.name}="${u.password}"`).join(' ')};`,
            'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
            'super.users': `User:${options.sasl.superUser.name};User:ANONYMOUS`,
            'allow.everyone.if.no.acl.found': String(options.sasl.allowEveryoneIfNoAclFound ?? false),
          }
        : {}),
      ...options.settings,
    };
    const configFile = join(nodeDir, 'server.properties');
    writeFileSync(configFile, properties(settings));
    const logFile = join(nodeDir, 'server.log');
    const log4j = join(nodeDir, 'log4j2.properties');
    writeFileSync(log4j, log4jConfig(logFile, options.logLevel ?? 'INFO'));
    const scram = options.sasl
      ? [options.sasl.superUser, ...(options.sasl.users ?? [])].flatMap((u) => ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => ['--add-scram', `${m}=[name=${u.name},password=${u.password}]`]))
      : [];
    formats.push(
      execFileAsync('java', ['-Xmx128m', ...JVM_FLAGS, `-Dlog4j2.configurationFile=${log4j}`, '-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', configFile, ...scram, ...Object.entries(options.features ?? {}).flatMap(([k, v]) => ['--feature', `${k}=${v}`])], { timeout: 120_000 })
        .then(() => null, (err: { stdout?: string; stderr?: string; message: string }) => `kafka.tools.StorageTool format of node ${nodeId} failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`),
    );
    prepared.push({ nodeId, p, configFile, logFile, log4j });
  }
  // Formatting is a JVM start per node: in parallel.
  const formatErrors = (await Promise.all(formats)).filter((e) => e !== null);
  if (formatErrors.length) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(formatErrors.join('\n'));
  }
  const spawnNode = (i: number): void => {
    const { nodeId, p, configFile, logFile, log4j } = prepared[i]!;
    const heap = options.heapMb ?? 384;
    const heapFlags = options.jvmFlags ? [`-Xmx${heap}m`, `-Xms${heap}m`] : [`-Xmx${heap}m`, `-Xms${Math.min(heap, 128)}m`];
    const proc = spawn('java', [...heapFlags, ...(options.jvmFlags ?? JVM_FLAGS), `-Dlog4j2.configurationFile=${log4j}`, '-cp', classpath, 'kafka.Kafka', configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // A test process that dies without stop() must not leave a JVM behind.
    const reap = () => proc.kill('SIGKILL');
    process.once('exit', reap);
    proc.once('exit', () => process.off('exit', reap));
    outputs[i] = `${outputs[i] ?? ''}${outputs[i] ? '--- restarted ---\n' : ''}`;
    proc.stdout!.on('data', (d) => (outputs[i] += d));
    proc.stderr!.on('data', (d) => (outputs[i] += d));
    nodes[i] = { nodeId, bootstrap: `127.0.0.1:${p.plain}`, saslBootstrap: options.sasl ? `127.0.0.1:${p.sasl}` : null, controllerAddress: `127.0.0.1:${p.controller}`, logFile, process: proc };
  };
  for (let i = 0; i < prepared.length; i++) spawnNode(i);
  const exited = (n: KafkaNode) => n.process.exitCode !== null || n.process.signalCode !== null;
  const killNode = (n: KafkaNode) =>
    new Promise<void>((done) => {
      if (exited(n)) return done();
      n.process.once('exit', () => done());
      n.process.kill('SIGKILL');
    });

  const timeoutMs = options.timeoutMs ?? 90_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = nodes.find(exited);
    if (dead) await failWith(`Kafka node ${dead.nodeId} exited with ${dead.process.exitCode ?? dead.process.signalCode} while starting`);
    const answers = await Promise.all(nodes.map((n) => kafkaMetadataBrokers(n.bootstrap).catch(() => -1)));
    if (answers.every((n) => n === count)) break;
    if (Date.now() > deadline) await failWith(`Kafka did not answer Metadata with ${count} broker(s) on every node within ${timeoutMs} ms (answers: ${answers.join(', ')})`);
    await new Promise((r) => setTimeout(r, 200));
  }

  let stopped = false;
  return {
    bootstrap: nodes.map((n) => n.bootstrap).join(','),
    saslBootstrap: options.sasl ? nodes.map((n) => n.saslBootstrap).join(',') : null,
    clusterId,
    nodes,
    logs: readLogs,
    async kill(nodeId) {
      const node = nodes.find((n) => n.nodeId === nodeId);
      if (!node) throw new Error(`no Kafka node ${nodeId}`);
      await killNode(node);
    },
    async restart(nodeId, restartTimeoutMs = timeoutMs) {
      const i = nodes.findIndex((n) => n.nodeId === nodeId);
      if (i < 0) throw new Error(`no Kafka node ${nodeId}`);
      await killNode(nodes[i]!);
      spawnNode(i);
      const node = nodes[i]!;
      const until = Date.now() + restartTimeoutMs;
      // Back means it rejoined: it answers Metadata naming every broker (the controller unfenced it).
      while ((await kafkaMetadataBrokers(node.bootstrap).catch(() => -1)) !== count) {
        if (exited(node)) throw new Error(`Kafka node ${nodeId} exited with ${node.process.exitCode ?? node.process.signalCode} while restarting\n${tail(readLogs())}`);
        if (Date.now() > until) throw new Error(`Kafka node ${nodeId} did not rejoin within ${restartTimeoutMs} ms\n${tail(readLogs())}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      // SIGKILL: a controlled shutdown of a test cluster only costs time, and the data is thrown away.
      await Promise.all(nodes.map(killNode));
      if (process.env.KAFKA_LOG_DIR) keepLogs('stopped');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface KafkaToolResult {
  stdout: string;
  stderr: string;
  /** The JVM's exit code; null when it was killed at the time limit. */
  exitCode: number | null;
  timedOut: boolean;
}

/**
 * Runs one of Kafka's command-line tools by main class (e.g. `org.apache.kafka.tools.TopicCommand`
 * for kafka-topics.sh) from the same jars, with a bounded time: the JVM is killed at `timeoutMs`.
 * `input` is written to its standard input (console producer): a string at once, or a stream the
 * test writes to while the tool runs (ending it closes the tool's stdin). Tools log warnings to stderr.
 * `onLine` sees each stdout line as it comes; `stop` ends a tool that runs until stopped.
 */
export function runKafkaTool(mainClass: string, args: string[], options: { timeoutMs?: number; input?: string | Readable; heapMb?: number; logLevel?: string; onLine?: (line: string) => void; stop?: AbortSignal } = {}): Promise<KafkaToolResult> {
  const classpath = kafkaClasspath();
  const dir = mkdtempSync(join(tmpdir(), 'tributary-kafka-tool-'));
  const log4j = join(dir, 'log4j2.properties');
  writeFileSync(log4j, log4jConfig(null, options.logLevel ?? 'WARN'));
  const proc = spawn('java', [`-Xmx${options.heapMb ?? 256}m`, ...JVM_FLAGS, `-Dlog4j2.configurationFile=${log4j}`, '-cp', classpath, mainClass, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let partial = '';
  proc.stdout!.on('data', (d: Buffer) => {
    stdout += d;
    if (!options.onLine) return;
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) options.onLine(line);
  });
  proc.stderr!.on('data', (d) => (stderr += d));
  proc.stdin!.on('error', () => undefined);
  if (options.input instanceof Readable) options.input.pipe(proc.stdin!);
  else proc.stdin!.end(options.input ?? '');
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; proc.kill('SIGKILL'); }, options.timeoutMs ?? 60_000);
  // A tool that runs until stopped (kafka-verifiable-consumer without --max-messages): SIGTERM runs
  // its shutdown hook, which closes the client and reports, as an operator's Ctrl-C would.
  const stop = () => proc.kill('SIGTERM');
  if (options.stop?.aborted) stop();
  else options.stop?.addEventListener('abort', stop, { once: true });
  return new Promise((done) => {
    proc.once('close', (code) => {
      clearTimeout(timer);
      options.stop?.removeEventListener('abort', stop);
      rmSync(dir, { recursive: true, force: true });
      done({ stdout, stderr, exitCode: timedOut ? null : code, timedOut });
    });
  });
}
