/**
 * Benchmark payloads shaped like event data: JSON objects of varied words and numbers, ~1 KiB each.
 * A seeded 32-bit generator (mulberry32) keeps runs comparable and never degenerates into repeats,
 * which would flatter the compressors with long-range matches.
 */
export function randomSource(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const words = ['order', 'user', 'click', 'view', 'checkout', 'cart', 'price', 'region', 'device', 'session', 'latency', 'status', 'sku', 'campaign', 'referrer', 'country'];

export function eventValues(count: number, size = 1024, seed = 42): Buffer[] {
  const next = randomSource(seed);
  return Array.from({ length: count }, (_, i) => {
    let s = `{"id":${i}`;
    while (s.length < size) s += `,"${words[Math.floor(next() * words.length)]}":"${Math.floor(next() * 2 ** 40).toString(36)}"`;
    return Buffer.from(s.slice(0, size - 1) + '}');
  });
}

/** 1000 records of 1 KiB values with short keys: the ~1 MiB batch the goals are stated for. */
export function megabyteOfRecords(): { key: Buffer; value: Buffer }[] {
  return eventValues(1000).map((value, i) => ({ key: Buffer.from(`key-${i}`), value }));
}
