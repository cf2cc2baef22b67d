import { rmSync } from 'node:fs';
import { encodeConsumerProtocolSubscription } from '@tributary/protocol';
import { PartitionLog } from '../log/partition-log.ts';
import { tempDir, testOptions } from '../log/test-support.ts';
import { GroupCoordinator, type CoordinatorSettings, type JoinRequest } from './coordinator.ts';
import { OffsetStore } from './offset-store.ts';

/** Helpers shared by the coordinator's tests (not used by the broker). */

// The coordinator on a real partition log (the __consumer_offsets of a test), with a clock the test
// moves for sessions and offsets; the initial rebalance delay (real time) lets two members join one generation.
export const RETENTION_MS = 60_000;
const dirs: string[] = [];
const open: { coordinator: GroupCoordinator; log: PartitionLog }[] = [];

export function coordinatorAt(dir: string, clock: { now: number }, settings: Partial<CoordinatorSettings> = {}, replicated: ((offset: number) => Promise<number>) | null = null) {
  const log = new PartitionLog(dir, testOptions);
  const coordinator = new GroupCoordinator(
    { initialRebalanceDelayMs: 100, minSessionTimeoutMs: 1000, maxSessionTimeoutMs: 600_000, maxGroupSize: 100, offsetsRetentionMs: RETENTION_MS, offsetsRetentionCheckIntervalMs: 3_600_000, ...settings },
    new OffsetStore(log, () => 0, () => undefined, replicated),
    () => clock.now,
  );
  open.push({ coordinator, log });
  return coordinator;
}

export function fresh() {
  const dir = tempDir();
  dirs.push(dir);
  const clock = { now: 1_000_000 };
  return { dir, clock, coordinator: coordinatorAt(dir, clock) };
}

/**
 * Followers that have not fetched yet: the coordinator's writes wait here for replication until the
 * test lets them through with the partition's answer (0, or the error the replica manager gives:
 * NOT_LEADER_OR_FOLLOWER once leadership moved, REQUEST_TIMED_OUT, ...). As the replica manager's
 * wait, one for an offset the high watermark has reached (nothing pending) is answered at once.
 */
export function replicationGate() {
  const waiting: { offset: number; resolve: (code: number) => void }[] = [];
  let highWatermark = 0;
  // The partition logs whose high watermark follows what the gate lets through (as the replica manager moves it).
  const logs: PartitionLog[] = [];
  return {
    follow(log: PartitionLog) {
      logs.push(log);
    },
    replicated: (offset: number) => (offset <= highWatermark ? Promise.resolve(0) : new Promise<number>((resolve) => waiting.push({ offset, resolve }))),
    get waiting() {
      return waiting.length;
    },
    answer(code: number) {
      const answered = waiting.splice(0);
      if (code === 0) for (const w of answered) highWatermark = Math.max(highWatermark, w.offset);
      for (const log of logs) log.updateHighWatermark(highWatermark);
      for (const w of answered) w.resolve(code);
    },
  };
}

/** A coordinator whose writes wait for `gate` (see replicationGate). */
export function freshReplicated(gate: ReturnType<typeof replicationGate>, settings: Partial<CoordinatorSettings> = {}) {
  const dir = tempDir();
  dirs.push(dir);
  const clock = { now: 1_000_000 };
  const coordinator = coordinatorAt(dir, clock, settings, gate.replicated);
  gate.follow(open[open.length - 1]!.log);
  return { dir, clock, coordinator };
}

/** Closes every coordinator and log the test opened and removes their directories (call in afterEach). */
export function closeCoordinators(): void {
  for (const { coordinator, log } of open.splice(0)) {
    coordinator.close();
    log.close();
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Consumer-protocol metadata as clients send it: int16 version, then the subscription. */
export function subscription(...topics: string[]): Buffer {
  const body = encodeConsumerProtocolSubscription({ topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null }, 1).toBuffer();
  const version = Buffer.alloc(2);
  version.writeInt16BE(1);
  return Buffer.concat([version, body]);
}

export function joinRequest(over: Partial<JoinRequest>): JoinRequest {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    clientId: 'c',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 5_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription('a') }],
    requireKnownMemberId: true,
    supportsSkipAssignment: false,
    ...over,
  };
}

export const syncOf = (generationId: number, assignments: { memberId: string; assignment: Buffer }[]) => ({ generationId, protocolType: null, protocolName: null, assignments });
export const leaveOne = async (coordinator: GroupCoordinator, who: { memberId: string; groupInstanceId: string | null }, groupId = 'g') => {
  const result = await coordinator.leave(groupId, [who]);
  return result.errorCode || result.members[0]!.errorCode;
};

