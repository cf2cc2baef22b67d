import { createDb, Prisma, type Db } from '@tributary/db';
import { admitSamples, brokerKey, type SampleAdmission } from './admission.ts';
import { DIMENSIONS, hourOf, rollupHour, type MinuteSample } from './rollup.ts';

export const SOURCE = 'metering';
/** The advisory lock key that serialises sample insertion (any constant no other lock uses: 'meter_sample' as int). */
const SAMPLE_INSERT_LOCK = 0x6d73616d;
/** Brokers' samples per insert transaction. */
const SAMPLE_INSERT_CHUNK = 250;

/** Rows of meter_sample as rollupHour wants them. */
function toSample(r: { nodeId: number; minute: Date; epoch: bigint; counters: Prisma.JsonValue; replicas: number; logBytes: bigint }): MinuteSample {
  return { nodeId: r.nodeId, minute: r.minute, epoch: r.epoch, counters: r.counters as Record<string, string>, replicas: r.replicas, logBytes: r.logBytes };
}

/**
 * The metering tables (prisma/schema.prisma: meter_sample, usage_hour, usage_adjustment,
 * chargeback_hour). Samples are inserted with ON CONFLICT DO NOTHING on their natural key; an hour is
 * recomputed from its samples under a transaction-scoped advisory lock on (instance, hour), so two
 * operators rolling up the same hour take turns and write the same numbers.
 */
export class UsageStore {
  readonly #db: Db;
  readonly #own: boolean;
  constructor(db: Db | string) {
    this.#own = typeof db === 'string';
    this.#db = typeof db === 'string' ? createDb(db, { max: 4 }) : db;
  }
  get db(): Db { return this.#db; }

  /** PostgreSQL's clock: the one clock every operator shares, so stamps and hour closing are judged by it and never by a host's own. */
  async clock(): Promise<Date> {
    const [r] = await this.#db.$queryRaw<{ now: Date }[]>`SELECT clock_timestamp() AS now`;
    return r!.now;
  }

  /**
   * Admits samples (admission.ts decides each one) and inserts those admitted. One sample insertion
   * at a time across every operator (a transaction-scoped advisory lock): the check of each broker's
   * latest stored minute and the insert are then one step, so two passes cannot interleave minutes.
   */
  async insertSamples(rows: (MinuteSample & { instanceId: string })[], o: { now: Date; maxFutureMs?: number; oldest?: Date }): Promise<SampleAdmission<MinuteSample & { instanceId: string }>> {
    // In chunks, each its own short transaction: one over 3,000 brokers outlived the 30 s transaction
    // timeout on a loaded machine (bench/metering). A pass holds one sample per broker, so no broker's
    // samples are split between chunks.
    const out = admitSamples<MinuteSample & { instanceId: string }>([], new Map(), o);
    for (let i = 0; i < rows.length; i += SAMPLE_INSERT_CHUNK) {
      const part = await this.#insertChunk(rows.slice(i, i + SAMPLE_INSERT_CHUNK), o);
      out.admitted.push(...part.admitted);
      out.stored.push(...part.stored);
      for (const reason of ['duplicate', 'stale', 'future'] as const) out.refused[reason] += part.refused[reason];
    }
    return out;
  }

  async #insertChunk(rows: (MinuteSample & { instanceId: string })[], o: { now: Date; maxFutureMs?: number; oldest?: Date }): Promise<SampleAdmission<MinuteSample & { instanceId: string }>> {
    return this.#db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${SAMPLE_INSERT_LOCK})`;
      const latest = await tx.$queryRaw<{ instance_id: string; node_id: number; last: Date | null }[]>`
        SELECT k.instance_id, k.node_id,
          (SELECT s.minute FROM meter_sample s WHERE s.instance_id = k.instance_id AND s.node_id = k.node_id ORDER BY s.minute DESC LIMIT 1) AS last
        FROM unnest(${rows.map((r) => r.instanceId)}::text[], ${rows.map((r) => r.nodeId)}::int[]) AS k(instance_id, node_id)`;
      const last = new Map(latest.filter((l) => l.last !== null).map((l) => [brokerKey(l.instance_id, l.node_id), l.last!]));
      const admission = admitSamples(rows, last, o);
      if (admission.admitted.length > 0) {
        await tx.meterSample.createMany({
          data: admission.admitted.map((s) => ({ instanceId: s.instanceId, nodeId: s.nodeId, minute: s.minute, epoch: s.epoch, counters: s.counters, replicas: s.replicas, logBytes: s.logBytes })),
          skipDuplicates: true,
        });
      }
      return admission;
    });
  }

  /**
   * Deletes samples stamped before `before`, keeping each broker's latest one (the baseline of its next
   * hour and the reference of the stale rule). The hours they made are kept in usage_hour; raw samples
   * cost ~1.4 KiB a broker-minute with 10 topics (bench/README.md), so they are kept for a while only.
   */
  async pruneSamples(before: Date): Promise<number> {
    return this.#db.$executeRaw`
      DELETE FROM meter_sample s WHERE s.minute < ${before}
        AND EXISTS (SELECT 1 FROM meter_sample n WHERE n.instance_id = s.instance_id AND n.node_id = s.node_id AND n.minute > s.minute)`;
  }

  /** Hours still open before `before` (to be closed), with the instances they belong to. */
  async openHours(before: Date): Promise<{ instanceId: string; hourStart: Date }[]> {
    return this.#db.usageHour.findMany({ where: { closed: false, hourStart: { lt: before }, source: SOURCE }, distinct: ['instanceId', 'hourStart'], select: { instanceId: true, hourStart: true } });
  }

  /**
   * Recomputes one hour from its samples. Open hour: the usage and chargeback rows are replaced by the
   * recomputation. Closed hour: nothing in it changes; a difference from what was closed (plus the
   * adjustments already recorded) becomes a new usage_adjustment. `close` closes the hour after
   * writing it (the caller decides when an hour is past its grace period).
   */
  async rollup(instanceId: string, hourStart: Date, close: boolean): Promise<{ adjusted: number }> {
    const hour = hourOf(hourStart);
    const end = new Date(hour.getTime() + 3_600_000);
    return this.#db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${instanceId}), ${Math.floor(hour.getTime() / 3_600_000) | 0})`;
      const samples = (await tx.meterSample.findMany({ where: { instanceId, minute: { gte: hour, lt: end } }, orderBy: [{ nodeId: 'asc' }, { minute: 'asc' }] })).map(toSample);
      const baselines = (await tx.$queryRaw<{ node_id: number; minute: Date; epoch: bigint; counters: Prisma.JsonValue; replicas: number; log_bytes: bigint }[]>`
        SELECT DISTINCT ON (node_id) node_id, minute, epoch, counters, replicas, log_bytes FROM meter_sample
        WHERE instance_id = ${instanceId} AND minute < ${hour} ORDER BY node_id, minute DESC`)
        .map((r) => toSample({ nodeId: r.node_id, minute: r.minute, epoch: r.epoch, counters: r.counters, replicas: r.replicas, logBytes: r.log_bytes }));
      const usage = rollupHour(baselines, samples);
      const existing = await tx.usageHour.findMany({ where: { instanceId, hourStart: hour, source: SOURCE } });
      if (existing.some((e) => e.closed)) {
        let adjusted = 0;
        for (const dimension of DIMENSIONS) {
          const closedRow = existing.find((e) => e.dimension === dimension);
          const adjustments = await tx.usageAdjustment.findMany({ where: { instanceId, dimension, hourStart: hour, source: SOURCE }, select: { seq: true, quantity: true } });
          const known = BigInt((closedRow?.quantity ?? new Prisma.Decimal(0)).toFixed(0)) + adjustments.reduce((s, a) => s + BigInt(a.quantity.toFixed(0)), 0n);
          const diff = usage.quantities[dimension] - known;
          // Peak bandwidth is a maximum, not a sum: only a higher peak adjusts it.
          if (diff === 0n || (dimension === 'peak-bandwidth-mbps-hour' && diff < 0n)) continue;
          const seq = adjustments.reduce((m, a) => Math.max(m, a.seq), 0) + 1;
          await tx.usageAdjustment.create({ data: { instanceId, dimension, hourStart: hour, source: SOURCE, seq, quantity: new Prisma.Decimal(diff.toString()) } });
          adjusted++;
        }
        return { adjusted };
      }
      // The hour's dimensions in one statement, not an upsert each: Prisma compiles every query on the
      // operator's thread, and these were most of a pass's queries (bench/README.md, Metering).
      // updated_at as Prisma's @updatedAt sets it: this process's time of the write.
      await tx.$executeRaw`
        INSERT INTO usage_hour (instance_id, dimension, hour_start, source, quantity, samples, closed, updated_at)
        SELECT ${instanceId}, d.dimension, ${hour}, ${SOURCE}, d.quantity::numeric, ${usage.samples}, ${close}, ${new Date()}
        FROM unnest(${[...DIMENSIONS]}::text[], ${DIMENSIONS.map((d) => usage.quantities[d].toString())}::text[]) AS d(dimension, quantity)
        ON CONFLICT (instance_id, dimension, hour_start, source) DO UPDATE
          SET quantity = EXCLUDED.quantity, samples = EXCLUDED.samples, closed = EXCLUDED.closed, updated_at = EXCLUDED.updated_at`;
      await tx.chargebackHour.deleteMany({ where: { instanceId, hourStart: hour } });
      if (usage.chargeback.length > 0) {
        await tx.chargebackHour.createMany({ data: usage.chargeback.map((c) => ({ instanceId, hourStart: hour, ...c, bytes: new Prisma.Decimal(c.bytes.toString()) })) });
      }
      return { adjusted: 0 };
    });
  }

  async close(): Promise<void> {
    if (this.#own) await this.#db.$disconnect();
  }
}
