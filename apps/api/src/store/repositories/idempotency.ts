import { Prisma } from '@tributary/db';
import type { Connection } from '../connection.ts';
import type { IdempotencyBegin } from '../types.ts';

/** Idempotency-Key records: the first request with a key reserves it, its response is replayed for 24 h. */
export class IdempotencyRepository {
  static readonly TTL_MS = 24 * 3600_000;
  readonly #c: Connection;
  constructor(c: Connection) { this.#c = c; }

  async begin(keyId: string, idemKey: string, bodyHash: string): Promise<IdempotencyBegin> {
    const db = this.#c.db;
    await db.idempotencyRecord.deleteMany({ where: { createdAt: { lt: new Date(Date.now() - IdempotencyRepository.TTL_MS) } } });
    const { count } = await db.idempotencyRecord.createMany({ data: [{ keyId, idemKey, bodyHash }], skipDuplicates: true });
    if (count === 1) return { state: 'new' };
    const r = await db.idempotencyRecord.findUnique({ where: { keyId_idemKey: { keyId, idemKey } } });
    if (!r) return { state: 'new' };
    if (r.bodyHash !== bodyHash) return { state: 'mismatch' };
    if (r.status === null) return { state: 'in-flight' };
    return { state: 'replay', status: r.status, response: r.response, headers: (r.headers ?? {}) as Record<string, string> };
  }
  async finish(keyId: string, idemKey: string, status: number, response: unknown, headers: Record<string, string>): Promise<void> {
    await this.#c.db.idempotencyRecord.updateMany({ where: { keyId, idemKey }, data: { status, response: (response ?? Prisma.JsonNull) as Prisma.InputJsonValue, headers } });
  }
  async abandon(keyId: string, idemKey: string): Promise<void> {
    await this.#c.db.idempotencyRecord.deleteMany({ where: { keyId, idemKey, status: null } });
  }
}
