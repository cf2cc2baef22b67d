import { ErrorCode, type ListOffsetsRequest } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import type { BrokerContext, Handler } from './context.ts';

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
        const log = ctx.topics.log(t.name, p.partitionIndex);
        if (!log) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        let offset: number;
        let timestamp = -1;
        if (p.timestamp === LATEST) offset = log.logEndOffset;
        else if (p.timestamp === EARLIEST) offset = log.logStartOffset;
        else if (p.timestamp === MAX_TIMESTAMP) offset = Math.max(log.logStartOffset, log.logEndOffset - 1);
        else {
          const found = log.offsetForTimestamp(Number(p.timestamp));
          offset = found ? found.offset : -1;
          timestamp = found ? found.timestamp : -1;
        }
        return { partitionIndex: p.partitionIndex, errorCode: 0, timestamp: BigInt(timestamp), offset: BigInt(offset), ...(v >= 4 ? { leaderEpoch: 0 } : {}) };
      }),
    })),
  };
};
