import { ErrorCode } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import type { PartitionLog } from '../log/partition-log.ts';
import { defineApi } from './api-module.ts';

const LATEST = -1n;

const EARLIEST = -2n;

const MAX_TIMESTAMP = -3n;

/** KIP-405: the first offset still in local storage; without tiered storage, the log start. */
const EARLIEST_LOCAL = -4n;

/** KIP-1005: the last offset in tiered storage; without tiered storage Kafka answers -1. */
const LATEST_TIERED = -5n;
/** KIP-1023 (v11): the first offset not yet uploaded to tiered storage; without it Kafka answers -1 too. */
const EARLIEST_PENDING_UPLOAD = -6n;

/**
 * ListOffsets, answered as Kafka's UnifiedLog.fetchOffsetByTimestamp and Partition do:
 * LATEST the high watermark, or the last stable offset for READ_COMMITTED (current leader epoch); EARLIEST / EARLIEST_LOCAL the log start (the
 * epoch that covers it); LATEST_TIERED -1 (no tiered storage); MAX_TIMESTAMP and by-timestamp per
 * record — the record's own offset, timestamp and batch leader epoch — and "not found" (-1, -1)
 * when that record is at or past the high watermark (consumers cannot read it yet).
 */
export const listOffsetsApi = defineApi({
  api: 'ListOffsets',
  minVersion: 0,
  maxVersion: 11,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'DESCRIBE on each topic' },
  handle: (ctx, request, session) => {
    const req = request.body;
    const v = request.apiVersion;
    // A partition asked for twice is answered once, with INVALID_REQUEST (Kafka's duplicatePartitions).
    const count = new Map<string, number>();
    for (const t of req.topics) for (const p of t.partitions) count.set(`${t.name}\0${p.partitionIndex}`, (count.get(`${t.name}\0${p.partitionIndex}`) ?? 0) + 1);
    const answered = new Set<string>();
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const key = `${t.name}\0${p.partitionIndex}`;
          if (count.get(key)! > 1) {
            if (answered.has(key)) return null;
            answered.add(key);
            return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.INVALID_REQUEST, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
          }
          if (!allowed(ctx, session, Op.DESCRIBE, ResourceType.TOPIC, t.name)) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
          if (v >= 1 && !timestampKnownAt(p.timestamp, v)) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNSUPPORTED_VERSION, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
          const lead = ctx.replicas.leaderFor(t.name, p.partitionIndex, v >= 4 ? p.currentLeaderEpoch : -1);
          if (!lead.ok) return { partitionIndex: p.partitionIndex, errorCode: lead.errorCode, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
          const log = lead.log;
          if (v === 0) return { partitionIndex: p.partitionIndex, errorCode: 0, oldStyleOffsets: offsetsBefore(log, p.timestamp, p.maxNumOffsets).map(BigInt) };
          // read_committed (v2+): consumers may see only up to the last stable offset.
          const visibleEnd = v >= 2 && req.isolationLevel === 1 ? log.lastStableOffset : log.highWatermark;
          const found = lookup(log, p.timestamp, lead.leaderEpoch, visibleEnd);
          return { partitionIndex: p.partitionIndex, errorCode: 0, timestamp: BigInt(found.timestamp), offset: BigInt(found.offset), ...(v >= 4 ? { leaderEpoch: found.leaderEpoch } : {}) };
        }).filter((answer) => answer !== null),
      })),
    };
  },
});

/**
 * Whether version `v` knows the special timestamp: LATEST and EARLIEST always, MAX_TIMESTAMP from v7,
 * EARLIEST_LOCAL from v8, LATEST_TIERED from v9, EARLIEST_PENDING_UPLOAD from v11; any other negative
 * value never. Kafka 4.4 answers the others UNSUPPORTED_VERSION for that partition, before it looks
 * for the topic or the leader (an old client, e.g. Sarama configured for Kafka 2.8, asking v6 for -3
 * gets that error, not an answer it cannot have asked for).
 */
function timestampKnownAt(timestamp: bigint, v: number): boolean {
  if (timestamp >= 0n || timestamp === LATEST || timestamp === EARLIEST) return true;
  if (timestamp === MAX_TIMESTAMP) return v >= 7;
  if (timestamp === EARLIEST_LOCAL) return v >= 8;
  if (timestamp === LATEST_TIERED) return v >= 9;
  if (timestamp === EARLIEST_PENDING_UPLOAD) return v >= 11;
  return false;
}

function lookup(log: PartitionLog, target: bigint, leaderEpoch: number, visibleEnd: number): { offset: number; timestamp: number; leaderEpoch: number } {
  const notFound = { offset: -1, timestamp: -1, leaderEpoch: -1 };
  // Consumers see the log only up to the high watermark (what every in-sync replica has), or the last stable offset for read_committed.
  if (target === LATEST) return { offset: visibleEnd, timestamp: -1, leaderEpoch };
  if (target === EARLIEST || target === EARLIEST_LOCAL) return { offset: log.logStartOffset, timestamp: -1, leaderEpoch: epochAt(log, log.logStartOffset) };
  if (target === LATEST_TIERED || target === EARLIEST_PENDING_UPLOAD) return notFound;
  const found = target === MAX_TIMESTAMP ? log.offsetForMaxTimestamp() : log.offsetForTimestamp(Number(target));
  return found && found.offset < visibleEnd ? found : notFound;
}

/** The leader epoch whose range holds `offset`, -1 when the cache knows none. */
function epochAt(log: PartitionLog, offset: number): number {
  return log.leaderEpochs.entries.findLast((e) => e.startOffset <= offset)?.epoch ?? -1;
}

/**
 * ListOffsets v0 (what clients configured for brokers before 0.10.1 send): up to `maxNumOffsets`
 * offsets, newest first, from the list of segment start offsets plus the log end offset, as Kafka's
 * `legacyFetchOffsetsBefore` does. Kafka dates each segment by its file's modification time; the
 * segment's largest record timestamp stands in for that here (it is what the time index knows).
 */
function offsetsBefore(log: PartitionLog, timestamp: bigint, maxNumOffsets: number): number[] {
  const points = log.segments.map((s) => ({ offset: Math.max(s.baseOffset, log.logStartOffset), time: s.maxTimestamp }));
  const last = log.segments.at(-1);
  if (!last || last.size > 0) points.push({ offset: log.logEndOffset, time: Date.now() });
  let start: number;
  if (timestamp === LATEST) start = points.length - 1;
  else if (timestamp === EARLIEST) start = 0;
  else start = points.findLastIndex((p) => p.time <= Number(timestamp));
  const out: number[] = [];
  for (let i = start; i >= 0 && out.length < maxNumOffsets; i--) out.push(points[i]!.offset);
  return out;
}
