import type { KafkaAdminClient } from '@tributary/kafka-admin';
import type { z } from 'zod';
import type { PartitionStateListSchema } from '@tributary/contracts';
import { notFound } from '../errors.ts';

export type PartitionStateList = z.infer<typeof PartitionStateListSchema>;

/**
 * Leader, replicas, ISR, offsets and size of every partition of a topic, as the brokers see it now.
 * Offsets and sizes come from each partition's leader (the admin client routes ListOffsets and
 * DescribeLogDirs there); a partition without a leader shows size -1.
 */
export async function readPartitions(admin: KafkaAdminClient, topic: string): Promise<PartitionStateList> {
  const metadata = await admin.metadata([topic]).catch((err: unknown) => {
    if ((err as { errorName?: string }).errorName === 'UNKNOWN_TOPIC_OR_PARTITION') throw notFound('topic on the brokers (not created yet?)');
    throw err;
  });
  const found = metadata.topics.find((t) => t.name === topic);
  if (!found || found.partitions.length === 0) throw notFound('topic on the brokers (not created yet?)');
  const indexes = found.partitions.map((p) => p.partition);
  const [start, end, sizes] = await Promise.all([admin.listOffsets(topic, indexes, 'earliest'), admin.listOffsets(topic, indexes, 'latest'), admin.partitionSizes(topic)]);
  return {
    topic,
    partitions: found.partitions.map((p) => ({
      partition: p.partition,
      leader: p.leader,
      replicas: p.replicas,
      isr: p.isr,
      underReplicated: p.isr.length < p.replicas.length,
      startOffset: Number(start.get(p.partition) ?? -1n),
      endOffset: Number(end.get(p.partition) ?? -1n),
      sizeBytes: Number(sizes.get(p.partition) ?? -1n),
    })),
  };
}
