import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';
import { kcatProduce } from '../support/kcat.ts';

// Fetches read into buffers lent by a pool and given back once the answer is written
// (apps/broker/src/log/read-buffers.ts). Reads of 64 KiB and more are pooled, so this test's
// 1 MiB fetches of ~3 MB partitions reuse buffers while other consumers' answers are in flight:
// every record any consumer gets must be the one at its offset, byte for byte.
const run = promisify(execFile);
const PARTITIONS = 3;
const PER_PARTITION = 3000;
let broker: BrokerProcess;

/** The value at `offset` of `partition`: its coordinates, then ~1 KB that differs per record. */
const valueAt = (partition: number, offset: number) => `p${partition}o${offset}:` + `${offset * 7919 + partition}`.padEnd(16, '.').repeat(60);

beforeAll(async () => {
  broker = await startBroker({ timeoutMs: 90_000 });
  const admin = await KafkaAdminClient.connect(broker.bootstrap, { timeoutMs: 30_000 });
  try {
    expect((await admin.createTopics([{ name: 'pooled', partitions: PARTITIONS, replicationFactor: 1 }])).get('pooled')).toBeFalsy();
  } finally {
    admin.close();
  }
  for (let p = 0; p < PARTITIONS; p++) {
    const lines = Array.from({ length: PER_PARTITION }, (_, o) => valueAt(p, o)).join('\n') + '\n';
    await kcatProduce(['-b', broker.bootstrap, '-t', 'pooled', '-p', String(p)], lines, 120_000);
  }
}, 240_000);
afterAll(async () => {
  await broker?.destroy();
});

async function consumeAll(): Promise<string[]> {
  const { stdout } = await run('kcat', ['-C', '-b', broker.bootstrap, '-t', 'pooled', '-o', 'beginning', '-e', '-q', '-f', '%p %o %s\n', '-X', 'fetch.message.max.bytes=1048576'], { timeout: 120_000, maxBuffer: 256 * 1024 * 1024 });
  return stdout.split('\n').filter(Boolean);
}

describe('fetch answers from pooled read buffers', () => {
  it('three concurrent consumers, then two more, each get every record intact', async () => {
    for (const consumers of [3, 2]) {
      const results = await Promise.all(Array.from({ length: consumers }, () => consumeAll()));
      for (const lines of results) {
        expect(lines).toHaveLength(PARTITIONS * PER_PARTITION);
        const wrong = lines.filter((line) => {
          const [p, o, value] = line.split(' ');
          return value !== valueAt(Number(p), Number(o));
        });
        expect(wrong.slice(0, 3)).toEqual([]);
      }
    }
  }, 300_000);
});
