import { startKafka } from '@tributary/testkit';
import { startBroker } from '../../test/support/broker-process.ts';
import { startCluster } from '../../test/support/cluster.ts';
import { KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_SERVER_HEAP_MB } from './jvm.ts';

/**
 * The two brokers under comparison, started the same way for every row: Apache Kafka (KRaft,
 * combined broker+controller, Kafka's defaults and production JVM flags) and Tributary (the
 * tributary-broker process; with etcd when clustered). Both keep their logs in the same
 * temporary directory on the same disk, and neither fsyncs each batch (Kafka's default) unless a
 * row asks both to.
 */
export type SubjectName = 'kafka' | 'tributary';

export interface Subject {
  name: SubjectName;
  /** Comma-separated bootstrap addresses. */
  bootstrap: string;
  /** The broker processes (the JVMs or Node processes), for RSS and CPU time. */
  pids(): number[];
  /** From spawn to every node answering Metadata. */
  startupMs: number;
  stop(): Promise<void>;
}

export interface SubjectOptions {
  nodes: 1 | 3;
  /** Both: flush (fsync / fdatasync) every appended batch before it is acknowledged. */
  fsyncEveryBatch?: boolean;
}

/**
 * Kafka's settings beyond its defaults, the same for every row: what a two-core machine needs per
 * Kafka's operations docs is its defaults (3 network and 8 I/O threads), so the only overrides are
 * the replication factors of internal topics on one node and no group join delay (both subjects).
 * The test helper's thread reductions are undone here.
 */
export const KAFKA_SETTINGS = { 'num.network.threads': '3', 'num.io.threads': '8', 'background.threads': '10', 'num.recovery.threads.per.data.dir': '2' };
export const TRIBUTARY_SETTINGS = { 'group.initial.rebalance.delay.ms': '0', 'log.segment.bytes': String(1 << 30) };

/**
 * Starts a subject, trying again (up to three times) when a start fails: ports are picked free and
 * bound a moment later, and on a shared machine another process can take one in between.
 */
export async function startSubject(name: SubjectName, options: SubjectOptions): Promise<Subject> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(name, options);
    } catch (err) {
      if (attempt === 3) throw err;
      console.error(`starting ${name} failed (attempt ${attempt}), trying again: ${String(err).split('\n')[0]}`);
    }
  }
}

async function startOnce(name: SubjectName, options: SubjectOptions): Promise<Subject> {
  const started = Date.now();
  if (name === 'kafka') {
    const flush: Record<string, string> = options.fsyncEveryBatch ? { 'log.flush.interval.messages': '1' } : {};
    const kafka = await startKafka({ nodes: options.nodes, settings: { ...KAFKA_SETTINGS, ...flush }, heapMb: KAFKA_SERVER_HEAP_MB, jvmFlags: KAFKA_JVM_PERFORMANCE_OPTS, logLevel: 'WARN', timeoutMs: 180_000 });
    return { name, bootstrap: kafka.bootstrap, startupMs: Date.now() - started, pids: () => kafka.nodes.map((n) => n.process.pid!), stop: () => kafka.stop() };
  }
  const settings = { ...TRIBUTARY_SETTINGS, ...(options.fsyncEveryBatch ? { 'log.flush.interval.messages': '1' } : {}) };
  if (options.nodes === 1) {
    const broker = await startBroker({ settings, timeoutMs: 120_000 });
    return { name, bootstrap: broker.bootstrap, startupMs: Date.now() - started, pids: () => [broker.process.pid!], stop: () => broker.destroy() };
  }
  const cluster = await startCluster({ brokers: 3, settings, timeoutMs: 120_000 });
  return { name, bootstrap: cluster.bootstrap.join(','), startupMs: Date.now() - started, pids: () => [...cluster.brokers.values()].map((b) => b.process.pid!), stop: () => cluster.stop() };
}
