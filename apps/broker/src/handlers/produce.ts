import { BatchHeader, Compression, ErrorCode, KafkaProtocolError, splitBatches, validateProducedBlob } from '@tributary/protocol';
import { TRANSACTIONAL_FLAG } from '../log/transaction-index.ts';
import { topicLogConfig, topicNumber, topicTimestampBounds } from '../topics/topic-configs.ts';
import { validateRecords } from '../log/record-validation.ts';
import { producedBlobForLog } from './legacy-produce.ts';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed } from '../security/request-guards.ts';
import { diskFullProblem } from '../quota/instance-limits.ts';
import { defineApi } from './api-module.ts';
import { LeaderHints } from './leader-hints.ts';
import { namedByTopicId, unknownTopicId } from './topic-ids.ts';
import { addProducedPartitions, verifyProducedPartitions } from './produce-implicit-add.ts';

const problemCode = { CORRUPT_MESSAGE: ErrorCode.CORRUPT_MESSAGE, UNSUPPORTED_FOR_MESSAGE_FORMAT: ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, MESSAGE_TOO_LARGE: ErrorCode.MESSAGE_TOO_LARGE, INVALID_RECORD: ErrorCode.INVALID_RECORD } as const;

/**
 * Produce: each partition's blob is checked (whole v2 batches, CRC32C, size) and appended with
 * offsets assigned; nothing of a refused blob is written. Batches are never decoded record by record
 * (except the legacy message sets of v0–2, which must be converted).
 */
export const produceApi = defineApi({
  api: 'Produce',
  minVersion: 0,
  // v12: transaction version 2 (produce-implicit-add.ts); v13 names topics by id (KIP-516).
  maxVersion: 13,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'WRITE on each topic' },
  handle: async (ctx, request, session) => {
    const req = request.body;
    // v13 names each topic by its id (KIP-516): the rest of the path works with its name; an id this
    // broker does not know is refused below with UNKNOWN_TOPIC_ID.
    const topicData = request.apiVersion >= 13 ? namedByTopicId(ctx, req.topicData) : req.topicData;
    // Kafka's first check: transactional records need WRITE on the request's transactional id, or the whole request fails.
    if (hasTransactionalRecords(topicData) && (req.transactionalId === null || !allowed(ctx, session, Op.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId))) throw new KafkaProtocolError(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    // Transaction version 2: partitions join the transaction here, not through AddPartitionsToTxn;
    // version 1 (v3–11): the coordinator confirms the client added them (KIP-890 part 1).
    const notInTransaction = request.apiVersion >= 12 ? await addProducedPartitions(ctx, req.transactionalId, topicData) : request.apiVersion >= 3 ? await verifyProducedPartitions(ctx, req.transactionalId, topicData, request.apiVersion) : null;
    let appended = false;
    // fdatasyncs this request waits for (group commit), per partition response they complete.
    const pending: { response: { errorCode: number }; durable: Promise<void> }[] = [];
    // acks=-1: partitions whose answer waits until every in-sync replica has the batch.
    const replicated: { response: { errorCode: number; baseOffset: bigint }; done: Promise<number> }[] = [];
    const hints = new LeaderHints(ctx, session);
    const responses = topicData.map((t) => {
      const known = request.apiVersion < 13 || !unknownTopicId(t);
      const writable = known && allowed(ctx, session, Op.WRITE, ResourceType.TOPIC, t.name);
      return {
        name: t.name,
        topicId: t.topicId,
        partitionResponses: t.partitionData.map((p) => {
          // Kafka sends an error message (v8+) only for records it refused one by one (KIP-467);
          // every other refusal has none. Our reason goes to the log.
          // `logStartOffset`: Kafka reports the partition's log start offset with refusals its log
          // raised (record validation, base offset, sequences, epochs, min.insync.replicas) and -1
          // with those found before the log (request checks) or as corrupt or too large
          // (ReplicaManager.appendToLocalLog).
          const fail = (errorCode: number, reason: string, refused?: { message: string | null; recordErrors: { batchIndex: number; message: string | null }[] }, logStartOffset = -1n) => {
            ctx.logger.log('warn', 'produce refused', { topic: t.name, partition: p.index, errorCode, errorMessage: reason });
            return {
              index: p.index,
              errorCode,
              baseOffset: -1n,
              logAppendTimeMs: -1n,
              logStartOffset,
              ...(request.apiVersion >= 8 ? { errorMessage: refused?.message ?? null, recordErrors: (refused?.recordErrors ?? []).map((e) => ({ batchIndex: e.batchIndex, batchIndexErrorMessage: e.message })) } : {}),
              ...(request.apiVersion >= 10 && errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER ? { currentLeader: hints.currentLeader(t.name, p.index) } : {}),
            };
          };
          const diskFull = diskFullProblem(ctx);
          if (!known) return fail(ErrorCode.UNKNOWN_TOPIC_ID, `no topic has the id ${t.topicId}`);
          if (diskFull) return fail(ErrorCode.POLICY_VIOLATION, diskFull);
          if (!writable) return fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `${session.principal} may not write to ${t.name}`);
          if (req.acks !== 0 && req.acks !== 1 && req.acks !== -1) return fail(ErrorCode.INVALID_REQUIRED_ACKS, `acks must be -1, 0 or 1, got ${req.acks}`);
          const lead = ctx.replicas.leaderFor(t.name, p.index);
          if (!lead.ok) return fail(lead.errorCode, lead.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? `${t.name}-${p.index} does not exist` : `broker ${ctx.config.nodeId} does not lead ${t.name}-${p.index}`);
          const log = lead.log;
          const logStart = () => BigInt(log.logStartOffset);
          const txnRefusal = notInTransaction?.get(`${t.name}\0${p.index}`);
          if (txnRefusal) return fail(txnRefusal, `${t.name}-${p.index} could not join transaction ${req.transactionalId} (error ${txnRefusal})`);
          const configs = ctx.topics.get(t.name)!.configs;
          const minIsr = ctx.replicas.effectiveMinIsr(t.name, p.index, topicNumber(ctx.config, configs, 'min.insync.replicas'));
          // acks=-1 refuses before writing when too few replicas are in sync to keep the batch.
          if (req.acks === -1 && ctx.replicas.isrSize(t.name, p.index) < minIsr) return fail(ErrorCode.NOT_ENOUGH_REPLICAS, `${t.name}-${p.index} has ${ctx.replicas.isrSize(t.name, p.index)} in-sync replicas, min.insync.replicas is ${minIsr}`, undefined, logStart());
          const raw = p.records as Buffer | null;
          if (request.apiVersion >= 3) {
            // Kafka's ProduceRequest.validateRecords: exactly one v2 batch per partition, zstd from v7.
            const problem = oneV2Batch(raw, request.apiVersion);
            if (problem) return fail(problem.errorCode, problem.reason);
            // Kafka's UnifiedLog.analyzeAndValidateRecords: a client's v2 batch starts at offset 0
            // (the broker assigns offsets); checked before sizes and CRCs.
            const baseOffset = raw!.readBigInt64BE(BatchHeader.BASE_OFFSET);
            if (baseOffset !== 0n) return fail(ErrorCode.INVALID_RECORD, `the baseOffset of the record batch in the append to ${t.name}-${p.index} should be 0, but it is ${baseOffset}`, undefined, logStart());
          }
          if (!raw || raw.length === 0) return fail(ErrorCode.CORRUPT_MESSAGE, 'no records');
          const maxMessageBytes = topicNumber(ctx.config, configs, 'max.message.bytes');
          // v0–2 carry magic 0/1 message sets: converted to a v2 batch first (handlers/legacy-produce.ts).
          const forLog = producedBlobForLog(raw, request.apiVersion, { maxMessageBytes, compacted: request.apiVersion < 3 && topicLogConfig(ctx.config, t.name, configs).cleanupPolicy.includes('compact') });
          if (!forLog.ok) return fail(forLog.errorCode, forLog.message);
          const blob = forLog.blob;
          const checked = validateProducedBlob(blob, maxMessageBytes);
          // Corrupt and too large: -1 (Kafka's CorruptRecordException, RecordTooLargeException); an invalid record batch: the log's start.
          if (!checked.ok) return fail(problemCode[checked.problem.code], checked.problem.detail, undefined, checked.problem.code === 'INVALID_RECORD' || checked.problem.code === 'UNSUPPORTED_FOR_MESSAGE_FORMAT' ? logStart() : -1n);
          // Kafka's LogValidator: per-record checks (keys on compacted topics, timestamps, inner
          // offsets) and the batch's max timestamp recomputed from its records; nothing of a refused
          // partition is written.
          const logConfig = topicLogConfig(ctx.config, t.name, configs);
          const validated = validateRecords(blob, checked.batches, {
            compacted: logConfig.cleanupPolicy.includes('compact'),
            timestampType: logConfig.timestampType ?? 'CreateTime',
            ...topicTimestampBounds(ctx.config, configs),
            now: Date.now(),
            topicPartition: `${t.name}-${p.index}`,
          });
          if (!validated.ok) return fail(validated.errorCode, validated.message ?? 'invalid record batch', validated, validated.errorCode === ErrorCode.CORRUPT_MESSAGE ? -1n : logStart());
          const sequence = log.checkSequences(checked.batches);
          if (sequence.kind === 'error') return fail(sequence.errorCode, sequence.message, undefined, logStart());
          // A retry of batches already written: answer with their offset and, as Kafka does, the
          // original batch's max timestamp as logAppendTimeMs (its append time on LogAppendTime
          // topics, its create time otherwise); write nothing.
          if (sequence.kind === 'duplicate') {
            const response = { index: p.index, errorCode: 0, baseOffset: BigInt(sequence.baseOffset), logAppendTimeMs: BigInt(sequence.timestamp), ...(request.apiVersion >= 5 ? { logStartOffset: BigInt(log.logStartOffset) } : {}) };
            // A retry after a replication timeout is acknowledged only once the first copy is replicated.
            const end = checked.batches.reduce((o, b) => o + b.header.lastOffsetDelta + 1, sequence.baseOffset);
            if (req.acks === -1) replicated.push({ response, done: ctx.replicas.waitForReplication(t.name, p.index, end, minIsr, req.timeoutMs) });
            return response;
          }
          const result = log.append(blob, checked.batches, lead.leaderEpoch);
          ctx.replicas.onLeaderAppend(t.name, p.index);
          ctx.metrics.bytesIn.inc({ topic: t.name }, raw.length);
          ctx.metrics.meteredBytes.inc({ direction: 'in', topic: t.name, principal: session.principal, listener: session.listener }, raw.length);
          appended = true;
          const response = { index: p.index, errorCode: 0, baseOffset: result.baseOffset, logAppendTimeMs: result.logAppendTime, ...(request.apiVersion >= 5 ? { logStartOffset: result.logStartOffset } : {}) };
          if (result.durable) pending.push({ response, durable: result.durable });
          if (req.acks === -1) replicated.push({ response, done: ctx.replicas.waitForReplication(t.name, p.index, result.nextOffset, minIsr, req.timeoutMs) });
          return response;
        }),
      };
    });
    if (appended) ctx.appends.notify();
    // Acknowledge only what is on disk when the flush settings ask for it; a failed fdatasync is a storage error.
    await Promise.all(
      pending.map(({ response, durable }) =>
        durable.catch((err: unknown) => {
          ctx.logger.log('error', 'fdatasync failed', { error: err instanceof Error ? err.message : String(err) });
          response.errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
        }),
      ),
    );
    await Promise.all(
      replicated.map(async ({ response, done }) => {
        const errorCode = await done;
        if (errorCode !== 0 && response.errorCode === 0) {
          response.errorCode = errorCode;
          // The batch is in the leader's log, but not acknowledged: the producer retries it (and the
          // idempotent producer's sequence numbers make the retry a duplicate, not a second copy).
          response.baseOffset = -1n;
        }
      }),
    );
    return req.acks === 0 ? undefined : { responses, throttleTimeMs: 0, ...(request.apiVersion >= 10 ? { nodeEndpoints: hints.endpoints() } : {}) };
  },
});

/** Whether any partition's first batch is a transactional v2 batch (Kafka's ProduceRequest.hasTransactionalRecords). */
function hasTransactionalRecords(topics: { partitionData: { records: unknown }[] }[]): boolean {
  return topics.some((t) => t.partitionData.some((p) => {
    const raw = p.records as Buffer | null;
    return !!raw && raw.length >= BatchHeader.SIZE && raw.readInt8(BatchHeader.MAGIC) === 2 && (raw.readInt16BE(BatchHeader.ATTRIBUTES) & TRANSACTIONAL_FLAG) !== 0;
  }));
}

/**
 * Produce v3+ carries exactly one v2 record batch per partition (Kafka's
 * ProduceRequest.validateRecords: INVALID_RECORD otherwise), and zstd only from v7
 * (UNSUPPORTED_COMPRESSION_TYPE).
 */
function oneV2Batch(raw: Buffer | null, apiVersion: number): { errorCode: number; reason: string } | null {
  if (!raw || raw.length < BatchHeader.SIZE) return { errorCode: ErrorCode.INVALID_RECORD, reason: `Produce v${apiVersion} must have at least one record batch per partition` };
  const magic = raw.readInt8(BatchHeader.MAGIC);
  // Kafka cannot even iterate a batch of a magic it does not know (CorruptRecordException: "Invalid magic found in record").
  if (magic < 0 || magic > 2) return { errorCode: ErrorCode.CORRUPT_MESSAGE, reason: `invalid magic ${magic} in record batch` };
  if (magic !== 2) return { errorCode: ErrorCode.INVALID_RECORD, reason: `Produce v${apiVersion} only carries record batches with magic 2, got ${magic}` };
  if (apiVersion < 7 && (raw.readInt16BE(BatchHeader.ATTRIBUTES) & 0x07) === Compression.zstd) return { errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, reason: `Produce v${apiVersion} may not use zstd` };
  const { batches, partialBytes } = splitBatches(raw);
  if (batches.length > 1 || (batches.length === 1 && partialBytes > 0)) return { errorCode: ErrorCode.INVALID_RECORD, reason: `Produce v${apiVersion} carries exactly one record batch per partition` };
  return null;
}
