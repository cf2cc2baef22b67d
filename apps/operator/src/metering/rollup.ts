/**
 * Per-minute samples of an instance's brokers → one hour's usage, as a pure function of the samples:
 * the hour is recomputed from what is stored every time, so re-runs, retried jobs and a second
 * operator (whose duplicate samples the natural key refused) can never count anything twice.
 *
 * Counters (bytes) are cumulative per broker. The increase between two consecutive samples of a
 * broker is counted in the hour of the later sample; a counter that went down, or a changed metering
 * epoch, is a reset (the broker restarted after a crash) and counts the new value from zero, as
 * Prometheus' increase() does. A broker's first sample ever counts everything since its epoch. Gauges
 * (partition replicas, log bytes) count their value for the sample's minute (60 s each); a minute
 * without a sample is not filled in (the customer is never charged for what was not seen); each
 * sample is also 60 broker-seconds of the instance running (instance-hours as measured). Peak
 * bandwidth is the highest per-minute produce+fetch rate of the hour, summed over the brokers.
 */
export interface MinuteSample { nodeId: number; minute: Date; epoch: bigint; counters: Record<string, string>; replicas: number; logBytes: bigint }

export const DIMENSIONS = ['bytes-in-gib', 'bytes-out-gib', 'partition-hour', 'disk-used-gib-hour', 'peak-bandwidth-mbps-hour', 'running-broker-hour'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export interface ChargebackRow { direction: string; topic: string; principal: string; listener: string; bytes: bigint }
export interface HourUsage { quantities: Record<Dimension, bigint>; samples: number; chargeback: ChargebackRow[] }

/**
 * `baselines`: each broker's latest sample before the hour (if any); `samples`: the hour's samples.
 */
export function rollupHour(baselines: readonly MinuteSample[], samples: readonly MinuteSample[]): HourUsage {
  const q: Record<Dimension, bigint> = { 'bytes-in-gib': 0n, 'bytes-out-gib': 0n, 'partition-hour': 0n, 'disk-used-gib-hour': 0n, 'peak-bandwidth-mbps-hour': 0n, 'running-broker-hour': 0n };
  const charge = new Map<string, bigint>();
  const ratePerMinute = new Map<number, number>();
  const prevOf = new Map<number, MinuteSample>(baselines.map((b) => [b.nodeId, b]));
  const ordered = [...samples].sort((a, b) => a.nodeId - b.nodeId || a.minute.getTime() - b.minute.getTime());
  for (const s of ordered) {
    const prev = prevOf.get(s.nodeId);
    const sameEpoch = prev !== undefined && prev.epoch === s.epoch;
    let moved = 0n;
    for (const [key, text] of Object.entries(s.counters)) {
      const v = BigInt(text);
      const before = sameEpoch && prev.counters[key] !== undefined ? BigInt(prev.counters[key]!) : 0n;
      const delta = v >= before ? v - before : v; // a decrease is a reset: the new value counts from zero
      if (delta === 0n) continue;
      const direction = (JSON.parse(key) as string[])[0];
      if (direction === 'in') q['bytes-in-gib'] += delta; else q['bytes-out-gib'] += delta;
      charge.set(key, (charge.get(key) ?? 0n) + delta);
      moved += delta;
    }
    const seconds = prev ? Math.max(1, (s.minute.getTime() - prev.minute.getTime()) / 1000) : 60;
    const m = s.minute.getTime();
    ratePerMinute.set(m, (ratePerMinute.get(m) ?? 0) + Number(moved) / seconds);
    q['partition-hour'] += BigInt(s.replicas) * 60n;
    q['running-broker-hour'] += 60n; // the broker answered this minute: a broker-minute of the instance running
    q['disk-used-gib-hour'] += s.logBytes * 60n;
    prevOf.set(s.nodeId, s);
  }
  q['peak-bandwidth-mbps-hour'] = BigInt(Math.floor(Math.max(0, ...ratePerMinute.values())));
  const chargeback = [...charge].map(([key, bytes]) => {
    const [direction = '', topic = '', principal = '', listener = ''] = JSON.parse(key) as string[];
    return { direction, topic, principal, listener, bytes };
  }).sort((a, b) => (a.direction + a.topic + a.principal + a.listener < b.direction + b.topic + b.principal + b.listener ? -1 : 1));
  return { quantities: q, samples: samples.length, chargeback };
}

export const hourOf = (d: Date): Date => new Date(Math.floor(d.getTime() / 3_600_000) * 3_600_000);
export const minuteOf = (d: Date): Date => new Date(Math.floor(d.getTime() / 60_000) * 60_000);
