import { ErrorCode, type ListOffsetsRequest } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import type { BrokerContext, Handler } from './context.ts';
import type { PartitionLog } from '../log/partition-log.ts';

const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;

export const handleListOffsets: Handler = (ctx: BrokerContext, request, session) => {
  const req = request.body as ListOffsetsRequest;
  const v = request.apiVersion;
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        if (!allowed(ctx, session, Op.DESCRIBE, ResourceType.TOPIC, t.name)) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
        const lead = ctx.replicas.leaderFor(t.name, p.partitionIndex, v >= 4 ? p.currentLeaderEpoch : -1);
        if (!lead.ok) return { partitionIndex: p.partitionIndex, errorCode: lead.errorCode };
        const log = lead.log;
        if (v === 0) return { partitionIndex: p.partitionIndex, errorCode: 0, oldStyleOffsets: offsetsBefore(log, p.timestamp, p.maxNumOffsets).map(BigInt) };
        let offset: number;
        let timestamp = -1;
        // Consumers see the log only up to the high watermark (what every in-sync replica has).
        if (p.timestamp === LATEST) offset = log.highWatermark;
        else if (p.timestamp === EARLIEST) offset = log.logStartOffset;
        else if (p.timestamp === MAX_TIMESTAMP) offset = Math.max(log.logStartOffset, log.highWatermark - 1);
        else {
          const found = log.offsetForTimestamp(Number(p.timestamp));
          offset = found ? found.offset : -1;
          timestamp = found ? found.timestamp : -1;
        }
        return { partitionIndex: p.partitionIndex, errorCode: 0, timestamp: BigInt(timestamp), offset: BigInt(offset), ...(v >= 4 ? { leaderEpoch: lead.leaderEpoch } : {}) };
      }),
    })),
  };
};

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
