import { encodeRecordBatch } from '@tributary/protocol';

/**
 * Request bodies of a transaction of version 1 (the producer adds its partitions and its group
 * itself: AddPartitionsToTxn v0–3, AddOffsetsToTxn), as a Java producer fills them, for the
 * differential transaction scenarios (protocol-transactions.test.ts on one broker,
 * protocol-cluster.test.ts on a cluster with the coordinator killed).
 */

/** The producer a transaction runs as: InitProducerId's answer. */
export interface TxnProducer {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
}

/** InitProducerId as a (re)starting producer sends it: no producer id or epoch of its own. */
export function initProducerIdBody(transactionalId: string, transactionTimeoutMs = 60_000) {
  return { transactionalId, transactionTimeoutMs, producerId: -1n, producerEpoch: -1 };
}

/** AddPartitionsToTxn v0–3 (one transaction, the fields v4 renamed). */
export function addPartitionsBody(p: TxnProducer, topics: { name: string; partitions: number[] }[]) {
  return { v3AndBelowTransactionalId: p.transactionalId, v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: topics };
}

/** A transactional batch of the producer (timestamps of now: see protocol-cluster's retention note). */
export function transactionalBatch(p: Pick<TxnProducer, 'producerId' | 'producerEpoch'>, baseSequence: number, values: string[]): Buffer {
  return encodeRecordBatch({ baseOffset: 0n, isTransactional: true, producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence, records: values.map((value) => ({ value })) });
}

/** Produce (by topic name, v3–12) of one batch to one partition; `transactionalId` null for a batch sent without one. */
export function transactionalProduceBody(transactionalId: string | null, topic: string, partition: number, records: Buffer) {
  return { transactionalId, acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] };
}

export function addOffsetsBody(p: TxnProducer, groupId: string) {
  return { transactionalId: p.transactionalId, producerId: p.producerId, producerEpoch: p.producerEpoch, groupId };
}

/** TxnOffsetCommit v0–5 (v5: transaction version 2, the group added by the coordinator) of a producer that is no group member (generation -1, as sendOffsetsToTransaction with a group id only). */
export function txnOffsetCommitBody(p: TxnProducer, groupId: string, topic: string, offsets: [partition: number, offset: bigint][]) {
  return {
    transactionalId: p.transactionalId,
    groupId,
    producerId: p.producerId,
    producerEpoch: p.producerEpoch,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [{ name: topic, partitions: offsets.map(([partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, committedMetadata: 'm' })) }],
  };
}

export function endTxnBody(p: TxnProducer, committed: boolean) {
  return { transactionalId: p.transactionalId, producerId: p.producerId, producerEpoch: p.producerEpoch, committed };
}
