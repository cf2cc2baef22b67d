import { ErrorCode, splitBatches, type FetchRequest } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed, allowedOnCluster } from '../security/request-guards.ts';
import type { BrokerContext, RequestSession } from './context.ts';
import { LeaderHints } from './leader-hints.ts';
import { defineApi } from './api-module.ts';
import { fetchedRecordsForClient } from './legacy-fetch.ts';

/**
 * Fetch: whole batches from each partition's log, limited per partition and per response, long-
 * polling up to maxWaitMs until minBytes are available. Fetch sessions (KIP-227) are not kept:
 * every response carries session id 0, which tells clients to send full fetch requests, and an
 * incremental request (epoch > 0) names a session we never created: FETCH_SESSION_ID_NOT_FOUND,
 * after which clients start over with a full one. read_uncommitted consumers read up to the high
 * watermark, read_committed ones up to the last stable offset (no batch of a running transaction),
 * with the aborted transactions of the range they got, whose records they drop; both skip the
 * control batches (transaction markers) as Kafka clients do.
 */
export const fetchApi = defineApi({
  api: 'Fetch',
  minVersion: 0,
  // v17–18 add only what a KRaft follower sends (its directory id, the high watermark it knows:
  // tagged fields); a consumer's v17–18 request is v16's.
  maxVersion: 18,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'READ on each topic; a follower needs CLUSTER_ACTION on the cluster' },
  handle: async (ctx, request, session) => {
    const req = request.body;
    const v = request.apiVersion;
    if (v >= 7 && req.sessionEpoch > 0) return { throttleTimeMs: 0, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
    const deadline = Date.now() + Math.max(0, req.maxWaitMs);
    // Decided once per request: followers (replica id ≥ 0) need CLUSTER_ACTION, consumers READ per topic.
    const replicaId = fetchReplicaId(req, v);
    const replica = replicaId >= 0;
    const mayRead = (topic: string) => (replica ? allowedOnCluster(ctx, session, Op.CLUSTER_ACTION) : allowed(ctx, session, Op.READ, ResourceType.TOPIC, topic));
    // A follower's partitions, by name, resolved once: for its log ends now and its long-poll below.
    const asked = replica ? partitionsAsked(ctx, req, v) : [];
    // A follower's fetch offset is its log end: the leader learns it once per request, before waiting.
    for (const a of asked) if (mayRead(a.topic)) ctx.replicas.onFollowerFetch(a.topic, a.partition, replicaId, a.fetchOffset, { currentLeaderEpoch: a.currentLeaderEpoch, logStartOffset: a.logStartOffset });
    let woken = false;
    for (;;) {
      const { body, bytes, perTopic } = collect(ctx, req, v, mayRead, replica, replica ? replicaId : -1, session);
      // Bytes out are what is sent: the answered pass only (a long poll collects several times and
      // answers the last), and a follower's replication apart from what consumers read (billing
      // meters consumers only).
      const answer = () => {
        for (const [topic, n] of perTopic) {
          if (replica) {
            ctx.metrics.replicationBytesOut.inc({ topic }, n);
          } else {
            ctx.metrics.bytesOut.inc({ topic }, n);
            ctx.metrics.meteredBytes.inc({ direction: 'out', topic, principal: session.principal, listener: session.listener }, n);
          }
        }
        return body;
      };
      if (bytes >= req.minBytes || Date.now() >= deadline || hasError(body)) return answer();
      // Woken by an append to a partition the follower should replicate but did not ask for (it was
      // assigned meanwhile): answer now so that its next fetch asks for it.
      if (woken && replica && ctx.replicas.followerHasUnaskedData(replicaId, asked)) return answer();
      await ctx.appends.wait(deadline - Date.now(), replica);
      woken = true;
      // A follower woken by one append lets the requests already read off other sockets append too,
      // so that one fetch carries several batches rather than one round trip each.
      if (replica) await new Promise((r) => setImmediate(r));
    }
  },
});

/** The fetching replica's id (≥ 0 for a follower, -1 for a consumer): in the header field, from v15 in ReplicaState. */
export function fetchReplicaId(req: FetchRequest, v: number): number {
  return v >= 15 ? (req.replicaState?.replicaId ?? -1) : req.replicaId;
}

/** The request's partitions whose topic this broker knows (by name, or by id from v13). */
function partitionsAsked(ctx: BrokerContext, req: FetchRequest, v: number): { topic: string; partition: number; fetchOffset: number; currentLeaderEpoch: number; logStartOffset: number }[] {
  return req.topics.flatMap((t) => {
    const name = v >= 13 ? ctx.topics.byId(t.topicId)?.name : t.topic;
    return name === undefined ? [] : t.partitions.map((p) => ({ topic: name, partition: p.partition, fetchOffset: Number(p.fetchOffset), currentLeaderEpoch: v >= 9 ? p.currentLeaderEpoch : -1, logStartOffset: v >= 5 ? Number(p.logStartOffset) : -1 }));
  });
}

/** A partition error is answered at once, so the client can refresh metadata instead of waiting. */
function hasError(body: ReturnType<typeof collect>['body']): boolean {
  return body.responses.some((t) => t.partitions.some((p) => p.errorCode !== 0));
}

const EMPTY = Buffer.alloc(0);

/** The offset after the last whole batch of stored bytes. */
function endOfBatches(stored: Buffer): number {
  const last = splitBatches(stored).batches.at(-1);
  return last ? Number(last.header.baseOffset) + last.header.lastOffsetDelta + 1 : 0;
}

/**
 * One pass over the asked partitions. Limits as Kafka's ReplicaManager applies them:
 * - v3+ (KIP-74): the response carries at most `maxBytes`, and each partition at most
 *   `partitionMaxBytes`, except that the first partition with data returns its first batch whole
 *   even past both (so a consumer always progresses); every later partition gets whole batches
 *   within what is left, or none.
 * - v0–2 have no response limit and `partitionMaxBytes` is hard: a first message larger than it is
 *   sent cut at the limit, as Kafka sends it, and old clients (librdkafka, the 0.9 Java consumer)
 *   read the partial message as "too large" and grow their fetch size instead of stalling.
 * A partition answered with an error carries an empty record set, never null: librdkafka fails to
 * parse a null one ("invalid MessageSetSize -1") and never sees the error code.
 */
function collect(ctx: BrokerContext, req: FetchRequest, v: number, mayRead: (topic: string) => boolean, replica: boolean, replicaId: number, session: RequestSession) {
  const hints = new LeaderHints(ctx, session);
  let budget = v >= 3 ? req.maxBytes : Number.MAX_SAFE_INTEGER;
  let minOneBatch = v >= 3;
  let bytes = 0;
  const perTopic = new Map<string, number>();
  // Kafka lists aborted transactions only for read_committed; read_uncommitted gets null.
  const abortedTransactions = req.isolationLevel === 1 ? [] : null;
  const responses = req.topics.map((t) => {
    const topic = v >= 13 ? ctx.topics.byId(t.topicId) : ctx.topics.get(t.topic);
    return {
      topic: t.topic,
      topicId: t.topicId,
      partitions: t.partitions.map((p) => {
        const base = { partitionIndex: p.partition, abortedTransactions, ...(v >= 11 ? { preferredReadReplica: -1 } : {}) };
        // Kafka refuses unknown and unauthorized partitions before reading (their aborted
        // transactions are [], the generated default); errors of the read itself (not leader,
        // fenced epoch, offset out of range) carry null, as its log read results do. Offsets of an
        // error partition are -1.
        const refused = (errorCode: number, beforeRead = true) => ({ ...base, abortedTransactions: beforeRead ? [] : null, errorCode, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, records: EMPTY });
        if (topic && !mayRead(topic.name)) return refused(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
        if (!topic) return refused(v >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        // Consumers of v11+ (which carry client metadata, KIP-392) may read a follower's replica up to
        // the high watermark it knows; followers and older consumers only the leader's.
        const epoch = v >= 9 ? p.currentLeaderEpoch : -1;
        const lead = !replica && v >= 11 ? ctx.replicas.readableReplicaFor(topic.name, p.partition, epoch) : ctx.replicas.leaderFor(topic.name, p.partition, epoch);
        if (!lead.ok) {
          if (lead.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return refused(v >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : lead.errorCode);
          // KIP-951 (v16+): where to go instead (handlers/leader-hints.ts).
          if (v >= 16 && (lead.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || lead.errorCode === ErrorCode.FENCED_LEADER_EPOCH)) return { ...refused(lead.errorCode, false), currentLeader: hints.currentLeader(topic.name, p.partition) };
          return refused(lead.errorCode, false);
        }
        const log = lead.log;
        const fetchOffset = Number(p.fetchOffset);
        const hw = log.highWatermark;
        const lso = log.lastStableOffset;
        const committed = !replica && v >= 4 && req.isolationLevel === 1;
        // Consumers read up to the high watermark (read_committed: the last stable offset); followers up to the log end, to replicate it.
        const end = replica ? log.logEndOffset : committed ? lso : hw;
        const offsets = { highWatermark: BigInt(hw), lastStableOffset: BigInt(lso), logStartOffset: BigInt(log.logStartOffset) };
        if (fetchOffset < log.logStartOffset || fetchOffset > (replica ? log.logEndOffset : Math.max(hw, log.logEndOffset))) {
          // Our followers read the leader's start and high watermark from this answer to truncate
          // or restart (Kafka's ask ListOffsets instead); consumers get Kafka's -1s.
          return replica ? { ...base, ...offsets, abortedTransactions: null, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, records: EMPTY } : refused(ErrorCode.OFFSET_OUT_OF_RANGE, false);
        }
        // A throttled replica being caught up (not in the ISR) gets nothing while the leader's
        // replication rate is over leader.replication.throttled.rate (cluster/replication-throttle.ts).
        if (replica && ctx.replicationThrottle.leaderHoldsBack(topic.name, p.partition, replicaId)) return { ...base, ...offsets, abortedTransactions: null, errorCode: 0, records: EMPTY };
        const limit = Math.max(0, Math.min(p.partitionMaxBytes, budget));
        // v0–2 read like v3+'s first partition and are cut to the hard limit after conversion.
        const stored = limit > 0 || minOneBatch ? log.read(fetchOffset, limit, { maxOffset: end, minOneBatch: minOneBatch || v < 3, buffers: ctx.readBuffers }) : EMPTY;
        // v0–3 read magic 0/1 message sets: down-converted (handlers/legacy-fetch.ts).
        const served = fetchedRecordsForClient(stored, v, fetchOffset, limit);
        if (!served.ok) return { ...base, ...offsets, abortedTransactions: null, errorCode: served.errorCode, records: EMPTY };
        const records = v < 3 && served.records.length > limit ? served.records.subarray(0, limit) : served.records;
        budget = Math.max(0, budget - records.length);
        bytes += records.length;
        if (records.length > 0) minOneBatch = false;
        if (records.length) perTopic.set(topic.name, (perTopic.get(topic.name) ?? 0) + records.length);
        if (replica) ctx.replicationThrottle.leaderSent(topic.name, p.partition, records.length);
        // read_committed: the aborted transactions overlapping what is returned (Kafka's collectAbortedTransactions up to the end of the read).
        const aborted = committed && stored.length > 0 ? log.abortedTransactions(fetchOffset, endOfBatches(stored)).map((a) => ({ producerId: a.producerId, firstOffset: BigInt(a.firstOffset) })) : abortedTransactions;
        return { ...base, ...offsets, abortedTransactions: aborted, errorCode: 0, records };
      }),
    };
  });
  return { body: { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses, ...(v >= 16 ? { nodeEndpoints: hints.endpoints() } : {}) }, bytes, perTopic };
}
