import type { ApiKey, Db } from '@tributary/db';
import type { Role } from '@tributary/contracts';
import type { Connection, Tx } from '../connection.ts';
import type { ApiKeyRow, Principal } from '../types.ts';
import { LIST_ORDER, listWhere, type ListQuery } from './list.ts';

const apiKeyRow = (r: ApiKey): ApiKeyRow => ({ id: r.id, accountId: r.accountId, name: r.name, role: r.role, prefix: r.prefix, lastUsedAt: r.lastUsedAt, createdAt: r.createdAt });

export interface NewApiKey { id: string; accountId: string; name: string; role: Role; prefix: string; hash: string }

/** API keys: only the SHA-256 of a key is stored; revoked keys stay as rows. */
export class ApiKeyRepository {
  readonly #c: Connection;
  constructor(c: Connection) { this.#c = c; }

  async principalByHash(hash: string): Promise<Principal | null> {
    const row = await this.#c.db.apiKey.findFirst({ where: { hash, revokedAt: null }, select: { id: true, accountId: true, role: true } });
    return row ? { keyId: row.id, accountId: row.accountId, role: row.role } : null;
  }
  /** A live key with its account's name (GET /v1/me); null once revoked. */
  async withAccount(accountId: string, id: string): Promise<{ key: ApiKeyRow; accountName: string } | null> {
    const r = await this.#c.db.apiKey.findFirst({ where: { id, accountId, revokedAt: null }, include: { account: { select: { name: true } } } });
    return r ? { key: apiKeyRow(r), accountName: r.account.name } : null;
  }
  async list(accountId: string, q: ListQuery): Promise<ApiKeyRow[]> {
    const rows = await this.#c.db.apiKey.findMany({ where: { AND: [{ accountId, revokedAt: null }, ...listWhere(q)] }, orderBy: LIST_ORDER, take: q.limit + 1 });
    return rows.map(apiKeyRow);
  }
  async insert(tx: Tx | Db, key: NewApiKey): Promise<ApiKeyRow> {
    return apiKeyRow(await tx.apiKey.create({ data: key }));
  }
  /** Inserts unless a key with that id or hash exists (the bootstrap key). */
  async ensure(key: NewApiKey): Promise<void> {
    await this.#c.db.apiKey.createMany({ data: [key], skipDuplicates: true });
  }
  /** lastUsedAt := at, unless it is already within `withinMs` of it (one conditional UPDATE, no read). */
  async touch(keyId: string, at: Date, withinMs: number): Promise<void> {
    await this.#c.db.apiKey.updateMany({ where: { id: keyId, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(at.getTime() - withinMs) } }] }, data: { lastUsedAt: at } });
  }
  async count(): Promise<number> { return this.#c.db.apiKey.count(); }
  /** The revoked key's row and hash, or null when there was no live key with that id. */
  async revoke(tx: Tx, accountId: string, id: string): Promise<{ row: ApiKeyRow; hash: string } | null> {
    const { count } = await tx.apiKey.updateMany({ where: { id, accountId, revokedAt: null }, data: { revokedAt: new Date() } });
    if (count === 0) return null;
    const r = await tx.apiKey.findUniqueOrThrow({ where: { id } });
    return { row: apiKeyRow(r), hash: r.hash };
  }
  /**
   * A revoked key's Kafka principal loses its ACLs on every instance of the account (soft-deleted
   * like any ACL, so the operator removes them from the brokers); the instances to reconcile are
   * returned — all live ones, since the principal's SCRAM credential may exist on any instance the
   * key ever read from, and the operator removes it once the key is no longer live.
   */
  async revokeBrokerAccess(tx: Tx, accountId: string, principal: string): Promise<{ acls: number; instanceIds: string[] }> {
    const { count } = await tx.acl.updateMany({ where: { principal, deletedAt: null, instance: { accountId } }, data: { deletedAt: new Date(), version: { increment: 1 } } });
    const instances = await tx.instance.findMany({ where: { accountId, deletedAt: null }, select: { id: true } });
    return { acls: count, instanceIds: instances.map((i) => i.id) };
  }
}
