import type { Operation } from '@tributary/contracts';
import type { Tx } from '../connection.ts';
import type { AuditRepository, OperationRepository } from '../repositories/operations.ts';
import type { Principal } from '../types.ts';

/**
 * The trail every mutation leaves in its own transaction: an Operation (what the operator will do)
 * and an AuditEvent (who asked). `accountId` and `keyId` are the actor's: a platform admin acting on
 * another account is recorded as itself.
 */
export class Trail {
  readonly #operations: OperationRepository;
  readonly #audit: AuditRepository;
  constructor(operations: OperationRepository, audit: AuditRepository) { this.#operations = operations; this.#audit = audit; }

  async operation(tx: Tx, p: Principal, kind: string, targetType: Operation['targetType'], targetId: string, generation: number, detail: unknown, state: 'Pending' | 'Running' = 'Pending'): Promise<Operation> {
    const op = await this.#operations.insert(tx, { accountId: p.accountId, kind, targetType, targetId, generation }, state);
    await this.audit(tx, p, kind, targetType, targetId, detail, generation);
    return op;
  }
  /** An AuditEvent alone, for changes the operator has nothing to do for (accounts, API keys). */
  async audit(tx: Tx, p: Principal, action: string, targetType: string, targetId: string, detail: unknown, generation = 1): Promise<void> {
    await this.#audit.insert(tx, { accountId: p.accountId, keyId: p.keyId, action, targetType, targetId, generation, detail });
  }
}
