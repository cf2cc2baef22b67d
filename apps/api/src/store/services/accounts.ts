import { MESSAGE_PRINCIPAL_PREFIX, type Role } from '@tributary/contracts';
import { objectsJob } from '../../jobs/reconcile-jobs.ts';
import type { OutboxRepository } from '../repositories/outbox.ts';
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
  readonly #outbox: OutboxRepository;
  readonly #trail: Trail;
  constructor(c: Connection, repos: { accounts: AccountRepository; apiKeys: ApiKeyRepository; outbox: OutboxRepository }, trail: Trail) {
    this.#c = c; this.#accounts = repos.accounts; this.#keys = repos.apiKeys; this.#outbox = repos.outbox; this.#trail = trail;
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
  /**
   * Revokes the key and, in the same transaction, its Kafka principal's access: its ACLs are deleted
   * and every live instance of the account gets a reconcile job, whose pass removes the ACLs and the
   * principal's SCRAM credential from the brokers (apps/operator reconcile/access-plan.ts).
   */
  async revokeApiKey(accountId: string, id: string, actor: Principal): Promise<ApiKeyRow | null> {
    const revoked = await this.#c.tx(async (tx) => {
      const r = await this.#keys.revoke(tx, accountId, id);
      if (!r) return null;
      const access = await this.#keys.revokeBrokerAccess(tx, accountId, `User:${MESSAGE_PRINCIPAL_PREFIX}${id}`);
      for (const instanceId of access.instanceIds) await this.#outbox.add(tx, objectsJob({ instanceId, kind: 'acls', reason: 'deleted' }));
      await this.#trail.audit(tx, actor, 'api-key.revoke', 'api-key', id, { accountId, kafkaPrincipal: `User:${MESSAGE_PRINCIPAL_PREFIX}${id}`, aclsRemoved: access.acls, instancesReconciled: access.instanceIds.length });
      return r;
    });
    if (!revoked) return null;
    this.#keyCache.delete(revoked.hash);
    return revoked.row;
  }
}
