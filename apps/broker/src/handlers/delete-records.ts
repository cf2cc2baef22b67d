import { ErrorCode } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import { defineApi } from './api-module.ts';

export const deleteRecordsApi = defineApi({
  api: 'DeleteRecords',
  minVersion: 0,
  maxVersion: 2,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'DELETE on each topic' },
  handle: (ctx, request, session) => {
    const req = request.body;
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          if (!allowed(ctx, session, Op.DELETE, ResourceType.TOPIC, t.name)) return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
          const lead = ctx.replicas.leaderFor(t.name, p.partitionIndex);
          if (!lead.ok) return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: lead.errorCode };
          const log = lead.log;
          // -1 means "up to the high watermark"; nothing beyond it may be deleted.
          const target = p.offset === -1n ? log.highWatermark : Number(p.offset);
          if (target < 0 || target > log.highWatermark) return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
          return { partitionIndex: p.partitionIndex, lowWatermark: BigInt(log.deleteRecordsBefore(target)), errorCode: 0 };
        }),
      })),
    };
  },
});
