import type { SASLOptions } from 'kafkajs';
import { expect } from 'vitest';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { checkDelivery, readAll, startKafkajsProducer, startPythonProducer, type ProducerOutcome, type RunningProducer } from '../chaos/producers.ts';
import type { E2eStack } from '../support/e2e-stack.ts';
import { checkRead, startKafkajsGroupReader, startPythonGroupReader, unread, type GroupReader } from '../support/group-readers.ts';
import { until } from '../support/until.ts';

/** What the elastic suites (issue 20) share: the instance they scale, its client login, and how they read placement. */

/** A small postpaid instance of `brokers` brokers (the partition limit leaves room for the internal topics' replicas). */
export const elasticSpec = (brokers: number) => ({ zone: 'zone-a', brokers, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 100, topicLimit: 10, consumerGroupLimit: 10, billing: { mode: 'postpaid' } });

/** An operation as GET /v1/operations/{id} answers it. */
export interface OperationBody {
  state: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  error: string | null;
  progress: { partitionsMoved: number; partitionsTotal: number; bytesMoved: number; bytesTotal: number; throttleBytesPerSecond: number | null } | null;
  [field: string]: unknown;
}

export const operation = async (stack: E2eStack, id: string) => (await stack.api('GET', `/v1/operations/${id}`)).json() as OperationBody;

/** Waits until the operation has ended (Succeeded or Failed) and answers it; a timeout names its last state. */
export async function operationEnded(stack: E2eStack, id: string, ms: number): Promise<OperationBody> {
  let seen: OperationBody | undefined;
  return until(async () => {
    seen = await operation(stack, id);
    return seen.state === 'Succeeded' || seen.state === 'Failed' ? seen : null;
  }, `operation ${id} to end`, ms, () => `last seen: ${JSON.stringify(seen)}`);
}

/**
 * A SCRAM user with WRITE and READ on `topic` and READ on `groups`, created through the API and
 * waited for on every broker's client endpoint, and that login for each client.
 */
export async function grantClient(stack: E2eStack, id: string, topic: string, groups: string[]) {
  const username = 'elastic-app';
  const password = 'elastic-app-password';
  expectAccepted(await stack.api('POST', `/v1/instances/${id}/users`, { name: username, password, mechanism: 'SCRAM-SHA-512' }));
  const grants = [
    { resourceType: 'TOPIC', resourceName: topic, operation: 'WRITE' },
    { resourceType: 'TOPIC', resourceName: topic, operation: 'READ' },
    ...groups.map((g) => ({ resourceType: 'GROUP', resourceName: g, operation: 'READ' })),
  ];
  for (const g of grants) expectAccepted(await stack.api('POST', `/v1/instances/${id}/acls`, { ...g, patternType: 'LITERAL', principal: `User:${username}` }));
  const observed = (await stack.runtime.observe(id))!;
  const body = (await stack.api('GET', `/v1/instances/${id}`)).json() as { status: { bootstrapServers: string } };
  const bootstrap = body.status.bootstrapServers.split(',');
  // The user and its ACLs reach each broker through etcd after the 202s.
  for (const server of bootstrap) {
    await until(async () => {
      const user = await KafkaAdminClient.connect(server, { sasl: { mechanism: 'SCRAM-SHA-512', username, password } });
      user.close();
      return true;
    }, `${username} to log in on ${server}`, 90_000);
  }
  for (const server of observed.internalBootstrapServers) {
    await until(async () => {
      const admin = await KafkaAdminClient.connect(server);
      try {
        return (await admin.describeAcls({ principal: `User:${username}` })).length === grants.length ? true : null;
      } finally {
        admin.close();
      }
    }, `the ${username} ACLs on ${server}`, 90_000);
  }
  return {
    bootstrap,
    sasl: { mechanism: 'scram-sha-512', username, password } as SASLOptions,
    librdkafka: { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': 'SCRAM-SHA-512', 'sasl.username': username, 'sasl.password': password },
    kcat: ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', `sasl.username=${username}`, '-X', `sasl.password=${password}`],
  };
}

function expectAccepted(r: { statusCode: number; body: string }): void {
  if (r.statusCode !== 202) throw new Error(`expected 202, got ${r.statusCode}: ${r.body}`);
}

/** Replicas, preferred leaders and current leaders per broker over every topic, each topic's replicas per broker, and partitions whose ISR is short of their replicas. */
export interface Balance {
  replicas: Record<number, number>;
  byTopic: Record<string, Record<number, number>>;
  preferred: Record<number, number>;
  leaders: Record<number, number>;
  underReplicated: number;
}

export async function balanceOf(bootstrap: string): Promise<Balance> {
  const admin = await KafkaAdminClient.connect(bootstrap);
  try {
    const { topics } = await admin.metadata(null);
    const b: Balance = { replicas: {}, byTopic: {}, preferred: {}, leaders: {}, underReplicated: 0 };
    const add = (counts: Record<number, number>, broker: number) => void (counts[broker] = (counts[broker] ?? 0) + 1);
    for (const t of topics) {
      for (const p of t.partitions) {
        for (const r of p.replicas) add(b.replicas, r);
        for (const r of p.replicas) add((b.byTopic[t.name] ??= {}), r);
        add(b.preferred, p.replicas[0]!);
        if (p.leader >= 0) add(b.leaders, p.leader);
        if (p.isr.length < p.replicas.length) b.underReplicated++;
      }
    }
    return b;
  } finally {
    admin.close();
  }
}

/** Brokers' spread of a count: the most minus the fewest, brokers without any counting 0. */
const spread = (counts: Record<number, number> | undefined, brokers: readonly number[]) => {
  const v = brokers.map((n) => counts?.[n] ?? 0);
  return Math.max(...v) - Math.min(...v);
};

/**
 * Waits until the placement is balanced over exactly `brokers`: replicas, preferred leaders,
 * current leaders (they follow the preferred ones at the brokers' leader check) and `topic`'s
 * replicas within ±1 per broker, every ISR full. The topic's own spread matters: the internal
 * topic's small partitions alone could level the totals while the topic with the traffic stayed
 * on the first brokers.
 */
export async function untilBalanced(bootstrap: () => Promise<string>, brokers: readonly number[], topic: string, what: string): Promise<Balance> {
  let seen: Balance | undefined;
  return until(async () => {
    const b = (seen = await balanceOf(await bootstrap()));
    const onlyThese = Object.keys(b.replicas).map(Number).sort((x, y) => x - y).join() === [...brokers].sort((x, y) => x - y).join();
    return onlyThese && [b.replicas, b.preferred, b.leaders, b.byTopic[topic]].every((c) => spread(c, brokers) <= 1) && b.underReplicated === 0 ? b : null;
  }, what, 120_000, () => `last seen: ${JSON.stringify(seen)}`);
}

/** The load a scenario runs under: an idempotent acks=all producer and a consumer group of each client. */
export interface Load {
  client: Awaited<ReturnType<typeof grantClient>>;
  /** Stops the producers and groups, then checks the guarantees (vitest expects). */
  stopAndCheck(): Promise<void>;
  /** Stops what still runs, checking nothing (a failed run's afterAll). */
  stop(): Promise<void>;
}

/**
 * Logs a SCRAM user in (grantClient), starts kafkajs and librdkafka (python3-confluent-kafka)
 * producers and a group of each on the client endpoint, and waits until both groups read both
 * producers' messages: load flows before anything moves.
 */
export async function startLoad(stack: E2eStack, id: string, topic: string): Promise<Load> {
  const groups = [`${topic}-kafkajs`, `${topic}-librdkafka`];
  const client = await grantClient(stack, id, topic, groups);
  const producers: RunningProducer[] = [startKafkajsProducer(() => client.bootstrap, topic, 'kjs', { sasl: client.sasl }), startPythonProducer(client.bootstrap.join(','), topic, 'py', 100, client.librdkafka)];
  const readers: { name: string; reader: GroupReader }[] = [
    { name: 'kafkajs group', reader: await startKafkajsGroupReader(client.bootstrap, topic, groups[0]!, { sasl: client.sasl }) },
    { name: 'librdkafka group', reader: startPythonGroupReader(client.bootstrap, topic, groups[1]!, client.librdkafka) },
  ];
  await until(() => (readers.every(({ reader }) => ['kjs:', 'py:'].every((tag) => reader.records.some((r) => r.value.startsWith(tag)))) ? true : null), 'both groups reading both producers', 120_000);
  return {
    client,
    async stopAndCheck() {
      const outcomes: ProducerOutcome[] = [];
      for (const p of producers.splice(0)) outcomes.push(await p.stop());
      for (const o of outcomes) {
        expect(o.failed, o.tag).toEqual([]);
        expect(o.acked.length, o.tag).toBeGreaterThan(100);
      }
      // The log: every acknowledged message where it was acknowledged, none twice, each producer in order.
      expect(checkDelivery(await readAll(client.bootstrap, topic, client.kcat), outcomes)).toEqual([]);
      // Each group: every acknowledged message read, at its offset, and no value at two offsets.
      for (const { name, reader } of readers) {
        await until(() => (unread(reader.records, outcomes).length === 0 ? true : null), `the ${name} to have read every acknowledged message`, 120_000, () => `unread: ${unread(reader.records, outcomes).slice(0, 10).join(', ')}`);
      }
      for (const { name, reader } of readers.splice(0)) expect(checkRead(await reader.stop(), outcomes), name).toEqual([]);
    },
    async stop() {
      await Promise.allSettled([...producers.splice(0).map((p) => p.stop()), ...readers.splice(0).map((r) => r.reader.stop())]);
    },
  };
}
