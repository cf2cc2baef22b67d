import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { runKafkaTool } from '@tributary/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';
import { ensureJavaPrograms, runJava } from '../support/java-client.ts';
import { ApiKey } from '@tributary/protocol';
import { join } from '../conformance/group-requests.ts';
import { RawClient } from '../conformance/raw-client.ts';

// __consumer_offsets in Kafka's own format, proven with Kafka's own reader: Apache Kafka 4.4's
// kafka-console-consumer with OffsetsMessageFormatter and GroupMetadataMessageFormatter, pointed at
// the broker, decodes every record a kafkajs group, a standalone commit and a group deletion left.
const run = promisify(execFile);
const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');
let broker: BrokerProcess;

beforeAll(async () => {
  // One __consumer_offsets partition: Kafka's readers below read partition 0 and see every group's records.
  broker = await startBroker({ settings: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '1' } });
});
afterAll(async () => {
  await broker?.destroy();
});

interface Printed {
  key: { type: number; data: Record<string, unknown> };
  value: { version: number; data: Record<string, unknown> } | null;
}

/** The formatter prints one JSON object per record; split them by brace depth (outside strings). */
function jsonObjects(text: string): Printed[] {
  const out: Printed[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' && depth++ === 0) start = i;
    else if (c === '}' && --depth === 0) out.push(JSON.parse(text.slice(start, i + 1)) as Printed);
  }
  return out;
}

async function readWith(formatter: string, records: number) {
  // --partition reads by assignment: the reader joins no group, so it writes nothing to the topic it reads.
  const result = await runKafkaTool(
    'org.apache.kafka.tools.consumer.ConsoleConsumer',
    ['--bootstrap-server', broker.bootstrap, '--topic', '__consumer_offsets', '--partition', '0', '--offset', 'earliest', '--max-messages', String(records), '--timeout-ms', '30000', '--formatter', `org.apache.kafka.tools.consumer.${formatter}`],
    { timeoutMs: 90_000 },
  );
  expect(result.timedOut, result.stderr).toBe(false);
  expect(result.stderr).not.toMatch(/Could not read record|Exception/);
  expect(result.exitCode, result.stderr).toBe(0);
  return jsonObjects(result.stdout);
}

function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = async () => {
      if (await check()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(() => void tick(), 100);
    };
    void tick();
  });
}

it('kafka-console-consumer with Kafka\'s offsets and group metadata formatters decodes every record', { timeout: 240_000 }, async () => {
  const kafka = new Kafka({ clientId: 'fmt-client', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'fmt', numPartitions: 2 }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'fmt', messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 2}`, value: String(i), partition: i % 2 })) });
  await producer.disconnect();

  // A consumer group reads everything and commits, then leaves: Stable and Empty group metadata.
  const consumer = kafka.consumer({ groupId: 'fmt-group', sessionTimeout: 10_000, heartbeatInterval: 300 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'fmt', fromBeginning: true });
  let read = 0;
  await consumer.run({ eachMessage: async () => void read++ });
  const committed = async () => (await admin.fetchOffsets({ groupId: 'fmt-group', topics: ['fmt'] }))[0].partitions.every((p: { offset: string }) => p.offset === '10');
  await until(committed, 60_000, 'the group to commit offset 10 on both partitions');
  const described = (await admin.describeGroups(['fmt-group'])).groups[0];
  const memberId = described.members[0].memberId as string;
  await consumer.disconnect();
  expect(read).toBe(20);

  // A standalone commit (librdkafka without group management: generation -1, no member id), then
  // the deletion of that group: offset and group tombstones.
  await run('/usr/bin/python3', ['-c', `
from confluent_kafka import Consumer, TopicPartition
c = Consumer({"bootstrap.servers": "${broker.bootstrap}", "group.id": "fmt-admin", "enable.auto.commit": False})
c.commit(offsets=[TopicPartition("fmt", 0, 5)], asynchronous=False)
c.close()`], { timeout: 30_000 });
  expect((await admin.fetchOffsets({ groupId: 'fmt-admin', topics: ['fmt'] }))[0].partitions.find((p: { partition: number }) => p.partition === 0).offset).toBe('5');
  const deleted = await admin.deleteGroups(['fmt-admin']);
  expect(deleted[0].errorCode).toBe(0);

  const [log] = await admin.fetchTopicOffsets('__consumer_offsets');
  await admin.disconnect();
  const records = Number(log.high);

  const offsets = await readWith('OffsetsMessageFormatter', records);
  const groups = await readWith('GroupMetadataMessageFormatter', records);
  // Every record is one or the other kind, and each formatter printed every record of its kind.
  expect(offsets.length + groups.length).toBe(records);
  expect(offsets.every((r) => r.key.type === 0 || r.key.type === 1)).toBe(true);
  expect(groups.every((r) => r.key.type === 2)).toBe(true);

  const lastOffset = (group: string, partition: number) => offsets.filter((r) => r.key.data.group === group && r.key.data.topic === 'fmt' && r.key.data.partition === partition).at(-1);
  expect(lastOffset('fmt-group', 0)?.value?.data).toMatchObject({ offset: 10, metadata: '' });
  expect(lastOffset('fmt-group', 1)?.value?.data).toMatchObject({ offset: 10 });
  expect(offsets.some((r) => r.key.data.group === 'fmt-admin' && r.value?.data.offset === 5)).toBe(true);
  expect(lastOffset('fmt-admin', 0)?.value).toBeNull();

  const ofGroup = groups.filter((r) => r.key.data.group === 'fmt-group');
  const stable = ofGroup.find((r) => ((r.value?.data.members as unknown[]) ?? []).length === 1);
  expect(stable?.value?.data).toMatchObject({ protocolType: 'consumer', leader: memberId, generation: expect.any(Number) });
  expect((stable!.value!.data.members as { memberId: string; clientId: string }[])[0]).toMatchObject({ memberId, clientId: 'fmt-client' });
  // Leaving made it Empty: the last record has no members and a later generation.
  const last = ofGroup.at(-1)!.value!.data;
  expect(last.members).toEqual([]);
  expect(last.generation).toBe((stable!.value!.data.generation as number) + 1);
  expect(groups.filter((r) => r.key.data.group === 'fmt-admin').at(-1)?.value).toBeNull();
});

// A KIP-848 group's records (ConsumerGroup* types 3, 5–8), read back by Apache Kafka's own group
// coordinator deserializer (GroupCoordinatorRecordSerde, test/java's ReadConsumerOffsets): Kafka
// 4.4's tools have no formatter for them (GroupMetadataMessageFormatter prints type 2 only).
it('Kafka\'s group coordinator record deserializer reads a KIP-848 group\'s records: epochs, subscription, target and current assignment, tombstones once the member left', { timeout: 240_000 }, async () => {
  ensureJavaPrograms();
  const kafka = new Kafka({ clientId: 'fmt-client', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'fmt-cp', numPartitions: 2 }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'fmt-cp', messages: Array.from({ length: 10 }, (_, i) => ({ value: String(i), partition: i % 2 })) });
  await producer.disconnect();
  await admin.disconnect();
  // The console consumer joins with group.protocol=consumer, reads everything, commits and leaves.
  const consumed = await runKafkaTool('org.apache.kafka.tools.consumer.ConsoleConsumer', ['--bootstrap-server', broker.bootstrap, '--topic', 'fmt-cp', '--group', 'fmt-cg', '--consumer-property', 'group.protocol=consumer', '--from-beginning', '--max-messages', '10', '--timeout-ms', '30000'], { timeoutMs: 90_000 });
  expect(consumed.stdout.split('\n').filter((l) => /^\d+$/.test(l)).sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

  // A classic member in a consumer group (online migration): its record carries its classic metadata.
  const raw = await RawClient.connect(broker.bootstrap, 'tributary');
  const hb = await raw.send(ApiKey.ConsumerGroupHeartbeat, 1, { groupId: 'fmt-mix', memberId: 'X', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['fmt-cp'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [] });
  expect((hb as { body: { errorCode: number } }).body.errorCode).toBe(0);
  const { res: classic } = await join(raw, 9, 'fmt-mix', ['fmt-cp']);
  expect(classic.errorCode).toBe(0);
  // A regular-expression subscription: resolved after the join (its record, type 16), then left
  // (no member uses the expression: its tombstone).
  type Hb = { body: { errorCode: number; memberEpoch: number } };
  const regexBeat = (memberEpoch: number) => raw.send(ApiKey.ConsumerGroupHeartbeat, 1, { groupId: 'fmt-re', memberId: 'R', memberEpoch, instanceId: null, rackId: null, rebalanceTimeoutMs: memberEpoch === 0 ? 30_000 : -1, subscribedTopicNames: null, subscribedTopicRegex: memberEpoch === 0 ? 'fmt-c.*' : null, serverAssignor: null, topicPartitions: memberEpoch === 0 ? [] : null });
  const joined = (await regexBeat(0)) as Hb;
  expect(joined.body.errorCode).toBe(0);
  expect(((await regexBeat(joined.body.memberEpoch)) as Hb).body.errorCode).toBe(0);
  expect(((await regexBeat(-1)) as Hb).body.errorCode).toBe(0);
  raw.close();

  const { result: rows } = await runJava<{ type?: number; key?: string; value?: string | null; error?: string }[]>('ReadConsumerOffsets', [broker.bootstrap]);
  expect(rows.filter((r) => r.error)).toEqual([]);
  const ours = rows.filter((r) => r.key !== undefined && (JSON.parse(r.key) as { groupId?: string }).groupId === 'fmt-cg').map((r) => ({ type: r.type!, key: JSON.parse(r.key!) as Record<string, unknown>, value: r.value ? (JSON.parse(r.value) as Record<string, unknown>) : null }));
  expect(new Set(ours.map((r) => r.type))).toEqual(new Set([3, 5, 6, 7, 8]));
  const member = ours.find((r) => r.type === 5 && r.value)!;
  // classicMemberMetadata null, not absent: an absent field reads as an empty struct, a classic member's.
  expect(member.value).toMatchObject({ clientId: expect.stringContaining('console-consumer'), subscribedTopicNames: ['fmt-cp'], classicMemberMetadata: null });
  const memberId = member.key.memberId as string;
  const current = ours.filter((r) => r.type === 8 && r.key.memberId === memberId && r.value);
  expect(current.at(-1)!.value).toMatchObject({ memberEpoch: expect.any(Number), state: 0, assignedPartitions: [{ partitions: [0, 1] }] });
  expect(ours.filter((r) => r.type === 7 && r.value).at(-1)!.value).toMatchObject({ topicPartitions: [{ partitions: [0, 1] }] });
  // Leaving: the member's records are tombstoned, and the group epoch moved on.
  for (const type of [5, 7, 8]) expect(ours.filter((r) => r.type === type && r.key.memberId === memberId).at(-1)!.value, `type ${type}`).toBeNull();
  const epochs = ours.filter((r) => r.type === 3 && r.value).map((r) => r.value!.epoch as number);
  expect(epochs.at(-1)).toBeGreaterThan((current.at(-1)!.value!.memberEpoch as number));
  // The classic member's record as Kafka reads it: its JoinGroup session timeout and protocol.
  const classicRecord = rows.filter((r) => r.type === 5 && r.key !== undefined && r.value).map((r) => ({ key: JSON.parse(r.key!) as { groupId: string; memberId: string }, value: JSON.parse(r.value!) as Record<string, unknown> })).find((r) => r.key.groupId === 'fmt-mix' && r.key.memberId === classic.memberId);
  expect(classicRecord?.value).toMatchObject({ subscribedTopicNames: ['fmt-cp'], classicMemberMetadata: { sessionTimeoutMs: 30_000, supportedProtocols: [{ name: 'range' }] } });
  // The resolved expression as Kafka 4.4 reads it (ConsumerGroupRegularExpression), then its tombstone.
  const regex = rows.filter((r) => r.type === 16).map((r) => ({ key: JSON.parse(r.key!) as Record<string, unknown>, value: r.value ? (JSON.parse(r.value) as Record<string, unknown>) : null }));
  expect(regex.map((r) => r.key)).toEqual([{ groupId: 'fmt-re', regularExpression: 'fmt-c.*' }, { groupId: 'fmt-re', regularExpression: 'fmt-c.*' }]);
  expect(regex[0]!.value).toEqual({ topics: ['fmt-cp'], version: expect.any(Number), timestamp: expect.any(Number) });
  // The version: the broker's metadata version at the resolution, where Kafka writes its metadata
  // image's offset (a standalone broker counts its topic changes since start, fmt-cp's creation among them; -1 until 2026-12-03).
  expect(regex[0]!.value!.version).toBeGreaterThan(0);
  expect(regex[1]!.value).toBeNull();
});
