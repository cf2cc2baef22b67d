import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';

// confluent-kafka for Python: a consumer group of two members commits as it goes; after a broker
// restart a new member resumes where the group left off. No message is lost.
const run = promisify(execFile);
const py = (script: string) => join(import.meta.dirname, 'python', script);
let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startBroker({ settings: { 'group.initial.rebalance.delay.ms': '500' } });
});
afterAll(async () => {
  await broker?.destroy();
});

async function produce(from: number, count: number): Promise<void> {
  const lines = Array.from({ length: count }, (_, i) => `k${from + i}:${from + i}`).join('\n') + '\n';
  await new Promise<void>((resolve, reject) => {
    const child = execFile('kcat', ['-P', '-b', broker.bootstrap, '-t', 'py-group', '-K:', '-p', '-1'], { timeout: 30_000 }, (err) => (err ? reject(err) : resolve()));
    child.stdin!.end(lines);
  });
}

const member = () => run('/usr/bin/python3', [py('consume.py'), broker.bootstrap, 'py-group', 'py-g', '3', '45'], { timeout: 60_000 }).then(({ stdout }) => JSON.parse(stdout) as { values: number[]; partitions: number[]; errors: string[] });

it('two members share the topic, commit, and a restarted group resumes without loss', { timeout: 150_000 }, async () => {
  // Four partitions, created through the Python AdminClient (CreateTopics), so that each member gets some.
  const { stdout } = await run('/usr/bin/python3', ['-c', `
from confluent_kafka.admin import AdminClient, NewTopic
a = AdminClient({"bootstrap.servers": "${broker.bootstrap}"})
a.create_topics([NewTopic("py-group", num_partitions=4, replication_factor=1)])["py-group"].result(timeout=15)
print(sorted(a.list_topics(timeout=10).topics["py-group"].partitions))`], { timeout: 30_000 });
  expect(stdout.trim()).toBe('[0, 1, 2, 3]');
  await produce(0, 1000);

  const [a, b] = await Promise.all([member(), member()]);
  const union = new Set([...a.values, ...b.values]);
  expect(union.size).toBe(1000);
  expect(a.errors.concat(b.errors)).toEqual([]);
  expect(a.values.length).toBeGreaterThan(0);
  expect(b.values.length).toBeGreaterThan(0);
  expect(new Set([...a.partitions, ...b.partitions])).toEqual(new Set([0, 1, 2, 3]));

  await broker.stop();
  broker = await broker.restart();
  await produce(1000, 200);
  const c = await member();
  expect(c.values.sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => 1000 + i));
});
