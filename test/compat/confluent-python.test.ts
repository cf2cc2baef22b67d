import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';

// Debian's python3-confluent-kafka (librdkafka), unchanged. Debian's python is /usr/bin/python3.
const run = promisify(execFile);
const script = join(import.meta.dirname, 'python', 'produce.py');
let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => {
  await broker?.destroy();
});

describe('confluent-kafka for Python', () => {
  it.each(['none', 'lz4', 'zstd'])('produces 2,000 messages with acks=all (%s) and every delivery is confirmed', async (compression) => {
    const topic = `python-${compression}`;
    const { stdout } = await run('/usr/bin/python3', [script, broker.bootstrap, topic, '2000', compression], { timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual({ delivered: 2000, failed: [], remaining: 0, max_offset: 1999 });
    const { stdout: read } = await run('kcat', ['-C', '-b', broker.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k=%s|%h\n'], { timeout: 30_000 });
    const lines = read.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2000);
    expect(lines[1999]).toBe('py-1999=value-1999|lang=python');
  });

  it('runs an idempotent producer (InitProducerId, sequence numbers) with no loss and no duplicates', async () => {
    const { stdout } = await run('/usr/bin/python3', [script, broker.bootstrap, 'python-idempotent', '3000', 'lz4', 'idempotent'], { timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual({ delivered: 3000, failed: [], remaining: 0, max_offset: 2999 });
    const { stdout: read } = await run('kcat', ['-C', '-b', broker.bootstrap, '-t', 'python-idempotent', '-o', 'beginning', '-e', '-q', '-f', '%k\n'], { timeout: 30_000 });
    const keys = read.split('\n').filter(Boolean);
    expect(keys).toEqual(Array.from({ length: 3000 }, (_, i) => `py-${i}`));
  });
});
