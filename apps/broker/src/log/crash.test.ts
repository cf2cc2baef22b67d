import { fork } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PartitionLog } from './partition-log.ts';
import { readAll, tempDir } from './test-support.ts';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Round {
  acked: number;
  next: number;
}

/** Runs the child until it has acked some records, then kills it with SIGKILL after a random delay. */
function crashRound(logDir: string, seed: number): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = fork(join(import.meta.dirname, 'crash-child.ts'), [logDir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let acked = -1;
    let next = -1;
    let killAt = 0;
    // A child that never gets there (a loaded machine starts Node slowly) fails the round with a
    // reason, rather than being killed early and read as a round that acked nothing.
    let stalled = false;
    const guard = setTimeout(() => {
      stalled = true;
      child.kill('SIGKILL');
    }, 60_000);
    child.on('message', (m: { ready?: boolean; next?: number; acked?: [number, number] }) => {
      if (m.ready) {
        next = m.next!;
        // At least 150 acks per round: five rounds then always outgrow one 16 KiB segment.
        killAt = next + 150 + (seed % 200);
      }
      if (m.acked) {
        // Acks arrive in order of durability, which is append order.
        acked = Math.max(acked, m.acked[1]);
        if (acked >= killAt) child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code}`));
      else if (stalled) reject(new Error(`child did not ack up to ${killAt} within 60 s (ready: ${next >= 0}, acked: ${acked})`));
      else resolve({ acked, next });
    });
  });
}

describe('crash safety', () => {
  it('keeps every acknowledged record, in order, across repeated kill -9 with flush-per-message', async () => {
    const logDir = join(dir, 'p-0');
    let lastAcked = -1;
    for (let round = 0; round < 5; round++) {
      const r = await crashRound(logDir, Math.floor(Math.random() * 1000));
      // The child numbered on from what survived the previous crash: nothing acked was lost.
      expect(r.next).toBeGreaterThan(lastAcked);
      lastAcked = Math.max(lastAcked, r.acked);
      expect(lastAcked).toBeGreaterThan(0);
    }
    const log = new PartitionLog(logDir, { segmentBytes: 16 * 1024, segmentMs: 3_600_000, flushIntervalMessages: 1 });
    expect(log.recovery.clean).toBe(false);
    const records = readAll(log);
    // Offsets contiguous from 0, values exactly 0..n in order: nothing lost, nothing foreign.
    expect(records.map((r) => r.offset)).toEqual(records.map((_, i) => i));
    expect(records.map((r) => Number(r.value))).toEqual(records.map((_, i) => i));
    expect(records.length).toBeGreaterThan(lastAcked);
    expect(log.segments.length).toBeGreaterThan(1);
    log.close();
  }, 360_000);
});
