/**
 * The iteration order of Java's HashMap and HashSet, for the assignors that must give exactly
 * Kafka's assignments: Kafka's UniformAssignor walks the group's members, a member's subscribed
 * topics and its current partitions through hash maps and sets, so which member gets the extra
 * partition and which partitions move depend on that order.
 *
 * A HashMap iterates its buckets in index order, `(h ^ h >>> 16) & (capacity - 1)` of each key's
 * hashCode h, and a bucket's keys in the order they were put (a resize keeps that order). Bins of
 * eight or more keys become trees in Java, ordered otherwise; with the few members and topics of a
 * group that does not happen and is not emulated.
 */

/** Java's String.hashCode (UTF-16 code units, 32-bit wrap-around). */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * Kafka's Uuid.hashCode of a dashed UUID string (Tributary's topic ids): the 64-bit xor of its
 * halves, folded to 32 bits. Any other string (the unit tests' short topic names) hashes as a
 * Java String, so that the order is still defined.
 */
export function kafkaUuidHash(uuid: string): number {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return javaStringHash(uuid);
  const word = (i: number) => Number.parseInt(hex.slice(i * 8, i * 8 + 8), 16) | 0;
  return word(0) ^ word(1) ^ word(2) ^ word(3);
}

/** Java's Integer.hashCode. */
export const javaIntHash = (n: number): number => n | 0;

/** The table size of `new HashMap<>(initialCapacity)` (HashMap.tableSizeFor), 16 for `new HashMap<>()`. */
function tableSizeFor(initialCapacity: number): number {
  let n = 1;
  while (n < initialCapacity) n *= 2;
  return Math.max(n, 1);
}

/** How a Java map or set was made: `new HashMap<>()` then puts, or `new HashSet<>(collection)`. */
export type JavaHashCreation = 'default' | 'copy';

/** The table size after `size` puts: doubled whenever the size passes three quarters of it. */
function capacity(size: number, creation: JavaHashCreation): number {
  let cap = creation === 'copy' ? tableSizeFor(Math.max(Math.floor(size / 0.75) + 1, 16)) : 16;
  while (size > cap * 0.75) cap *= 2;
  return cap;
}

/** `keys` (in the order they were put) in the order a Java HashMap or HashSet of them iterates. */
export function javaHashOrder<K>(keys: readonly K[], hash: (k: K) => number, creation: JavaHashCreation = 'default'): K[] {
  const mask = capacity(keys.length, creation) - 1;
  const bucket = (k: K) => {
    const h = hash(k);
    return (h ^ (h >>> 16)) & mask;
  };
  return keys.map((k, i) => ({ k, i, b: bucket(k) })).sort((x, y) => x.b - y.b || x.i - y.i).map((x) => x.k);
}
