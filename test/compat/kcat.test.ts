import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';
import { kcatProduce } from '../support/kcat.ts';

// librdkafka through Debian's kcat, unchanged, against a broker started here.
const run = promisify(execFile);
let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => {
  await broker?.destroy();
});

function produce(topic: string, lines: string, extra: string[] = []): Promise<string> {
  return kcatProduce(['-b', broker.bootstrap, '-t', topic, '-K:', ...extra], lines);
}

async function consume(topic: string, format = '%k=%s\n'): Promise<string[]> {
  const { stdout } = await run('kcat', ['-C', '-b', broker.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', format], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout.split('\n').filter(Boolean);
}

describe('kcat (librdkafka)', () => {
  it('-L lists the broker and an auto-created topic', async () => {
    const { stdout } = await run('kcat', ['-L', '-b', broker.bootstrap, '-t', 'kcat-meta'], { timeout: 30_000 });
    expect(stdout).toContain(`broker 1 at ${broker.bootstrap} (controller)`);
    expect(stdout).toMatch(/topic "kcat-meta" with 1 partitions/);
  });

  it('produces 10,000 keyed messages and consumes them back in order', async () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `key-${i}:value-${i}`).join('\n') + '\n';
    await produce('kcat-10k', lines);
    const got = await consume('kcat-10k', '%k=%s@%o\n');
    expect(got).toHaveLength(10_000);
    expect(got[0]).toBe('key-0=value-0@0');
    expect(got[9_999]).toBe('key-9999=value-9999@9999');
    expect(got.every((l, i) => l === `key-${i}=value-${i}@${i}`)).toBe(true);
  });

  it.each(['gzip', 'snappy', 'lz4', 'zstd'])('round-trips messages compressed with %s', async (codec) => {
    const topic = `kcat-${codec}`;
    await produce(topic, Array.from({ length: 500 }, (_, i) => `k${i}:${codec}-${'v'.repeat(i % 50)}-${i}`).join('\n') + '\n', ['-z', codec]);
    const got = await consume(topic);
    expect(got).toHaveLength(500);
    expect(got[499]).toBe(`k499=${codec}-${'v'.repeat(499 % 50)}-499`);
  });

  it('carries record headers', async () => {
    await produce('kcat-headers', 'k:v\n', ['-H', 'trace=abc', '-H', 'tenant=t1']);
    expect(await consume('kcat-headers', '%k|%s|%h\n')).toEqual(['k|v|trace=abc,tenant=t1']);
  });
});
