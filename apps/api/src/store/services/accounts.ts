import type { Role } from '@tributary/contracts';
import type { Connection } from '../connection.ts';
import type { AccountRepository } from '../repositories/accounts.ts';
import type { ApiKeyRepository } from '../repositories/api-keys.ts';
import { newId } from '../repositories/ids.ts';
import type { AccountRow, ApiKeyRow, ListFilter, Page, Principal } from '../types.ts';
import { listQuery, page } from './list.ts';
import type { Trail } from './trail.ts';

/** Accounts and API keys; changes made through the API leave an AuditEvent in the same transaction. */
export class AccountService {
  static readonly KEY_CACHE_MS = 5_000;
  readonly #c: Connection;
  readonly #accounts: AccountRepository;
  readonly #keys: ApiKeyRepository;
  readonly #trail: Trail;
  constructor(c: Connection, repos: { accounts: AccountRepository; apiKeys: ApiKeyRepository }, trail: Trail) {
    this.#c = c; this.#accounts = repos.accounts; this.#keys = repos.apiKeys; this.#trail = trail;
  }

  /**
   * Key lookups are on every request; a short in-process cache saves a round trip. Revocation
   * through this process clears it at once; another replica's revocation applies within the TTL.
   */
  readonly #keyCache = new Map<string, { principal: Principal | null; until: number }>();
  async principalByKeyHash(hash: string): Promise<Principal | null> {
    const hit = this.#keyCache.get(hash);
    if (hit && hit.until > Date.now()) return hit.principal;
    const principal = await this.#keys.principalByHash(hash);
    if (this.#keyCache.size > 10_000) this.#keyCache.clear();
    // Unknown keys are not cached: a key created elsewhere must work at once.
    if (principal) this.#keyCache.set(hash, { principal, until: Date.now() + AccountService.KEY_CACHE_MS });
    return principal;
  }

  touchApiKey(keyId: string, at: Date, withinMs: number): Promise<void> { return this.#keys.touch(keyId, at, withinMs); }

  async listAccounts(accountId: string | null, f: ListFilter): Promise<Page<AccountRow>> {
    return page(await this.#accounts.list(accountId, listQuery(f, { label: false })), f.limit);
  }
  async createAccount(name: string, email: string | null, actor: Principal): Promise<AccountRow> {
    return this.#c.tx(async (tx) => {
      const account = await this.#accounts.insert(tx, { id: newId('acc'), name, email });
      await this.#trail.audit(tx, actor, 'account.create', 'account', account.id, { name, email });
      return account;
    });
  }
  /** An account with a fixed id unless it exists (start-up; no actor, no audit). */
  async ensureAccount(name: string, email: string | null, id: string): Promise<string> {
    await this.#accounts.ensure({ id, name, email });
    return id;
  }

  async listApiKeys(accountId: string, f: ListFilter): Promise<Page<ApiKeyRow>> {
    return page(await this.#keys.list(accountId, listQuery(f, { label: false })), f.limit);
  }
  async createApiKey(accountId: string, name: string, role: Role, prefix: string, hash: string, actor: Principal): Promise<ApiKeyRow> {
    return this.#c.tx(async (tx) => {
      const key = await this.#keys.insert(tx, { id: newId('key'), accountId, name, role, prefix, hash });
      await this.#trail.audit(tx, actor, 'api-key.create', 'api-key', key.id, { accountId, name, role, prefix });
      return key;
    });
  }
  /** A key unless one with that hash exists (the bootstrap key on every start; no actor, no audit). */
  async ensureApiKey(accountId: string, name: string, role: Role, prefix: string, hash: string): Promise<string> {
    const id = newId('key');
    await this.#keys.ensure({ id, accountId, name, role, prefix, hash });
    return id;
  }
  countApiKeys(): Promise<number> { return this.#keys.count(); }
  async revokeApiKey(accountId: string, id: string, actor: Principal): Promise<ApiKeyRow | null> {
    const revoked = await this.#c.tx(async (tx) => {
      const r = await this.#keys.revoke(tx, accountId, id);
      if (!r) return null;
      await this.#trail.audit(tx, actor, 'api-key.revoke', 'api-key', id, { accountId });
      return r;
    });
    if (!revoked) return null;
    this.#keyCache.delete(revoked.hash);
    return revoked.row;
  }
}
