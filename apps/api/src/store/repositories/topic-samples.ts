import type { Connection } from '../connection.ts';
import type { TopicSample } from '../types.ts';

/** Topic samples (jobs/topic-sampler.ts writes, the topic list reads the last two of each topic). */
export class TopicSampleRepository {
  readonly #c: Connection;
  constructor(c: Connection) { this.#c = c; }

  /** One statement for a tick's samples; a sample already written for the interval (another replica) is overwritten. */
  async record(rows: readonly TopicSample[]): Promise<void> {
    if (rows.length === 0) return;
    await this.#c.db.$executeRaw`
      INSERT INTO topic_sample (instance_id, topic, at, end_offsets, size_bytes)
      SELECT * FROM unnest(${rows.map((r) => r.instanceId)}::text[], ${rows.map((r) => r.topic)}::text[], ${rows.map((r) => r.at.toISOString())}::timestamptz[],
                           ${rows.map((r) => String(r.endOffsets))}::bigint[], ${rows.map((r) => String(r.sizeBytes))}::bigint[])
      ON CONFLICT (instance_id, topic, at) DO UPDATE SET end_offsets = EXCLUDED.end_offsets, size_bytes = EXCLUDED.size_bytes`;
  }

  async prune(before: Date): Promise<number> {
    return (await this.#c.db.topicSample.deleteMany({ where: { at: { lt: before } } })).count;
  }

  /** The newest two samples of each named topic of an instance, newest first (one indexed read for a page of topics). */
  async latest(instanceId: string, topics: readonly string[]): Promise<TopicSample[]> {
    if (topics.length === 0) return [];
    const rows = await this.#c.db.$queryRaw<{ topic: string; at: Date; end_offsets: bigint; size_bytes: bigint }[]>`
      SELECT s.topic, s.at, s.end_offsets, s.size_bytes
      FROM unnest(${[...topics]}::text[]) AS t(name)
      CROSS JOIN LATERAL (
        SELECT topic, at, end_offsets, size_bytes FROM topic_sample
        WHERE instance_id = ${instanceId} AND topic = t.name ORDER BY at DESC LIMIT 2
      ) s`;
    return rows.map((r) => ({ instanceId, topic: r.topic, at: r.at, endOffsets: BigInt(r.end_offsets), sizeBytes: BigInt(r.size_bytes) }))
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : b.at.getTime() - a.at.getTime()));
  }
}
