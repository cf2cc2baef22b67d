import { BatchHeader } from '@tributary/protocol';
import { TRANSACTIONAL_FLAG } from '../log/transaction-index.ts';
import type { BrokerContext } from './context.ts';
import { addImplicitly } from './txn-implicit-add.ts';

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
  const byProducer = new Map<string, { producerId: bigint; producerEpoch: number; partitions: { topic: string; partition: number }[] }>();
  for (const t of topics) {
    for (const p of t.partitionData) {
      const raw = p.records as Buffer | null;
      if (!raw || raw.length < BatchHeader.SIZE || raw.readInt8(BatchHeader.MAGIC) !== 2 || (raw.readInt16BE(BatchHeader.ATTRIBUTES) & TRANSACTIONAL_FLAG) === 0) continue;
      const lead = ctx.replicas.leaderFor(t.name, p.index);
      if (!lead.ok) continue;
      const producerId = raw.readBigInt64BE(BatchHeader.PRODUCER_ID);
      const producerEpoch = raw.readInt16BE(BatchHeader.PRODUCER_EPOCH);
      if (lead.log.ongoingTransactions().has(producerId)) continue;
      const key = `${producerId}/${producerEpoch}`;
      const entry = byProducer.get(key) ?? { producerId, producerEpoch, partitions: [] };
      entry.partitions.push({ topic: t.name, partition: p.index });
      byProducer.set(key, entry);
    }
  }
  await Promise.all(
    [...byProducer.values()].map(async (e) => {
      const code = await addImplicitly(ctx, transactionalId, e.producerId, e.producerEpoch, e.partitions);
      if (code !== 0) for (const p of e.partitions) refused.set(`${p.topic}\0${p.partition}`, code);
    }),
  );
  return refused;
}
