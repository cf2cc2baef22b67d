import { createHmac } from 'node:crypto';

/**
 * Where a sent record goes when the caller names no partition (pure). Keyed records go where every
 * Kafka client's default partitioner puts them — murmur2 of the key, positive, modulo the partition
 * count — so the API and the applications agree on a key's partition. Keyless records with an
 * Idempotency-Key go to a partition fixed by that key (a retry must reach the same partition for
 * the broker to recognise it); other keyless records to a random partition.
 */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) | 0;
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  // The tail bytes, as Kafka's murmur2 takes them (its switch falls through from 3 to 1).
  const rest = length & 3;
  if (rest === 3) h ^= data[whole + 2]! << 16;
  if (rest >= 2) h ^= data[whole + 1]! << 8;
  if (rest >= 1) {
    h ^= data[whole]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

export function partitionForKey(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

/**
 * The idempotent-producer identity of a send with an Idempotency-Key: a producer id derived from
 * the caller, the target and the key (HMAC under the deployment's secret, so nobody can aim at
 * another caller's id), epoch 0, sequence 0. A retried POST — from this or any other API process,
 * after a crash even — sends the same batch under the same id and sequence, and the partition
 * leader answers it as Kafka answers a producer's retry: with the first write's offset, writing
 * nothing. Ids live in [2^62, 2^63): brokers hand out ids counting up from 0 and never get there.
 */
export function idempotentIdentity(secret: Buffer, scope: { accountId: string; keyId: string; instanceId: string; topic: string; idempotencyKey: string }): { producerId: bigint; partitionHash: number } {
  const mac = createHmac('sha256', secret).update(JSON.stringify([scope.accountId, scope.keyId, scope.instanceId, scope.topic, scope.idempotencyKey])).digest();
  const producerId = (1n << 62n) | (mac.readBigUInt64BE(0) & ((1n << 62n) - 1n));
  return { producerId, partitionHash: mac.readUInt32BE(8) };
}
