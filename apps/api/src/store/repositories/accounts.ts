import type { Db } from '@tributary/db';
import type { Connection, Tx } from '../connection.ts';
import type { AccountRow } from '../types.ts';
import { LIST_ORDER, listWhere, type ListQuery } from './list.ts';

/** Accounts (tenants). */
export class AccountRepository {
  readonly #c: Connection;
  constructor(c: Connection) { this.#c = c; }

  async list(accountId: string | null, q: ListQuery): Promise<AccountRow[]> {
    return this.#c.db.account.findMany({ where: { AND: [accountId === null ? {} : { id: accountId }, ...listWhere(q)] }, orderBy: LIST_ORDER, take: q.limit + 1 });
  }
  async insert(tx: Tx | Db, row: { id: string; name: string; email: string | null }): Promise<AccountRow> {
    return tx.account.create({ data: row });
  }
  /** Inserts unless an account with that id exists (the bootstrap account on every start). */
  async ensure(row: { id: string; name: string; email: string | null }): Promise<void> {
    await this.#c.db.account.createMany({ data: [row], skipDuplicates: true });
  }
}
