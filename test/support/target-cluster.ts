import { startKafka } from '@tributary/testkit';
import { BrokerConnection, KafkaAdminClient } from '@tributary/kafka-admin';
import { ApiKey } from '@tributary/protocol';
import { startCluster } from './cluster.ts';
import type { TargetName } from './both-brokers.ts';
import { until } from './until.ts';

/** The same two kinds as the one-broker targets (both-brokers.ts). */
export type ClusterKind = TargetName;

/**
 * A 3-broker cluster of either kind, as a differential cluster scenario sees it: a Tributary
 * cluster (etcd + brokers, test/support/cluster.ts) or Apache Kafka 4.4 in KRaft combined mode
 * (libs/testkit startKafka), with the same operations, so one scenario with one set of assertions
 * runs against both, a broker killed -9 and restarted on its data included.
 */
export interface TargetCluster {
  kind: ClusterKind;
  /** Addresses of the brokers alive now (a killed one is left out: it would stall every probe). */
  live(): string[];
  /** Leader of a partition as a live broker's Metadata says, waiting until there is one (other than `not`). */
  leaderOf(topic: string, partition: number, options?: { not?: number; timeoutMs?: number }): Promise<number>;
  /**
   * The active controller, waiting until there is a live one: Tributary's is the broker its
   * Metadata names; Kafka's is the KRaft quorum leader (its brokers' Metadata names a random live
   * broker instead, KIP-590), which a controller listener names in DescribeCluster (KIP-919).
   */
  controller(timeoutMs?: number): Promise<number>;
  /** host:port of a broker's SASL_PLAINTEXT listener (started with `sasl`). */
  saslAddress(nodeId: number): string;
  /** Asks the live brokers in turn until one answers non-null; null when none can say (yet). */
  ask<T>(fn: (admin: KafkaAdminClient) => Promise<T | null>): Promise<T | null>;
  /** Waits until the partition's ISR has `size` members. */
  waitForIsr(topic: string, partition: number, size: number, timeoutMs?: number): Promise<number[]>;
  /** SIGKILL of one broker: a crash, no controlled shutdown. */
  kill(nodeId: number): Promise<void>;
  /** The killed broker again on its data. */
  restart(nodeId: number): Promise<void>;
  /** SIGSTOP / SIGCONT of one broker (a hung process: its connections stay open); a paused one is left out of live(). */
  pause(nodeId: number): void;
  resume(nodeId: number): void;
  /** Every broker's output so far (Tributary's process output, Kafka's server.log), each under a header. */
  logs(): string;
  stop(): Promise<void>;
}

/**
 * Starts one. `settings` go to both kinds; `kafkaOnly` are server properties only Kafka has a use
 * for (e.g. its authorizer class: Tributary's authorizer is on whenever `super.users` is set).
 * `sasl` gives every broker a SASL_PLAINTEXT listener (SCRAM-SHA-256/512) and an authorizer that
 * denies what no ACL allows, with the super user and ANONYMOUS (the PLAINTEXT listener, which the
 * brokers also use between themselves) as super users, as libs/testkit's startKafka does.
 */
export async function startTargetCluster(kind: ClusterKind, options: { brokers?: number; settings: Record<string, string>; kafkaOnly?: Record<string, string>; timeoutMs?: number; sasl?: { superUser: { name: string; password: string } } }): Promise<TargetCluster> {
  const brokers = options.brokers ?? 3;
  const timeoutMs = options.timeoutMs ?? 90_000;
  let live: () => string[];
  let ops: Pick<TargetCluster, 'kill' | 'restart' | 'stop' | 'pause' | 'resume' | 'controller' | 'saslAddress' | 'logs'>;
  if (kind === 'Tributary') {
    const sasl: Record<string, string> = options.sasl
      ? {
          'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512',
          'super.users': `User:${options.sasl.superUser.name};User:ANONYMOUS`,
          'allow.everyone.if.no.acl.found': 'false',
        }
      : {};
    const c = await startCluster({ brokers, settings: { ...sasl, ...options.settings }, timeoutMs, ...(options.sasl ? { extraListeners: ['SASL_PLAINTEXT'] } : {}) });
    live = () => c.bootstrap;
    ops = {
      kill: (id) => c.brokers.get(id)!.kill(),
      restart: async (id) => void (await c.restart(id)),
      stop: () => c.stop(),
      pause: (id) => c.pause(id),
      resume: (id) => c.resume(id),
      // Metadata may name a killed controller until its etcd lease expires: only a running one counts.
      controller: (ms = 60_000) =>
        until(async () => {
          const id = await c.controllerId();
          const b = c.brokers.get(id);
          return b && b.process.exitCode === null && b.process.signalCode === null ? id : null;
        }, 'a live controller on Tributary', ms),
      saslAddress: (id) => c.brokers.get(id)!.addresses.SASL_PLAINTEXT!,
      logs: () => [...c.brokers].map(([id, b]) => `--- broker ${id} ---\n${b.output()}`).join('\n'),
    };
  } else {
    const k = await startKafka({ nodes: brokers, settings: { ...options.settings, ...options.kafkaOnly }, timeoutMs, ...(options.sasl ? { sasl: { superUser: options.sasl.superUser } } : {}) });
    const paused = new Set<number>();
    const node = (id: number) => k.nodes.find((n) => n.nodeId === id)!;
    live = () => k.nodes.filter((n) => !paused.has(n.nodeId) && n.process.exitCode === null && n.process.signalCode === null).map((n) => n.bootstrap);
    ops = {
      kill: (id) => k.kill(id),
      restart: (id) => k.restart(id),
      stop: () => k.stop(),
      pause: (id) => {
        paused.add(id);
        node(id).process.kill('SIGSTOP');
      },
      resume: (id) => {
        node(id).process.kill('SIGCONT');
        paused.delete(id);
      },
      controller: (ms = 60_000) =>
        until(async () => {
          const running = k.nodes.filter((n) => !paused.has(n.nodeId) && n.process.exitCode === null && n.process.signalCode === null);
          for (const n of running) {
            // A node may still name a leader that was just killed: only a running one counts.
            const leader = await quorumLeader(n.controllerAddress).catch(() => -1);
            if (running.some((r) => r.nodeId === leader)) return leader;
          }
          return null;
        }, 'a live KRaft quorum leader on Apache Kafka', ms),
      saslAddress: (id) => node(id).saslBootstrap!,
      logs: () => k.logs(),
    };
  }

  /** Asks the live brokers in turn; null while none can say. */
  async function ask<T>(fn: (admin: KafkaAdminClient) => Promise<T | null>): Promise<T | null> {
    for (const address of live()) {
      const admin = await KafkaAdminClient.connect(address, { timeoutMs: 5000 }).catch(() => null);
      if (!admin) continue;
      try {
        const answer = await fn(admin);
        if (answer !== null) return answer;
      } catch {
        // That broker cannot say (yet): ask the next.
      } finally {
        admin.close();
      }
    }
    return null;
  }
  const partitionOf = async (admin: KafkaAdminClient, topic: string, partition: number) => (await admin.metadata([topic])).topics[0]?.partitions.find((p) => p.partition === partition);

  return {
    kind,
    live,
    ask,
    leaderOf: (topic, partition, o = {}) =>
      until(
        () =>
          ask(async (admin) => {
            const leader = (await partitionOf(admin, topic, partition))?.leader ?? -1;
            return leader >= 0 && leader !== o.not ? leader : null;
          }),
        `a leader of ${topic}-${partition}${o.not !== undefined ? ` other than ${o.not}` : ''} on ${kind}`,
        o.timeoutMs ?? 30_000,
      ),
    waitForIsr: (topic, partition, size, ms = 30_000) =>
      until(
        () =>
          ask(async (admin) => {
            const isr = (await partitionOf(admin, topic, partition))?.isr ?? [];
            return isr.length === size ? isr : null;
          }),
        `the ISR of ${topic}-${partition} at ${size} on ${kind}`,
        ms,
      ),
    ...ops,
  };
}

/** The KRaft quorum leader as a controller listener says (DescribeCluster v1, endpoint type controller); -1 when it knows none. */
async function quorumLeader(controllerAddress: string): Promise<number> {
  const i = controllerAddress.lastIndexOf(':');
  const conn = await BrokerConnection.open(controllerAddress.slice(0, i), Number(controllerAddress.slice(i + 1)), 'target-cluster', 5000);
  try {
    const r = await conn.send<{ errorCode: number; controllerId: number }>(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 2 });
    return r.errorCode === 0 ? r.controllerId : -1;
  } finally {
    conn.close();
  }
}
