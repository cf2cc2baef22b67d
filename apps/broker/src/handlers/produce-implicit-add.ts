import { BatchHeader, ErrorCode } from '@tributary/protocol';
import { TRANSACTIONAL_FLAG } from '../log/transaction-index.ts';
import type { TopicPartition } from '../txn/transaction-coordinator.ts';
import type { BrokerContext } from './context.ts';
import { addImplicitly, verifyAtCoordinator } from './txn-implicit-add.ts';

type ProduceTopics = { name: string; partitionData: { index: number; records: unknown }[] }[];

/**
 * Produce v12+ (transaction version 2, KIP-890 part 2): before a transactional batch is written,
 * its partition joins the producer's transaction at the coordinator (txn-implicit-add.ts). A
 * partition whose log already holds a running transaction of this producer is in it already and
 * costs no round trip. Returns the refusal per partition (`topic\0partition` → error code);
 * partitions this broker does not lead are left to the produce path's own checks.
 */
export async function addProducedPartitions(ctx: BrokerContext, transactionalId: string | null, topics: ProduceTopics): Promise<Map<string, number>> {
  const refused = new Map<string, number>();
  if (transactionalId === null) return refused;
  await Promise.all(
    unjoinedByProducer(ctx, topics).map(async (e) => {
      const code = await addImplicitly(ctx, transactionalId, e.producerId, e.producerEpoch, e.partitions);
      if (code !== 0) for (const p of e.partitions) refused.set(`${p.topic}\0${p.partition}`, code);
    }),
  );
  return refused;
}

/**
 * Produce v3–11 (transaction version 1, KIP-890 part 1): the client added its partitions with
 * AddPartitionsToTxn, and the leader checks that it did before writing a transactional batch to a
 * partition where the producer has no running transaction yet: AddPartitionsToTxn verify-only at
 * the coordinator. A batch of a transaction that already ended, or of one that never added the
 * partition, would otherwise start a transaction no marker will ever end (the "hanging
 * transaction" the KIP is about). A partition not in the transaction is refused with
 * INVALID_TXN_STATE, or TRANSACTION_ABORTABLE for Produce v11, whose clients know that error: what
 * Apache Kafka 4.4 answers (test/conformance/protocol-transactions.test.ts). Off with
 * `transaction.partition.verification.enable=false`, as in Kafka.
 */
export async function verifyProducedPartitions(ctx: BrokerContext, transactionalId: string | null, topics: ProduceTopics, apiVersion: number): Promise<Map<string, number>> {
  const refused = new Map<string, number>();
  if (transactionalId === null || ctx.config.settings['transaction.partition.verification.enable'] !== 'true') return refused;
  await Promise.all(
    unjoinedByProducer(ctx, topics).map(async (e) => {
      const answer = await verifyAtCoordinator(ctx, transactionalId, e.producerId, e.producerEpoch, e.partitions);
      for (const p of e.partitions) {
        const code = answer(p);
        if (code === ErrorCode.TRANSACTION_ABORTABLE && apiVersion < 11) refused.set(`${p.topic}\0${p.partition}`, ErrorCode.INVALID_TXN_STATE);
        else if (code !== 0) refused.set(`${p.topic}\0${p.partition}`, code);
      }
    }),
  );
  return refused;
}

/**
 * The partitions this broker leads that get a transactional batch of a producer with no running
 * transaction in their log yet, grouped by producer id and epoch (one coordinator call each).
 */
function unjoinedByProducer(ctx: BrokerContext, topics: ProduceTopics): { producerId: bigint; producerEpoch: number; partitions: TopicPartition[] }[] {
  const byProducer = new Map<string, { producerId: bigint; producerEpoch: number; partitions: TopicPartition[] }>();
  for (const t of topics) {
    for (const p of t.partitionData) {
      const raw = p.records as Buffer | null;
      if (!raw || raw.length < BatchHeader.SIZE || raw.readInt8(BatchHeader.MAGIC) !== 2 || (raw.readInt16BE(BatchHeader.ATTRIBUTES) & TRANSACTIONAL_FLAG) === 0) continue;
      const lead = ctx.replicas.leaderFor(t.name, p.index);
      if (!lead.ok) continue;
      const producerId = raw.readBigInt64BE(BatchHeader.PRODUCER_ID);
      const producerEpoch = raw.readInt16BE(BatchHeader.PRODUCER_EPOCH);
      // Only a running transaction of the batch's own epoch has the partition already. Transaction
      // version 2 bumps the epoch at every end: a batch of the next transaction may reach a leader
      // before the previous transaction's marker does, and skipping the coordinator then puts it
      // into that transaction, ended by its marker with the other outcome (aborted records read,
      // committed ones dropped, as test/cluster/transactions-anomalies found). The coordinator
      // answers CONCURRENT_TRANSACTIONS until the marker is written, and the client retries.
      if (lead.log.hasOngoingTransaction(producerId, producerEpoch)) continue;
      const key = `${producerId}/${producerEpoch}`;
      const entry = byProducer.get(key) ?? { producerId, producerEpoch, partitions: [] };
      entry.partitions.push({ topic: t.name, partition: p.index });
      byProducer.set(key, entry);
    }
  }
  return [...byProducer.values()];
}
