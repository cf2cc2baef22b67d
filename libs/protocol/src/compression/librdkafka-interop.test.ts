import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CaptureResponder } from '../../golden/responder.ts';
import { encodeRecordBatch } from '../records/record-batch.ts';
import { Compression, type CompressionName } from './codecs.ts';

// librdkafka (Debian's kcat) consumes batches we encoded, with each compression codec.
const run = promisify(execFile);
let responder: CaptureResponder;

beforeEach(async () => {
  responder = new CaptureResponder();
  await responder.start();
});
afterEach(async () => {
  await responder.stop();
});

describe.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as CompressionName[])('librdkafka reads our %s batches', (name) => {
  it('prints every key, value and header', async () => {
    responder.seed(
      'golden',
      encodeRecordBatch({
        compression: Compression[name],
        records: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `value-${i}-${'x'.repeat(i)}`, headers: [{ key: 'n', value: String(i) }] })),
      }),
    );
    const { stdout } = await run('kcat', ['-C', '-b', `127.0.0.1:${responder.port}`, '-t', 'golden', '-o', 'beginning', '-e', '-q', '-f', '%k|%s|%h\n'], { timeout: 20_000 });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(50);
    expect(lines[7]).toBe(`k7|value-7-${'x'.repeat(7)}|n=7`);
    expect(lines[49]).toBe(`k49|value-49-${'x'.repeat(49)}|n=49`);
  });
});
