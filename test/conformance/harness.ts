import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { expect } from 'vitest';
import { startKafka, type TestKafka } from '@tributary/testkit';
import { ApiKey, BatchHeader, crc32c, saltedPassword, scramMechanismId, type CreateTopicsResponse, encodeRecordBatch, type ProduceResponse, type RecordInput } from '@tributary/protocol';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';
import { INTENDED_DIFFERENCES, type IntendedDifference } from './intended-differences.ts';
import { diff, normalise, type Difference } from './normalise.ts';
import { RawClient, type Outcome, type SaslLogin } from './raw-client.ts';

/** One broker under comparison: Apache Kafka (the oracle) or Tributary. */
export interface Side {
  name: 'kafka' | 'tributary';
  bootstrap: string;
  saslBootstrap: string;
  /** A fresh raw connection (PLAINTEXT, ANONYMOUS = super user), or SASL when `sasl` is given. */
  connect(sasl?: SaslLogin, timeoutMs?: number): Promise<RawClient>;
  /** The side's shared PLAINTEXT connection, opened on first use. */
  client(): Promise<RawClient>;
}

export const SUPER_USER = { name: 'admin', password: 'admin-secret' };

export interface Pair {
  kafka: Side;
  tributary: Side;
  /** When the run started: broker-clock timestamps after it are normalised away. */
  runStart: number;
  stop(): Promise<void>;
}

/**
 * Apache Kafka (one KRaft node with a SCRAM listener and the StandardAuthorizer) and one
 * `tributary-broker` with the same listeners, super users and group settings, started together;
 * `settings` go to both (broker settings both know), `kafkaSettings` to Kafka only (settings of Kafka's that Tributary has no use for);
 * `brokerDefaults`: Tributary keeps its own defaults where test brokers lower them (test/support TEST_BROKER_SETTINGS), as Kafka does.
 */
export async function startPair(options: { settings?: Record<string, string>; kafkaSettings?: Record<string, string>; brokerDefaults?: boolean } = {}): Promise<Pair> {
  const runStart = Date.now();
  const kafkaSettings = { ...options.settings, ...options.kafkaSettings };
  const started = await Promise.allSettled([
    startKafka({ sasl: { superUser: SUPER_USER }, ...(Object.keys(kafkaSettings).length > 0 ? { settings: kafkaSettings } : {}) }),
    startBroker({
      timeoutMs: 90_000,
      extraListeners: ['SASL_PLAINTEXT'],
      ...(options.brokerDefaults ? { brokerDefaults: true } : {}),
      settings: {
        'group.initial.rebalance.delay.ms': '0',
        'offsets.topic.replication.factor': '1',
        'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512,PLAIN',
        'tributary.sasl.plain.allow.insecure': 'true',
        'super.users': `User:${SUPER_USER.name};User:ANONYMOUS`,
        'allow.everyone.if.no.acl.found': 'false',
        ...options.settings,
      },
    }),
  ]);
  if (started[0].status === 'rejected' || started[1].status === 'rejected') {
    if (started[0].status === 'fulfilled') await started[0].value.stop();
    if (started[1].status === 'fulfilled') await started[1].value.destroy();
    throw started[0].status === 'rejected' ? started[0].reason : (started[1] as PromiseRejectedResult).reason;
  }
  const kafka = started[0].value;
  const broker = started[1].value;
  const side = (name: Side['name'], bootstrap: string, saslBootstrap: string): Side => {
    let shared: Promise<RawClient> | null = null;
    const connect = (sasl?: SaslLogin, timeoutMs?: number) => RawClient.connect(sasl ? saslBootstrap : bootstrap, name, { ...(sasl ? { sasl } : {}), ...(timeoutMs ? { timeoutMs } : {}) });
    return {
      name,
      bootstrap,
      saslBootstrap,
      connect,
      async client() {
        if (shared) {
          const c = await shared;
          if (!c.closed) return c;
        }
        shared = connect();
        return shared;
      },
    };
  };
  const pair: Pair = {
    kafka: side('kafka', kafka.bootstrap, kafka.saslBootstrap!),
    tributary: side('tributary', broker.bootstrap, broker.addresses.SASL_PLAINTEXT!),
    runStart,
    async stop() {
      await Promise.all([kafka.stop(), broker.destroy()]);
    },
  };
  // Kafka got the super user's SCRAM credentials when its storage was formatted; Tributary gets the same now.
  await upsertScramUser(pair.tributary, SUPER_USER.name, SUPER_USER.password);
  return pair;
}

export type { TestKafka, BrokerProcess };

/** Differences seen that the table explains, per entry id: the README lists entries never seen. */
export const explainedSeen = new Set<string>();

function matches(glob: string, text: string): boolean {
  const re = new RegExp(`^${glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(text);
}

export function explain(scenario: string, d: Difference): IntendedDifference | undefined {
  return INTENDED_DIFFERENCES.find((e) => [e.scenario].flat().some((g) => matches(g, scenario)) && e.paths.some((p) => matches(p, d.path)));
}

/**
 * Runs `scenario` against both brokers (Kafka first), normalises what each returned and fails on
 * every difference the intended-differences table does not explain.
 */
export async function compare(pair: Pair, scenario: string, run: (side: Side) => Promise<unknown>): Promise<void> {
  const k = normalise(await run(pair.kafka), { runStart: pair.runStart });
  const t = normalise(await run(pair.tributary), { runStart: pair.runStart });
  expectExplained(scenario, unexplained(scenario, k, t));
}

/** The differences between Kafka's and Tributary's answers that the table does not explain (the others are noted as seen). */
export function unexplained(scenario: string, kafka: unknown, tributary: unknown): Difference[] {
  const out: Difference[] = [];
  for (const d of diff(kafka, tributary)) {
    const e = explain(scenario, d);
    if (e) noteExplained(e.id, scenario, d);
    else out.push(d);
  }
  return out;
}

/** What a scenario run on one cluster observed, step by step, and when it started (times are made relative to it). */
export interface ObservedRun {
  observed: Record<string, unknown>;
  runStart: number;
}

/**
 * Compares two runs of a cluster scenario step by step (each step is the scenario `<prefix>/<step>`
 * of the table) and fails on what the table does not explain.
 */
export function expectRunsExplained(prefix: string, kafka: ObservedRun | undefined, tributary: ObservedRun | undefined): void {
  expect(kafka, 'the run on Apache Kafka did not finish').toBeDefined();
  expect(tributary, 'the run on Tributary did not finish').toBeDefined();
  const found: Difference[] = [];
  for (const step of new Set([...Object.keys(kafka!.observed), ...Object.keys(tributary!.observed)])) {
    const scenario = `${prefix}/${step}`;
    const k = normalise(kafka!.observed[step], { runStart: kafka!.runStart });
    const t = normalise(tributary!.observed[step], { runStart: tributary!.runStart });
    for (const d of unexplained(scenario, k, t)) found.push({ ...d, path: `${scenario}: ${d.path}` });
  }
  expectExplained(prefix, found);
}

/** Records that a table entry explained a difference (with CONFORMANCE_COLLECT, also in the file: which entries are still in use). */
export function noteExplained(id: string, scenario: string, d: Difference): void {
  explainedSeen.add(id);
  const collect = process.env.CONFORMANCE_COLLECT;
  if (collect) appendFileSync(collect, JSON.stringify({ explainedBy: id, scenario, path: d.path }) + '\n');
}

/**
 * Fails on unexplained differences. With CONFORMANCE_COLLECT=FILE set, appends them to FILE as JSON
 * lines instead and goes on, so that one run lists every difference (for triage, never in CI).
 */
export function expectExplained(scenario: string, unexplained: Difference[], detail = ''): void {
  const collect = process.env.CONFORMANCE_COLLECT;
  if (collect) {
    for (const d of unexplained) appendFileSync(collect, JSON.stringify({ scenario, ...d }, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) + '\n');
    return;
  }
  expect(unexplained, `${scenario}: differences from Apache Kafka not in intended-differences.ts${detail}`).toEqual([]);
}

// ---- set-up helpers shared by scenarios (each side gets the same state) ----

export async function createTopic(side: Side, name: string, partitions = 1, configs: Record<string, string> = {}): Promise<void> {
  const c = await side.client();
  const res = await c.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
    timeoutMs: 30_000,
    validateOnly: false,
  });
  const code = res.topics[0]?.errorCode;
  if (code !== 0) throw new Error(`${side.name}: CreateTopics ${name} answered error ${code}`);
  await waitForLeader(side, name, partitions);
}

/**
 * Kafka creates topics asynchronously, and a partition's leader in Metadata may not take writes yet:
 * wait until every partition answers ListOffsets without an error.
 */
export async function waitForLeader(side: Side, topic: string, partitions: number): Promise<void> {
  const c = await side.client();
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await c.request<{ topics: { partitions: { errorCode: number }[] }[] }>(ApiKey.ListOffsets, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1n })) }],
    });
    const ps = r.topics[0]?.partitions ?? [];
    if (ps.length === partitions && ps.every((p) => p.errorCode === 0)) return;
    if (Date.now() > deadline) throw new Error(`${side.name}: ${topic} has no writable leader for all ${partitions} partitions`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function batch(records: RecordInput[], options: { baseTimestamp: number; compression?: number; producerId?: bigint; producerEpoch?: number; baseSequence?: number; timestampType?: 0 | 1 }): Buffer {
  return encodeRecordBatch({
    baseOffset: 0n,
    baseTimestamp: options.baseTimestamp,
    compression: (options.compression ?? 0) as never,
    timestampType: options.timestampType ?? 0,
    producerId: options.producerId ?? -1n,
    producerEpoch: options.producerEpoch ?? -1,
    baseSequence: options.baseSequence ?? -1,
    records,
  });
}

/** A copy of `b` with one header field rewritten and the CRC recomputed (as a client that sends, say, maxTimestamp -1 would). */
export function patchBatch(b: Buffer, patch: (copy: Buffer) => void, options: { fixCrc?: boolean } = {}): Buffer {
  const copy = Buffer.from(b);
  patch(copy);
  if (options.fixCrc ?? true) copy.writeUInt32BE(crc32c(copy.subarray(BatchHeader.ATTRIBUTES)) >>> 0, BatchHeader.CRC);
  return copy;
}

/** One Produce request; what came back (a compared result). */
export async function produce(side: Side, topic: string, partition: number, records: Buffer, version = 9, acks = -1): Promise<Outcome> {
  const c = await side.client();
  return c.send(ApiKey.Produce, version, { transactionalId: null, acks, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
}

/** Set-up: a Produce that must succeed (both brokers must start a scenario from the same log). */
export async function produceOk(side: Side, topic: string, partition: number, records: Buffer): Promise<bigint> {
  const c = await side.client();
  const r = await c.request<ProduceResponse>(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
  const p = r.responses[0]?.partitionResponses[0];
  if (!p || p.errorCode !== 0) throw new Error(`${side.name}: set-up produce to ${topic}-${partition} failed with error ${p?.errorCode}`);
  return p.baseOffset;
}

/** SCRAM-SHA-256 and -512 credentials for `name` (4096 iterations, as Kafka's format tool makes them). */
export async function upsertScramUser(side: Side, name: string, password: string, iterations = 4096): Promise<void> {
  await upsertScramUserOn(await side.client(), side.name, name, password, iterations);
}

/** upsertScramUser through a given connection (`label` names the broker in errors). */
export async function upsertScramUserOn(c: RawClient, label: string, name: string, password: string, iterations = 4096): Promise<void> {
  // One request per mechanism: Kafka refuses a user named twice in one request (DUPLICATE_RESOURCE).
  for (const m of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    const salt = randomBytes(16);
    const r = await c.request<{ results: { errorCode: number }[] }>(ApiKey.AlterUserScramCredentials, 0, { deletions: [], upsertions: [{ name, mechanism: scramMechanismId(m), iterations, salt, saltedPassword: saltedPassword(m, password, salt, iterations) }] });
    if (r.results[0]?.errorCode !== 0) throw new Error(`${label}: AlterUserScramCredentials ${name} ${m} failed with ${r.results[0]?.errorCode}`);
  }
}

/** Kafka hands out producer ids once its transaction state is loaded (COORDINATOR_LOAD_IN_PROGRESS before): wait for both. */
export async function producerIdsReady(pair: Pair): Promise<void> {
  for (const s of [pair.kafka, pair.tributary]) {
    const c = await s.client();
    const deadline = Date.now() + 30_000;
    while ((await c.request<{ errorCode: number }>(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 })).errorCode !== 0) {
      if (Date.now() > deadline) throw new Error(`${s.name}: InitProducerId never succeeded`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
