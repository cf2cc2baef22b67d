import type { Prisma} from '@tributary/db';
import { type Operation as OperationModel, type OperationOutcome } from '@tributary/db';
import type { Operation } from '@tributary/contracts';
import type { Connection, Tx } from '../connection.ts';
import { newId } from './ids.ts';
import { LIST_ORDER, listWhere, type ListQuery } from './list.ts';
import { operationState } from './status.ts';

/** The API's operation row with the operator's outcome of it (status.ts). */
const operationRow = (r: OperationModel & { outcome: OperationOutcome | null }): Operation => {
  const { state, error, updatedAt } = operationState(r, r.outcome);
  return {
    id: r.id, accountId: r.accountId, kind: r.kind, targetType: r.targetType as Operation['targetType'], targetId: r.targetId,
    generation: r.generation, state, error, createdAt: r.createdAt.toISOString(), updatedAt: updatedAt.toISOString(),
  };
};
const withOutcome = { include: { outcome: true } } as const;

/** Operations: one per accepted mutation, Pending until the operator reports on it (operation_outcome). */
export class OperationRepository {
  readonly #c: Connection;
  constructor(c: Connection) { this.#c = c; }

  async insert(tx: Tx, op: { accountId: string; kind: string; targetType: Operation['targetType']; targetId: string; generation: number }, state: 'Pending' | 'Running' = 'Pending'): Promise<Operation> {
    return operationRow(await tx.operation.create({ data: { id: newId('op'), ...op, state }, ...withOutcome }));
  }
  /** The outcome of an operation the API itself carried out (live writes on the brokers). */
  async settle(id: string, state: 'Succeeded' | 'Failed', error: string | null = null): Promise<Operation> {
    return operationRow(await this.#c.db.operation.update({ where: { id }, data: { state, error }, ...withOutcome }));
  }
  /** The account's operations in list order; `targetId` narrows to one resource's. */
  async list(accountId: string, q: ListQuery, targetId?: string): Promise<{ id: string; createdAt: Date; operation: Operation }[]> {
    const rows = await this.#c.db.operation.findMany({
      where: { AND: [{ accountId }, ...(targetId !== undefined ? [{ targetId }] : []), ...listWhere(q)] }, orderBy: LIST_ORDER, take: q.limit + 1, ...withOutcome,
    });
    return rows.map((r) => ({ id: r.id, createdAt: r.createdAt, operation: operationRow(r) }));
  }
  async get(accountId: string, id: string): Promise<Operation | null> {
    const r = await this.#c.db.operation.findFirst({ where: { id, accountId }, ...withOutcome });
    return r ? operationRow(r) : null;
  }
}

/** The audit trail: who (the actor's account and key) did what to which target, with what detail. */
export class AuditRepository {
  async insert(tx: Tx, e: { accountId: string; keyId: string; action: string; targetType: string; targetId: string; generation: number; detail: unknown }): Promise<void> {
    await tx.auditEvent.create({ data: { ...e, detail: (e.detail ?? {}) as Prisma.InputJsonValue } });
  }
}
