/**
 * Which samples of a pass may be stored: the clock-skew rule of metering.
 *
 * A sample is stamped by the collector with the minute its job was scheduled for (a retry re-stamps
 * the same minute: exactly once by the natural key). Stamps come from whichever operator scheduled
 * the job, so they carry that host's clock; the rollup orders a broker's samples by their stamps and
 * reads a counter that went down as a reset. A stamp out of order with the counters therefore does
 * not shift usage by a minute: it makes the next sample look like a reset and counts the whole
 * cumulative counter again. Two stamps are refused for that reason:
 * - `future`: later than PostgreSQL's clock (the one clock all operators share) by more than
 *   `maxFutureMs`: a scheduling host whose clock runs ahead. Stored, it would be followed by the
 *   honest samples of earlier minutes with higher counters.
 * - `stale`: at or before a minute already stored for that broker without being that same minute —
 *   a late retry, or a host whose clock runs behind, after a later minute was metered. Its counters
 *   are newer than the later minute's.
 * - `stale` too: before `oldest`, when raw samples are pruned (the hour's own samples or its baseline
 *   may be gone, so its recomputation would be wrong).
 * Equal minutes are `duplicate` (a re-run: nothing to do). Refusing loses no bytes: counters are
 * cumulative, so the next admitted sample counts them; only the refused minute's gauges (partition
 * replicas, used disk, a broker-minute running) go unbilled, in the customer's favour. A late sample
 * whose minute is after the broker's latest stays welcome (late usage: an open hour is updated, a
 * closed one adjusted).
 */
export type Refusal = 'duplicate' | 'stale' | 'future';
/** `admitted` are to be inserted; `stored` are admitted or duplicates: the samples whose hours a pass recomputes (a run that died after its insert left its hours to the next). */
export interface SampleAdmission<T> { admitted: T[]; stored: T[]; refused: Record<Refusal, number> }

/** Default bound on a stamp ahead of the database clock: a minute (stamps are the start of their minute). */
export const MAX_FUTURE_MS = 60_000;

export const brokerKey = (instanceId: string, nodeId: number) => `${instanceId}\u0000${nodeId}`;

/** Pure: `latest` is each broker's latest stored minute; `now` the database clock. */
export function admitSamples<T extends { instanceId: string; nodeId: number; minute: Date }>(rows: readonly T[], latest: ReadonlyMap<string, Date>, o: { now: Date; maxFutureMs?: number; oldest?: Date }): SampleAdmission<T> {
  const refused: Record<Refusal, number> = { duplicate: 0, stale: 0, future: 0 };
  const admitted: T[] = [];
  const stored: T[] = [];
  const limit = o.now.getTime() + (o.maxFutureMs ?? MAX_FUTURE_MS);
  const seen = new Map(latest);
  for (const r of rows) {
    const key = brokerKey(r.instanceId, r.nodeId);
    const last = seen.get(key)?.getTime();
    const t = r.minute.getTime();
    if (t > limit) refused.future++;
    else if (o.oldest && t < o.oldest.getTime()) refused.stale++;
    else if (last !== undefined && t === last) { refused.duplicate++; stored.push(r); }
    else if (last !== undefined && t < last) refused.stale++;
    else {
      admitted.push(r);
      stored.push(r);
      seen.set(key, r.minute);
    }
  }
  return { admitted, stored, refused };
}
