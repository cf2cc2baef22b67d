import { ErrorCode, type FetchRequest } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed, allowedOnCluster } from '../security/request-guards.ts';
import type { BrokerContext, Handler } from './context.ts';
import { fetchedRecordsForClient } from './legacy-fetch.ts';

/**
 * Fetch: whole batches from each partition's log, limited per partition and per response, long-
 * polling up to maxWaitMs until minBytes are available. Fetch sessions (KIP-227) are not kept:
 * every response carries session id 0, which tells clients to send full fetch requests, and an
 * incremental request (epoch > 0) names a session we never created: FETCH_SESSION_ID_NOT_FOUND,
 * after which clients start over with a full one. Without transactions read_committed and
 * read_uncommitted see the same records: the last stable offset is the high watermark and no
 * aborted transactions are ever listed.
 */
export const handleFetch: Handler = async (ctx: BrokerContext, request, session) => {
  const req = request.body as FetchRequest;
  const v = request.apiVersion;
  if (v >= 7 && req.sessionEpoch > 0) return { throttleTimeMs: 0, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
  const deadline = Date.now() + Math.max(0, req.maxWaitMs);
  // Decided once per request: followers (replica id ≥ 0) need CLUSTER_ACTION, consumers READ per topic.
  const replica = (v >= 15 ? req.replicaState?.replicaId ?? -1 : req.replicaId) >= 0;
  const mayRead = (topic: string) => (replica ? allowedOnCluster(ctx, session, Op.CLUSTER_ACTION) : allowed(ctx, session, Op.READ, ResourceType.TOPIC, topic));
  for (;;) {
    const { body, bytes } = collect(ctx, req, v, mayRead);
    if (bytes >= req.minBytes || Date.now() >= deadline) return body;
    await ctx.appends.wait(deadline - Date.now());
  }
};

function collect(ctx: BrokerContext, req: FetchRequest, v: number, mayRead: (topic: string) => boolean) {
  let budget = v >= 3 ? req.maxBytes : Number.MAX_SAFE_INTEGER;
  let bytes = 0;
  const responses = req.topics.map((t) => {
    const topic = v >= 13 ? ctx.topics.byId(t.topicId) : ctx.topics.get(t.topic);
    return {
      topic: t.topic,
      topicId: t.topicId,
      partitions: t.partitions.map((p) => {
        const log = topic ? ctx.topics.log(topic.name, p.partition) : undefined;
        const base = { partitionIndex: p.partition, ...(v >= 11 ? { preferredReadReplica: -1 } : {}) };
        if (topic && !mayRead(topic.name)) return { ...base, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, records: null };
        if (!topic || !log) return { ...base, errorCode: v >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, records: null };
        const fetchOffset = Number(p.fetchOffset);
        const hw = log.logEndOffset;
        const offsets = { highWatermark: BigInt(hw), lastStableOffset: BigInt(hw), logStartOffset: BigInt(log.logStartOffset) };
        if (fetchOffset < log.logStartOffset || fetchOffset > hw) return { ...base, ...offsets, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, records: null };
        // The first batch is served whole even past the limits so that a consumer always progresses.
        const limit = Math.max(1, Math.min(p.partitionMaxBytes, budget));
        const stored = budget > 0 || bytes === 0 ? log.read(fetchOffset, limit) : Buffer.alloc(0);
        // v0–3 read magic 0/1 message sets: down-converted (handlers/legacy-fetch.ts).
        const served = fetchedRecordsForClient(stored, v, fetchOffset, limit);
        if (!served.ok) return { ...base, ...offsets, errorCode: served.errorCode, records: null };
        const records = served.records;
        budget -= records.length;
        bytes += records.length;
        if (records.length) ctx.metrics.bytesOut.inc({ topic: topic.name }, records.length);
        return { ...base, ...offsets, errorCode: 0, records };
      }),
    };
  });
  return { body: { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses }, bytes };
}
