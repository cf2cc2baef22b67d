/** Small helpers shared by the benchmark scripts: timing loops and a machine-limits probe. */
export interface Rate {
  opsPerSec: number;
  bytesPerSec: number;
}

/** Runs `fn` repeatedly for `ms` (after a short warm-up) and reports the rate. */
export async function rate(fn: () => unknown, bytesPerOp: number, ms = 1500): Promise<Rate> {
  const warm = Date.now() + Math.min(300, ms / 4);
  while (Date.now() < warm) await fn();
  let ops = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < end) {
    await fn();
    ops++;
    now = process.hrtime.bigint();
  }
  const seconds = Number(now - start) / 1e9;
  return { opsPerSec: ops / seconds, bytesPerSec: (ops * bytesPerOp) / seconds };
}

export const mbps = (r: Rate) => `${(r.bytesPerSec / 1e6).toFixed(0)} MB/s`;
export const gbps = (r: Rate) => `${(r.bytesPerSec / 1e9).toFixed(2)} GB/s`;

/** Memory bandwidth as this process sees it: the ceiling for any byte-shuffling code. */
export async function machineLimits(): Promise<Record<string, string>> {
  const src = Buffer.alloc(1 << 20, 1);
  const dst = Buffer.alloc(1 << 20);
  const copy = await rate(() => src.copy(dst), src.length, 1000);
  const fresh = await rate(() => Buffer.alloc(1 << 20), 1 << 20, 1000);
  return {
    cpus: String((await import('node:os')).cpus().length),
    node: process.version,
    'memcpy 1 MiB (touched memory)': gbps(copy),
    'Buffer.alloc 1 MiB (fresh, zeroed memory)': gbps(fresh),
  };
}
