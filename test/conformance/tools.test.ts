import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { runKafkaTool, startKafka, type KafkaToolResult, type TestKafka } from '@tributary/testkit';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';
import { expectExplained, unexplained, upsertScramUser, type Side } from './harness.ts';
import { RawClient } from './raw-client.ts';
import { ApiKey } from '@tributary/protocol';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes, type Admin } from 'kafkajs';
import { startMirrorMaker, mirrorMakerVersion, type MirrorMaker } from '../support/mirror-maker.ts';
import { until } from '../support/until.ts';

/**
 * Kafka's own command-line tools (the main classes behind kafka-*.sh, from the same 4.4.0 jars)
 * pointed at Apache Kafka and at Tributary; their output, normalised (ports, ids, timestamps,
 * consumer ids, sizes, rates), must match apart from the intended-differences table.
 */

const TOOL = {
  topics: 'org.apache.kafka.tools.TopicCommand',
  configs: 'org.apache.kafka.tools.ConfigCommand',
  groups: 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
  acls: 'org.apache.kafka.tools.AclCommand',
  consoleProducer: 'org.apache.kafka.tools.ConsoleProducer',
  consoleConsumer: 'org.apache.kafka.tools.consumer.ConsoleConsumer',
  getOffsets: 'org.apache.kafka.tools.GetOffsetShell',
  logDirs: 'org.apache.kafka.tools.LogDirsCommand',
  deleteRecords: 'org.apache.kafka.tools.DeleteRecordsCommand',
  verifiableProducer: 'org.apache.kafka.tools.VerifiableProducer',
  verifiableConsumer: 'org.apache.kafka.tools.VerifiableConsumer',
  producerPerf: 'org.apache.kafka.tools.ProducerPerformance',
  consumerPerf: 'org.apache.kafka.tools.ConsumerPerformance',
} as const;

let kafka: TestKafka;
let broker: BrokerProcess;
let scratch: string;
const bootstrap = (side: 'kafka' | 'tributary') => (side === 'kafka' ? kafka.bootstrap : broker.bootstrap);

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'conformance-tools-'));
  const started = await Promise.allSettled([
    // Both with an authorizer (kafka-acls needs one) and ANONYMOUS, the PLAINTEXT principal, as super user.
    startKafka({ sasl: { superUser: { name: 'admin', password: 'admin-secret' } } }),
    startBroker({ timeoutMs: 90_000, settings: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.replication.factor': '1', 'super.users': 'User:ANONYMOUS', 'allow.everyone.if.no.acl.found': 'false' } }),
  ]);
  if (started[0].status === 'fulfilled') kafka = started[0].value;
  if (started[1].status === 'fulfilled') broker = started[1].value;
  for (const s of started) if (s.status === 'rejected') throw s.reason;
  // Kafka creates its 50-partition offsets topic on the first group request, which can take longer
  // than a tool's timeout on a loaded machine: have both coordinators ready before the tools run.
  for (const [name, address] of [['kafka', kafka.bootstrap], ['tributary', broker.bootstrap]] as const) {
    const c = await RawClient.connect(address, name);
    try {
      const deadline = Date.now() + 60_000;
      // Groups (keyType 0) and transactions (1): both internal topics exist before the tools run.
      for (const keyType of [0, 1]) {
        while ((await c.request<{ errorCode: number }>(ApiKey.FindCoordinator, 3, { key: 'warm-up', keyType })).errorCode !== 0) {
          if (Date.now() > deadline) throw new Error(`${name}: no ${keyType === 0 ? 'group' : 'transaction'} coordinator within 60 s`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      // Kafka got the super user's SCRAM credentials when its storage was formatted; Tributary gets the same here.
      if (name === 'tributary') await upsertScramUser({ client: async () => c } as unknown as Side, 'admin', 'admin-secret');
    } finally {
      c.close();
    }
  }
}, 240_000);
afterAll(async () => {
  await Promise.all([kafka?.stop(), broker?.destroy()]);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Ports, ids, uuids, timestamps, consumer ids and host names out of a tool's text. */
function normaliseText(text: string, side: 'kafka' | 'tributary', address = bootstrap(side)): string[] {
  const port = address.split(':')[1]!;
  return text
    .replace(/\r/g, '')
    .replace(new RegExp(`127\\.0\\.0\\.1:${port}`, 'g'), 'BOOTSTRAP')
    .replace(/\/127\.0\.0\.1/g, '/HOST')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/TopicId: [A-Za-z0-9_-]{22}/g, 'TopicId: <id>')
    .replace(/\b1[6-9]\d{11}\b/g, '<ts>')
    .split('\n')
    .map((l) => l.replace(/\s+/g, ' ').trim())
    // "Error while executing topic command : <free text>": the text after the colon is Kafka's wording.
    .map((l) => l.replace(/^(Error while executing [\w ]+?) ?:.*$/, '$1'))
    .filter((l) => l.length > 0 && !/^(WARN|INFO|SLF4J)/.test(l));
}

async function onBoth(args: (side: 'kafka' | 'tributary') => [keyof typeof TOOL, string[], { input?: string; timeoutMs?: number }?]): Promise<Record<'kafka' | 'tributary', KafkaToolResult>> {
  const run = (side: 'kafka' | 'tributary') => {
    const [tool, a, o] = args(side);
    return runKafkaTool(TOOL[tool], a, { timeoutMs: o?.timeoutMs ?? 40_000, ...(o?.input !== undefined ? { input: o.input } : {}) });
  };
  const [k, t] = await Promise.all([run('kafka'), run('tributary')]);
  return { kafka: k, tributary: t };
}

/** Runs a tool on both, compares exit codes and normalised stdout (and stderr's first error line) under `scenario`. */
async function compareTool(scenario: string, args: Parameters<typeof onBoth>[0], project: (lines: string[], r: KafkaToolResult) => unknown = (l) => l, address = bootstrap): Promise<Record<'kafka' | 'tributary', KafkaToolResult>> {
  const started = Date.now();
  const r = await onBoth(args);
  // TOOLS_DUMP=<scenario prefix>: what each side's tool printed, to see what a comparison compares.
  const dump = process.env.TOOLS_DUMP;
  if (dump && scenario.startsWith(dump)) console.log(`${scenario}: kafka printed\n${r.kafka.stdout}\n${scenario}: tributary printed\n${r.tributary.stdout}`);
  if (process.env.CONFORMANCE_COLLECT) console.log(`${scenario}: ${Date.now() - started} ms${r.kafka.timedOut ? ' (kafka timed out)' : ''}${r.tributary.timedOut ? ' (tributary timed out)' : ''}`);
  const view = (side: 'kafka' | 'tributary') => {
    const res = r[side];
    // The exception class is compared, not its free-text message.
    const errLine = normaliseText(res.stderr + res.stdout, side, address(side)).map((l) => /\b([\w.]+(?:Exception|Error))\b/.exec(l)?.[1]).find((c) => c !== undefined) ?? null;
    return { exitCode: res.exitCode, timedOut: res.timedOut, out: project(normaliseText(res.stdout, side, address(side)), res), error: errLine };
  };
  expectExplained(scenario, unexplained(scenario, view('kafka'), view('tributary')), `\nkafka stderr: ${r.kafka.stderr.slice(0, 2000)}\ntributary stderr: ${r.tributary.stderr.slice(0, 2000)}`);
  return r;
}

const b = (side: 'kafka' | 'tributary') => ['--bootstrap-server', bootstrap(side)];

/** Compares what `read` returns on each side (both at once) under `scenario`, as compareTool does a tool's output. */
async function compareValues(scenario: string, read: (side: 'kafka' | 'tributary') => Promise<unknown>): Promise<void> {
  const [k, t] = await Promise.all([read('kafka'), read('tributary')]);
  const dump = process.env.TOOLS_DUMP;
  if (dump && scenario.startsWith(dump)) console.log(`${scenario}: kafka ${JSON.stringify(k)}\n${scenario}: tributary ${JSON.stringify(t)}`);
  expectExplained(scenario, unexplained(scenario, k, t));
}

/**
 * kafka-acls --list prints one block per resource in the order of a hash map of the answer (neither
 * Kafka's order nor ours is a contract): compare the blocks, and the entries in each, as sets.
 */
function aclBlocks(lines: string[]): { before: string[]; blocks: string[][] } {
  const before: string[] = [];
  const blocks: string[][] = [];
  for (const line of lines) {
    if (line.startsWith('Current ACLs for resource')) blocks.push([line]);
    else if (blocks.length > 0) { if (line.trim() !== '') blocks.at(-1)!.push(line); }
    else before.push(line); // what the tool itself says first, in its own order (e.g. 'Adding ACLs for …')
  }
  return { before, blocks: blocks.map(([head, ...entries]) => [head!, ...entries.sort()]).sort((x, y) => x[0]!.localeCompare(y[0]!)) };
}

describe('Kafka 4.4.0 command-line tools: Apache Kafka vs Tributary', () => {
  it('kafka-topics: create, list, describe, alter, delete, and errors', async () => {
    await compareTool('tools/topics/create', (s) => ['topics', [...b(s), '--create', '--topic', 'tool-t', '--partitions', '3', '--replication-factor', '1', '--config', 'retention.ms=86400000']]);
    await compareTool('tools/topics/create-invalid', (s) => ['topics', [...b(s), '--create', '--topic', 'bad/name', '--partitions', '1']]);
    await compareTool('tools/topics/list', (s) => ['topics', [...b(s), '--list', '--exclude-internal']]);
    await compareTool('tools/topics/describe', (s) => ['topics', [...b(s), '--describe', '--topic', 'tool-t']]);
    await compareTool('tools/topics/alter', (s) => ['topics', [...b(s), '--alter', '--topic', 'tool-t', '--partitions', '4']]);
    await compareTool('tools/topics/create-to-delete', (s) => ['topics', [...b(s), '--create', '--topic', 'tool-del', '--partitions', '1', '--replication-factor', '1']]);
    await compareTool('tools/topics/delete', (s) => ['topics', [...b(s), '--delete', '--topic', 'tool-del']]);
    // The internal topics carry the configs Kafka creates them with (compression.type, segment.bytes,
    // and for transactions unclean.leader.election.enable=false and min.insync.replicas).
    await compareTool('tools/topics/describe-transaction-state', (s) => ['topics', [...b(s), '--describe', '--topic', '__transaction_state', '--topics-with-overrides']]);
    // __consumer_offsets: the test broker has 3 partitions of it (TEST_BROKER_SETTINGS), and Kafka's
    // min.insync.replicas=1 is its storage format's dynamic default (intended kraft-min-insync-default).
    await compareTool('tools/topics/describe-consumer-offsets', (s) => ['topics', [...b(s), '--describe', '--topic', '__consumer_offsets', '--topics-with-overrides']], (lines) => lines.map((l) => l.replace(/PartitionCount: \d+/, 'PartitionCount: N').replace('min.insync.replicas=1,', '')));
  }, 300_000);

  it('kafka-configs: topic, broker, client quota and SCRAM user configs', async () => {
    await compareTool('tools/configs/topic-describe', (s) => ['configs', [...b(s), '--entity-type', 'topics', '--entity-name', 'tool-t', '--describe']]);
    await compareTool('tools/configs/topic-alter', (s) => ['configs', [...b(s), '--entity-type', 'topics', '--entity-name', 'tool-t', '--alter', '--add-config', 'retention.ms=1000000,flush.ms=100,cleanup.policy=[compact,delete]']]);
    // --all: every config with its synonyms (Kafka's min.insync.replicas line names its storage format's
    // dynamic default: intended kraft-min-insync-default); a group's: the broker setting or own name each defaults to.
    await compareTool('tools/configs/topic-describe-all', (s) => ['configs', [...b(s), '--entity-type', 'topics', '--entity-name', 'tool-t', '--describe', '--all']], (lines) => lines.filter((l) => !l.startsWith('min.insync.replicas=')));
    await compareTool('tools/configs/group-describe-all', (s) => ['configs', [...b(s), '--entity-type', 'groups', '--entity-name', 'tool-cfg-g', '--describe', '--all']]);
    // One key both added and deleted: refused as a duplicate key (INVALID_REQUEST), exit code 1.
    await compareTool('tools/configs/topic-add-and-delete-same-key', (s) => ['configs', [...b(s), '--entity-type', 'topics', '--entity-name', 'tool-t', '--alter', '--add-config', 'retention.ms=1000', '--delete-config', 'retention.ms']]);
    await compareTool('tools/configs/broker-describe', (s) => ['configs', [...b(s), '--entity-type', 'brokers', '--entity-name', '1', '--describe']]);
    await compareTool('tools/configs/client-quota-alter', (s) => ['configs', [...b(s), '--entity-type', 'clients', '--entity-name', 'tool-app', '--alter', '--add-config', 'producer_byte_rate=1048576,consumer_byte_rate=2097152']]);
    await compareTool('tools/configs/scram-alter', (s) => ['configs', [...b(s), '--entity-type', 'users', '--entity-name', 'tool-user', '--alter', '--add-config', 'SCRAM-SHA-256=[iterations=8192,password=pw],SCRAM-SHA-512=[password=pw2]']]);
    // The order in which a user's mechanisms are listed is not a contract (Kafka's follows its metadata image).
    await compareTool('tools/configs/users-describe-all', (s) => ['configs', [...b(s), '--entity-type', 'users', '--describe']], (lines) => lines.map((l) => l.replace(/ are (.*)$/, (_, list: string) => ` are ${list.split(', ').sort().join(', ')}`)));
  }, 300_000);

  // KIP-612's ip entity. The addresses are not the tools' own (127.0.0.1), and everything set is
  // removed again, so no other case's connections are held back.
  it('kafka-configs --entity-type ips: alter, default, describe, errors, delete', async () => {
    const ips = (s: 'kafka' | 'tributary') => [...b(s), '--entity-type', 'ips'];
    // The tool prints the entities of --describe in the order of the answer: compared as a set.
    const sorted = (lines: string[]) => [...lines].sort();
    await compareTool('tools/configs/ip-alter', (s) => ['configs', [...ips(s), '--entity-name', '127.0.0.9', '--alter', '--add-config', 'connection_creation_rate=10']]);
    await compareTool('tools/configs/ip-alter-default', (s) => ['configs', [...ips(s), '--entity-default', '--alter', '--add-config', 'connection_creation_rate=500']]);
    // (An IPv6 entity, the default's own describe and the filters: protocol-groups-security.test.ts, without a JVM per request.)
    await compareTool('tools/configs/ip-describe', (s) => ['configs', [...ips(s), '--entity-name', '127.0.0.9', '--describe']]);
    await compareTool('tools/configs/ip-describe-all', (s) => ['configs', [...ips(s), '--describe']], sorted);
    await compareTool('tools/configs/ip-invalid-address', (s) => ['configs', [...ips(s), '--entity-name', 'no-such-host.invalid', '--alter', '--add-config', 'connection_creation_rate=5']]);
    await compareTool('tools/configs/ip-invalid-key', (s) => ['configs', [...ips(s), '--entity-name', '127.0.0.9', '--alter', '--add-config', 'producer_byte_rate=5']]);
    await compareTool('tools/configs/ip-delete', (s) => ['configs', [...ips(s), '--entity-name', '127.0.0.9', '--alter', '--delete-config', 'connection_creation_rate']]);
    await compareTool('tools/configs/ip-delete-default', (s) => ['configs', [...ips(s), '--entity-default', '--alter', '--delete-config', 'connection_creation_rate']]);
  }, 300_000);

  it('console producer and consumer, kafka-get-offsets, kafka-delete-records, kafka-log-dirs', async () => {
    const input = Array.from({ length: 20 }, (_, i) => `key${i}:value-${i}`).join('\n') + '\n';
    await compareTool('tools/topics/create-console', (s) => ['topics', [...b(s), '--create', '--topic', 'tool-c', '--partitions', '1', '--replication-factor', '1']]);
    await compareTool('tools/console-producer', (s) => ['consoleProducer', [...b(s), '--topic', 'tool-c', '--reader-property', 'parse.key=true', '--reader-property', 'key.separator=:', '--producer-property', 'linger.ms=0'], { input }]);
    await compareTool('tools/console-consumer', (s) => ['consoleConsumer', [...b(s), '--topic', 'tool-c', '--from-beginning', '--max-messages', '20', '--group', 'tool-g', '--formatter-property', 'print.key=true', '--formatter-property', 'print.offset=true', '--formatter-property', 'print.partition=true', '--timeout-ms', '40000'], { timeoutMs: 90_000 }], (lines) => lines.filter((l) => !/^Processed a total/.test(l)).concat(lines.filter((l) => /^Processed a total/.test(l))));
    await compareTool('tools/get-offsets/latest', (s) => ['getOffsets', [...b(s), '--topic', 'tool-c']]);
    await compareTool('tools/get-offsets/earliest', (s) => ['getOffsets', [...b(s), '--topic', 'tool-c', '--time', '-2']]);
    writeFileSync(join(scratch, 'delete.json'), JSON.stringify({ version: 1, partitions: [{ topic: 'tool-c', partition: 0, offset: 5 }] }));
    await compareTool('tools/delete-records', (s) => ['deleteRecords', [...b(s), '--offset-json-file', join(scratch, 'delete.json')]]);
    await compareTool('tools/get-offsets/earliest-after-delete', (s) => ['getOffsets', [...b(s), '--topic', 'tool-c', '--time', '-2']]);
    await compareTool('tools/log-dirs', (s) => ['logDirs', [...b(s), '--describe', '--topic-list', 'tool-c']], (lines) => {
      const json = lines.find((l) => l.startsWith('{'));
      if (!json) return lines;
      const parsed = JSON.parse(json) as { brokers: { broker: number; logDirs: { error: string | null; partitions: { partition: string; offsetLag: number; isFuture: boolean }[] }[] }[] };
      // Paths and sizes are the machine's; which brokers, dirs, partitions and errors are not.
      return parsed.brokers.map((br) => ({ broker: br.broker, logDirs: br.logDirs.map((d) => ({ error: d.error, partitions: d.partitions.map((p) => ({ partition: p.partition, offsetLag: p.offsetLag, isFuture: p.isFuture })) })) }));
    });
  }, 300_000);

  it('kafka-consumer-groups: list, describe, reset offsets (dry run and execute), delete offsets and groups', async () => {
    await compareTool('tools/groups/list', (s) => ['groups', [...b(s), '--list']]);
    await compareTool('tools/groups/describe', (s) => ['groups', [...b(s), '--describe', '--group', 'tool-g']]);
    await compareTool('tools/groups/reset-dry-run', (s) => ['groups', [...b(s), '--reset-offsets', '--group', 'tool-g', '--topic', 'tool-c', '--to-earliest', '--dry-run']]);
    await compareTool('tools/groups/reset-execute', (s) => ['groups', [...b(s), '--reset-offsets', '--group', 'tool-g', '--topic', 'tool-c:0', '--to-offset', '7', '--execute']]);
    await compareTool('tools/groups/describe-after-reset', (s) => ['groups', [...b(s), '--describe', '--group', 'tool-g', '--offsets']]);
    await compareTool('tools/groups/delete', (s) => ['groups', [...b(s), '--delete', '--group', 'tool-g']]);
  }, 300_000);

  // A KIP-848 group (group.protocol=consumer, made by the console consumer): what the tool shows of
  // it once its member has gone, through ConsumerGroupDescribe, and what it does to it.
  it('kafka-consumer-groups on a KIP-848 consumer group: list, describe (offsets, state, members), reset offsets, delete', async () => {
    const input = Array.from({ length: 10 }, (_, i) => `k${i}:v${i}`).join('\n') + '\n';
    await compareTool('tools/groups-848/create-topic', (s) => ['topics', [...b(s), '--create', '--topic', 'tool-cp', '--partitions', '2', '--replication-factor', '1']]);
    await compareTool('tools/groups-848/produce', (s) => ['consoleProducer', [...b(s), '--topic', 'tool-cp', '--reader-property', 'parse.key=true', '--reader-property', 'key.separator=:', '--producer-property', 'linger.ms=0'], { input }]);
    await compareTool('tools/groups-848/consume', (s) => ['consoleConsumer', [...b(s), '--topic', 'tool-cp', '--from-beginning', '--max-messages', '10', '--group', 'tool-cg', '--consumer-property', 'group.protocol=consumer', '--timeout-ms', '40000'], { timeoutMs: 90_000 }], (lines) => lines.sort());
    await compareTool('tools/groups-848/list', (s) => ['groups', [...b(s), '--list', '--type', 'consumer', '--state']], (lines) => lines.filter((l) => !l.startsWith('tool-') || l.startsWith('tool-cg')));
    await compareTool('tools/groups-848/describe', (s) => ['groups', [...b(s), '--describe', '--group', 'tool-cg']]);
    await compareTool('tools/groups-848/describe-state', (s) => ['groups', [...b(s), '--describe', '--group', 'tool-cg', '--state']]);
    await compareTool('tools/groups-848/describe-members', (s) => ['groups', [...b(s), '--describe', '--group', 'tool-cg', '--members']]);
    await compareTool('tools/groups-848/reset-execute', (s) => ['groups', [...b(s), '--reset-offsets', '--group', 'tool-cg', '--topic', 'tool-cp', '--to-offset', '2', '--execute']]);
    await compareTool('tools/groups-848/describe-after-reset', (s) => ['groups', [...b(s), '--describe', '--group', 'tool-cg', '--offsets']]);
    await compareTool('tools/groups-848/delete', (s) => ['groups', [...b(s), '--delete', '--group', 'tool-cg']]);
    await compareTool('tools/groups-848/describe-deleted', (s) => ['groups', [...b(s), '--describe', '--group', 'tool-cg']]);
  }, 300_000);

  it('kafka-acls: add, list, remove', async () => {
    await compareTool('tools/acls/add', (s) => ['acls', [...b(s), '--add', '--allow-principal', 'User:tool-bob', '--operation', 'Read', '--operation', 'Describe', '--topic', 'tool-t', '--group', 'tool-g']], aclBlocks);
    await compareTool('tools/acls/list', (s) => ['acls', [...b(s), '--list']], aclBlocks);
    await compareTool('tools/acls/remove', (s) => ['acls', [...b(s), '--remove', '--force', '--allow-principal', 'User:tool-bob', '--operation', 'Read', '--topic', 'tool-t']], aclBlocks);
  }, 300_000);

  it('kafka-verifiable-producer and -consumer: every message acknowledged and consumed', async () => {
    await compareTool('tools/topics/create-verifiable', (s) => ['topics', [...b(s), '--create', '--topic', 'tool-v', '--partitions', '2', '--replication-factor', '1']]);
    // normaliseText replaced timestamps with <ts>: put a number back so the JSON events parse.
    const events = (lines: string[]) => lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l.replace(/<ts>/g, '0')) as Record<string, unknown>);
    await compareTool('tools/verifiable-producer', (s) => ['verifiableProducer', ['--bootstrap-server', bootstrap(s), '--topic', 'tool-v', '--max-messages', '200', '--acks', '-1', '--producer.config', '/dev/null']], (lines) => {
      const ev = events(lines);
      const done = ev.find((e) => e.name === 'tool_data');
      return { acked: ev.filter((e) => e.name === 'producer_send_success').length, failed: ev.filter((e) => e.name === 'producer_send_error').length, sent: done?.sent, ackedReported: done?.acked, shutdown: ev.some((e) => e.name === 'shutdown_complete') };
    });
    await compareTool('tools/verifiable-consumer', (s) => ['verifiableConsumer', ['--bootstrap-server', bootstrap(s), '--topic', 'tool-v', '--group-id', 'tool-vg', '--max-messages', '200', '--reset-policy', 'earliest', '--enable-autocommit', 'false'], { timeoutMs: 90_000 }], (lines) => {
      const ev = events(lines);
      const consumed = ev.filter((e) => e.name === 'records_consumed').reduce((n, e) => n + Number(e.count), 0);
      const committed = ev.filter((e) => e.name === 'offsets_committed').every((e) => e.success === true);
      return { consumed, committedOk: committed, assigned: ev.some((e) => e.name === 'partitions_assigned'), shutdown: ev.some((e) => e.name === 'shutdown_complete') };
    });
  }, 300_000);

  it('kafka-producer-perf-test and kafka-consumer-perf-test complete and report (small counts; speed is not compared)', async () => {
    await compareTool('tools/topics/create-perf', (s) => ['topics', [...b(s), '--create', '--topic', 'tool-perf', '--partitions', '2', '--replication-factor', '1']]);
    await compareTool('tools/producer-perf', (s) => ['producerPerf', ['--topic', 'tool-perf', '--num-records', '2000', '--record-size', '100', '--throughput', '-1', '--producer-props', `bootstrap.servers=${bootstrap(s)}`, 'acks=all']], (lines) => {
      const final = lines.filter((l) => /records sent/.test(l)).at(-1) ?? '';
      return { reportedRecords: /^(\d+) records sent/.exec(final)?.[1] ?? final };
    });
    await compareTool('tools/consumer-perf', (s) => ['consumerPerf', [...b(s), '--topic', 'tool-perf', '--messages', '2000', '--timeout', '30000']], (lines) => {
      const header = lines.find((l) => l.startsWith('start.time')) ?? null;
      const row = lines.find((l) => /^\d{4}-\d\d-\d\d/.test(l));
      // The row: start, end, MB consumed, MB/s, records consumed, records/s, ...
      return { header, consumed: row?.split(',')[4]?.trim() ?? null };
    });
  }, 300_000);

  /**
   * MirrorMaker 2 (dedicated mode, connect-mirror 4.3.1: 4.4.0 is not on the Maven mirror) run
   * Kafka→Kafka and Tributary→Tributary by one JVM with two flows: from the file's two brokers
   * (aliases kafkasrc, tribsrc) to a second one-broker cluster of each kind started here (kafkadst,
   * tribdst). Source and target cannot be one cluster: MM2 replicates every heartbeats topic it
   * sees whatever its topic filter, so a target's `heartbeats` would come back as
   * `kafkasrc.heartbeats`, `kafkasrc.kafkasrc.heartbeats`, … up to the 249-character limit. What
   * MM2 made on the targets is then read back with the tools and compared.
   */
  it('MirrorMaker 2: topic with its partitions and configs, records with headers, group offsets translated, heartbeats, ACL sync', async () => {
    const alias = (s: 'kafka' | 'tributary') => (s === 'kafka' ? 'kafkasrc' : 'tribsrc');
    const remote = (s: 'kafka' | 'tributary') => `${alias(s)}.mm-t`;
    // The aliases in what the tools print: SRC/DST on both sides.
    const unalias = (lines: string[]) => lines.map((l) => l.replace(/\b(?:kafka|trib)(src|dst)\b/g, (_, role: string) => role.toUpperCase()));
    // Keys hash to the same partitions on both (murmur2); headers `h1:…,h2:…`, the key, the value.
    const input = Array.from({ length: 20 }, (_, i) => `h1:one-${i},h2:two-${i}\tkey${i}\tvalue-${i}`).join('\n') + '\n';
    // The targets start while the sources are prepared; like the sources, with an authorizer (ACL sync).
    const targetsStarting = Promise.allSettled([
      startKafka({ sasl: { superUser: { name: 'admin', password: 'admin-secret' } } }),
      startBroker({ timeoutMs: 90_000, settings: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.replication.factor': '1', 'super.users': 'User:ANONYMOUS', 'allow.everyone.if.no.acl.found': 'false' } }),
    ]);
    // A fresh admin client per look: kafkajs keeps a topic's metadata from its first look (when
    // the remote topic did not exist yet) for metadata.max.age.
    const withAdmin = async <T,>(address: string, use: (admin: Admin) => Promise<T>): Promise<T> => {
      const admin = new Kafka({ brokers: [address], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 } }).admin();
      await admin.connect();
      try { return await use(admin); } finally { await admin.disconnect().catch(() => undefined); }
    };
    const groupOffsets = async (admin: Admin, topic: string) => (await admin.fetchOffsets({ groupId: 'mm-g', topics: [topic] }))[0]!.partitions.map((p) => `${p.partition}:${p.offset}`).sort().join(',');
    let mm: MirrorMaker | undefined;
    let target: { kafka?: TestKafka; tributary?: BrokerProcess } = {};
    try {
      await compareTool('tools/mm2/create-topic', (s) => ['topics', [...b(s), '--create', '--topic', 'mm-t', '--partitions', '3', '--replication-factor', '1', '--config', 'retention.ms=3600000', '--config', 'max.message.bytes=500000']]);
      await compareTool('tools/mm2/produce', (s) => ['consoleProducer', [...b(s), '--topic', 'mm-t', '--reader-property', 'parse.key=true', '--reader-property', 'parse.headers=true', '--producer-property', 'linger.ms=0'], { input }]);
      // The group's committed offsets on the source: each partition's end. MM2 translates an offset
      // past its latest offset sync to that sync's downstream offset + 1, exact once every record's
      // sync is out; but which syncs are out when a checkpoint runs is timing (a task keeps at most
      // 10 in flight and holds the rest back to its next commit), and under load partitions stayed
      // untranslated or behind for 90 s on Kafka as on Tributary (e.g. 0:6,1:4,2:-1 for 0:6,1:8,2:6).
      // So the exact values are not compared: only that offsets were translated, none past the source's.
      // Set with an admin client, not the tools (each tool is a JVM start: this case has a time budget).
      await compareValues('tools/mm2/source-group-and-acl', (s) => withAdmin(b(s)[1]!, async (admin) => {
        const ends = await admin.fetchTopicOffsets('mm-t');
        await admin.setOffsets({ groupId: 'mm-g', topic: 'mm-t', partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })) });
        await admin.createAcls({ acl: [{ resourceType: AclResourceTypes.TOPIC, resourceName: 'mm-t', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:mm-reader', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW }] });
        return { ends: ends.map((p) => `${p.partition}:${p.high}`).sort(), committed: await groupOffsets(admin, 'mm-t') };
      }));
      const targets = await targetsStarting;
      target = { kafka: targets[0].status === 'fulfilled' ? targets[0].value : undefined, tributary: targets[1].status === 'fulfilled' ? targets[1].value : undefined };
      for (const t of targets) if (t.status === 'rejected') throw t.reason;
      const dst = (s: 'kafka' | 'tributary') => (s === 'kafka' ? target.kafka! : target.tributary!).bootstrap;

      mm = startMirrorMaker({
        clusters: 'kafkasrc, kafkadst, tribsrc, tribdst',
        'kafkasrc.bootstrap.servers': kafka.bootstrap,
        'kafkadst.bootstrap.servers': dst('kafka'),
        'tribsrc.bootstrap.servers': broker.bootstrap,
        'tribdst.bootstrap.servers': dst('tributary'),
        'kafkasrc->kafkadst.enabled': 'true',
        'tribsrc->tribdst.enabled': 'true',
        // Heartbeats only on the two flows (MM2 starts a herder for every pair that emits them).
        'emit.heartbeats.enabled': 'false',
        'kafkasrc->kafkadst.emit.heartbeats.enabled': 'true',
        'tribsrc->tribdst.emit.heartbeats.enabled': 'true',
        topics: 'mm-t',
        groups: 'mm-g',
        'sync.topic.configs.enabled': 'true',
        'sync.topic.acls.enabled': 'true',
        'sync.group.offsets.enabled': 'true',
        // An offset sync for every record, so that the group's offsets translate exactly; the syncs
        // a task holds back (at most 10 in flight) go out at its next offset commit, every second.
        'offset.lag.max': '0',
        'offset.flush.interval.ms': '1000',
        'tasks.max': '1',
        ...Object.fromEntries(['refresh.topics', 'refresh.groups', 'sync.topic.configs', 'sync.topic.acls', 'emit.checkpoints', 'sync.group.offsets', 'emit.heartbeats'].map((k) => [`${k}.interval.seconds`, '1'])),
        ...Object.fromEntries(['replication.factor', 'checkpoints.topic.replication.factor', 'heartbeats.topic.replication.factor', 'offset-syncs.topic.replication.factor', 'offset.storage.replication.factor', 'status.storage.replication.factor', 'config.storage.replication.factor'].map((k) => [k, '1'])),
      }, { logLevel: process.env.MM2_LOG_LEVEL ?? 'WARN' });
      const started = Date.now();
      // Done when the target's remote topic holds all 20 records, the ACL is synced there and the
      // group's offsets on it equal its source offsets (translated checkpoints, sync.group.offsets).
      await Promise.all((['kafka', 'tributary'] as const).map(async (s) => {
        const wanted = await withAdmin(b(s)[1]!, (admin) => groupOffsets(admin, 'mm-t'));
        let seen = 'nothing yet';
        await until(() => withAdmin(dst(s), async (admin) => {
          seen = 'no remote topic';
          const ends = await admin.fetchTopicOffsets(remote(s));
          seen = `remote topic ends ${ends.map((p) => `${p.partition}:${p.high}`).join(',')}`;
          if (ends.reduce((n, p) => n + Number(p.high), 0) !== 20) return false;
          const acls = await admin.describeAcls({ resourceType: AclResourceTypes.TOPIC, resourceName: remote(s), resourcePatternType: ResourcePatternTypes.LITERAL, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
          seen = 'no ACL on the remote topic';
          if (acls.resources.length === 0) return false;
          const got = await groupOffsets(admin, remote(s));
          seen = `group offsets ${got}`;
          const source = new Map(wanted.split(',').map((p) => p.split(':') as [string, string]));
          const translated = got.split(',').map((p) => p.split(':') as [string, string]).filter(([, o]) => o !== '-1');
          return translated.length > 0 && translated.every(([p, o]) => Number(o) <= Number(source.get(p)));
        }), `${s}: MirrorMaker 2 (${mirrorMakerVersion()}) replicated mm-t, its ACL and group mm-g's offsets (source: ${wanted})`, 90_000, () => `last seen: ${seen}\n${mm!.summary()}`, 500);
      }));
      if (process.env.TOOLS_DUMP) console.log(`tools/mm2: replicated on both in ${Date.now() - started} ms`);

      const d = (s: 'kafka' | 'tributary') => ['--bootstrap-server', dst(s)];
      const onTarget = (lines: string[]) => unalias(lines);
      await compareTool('tools/mm2/describe-remote-topic', (s) => ['topics', [...d(s), '--describe', '--topic', remote(s)]], (lines) => onTarget(lines).map((l) => l.replace('min.insync.replicas=1,', '')), dst);
      await compareTool('tools/mm2/remote-topic-configs', (s) => ['configs', [...d(s), '--entity-type', 'topics', '--entity-name', remote(s), '--describe']], onTarget, dst);
      await compareTool('tools/mm2/consume-remote', (s) => ['consoleConsumer', [...d(s), '--topic', remote(s), '--from-beginning', '--max-messages', '20', '--formatter-property', 'print.key=true', '--formatter-property', 'print.headers=true', '--formatter-property', 'print.partition=true', '--formatter-property', 'print.offset=true', '--timeout-ms', '40000'], { timeoutMs: 90_000 }], (lines) => lines.sort(), dst);
      // What MM2 made on the target besides the topic, read with an admin client (no tool JVMs):
      // the group's offsets on the remote topic (translated or not: values checked above), the
      // synced ACL, the topics (remote, heartbeats, checkpoints, MM2's internal ones) and whether
      // each heartbeats partition has records (they keep coming while MM2 runs).
      await compareValues('tools/mm2/target-state', (s) => withAdmin(dst(s), async (admin) => {
        const acls = await admin.describeAcls({ resourceType: AclResourceTypes.TOPIC, resourceName: remote(s), resourcePatternType: ResourcePatternTypes.LITERAL, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
        return {
          // Which partitions are translated by now is timing (see above): that some are.
          groupOffsetsTranslated: (await groupOffsets(admin, remote(s))).split(',').some((p) => !p.endsWith(':-1')),
          acls: acls.resources.map((r) => ({ name: unalias([r.resourceName])[0], patternType: r.resourcePatternType, acls: r.acls })),
          topics: unalias((await admin.listTopics()).filter((t) => !t.startsWith('__'))).sort(),
          heartbeats: (await admin.fetchTopicOffsets('heartbeats')).map((p) => `${p.partition}: ${Number(p.high) > 0 ? 'some' : 'none'}`),
        };
      }));
    } finally {
      await mm?.stop();
      const targets = await targetsStarting;
      await Promise.all(targets.map((t) => (t.status === 'fulfilled' ? ('destroy' in t.value ? t.value.destroy() : t.value.stop()) : undefined)));
    }
  }, 300_000);
});
