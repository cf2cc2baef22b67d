import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { PartitionLog } from '../log/partition-log.ts';
import { tempDir, testOptions } from '../log/test-support.ts';
import { GroupCoordinator } from './coordinator.ts';
import { OffsetStore } from './offset-store.ts';

// TxnOffsetCommit on a real __consumer_offsets log: the offsets are pending until the transaction's
// marker is written to that log (as the transaction coordinator has it written), and a coordinator
// loading the log afterwards comes to the same committed offsets.
const dirs: string[] = [];
const opened: { coordinator: GroupCoordinator; log: PartitionLog }[] = [];
afterEach(() => {
  for (const { coordinator, log } of opened.splice(0)) {
    coordinator.close();
    if (!log.closed) log.close();
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const settings = { initialRebalanceDelayMs: 0, minSessionTimeoutMs: 1000, maxSessionTimeoutMs: 600_000, maxGroupSize: 100, offsetsRetentionMs: 3_600_000, offsetsRetentionCheckIntervalMs: 3_600_000 };
const noMember = { memberId: '', groupInstanceId: null };
const at = (offset: bigint) => ({ offset, leaderEpoch: -1, metadata: '', commitTimestamp: 1_000 });

function open(dir: string) {
  const log = new PartitionLog(dir, testOptions);
  const coordinator = new GroupCoordinator(settings, new OffsetStore(log), () => 1_000);
  opened.push({ coordinator, log });
  return { log, coordinator };
}

function marker(log: PartitionLog, coordinator: GroupCoordinator, producerId: bigint, commit: boolean) {
  log.appendMarker({ producerId, producerEpoch: 0, commit, coordinatorEpoch: 0 }, 0);
  coordinator.completeTransaction(producerId, commit);
}

describe('transactional offset commits', () => {
  it('are invisible until the COMMIT marker, dropped by an ABORT, and replayed the same way', () => {
    const dir = tempDir();
    dirs.push(dir);
    const { log, coordinator } = open(dir);
    expect(coordinator.txnCommit('g', 11n, 0, noMember, -1, [{ topic: 't', partition: 0, value: at(5n) }])).toBe(0);
    expect(coordinator.committed('g', 't', 0)).toBeUndefined();
    expect(coordinator.hasPendingOffset('g', 't', 0)).toBe(true);
    marker(log, coordinator, 11n, true);
    expect(coordinator.committed('g', 't', 0)?.offset).toBe(5n);
    expect(coordinator.hasPendingOffset('g', 't', 0)).toBe(false);
    coordinator.txnCommit('g', 12n, 0, noMember, -1, [{ topic: 't', partition: 0, value: at(9n) }]);
    marker(log, coordinator, 12n, false);
    expect(coordinator.committed('g', 't', 0)?.offset).toBe(5n);
    // A third transaction still running when the coordinator moves: pending after the reload too.
    coordinator.txnCommit('g', 13n, 0, noMember, -1, [{ topic: 't', partition: 1, value: at(3n) }]);
    coordinator.close();
    const reloaded = new GroupCoordinator(settings, new OffsetStore(log), () => 1_000);
    opened.push({ coordinator: reloaded, log });
    expect(reloaded.committed('g', 't', 0)?.offset).toBe(5n);
    expect(reloaded.committed('g', 't', 1)).toBeUndefined();
    expect(reloaded.hasPendingOffset('g', 't', 1)).toBe(true);
    marker(log, reloaded, 13n, true);
    expect(reloaded.committed('g', 't', 1)?.offset).toBe(3n);
  });

  it('refuses a generation the group does not have', () => {
    const dir = tempDir();
    dirs.push(dir);
    const { coordinator } = open(dir);
    expect(coordinator.txnCommit('unknown', 1n, 0, { memberId: 'm', groupInstanceId: null }, 3, [{ topic: 't', partition: 0, value: at(1n) }])).not.toBe(0);
  });
});
