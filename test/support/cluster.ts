import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEtcd, type TestEtcd } from '@tributary/testkit';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { startBroker, type BrokerProcess, type StartBrokerOptions } from './broker-process.ts';

/** etcd and N `tributary-broker` processes forming one cluster on loopback. */
export interface TestCluster {
  etcd: TestEtcd;
  clusterId: string;
  /** By node id (1..N); a killed broker's entry stays, restart() replaces it. */
  brokers: Map<number, BrokerProcess>;
  bootstrap: string[];
  /** Leader of a partition as a live broker's Metadata says, waiting until there is one. */
  leaderOf(topic: string, partition: number, options?: { not?: number; timeoutMs?: number }): Promise<number>;
  controllerId(): Promise<number>;
  /** Waits until the partition's ISR has `size` members. */
  waitForIsr(topic: string, partition: number, size: number, timeoutMs?: number): Promise<number[]>;
  restart(nodeId: number): Promise<BrokerProcess>;
  /** SIGSTOP / SIGCONT a broker; a paused broker is left out of `bootstrap` (it would hang every probe). */
  pause(nodeId: number): void;
  resume(nodeId: number): void;
  stop(): Promise<void>;
}

export async function startCluster(options: { brokers: number; settings?: Record<string, string>; racks?: string[]; etcd?: { heartbeatMs: number; electionMs: number } } & Pick<StartBrokerOptions, 'timeoutMs' | 'extraListeners' | 'metrics'>): Promise<TestCluster> {
  const etcd = await startEtcd(options.etcd ?? {});
  const clusterId = `test-${Math.random().toString(36).slice(2, 10)}`;
  // transaction.state.log.min.isr 1, as libs/testkit sets it for Apache Kafka: the test clusters of
  // both kinds write transaction state with one in-sync replica (the broker default is Kafka's 2).
  const settings = { 'offsets.topic.replication.factor': String(Math.min(3, options.brokers)), 'group.initial.rebalance.delay.ms': '0', 'transaction.state.log.min.isr': '1', ...options.settings };
  const brokers = new Map<number, BrokerProcess>();
  const optionsFor = (id: number): StartBrokerOptions => ({
    nodeId: id,
    settings,
    timeoutMs: options.timeoutMs ?? 30_000,
    ...(options.extraListeners ? { extraListeners: options.extraListeners } : {}),
    ...(options.metrics ? { metrics: true } : {}),
    args: ['--etcd-endpoints', etcd.endpoint, '--cluster-id', clusterId, ...(options.racks ? ['--rack', options.racks[(id - 1) % options.racks.length]!] : [])],
  });
  // A broker that fails to start must not leave etcd and the others running (a loaded machine has
  // taken longer than the start timeout; the leaked etcd processes outlived the test run).
  const starts = await Promise.allSettled(Array.from({ length: options.brokers }, (_, i) => startBroker(optionsFor(i + 1))));
  const failed = starts.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(starts.map((r) => (r.status === 'fulfilled' ? r.value.destroy() : undefined)));
    await etcd.stop();
    throw failed.reason;
  }
  starts.forEach((r, i) => brokers.set(i + 1, (r as PromiseFulfilledResult<BrokerProcess>).value));

  const paused = new Set<number>();
  const liveBootstrap = () => [...brokers].filter(([id, b]) => !paused.has(id) && b.process.exitCode === null && b.process.signalCode === null).map(([, b]) => b.bootstrap);
  async function withAdmin<T>(fn: (admin: KafkaAdminClient) => Promise<T>): Promise<T> {
    let lastError: unknown;
    for (const bootstrap of liveBootstrap()) {
      let admin: KafkaAdminClient | null = null;
      try {
        admin = await KafkaAdminClient.connect(bootstrap, { timeoutMs: 5000 });
        return await fn(admin);
      } catch (err) {
        lastError = err;
      } finally {
        admin?.close();
      }
    }
    throw lastError ?? new Error('no live broker');
  }
  async function poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        const v = await probe();
        if (v !== undefined) return v;
      } catch (err) {
        last = err;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${what} not reached within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
  }

  // Started means the members see each other: every broker's Metadata names all brokers and a
  // controller (a test's first CreateTopics would otherwise race the etcd watch of the slowest one).
  const seesAll = async (b: BrokerProcess) => {
    const admin = await KafkaAdminClient.connect(b.bootstrap, { timeoutMs: 5000 });
    try {
      const m = await admin.metadata([]);
      return m.brokers.length === options.brokers && m.controllerId >= 0;
    } finally {
      admin.close();
    }
  };
  await poll(`every broker of ${clusterId} to see ${options.brokers} brokers and a controller`, options.timeoutMs ?? 30_000, async () =>
    (await Promise.all([...brokers.values()].map(seesAll))).every(Boolean) ? true : undefined,
  ).catch(async (err: unknown) => {
    await Promise.all([...brokers.values()].map((b) => b.destroy()));
    await etcd.stop();
    throw err;
  });

  const cluster: TestCluster = {
    etcd,
    clusterId,
    brokers,
    get bootstrap() {
      return liveBootstrap();
    },
    leaderOf: (topic, partition, o = {}) =>
      poll(`a leader for ${topic}-${partition}`, o.timeoutMs ?? 30_000, () =>
        withAdmin(async (admin) => {
          const md = await admin.metadata([topic]);
          const leader = md.topics[0]?.partitions[partition]?.leader ?? -1;
          return leader >= 0 && leader !== o.not ? leader : undefined;
        }),
      ),
    controllerId: () =>
      poll('a controller', 30_000, () =>
        withAdmin(async (admin) => {
          const { controllerId } = await admin.metadata([]);
          return controllerId >= 0 ? controllerId : undefined;
        }),
      ),
    waitForIsr: (topic, partition, size, timeoutMs = 30_000) =>
      poll(`ISR of ${topic}-${partition} at ${size}`, timeoutMs, () =>
        withAdmin(async (admin) => {
          const isr = (await admin.metadata([topic])).topics[0]?.partitions[partition]?.isr ?? [];
          return isr.length === size ? isr : undefined;
        }),
      ),
    pause(nodeId) {
      paused.add(nodeId);
      brokers.get(nodeId)!.process.kill('SIGSTOP');
    },
    resume(nodeId) {
      brokers.get(nodeId)!.process.kill('SIGCONT');
      paused.delete(nodeId);
    },
    async restart(nodeId) {
      const old = brokers.get(nodeId)!;
      await old.kill();
      const next = await old.restart();
      brokers.set(nodeId, next);
      return next;
    },
    async stop() {
      await Promise.all([...brokers.values()].map((b) => b.kill()));
      // For a failure in CI: every broker's log, kept where CLUSTER_LOG_DIR says.
      const logDir = process.env.CLUSTER_LOG_DIR;
      if (logDir) {
        mkdirSync(logDir, { recursive: true });
        for (const [id, b] of brokers) writeFileSync(join(logDir, `${clusterId}-broker-${id}.log`), b.output());
      }
      for (const b of brokers.values()) rmSync(b.dataDir, { recursive: true, force: true });
      await etcd.stop();
    },
  };
  return cluster;
}
