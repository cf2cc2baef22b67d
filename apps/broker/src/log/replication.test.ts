import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatchHeader } from '@tributary/protocol';
import { LogError } from './errors.ts';
import { LeaderEpochCache } from './leader-epoch-cache.ts';
import { PartitionLog } from './partition-log.ts';
import { batchOf, readAll, tempDir, testOptions } from './test-support.ts';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const options = { ...testOptions, segmentBytes: 700 };

describe('leader epochs, follower append and truncation', () => {
  it('checkpoints epoch start offsets and answers OffsetForLeaderEpoch', () => {
    const log = new PartitionLog(dir, options);
    expect(log.endOffsetForEpoch(0)).toEqual({ epoch: -1, endOffset: -1 });
    for (let i = 0; i < 4; i++) log.appendRecords(batchOf([`e1-${i}`]), 1);
    for (let i = 0; i < 3; i++) log.appendRecords(batchOf([`e3-${i}`]), 3);
    expect(log.leaderEpochs.entries).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 3, startOffset: 4 }]);
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: 4 });
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 1, endOffset: 4 });
    expect(log.endOffsetForEpoch(3)).toEqual({ epoch: 3, endOffset: 7 });
    // Older than every known epoch: the asked epoch and where the first known one starts (Kafka's answer).
    expect(log.endOffsetForEpoch(0)).toEqual({ epoch: 0, endOffset: 0 });
    // Newer than the latest, or UNDEFINED_EPOCH: UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET.
    expect(log.endOffsetForEpoch(4)).toEqual({ epoch: -1, endOffset: -1 });
    expect(log.endOffsetForEpoch(-1)).toEqual({ epoch: -1, endOffset: -1 });
    expect(readFileSync(join(dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n2\n1 0\n3 4\n');
    log.close();
    expect(new LeaderEpochCache(dir).entries).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 3, startOffset: 4 }]);
  });

  it("a new leader's epoch is known at once and written to the checkpoint with the epoch's first record", () => {
    const log = new PartitionLog(dir, options);
    for (let i = 0; i < 2; i++) log.appendRecords(batchOf([`e1-${i}`]), 1);
    log.leaderEpochs.assignForNewLeader(4, log.logEndOffset);
    // Known at once: a follower of epoch 1 asking where it ends is told 2.
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: 2 });
    expect(log.endOffsetForEpoch(4)).toEqual({ epoch: 4, endOffset: 2 });
    // Not on disk while the epoch has no record here: no fsync when a broker takes over many partitions.
    expect(new LeaderEpochCache(dir).entries).toEqual([{ epoch: 1, startOffset: 0 }]);
    log.appendRecords(batchOf(['e4-0']), 4);
    expect(new LeaderEpochCache(dir).entries).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 4, startOffset: 2 }]);
    log.close();
  });

  it('truncateTo removes whole batches across segments, and epochs and appends follow', () => {
    const log = new PartitionLog(dir, options);
    for (let i = 0; i < 10; i++) log.appendRecords(batchOf([`a${i}`, `b${i}`].map((v) => v.padEnd(60, '.'))), i < 5 ? 1 : 2);
    expect(log.segments.length).toBeGreaterThan(2);
    log.truncateTo(9); // offset 9 is the second record of batch 4 (offsets 8, 9): the batch goes whole
    expect(log.logEndOffset).toBe(8);
    expect(readAll(log).map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(log.leaderEpochs.entries).toEqual([{ epoch: 1, startOffset: 0 }]);
    expect(log.appendRecords(batchOf(['new']), 4).baseOffset).toBe(8n);
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: 8 });
    log.close();
    const reopened = new PartitionLog(dir, options);
    expect(readAll(reopened).map((r) => r.value!.slice(0, 3))).toEqual(['a0.', 'b0.', 'a1.', 'b1.', 'a2.', 'b2.', 'a3.', 'b3.', 'new']);
    expect(reopened.updateHighWatermark(100)).toBe(9);
    expect(reopened.updateHighWatermark(6)).toBe(6);
    expect(reopened.read(0, 1 << 20, { maxOffset: reopened.highWatermark }).length).toBeGreaterThan(0);
    reopened.truncateTo(4);
    expect(reopened.highWatermark).toBe(4);
    reopened.close();
    const third = new PartitionLog(dir, options);
    expect(third.highWatermark).toBe(4);
    third.truncateTo(0);
    expect(third.logEndOffset).toBe(0);
    expect(third.highWatermark).toBe(0);
    expect(third.appendRecords(batchOf(['again']), 5).baseOffset).toBe(0n);
    third.close();
  });

  it('a follower appends the leader’s batches with the leader’s offsets and epochs', () => {
    const leader = new PartitionLog(join(dir, 'leader'), options);
    const follower = new PartitionLog(join(dir, 'follower'), options);
    for (let i = 0; i < 6; i++) leader.appendRecords(batchOf([`m${i}`, `n${i}`]), i < 3 ? 4 : 6);
    let offset = 0;
    for (let i = 0; i < 10 && offset < leader.logEndOffset; i++) {
      const fetched = leader.read(offset, 200);
      follower.appendAsFollower(Buffer.from(fetched));
      offset = follower.logEndOffset;
    }
    expect(follower.logEndOffset).toBe(12);
    expect(readAll(follower)).toEqual(readAll(leader));
    expect(follower.leaderEpochs.entries).toEqual(leader.leaderEpochs.entries);
    // Offsets must continue the follower's log.
    const again = Buffer.from(leader.read(0, 1));
    expect(() => follower.appendAsFollower(again)).toThrow(LogError);
    const gap = Buffer.from(again);
    gap.writeBigInt64BE(20n, BatchHeader.BASE_OFFSET);
    expect(() => follower.appendAsFollower(gap)).toThrow(/starts at 20/);
    leader.close();
    follower.close();
  });

  it('deleteRecordsBefore advances the log start offset, checkpointed across restarts', () => {
    const log = new PartitionLog(dir, options);
    for (let i = 0; i < 12; i++) log.appendRecords(batchOf([`d${i}`.padEnd(100, '.')]), 0);
    const segments = log.segments.length;
    expect(log.deleteRecordsBefore(7)).toBe(7);
    expect(log.segments.length).toBeLessThan(segments);
    expect(log.segments[0]!.baseOffset).toBeLessThanOrEqual(7);
    expect(readAll(log).map((r) => r.offset)[0]).toBe(7);
    expect(log.deleteRecordsBefore(3)).toBe(7);
    log.close();
    const reopened = new PartitionLog(dir, options);
    expect(reopened.logStartOffset).toBe(7);
    expect(readAll(reopened).map((r) => r.offset)).toEqual([7, 8, 9, 10, 11]);
    reopened.close();
  });
});
