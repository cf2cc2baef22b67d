import type { Connection } from '../connection.ts';
import type { LagSample } from '../types.ts';

/** Consumer-group lag history (jobs/lag-sampler.ts writes, GET …/lag-history reads). */
export class LagRepository {
  readonly #c: Connection;
  constructor(c: Connection) { this.#c = c; }

  /** Instances the sampler can reach: live, with brokers the operator reported. */
  async targets(): Promise<{ id: string; bootstrapServers: string }[]> {
    const rows = await this.#c.db.instanceStatus.findMany({
      where: { internalBootstrapServers: { not: null }, instance: { deletedAt: null } },
      select: { instanceId: true, internalBootstrapServers: true },
    });
    return rows.map((r) => ({ id: r.instanceId, bootstrapServers: r.internalBootstrapServers! }));
  }

  /** One statement for a tick's points; a point already written for the interval (another replica) is overwritten. */
  async record(rows: readonly LagSample[]): Promise<void> {
    if (rows.length === 0) return;
    await this.#c.db.$executeRaw`
      INSERT INTO consumer_group_lag (instance_id, "group", topic, at, lag)
      SELECT * FROM unnest(${rows.map((r) => r.instanceId)}::text[], ${rows.map((r) => r.group)}::text[], ${rows.map((r) => r.topic)}::text[],
                           ${rows.map((r) => r.at.toISOString())}::timestamptz[], ${rows.map((r) => String(r.lag))}::bigint[])
      ON CONFLICT (instance_id, "group", topic, at) DO UPDATE SET lag = EXCLUDED.lag`;
  }

  async prune(before: Date): Promise<number> {
    return (await this.#c.db.consumerGroupLag.deleteMany({ where: { at: { lt: before } } })).count;
  }

  async history(instanceId: string, group: string, from: Date, to: Date): Promise<LagSample[]> {
    const rows = await this.#c.db.consumerGroupLag.findMany({ where: { instanceId, group, at: { gte: from, lte: to } }, orderBy: [{ topic: 'asc' }, { at: 'asc' }] });
    return rows.map((r) => ({ instanceId: r.instanceId, group: r.group, topic: r.topic, at: r.at, lag: Number(r.lag) }));
  }
}
