import { startKafka } from '@tributary/testkit';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../support/broker-process.ts';
import { startCluster } from '../support/cluster.ts';
import { until } from '../support/until.ts';
import { ensureJavaPrograms, runJava } from '../support/java-client.ts';

// Kafka's own kafka-transactions.sh (org.apache.kafka.tools.TransactionsCommand, Kafka 4.4) on
// transactions in every state (test/java/src/tributary/compat/TransactionsAdmin.java: committed,
// aborted, only initialised, and one left open on two partitions): list (also with a duration
// filter), describe, describe-producers, find-hanging, and abort of the open transaction on one
// partition, which ends it there. Against Tributary and Apache Kafka on 1 broker and on 3 (the
// coordinator and the partition leaders are then different brokers), the outputs must be equal
// once producer ids, broker ids, timestamps and durations are masked. Both run at their default,
// transaction version 2, so the Java client bumps the epoch at every transaction end and the
// ProducerEpoch columns show the same bumps on both.
const TOPIC = 'ttool';
const P = 'tt';
const COMMANDS = [
  'list',
  'list --duration-filter 600000',
  `describe --transactional-id ${P}-open`,
  `describe --transactional-id ${P}-commit`,
  `describe --transactional-id ${P}-missing`,
  `describe-producers --topic ${TOPIC} --partition 0`,
  `describe-producers --topic ${TOPIC} --partition 1`,
  `find-hanging --topic ${TOPIC} --max-transaction-timeout 0`,
  `abort --topic ${TOPIC} --partition 1 --start-offset 2`,
  `describe-producers --topic ${TOPIC} --partition 1`,
];
// The abort runs between two describe-producers of partition 1 with the same command line: the
// program's result map keeps each command once, so the second is told apart by a trailing space.
COMMANDS[COMMANDS.length - 1] += ' ';

/** Columns whose values differ between any two runs: ids the brokers assign, clocks. */
const MASKED = new Set(['ProducerId', 'Coordinator', 'CoordinatorId', 'CurrentTransactionStartTimeMs', 'TransactionDurationMs', 'LastTimestamp', 'TransactionStartTimeMs', 'HangingDurationMs', 'BrokerId']);

/** The tool's table with the masked columns replaced by '*' and rows sorted (producer order is a hash map's). */
function normalise(output: string): string {
  const lines = output.trimEnd().split('\n');
  const header = lines[0]!.trim().split(/\s+/);
  if (!header.some((h) => MASKED.has(h))) return output.trim();
  const rows = lines.slice(1).map((l) => l.trim().split(/\s+/).map((cell, i) => (MASKED.has(header[i] ?? '') ? '*' : cell)).join(' '));
  return [header.join(' '), ...rows.sort()].join('\n');
}

interface Target {
  bootstrap: string;
  stop: () => Promise<void>;
}
const settings = { 'transaction.state.log.num.partitions': '3' };
const targets: [string, number, () => Promise<Target>][] = [
  ['Tributary', 1, async () => {
    const b = await startBroker({ settings });
    return { bootstrap: b.bootstrap, stop: () => b.destroy() };
  }],
  ['Apache Kafka', 1, () => startKafka({ settings })],
  ['Tributary', 3, async () => {
    // A generous start deadline: three brokers starting at once took over 30 s at load 50.
    const c = await startCluster({ brokers: 3, timeoutMs: 90_000, settings: { ...settings, 'transaction.state.log.replication.factor': '3' } });
    return { bootstrap: c.bootstrap.join(','), stop: () => c.stop() };
  }],
  ['Apache Kafka', 3, () => startKafka({ nodes: 3, settings })],
];
const outputs = new Map<string, Record<string, string>>();

beforeAll(() => ensureJavaPrograms(), 600_000);

describe.each(targets)('%s, %i broker(s)', (name, brokers, start) => {
  let target: Target;
  beforeAll(async () => {
    target = await start();
  }, 180_000);
  afterAll(async () => target?.stop(), 60_000);

  it('kafka-transactions list, describe, describe-producers, find-hanging and abort', async () => {
    const admin = await KafkaAdminClient.connect(target.bootstrap.split(',')[0]!);
    try {
      expect((await admin.createTopics([{ name: TOPIC, partitions: 2, replicationFactor: brokers }])).get(TOPIC)).toBeNull();
      // Every broker knows both leaders before the producers look them up.
      await until(async () => ((await admin.metadata([TOPIC])).topics.find((t) => t.name === TOPIC)?.partitions.every((p) => p.leader >= 0) ? true : null), `${TOPIC} has leaders`, 60_000);
    } finally {
      admin.close();
    }
    const { result } = await runJava<Record<string, string>>('TransactionsAdmin', [target.bootstrap, TOPIC, P, ...COMMANDS], { timeoutMs: 150_000 });
    const masked = Object.fromEntries(Object.entries(result).map(([command, out]) => [command, normalise(out)]));
    outputs.set(`${name} ${brokers}`, masked);
    const states = masked['list']!.split('\n').slice(1).map((row) => row.split(' ').filter((c) => c !== '*').join(' '));
    expect(states.sort()).toEqual([`${P}-abort CompleteAbort`, `${P}-commit CompleteCommit`, `${P}-empty Empty`, `${P}-open Ongoing`]);
    expect(masked[`describe --transactional-id ${P}-open`]).toContain(`${TOPIC}-0,${TOPIC}-1`);
    // Before the abort the open transaction starts at offset 2 of partition 1 (after "a" and its marker); after it, no transaction runs there.
    expect(masked[`describe-producers --topic ${TOPIC} --partition 1`]).toMatch(/ 2$/m);
    expect(masked[`describe-producers --topic ${TOPIC} --partition 1 `]).not.toMatch(/ 2$/m);
  }, 200_000);
});

describe('Tributary and Apache Kafka', () => {
  it.each([1, 3])('print the same kafka-transactions output on %i broker(s)', (brokers) => {
    const ours = outputs.get(`Tributary ${brokers}`);
    const kafka = outputs.get(`Apache Kafka ${brokers}`);
    expect(ours && kafka).toBeTruthy();
    for (const command of COMMANDS) expect({ command, output: ours![command] }).toEqual({ command, output: kafka![command] });
  });
});
