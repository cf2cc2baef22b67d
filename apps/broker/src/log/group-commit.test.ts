import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.ts';
import { PartitionLog } from './partition-log.ts';
import { batchOf, readAll, tempDir, testOptions } from './test-support.ts';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('group commit', () => {
  it('serves all requests made before a flush starts with that flush, later ones with the next', async () => {
    const started: number[] = [];
    let release: (() => void)[] = [];
    const gc = new GroupCommit(() => {
      started.push(Date.now());
      return new Promise<void>((r) => release.push(r));
    });
    const done: string[] = [];
    const a = gc.request().then(() => done.push('a'));
    const b = gc.request().then(() => done.push('b'));
    const c = gc.request().then(() => done.push('c'));
    await Promise.resolve();
    // a runs the first flush; b and c wait for one shared second flush.
    expect(started.length).toBe(1);
    const first = release;
    release = [];
    first.forEach((r) => r());
    await a;
    expect(done).toEqual(['a']);
    await new Promise((r) => setImmediate(r));
    expect(started.length).toBe(2);
    release.forEach((r) => r());
    await Promise.all([b, c]);
    expect(started.length).toBe(2);
    expect(done.sort()).toEqual(['a', 'b', 'c']);
  });

  it('acknowledges concurrent appends with fewer fdatasyncs than appends, all data durable', async () => {
    const log = new PartitionLog(dir, { ...testOptions, segmentBytes: 1 << 20, groupCommit: true });
    const results = Array.from({ length: 50 }, (_, i) => log.appendRecords(batchOf([`g${i}`]), 0));
    expect(results.every((r) => r.durable !== null)).toBe(true);
    const distinct = new Set(results.map((r) => r.durable));
    expect(distinct.size).toBeLessThanOrEqual(2);
    await Promise.all(results.map((r) => r.durable));
    expect(log.recoveryPoint).toBe(50);
    expect(readAll(log).length).toBe(50);
    log.close();
  });

  it('flush.ms: flushIfDue flushes once the oldest unflushed record is old enough', () => {
    const log = new PartitionLog(dir, { ...testOptions, flushIntervalMessages: Number.MAX_SAFE_INTEGER, flushIntervalMs: 1000 });
    log.appendRecords(batchOf(['x']), 0);
    expect(log.recoveryPoint).toBe(0);
    log.flushIfDue(Date.now());
    expect(log.recoveryPoint).toBe(0);
    log.flushIfDue(Date.now() + 1500);
    expect(log.recoveryPoint).toBe(1);
    log.close();
  });
});
