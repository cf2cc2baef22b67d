import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeRecordBatch, validateProducedBlob } from '@tributary/protocol';
import { CLEAN_SHUTDOWN, PRODUCER_SNAPSHOT } from './log-loader.ts';
import { PartitionLog } from './partition-log.ts';
import { batchOf, tempDir, testOptions } from './test-support.ts';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_700_000_000_000;

function idempotent(seq: number) {
  const blob = encodeRecordBatch({ producerId: 42n, producerEpoch: 0, baseSequence: seq, baseTimestamp: T0 + seq, records: [{ value: `p${seq}` }, { value: `q${seq}` }] });
  const checked = validateProducedBlob(blob, 1 << 20);
  if (!checked.ok) throw new Error(checked.problem.detail);
  return { blob, spans: checked.batches };
}

describe('restart', () => {
  for (const kind of ['clean', 'unclean'] as const) {
    it(`restores idempotent-producer state after a ${kind} restart`, () => {
      const log = new PartitionLog(dir, { ...testOptions, segmentBytes: 300 });
      for (let i = 0; i < 6; i++) {
        const { blob, spans } = idempotent(i * 2);
        expect(log.checkSequences(spans).kind).toBe('append');
        log.append(blob, spans, 0);
      }
      log.close();
      // Clean: the state comes from the snapshot close wrote. Unclean: rebuilt from batch headers.
      if (kind === 'unclean') rmSync(join(dir, CLEAN_SHUTDOWN));
      else expect(existsSync(join(dir, PRODUCER_SNAPSHOT))).toBe(true);
      const reopened = new PartitionLog(dir, testOptions);
      expect(reopened.recovery.clean).toBe(kind === 'clean');
      // A retry is answered with the original batch's offset and max timestamp, after either restart.
      expect(reopened.checkSequences(idempotent(10).spans)).toEqual({ kind: 'duplicate', baseOffset: 10, timestamp: T0 + 10 });
      expect(reopened.checkSequences(idempotent(12).spans)).toEqual({ kind: 'append' });
      expect(reopened.checkSequences(idempotent(14).spans).kind).toBe('error');
      reopened.close();
    });
  }

  it('a clean open finds each segment’s end and max timestamp from its indexes and tail', () => {
    const options = { ...testOptions, segmentBytes: 2000, indexIntervalBytes: 100_000 };
    const log = new PartitionLog(dir, options);
    // Only the first batch of each segment is indexed; timestamps rise, then one goes down.
    for (let i = 0; i < 30; i++) log.appendRecords(batchOf([`v${i}`.padEnd(100, '.')], i === 29 ? T0 : T0 + i * 1000), 0);
    const expected = log.segments.map((s) => [s.baseOffset, s.nextOffset, s.maxTimestamp]);
    log.close();
    const reopened = new PartitionLog(dir, options);
    expect(reopened.recovery.clean).toBe(true);
    expect(reopened.segments.map((s) => [s.baseOffset, s.nextOffset, s.maxTimestamp])).toEqual(expected);
    expect(reopened.logEndOffset).toBe(30);
    expect(reopened.offsetForTimestamp(T0 + 28_000)?.offset).toBe(28);
    reopened.close();
  });
});
