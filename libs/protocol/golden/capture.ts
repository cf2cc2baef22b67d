/**
 * Records the request frames real clients send (librdkafka through Debian's kcat, and kafkajs) into
 * golden fixtures. Run with `npm run protocol:capture-golden`; the fixtures are committed and
 * libs/protocol/src/golden.test.ts checks that we decode them and re-encode identical bytes.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { createRequire } from 'node:module';
import { compress, Compression } from '../src/compression/codecs.ts';
import { API_DEFINITIONS } from '../src/generated/api-definitions.ts';
import { CaptureResponder, type CapturedFrame } from './responder.ts';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const FIXTURES = join(import.meta.dirname, 'fixtures');

export interface FixtureEntry {
  file: string;
  client: 'kcat' | 'kafkajs';
  api: string;
  apiKey: number;
  version: number;
  /** What the scenario did, e.g. the compression of a Produce. */
  scenario: string;
  /** What the client was asked to send in this scenario (records, group, topic). */
  sent: Record<string, unknown>;
}

const TOPIC = 'golden';
const GROUP = 'golden-group';
const producedRecords = (client: FixtureEntry['client']) => [0, 1, 2].map((i) => ({ key: `key-${i}`, value: `value-${i}`, headers: { source: client } }));

const entries: FixtureEntry[] = [];

function keep(client: FixtureEntry['client'], scenario: string, frames: CapturedFrame[], apis: string[], sent: Record<string, unknown>): void {
  for (const api of apis) {
    const f = frames.find((x) => API_DEFINITIONS.get(x.apiKey)!.name === api);
    if (!f) throw new Error(`${client} ${scenario}: no ${api} request was captured`);
    const file = `${client}-${scenario}-${api}-v${f.apiVersion}.bin`;
    writeFileSync(join(FIXTURES, file), f.frame);
    entries.push({ file, client, api, apiKey: f.apiKey, version: f.apiVersion, scenario, sent });
  }
}

async function withResponder<T>(fn: (r: CaptureResponder) => Promise<T>): Promise<CapturedFrame[]> {
  const r = new CaptureResponder();
  await r.start();
  try {
    await fn(r);
  } finally {
    await r.stop();
  }
  return r.frames;
}

async function captureKcat(): Promise<void> {
  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
    const frames = await withResponder(async (r) => {
      const input = producedRecords('kcat').map((m) => `${m.key}:${m.value}\n`).join('');
      const child = execFile('kcat', ['-P', '-b', `127.0.0.1:${r.port}`, '-t', TOPIC, '-K:', '-z', codec, '-H', 'source=kcat', '-X', 'linger.ms=50'], { timeout: 15_000 });
      child.stdin!.end(input);
      await new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(code) : reject(new Error(`kcat exited ${code}`)))));
    });
    keep('kcat', `produce-${codec}`, frames, codec === 'none' ? ['ApiVersions', 'Metadata', 'Produce'] : ['Produce'], { topic: TOPIC, compression: codec, records: producedRecords('kcat') });
  }
  const consumed = await withResponder(async (r) => {
    const producer = execFile('kcat', ['-P', '-b', `127.0.0.1:${r.port}`, '-t', TOPIC, '-K:'], { timeout: 15_000 });
    producer.stdin!.end('key-0:value-0\nkey-1:value-1\n');
    await new Promise((resolve) => producer.on('exit', resolve));
    await run('kcat', ['-C', '-b', `127.0.0.1:${r.port}`, '-t', TOPIC, '-o', 'beginning', '-e', '-q'], { timeout: 15_000 });
  });
  keep('kcat', 'consume', consumed, ['ListOffsets', 'Fetch'], { topic: TOPIC, consumeFrom: 'beginning' });
  const group = await withResponder(async (r) => {
    const producer = execFile('kcat', ['-P', '-b', `127.0.0.1:${r.port}`, '-t', TOPIC, '-K:'], { timeout: 15_000 });
    producer.stdin!.end('key-0:value-0\n');
    await new Promise((resolve) => producer.on('exit', resolve));
    // A balanced consumer runs until stopped; stop it once it has committed an offset.
    const consumer = execFile('kcat', ['-b', `127.0.0.1:${r.port}`, '-G', GROUP, '-q', '-X', 'auto.commit.interval.ms=100', '-X', 'auto.offset.reset=earliest', TOPIC], { timeout: 20_000 });
    for (let i = 0; i < 150 && !r.frames.some((f) => API_DEFINITIONS.get(f.apiKey)!.name === 'OffsetCommit'); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    consumer.kill('SIGTERM');
    await new Promise((resolve) => consumer.on('exit', resolve));
  });
  keep('kcat', 'group', group, ['FindCoordinator', 'JoinGroup', 'SyncGroup', 'OffsetFetch', 'OffsetCommit'], { topic: TOPIC, groupId: GROUP, commit: 'auto-commit after consuming offset 0' });
}

async function captureKafkajs(): Promise<void> {
  const { Kafka, CompressionTypes, CompressionCodecs, logLevel } = require('kafkajs');
  for (const name of ['snappy', 'lz4', 'zstd'] as const) {
    const id = Compression[name];
    CompressionCodecs[id] = () => ({ compress: async (e: { buffer: Buffer }) => compress(id, e.buffer), decompress: async (b: Buffer) => b });
  }
  const types = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy, lz4: CompressionTypes.LZ4, zstd: CompressionTypes.ZSTD };
  for (const [codec, type] of Object.entries(types)) {
    const frames = await withResponder(async (r) => {
      const kafka = new Kafka({ clientId: 'golden', brokers: [`127.0.0.1:${r.port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      await producer.send({ topic: TOPIC, compression: type, messages: producedRecords('kafkajs') });
      await producer.disconnect();
    });
    keep('kafkajs', `produce-${codec}`, frames, codec === 'none' ? ['ApiVersions', 'Metadata', 'Produce'] : ['Produce'], { topic: TOPIC, compression: codec, records: producedRecords('kafkajs') });
  }
  const group = await withResponder(async (r) => {
    const kafka = new Kafka({ clientId: 'golden', brokers: [`127.0.0.1:${r.port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: TOPIC, messages: [{ key: 'key-0', value: 'value-0' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500 });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    let resolveSeen!: () => void;
    const seen = new Promise<void>((resolve) => (resolveSeen = resolve));
    await consumer.run({ autoCommit: false, eachMessage: async ({ topic, partition, message }: { topic: string; partition: number; message: { offset: string } }) => {
      await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
      resolveSeen();
    } });
    await Promise.race([seen, new Promise((_, reject) => setTimeout(() => reject(new Error('kafkajs consumer saw nothing in 15 s')), 15_000))]);
    await consumer.disconnect();
  });
  keep('kafkajs', 'group', group, ['FindCoordinator', 'JoinGroup', 'SyncGroup', 'OffsetFetch', 'Fetch', 'OffsetCommit'], { topic: TOPIC, groupId: GROUP, commit: 'commitOffsets to offset 1 after consuming offset 0' });
}

async function main(): Promise<void> {
  rmSync(FIXTURES, { recursive: true, force: true });
  mkdirSync(FIXTURES, { recursive: true });
  await captureKcat();
  await captureKafkajs();
  writeFileSync(join(FIXTURES, 'index.json'), JSON.stringify(entries, null, 2) + '\n');
  console.log(`captured ${entries.length} golden frames into ${FIXTURES}`);
}

// --help/--version (node:util parseArgs) before anything runs: a capture overwrites tracked fixtures.
const { values: cli } = parseArgs({ options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } }, strict: true });
if (cli.help) {
  process.stdout.write(`Usage: npm run protocol:capture-golden [-- --help | --version]

Starts a capture responder, runs kcat and kafkajs against it, and OVERWRITES the golden frames in
libs/protocol/golden/fixtures/ (tracked in git) with what they sent. Run it only to refresh them.
`);
} else if (cli.version) {
  process.stdout.write('protocol:capture-golden (tributary)\n');
} else {
  await main();
}
