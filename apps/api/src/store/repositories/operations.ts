import type { Prisma} from '@tributary/db';
import { type Operation as OperationModel, type OperationOutcome } from '@tributary/db';
import { OperationProgressSchema, type Operation } from '@tributary/contracts';
import type { Connection, Tx } from '../connection.ts';
import { newId } from './ids.ts';
import { LIST_ORDER, likeEscape, listWhere, type ListQuery } from './list.ts';
import { operationState } from './status.ts';

/** The API's operation row with the operator's outcome of it (status.ts). */
const operationRow = (r: OperationModel & { outcome: OperationOutcome | null }): Operation => {
  const { state, error, updatedAt } = operationState(r, r.outcome);
  return {
    id: r.id, accountId: r.accountId, kind: r.kind, targetType: r.targetType as Operation['targetType'], targetId: r.targetId,
    generation: r.generation, state, error, progress: progressOf(r.outcome?.progress ?? null), createdAt: r.createdAt.toISOString(), updatedAt: updatedAt.toISOString(),
  };
};

/** The operator's report of the data an operation moves (operation_outcome.progress), as the contract shapes it. */
function progressOf(value: unknown): Operation['progress'] {
  const parsed = OperationProgressSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
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

export interface AuditEventRow { id: string; at: Date; keyId: string; action: string; targetType: string; targetId: string; generation: number; detail: Record<string, unknown> }
export interface AuditFilter { limit: number; before?: { at: Date; id: bigint } | undefined; targetId?: string | undefined; action?: string | undefined; keyId?: string | undefined }

/** The audit trail: who (the actor's account and key) did what to which target, with what detail. */
export class AuditRepository {
  readonly #c: Connection | null;
  /** `c` reads the trail (listing); writers use the transaction they are given. */
  constructor(c: Connection | null = null) { this.#c = c; }

  /**
   * The account's events, newest first (by time, then id: ids are bigserial, so one instant's events
   * keep their order), `limit + 1` rows so the caller can tell whether there is a next page.
   * Served by the index on (account_id, at, id).
   */
  async list(accountId: string, f: AuditFilter): Promise<AuditEventRow[]> {
    if (!this.#c) throw new Error('AuditRepository without a connection cannot list');
    const action = f.action === undefined ? [] : [f.action.endsWith('*') ? { action: { startsWith: likeEscape(f.action.slice(0, -1)) } } : { action: f.action }];
    const rows = await this.#c.db.auditEvent.findMany({
      where: {
        AND: [
          { accountId },
          ...(f.targetId !== undefined ? [{ targetId: f.targetId }] : []),
          ...(f.keyId !== undefined ? [{ keyId: f.keyId }] : []),
          ...action,
          ...(f.before ? [{ OR: [{ at: { lt: f.before.at } }, { at: f.before.at, id: { lt: f.before.id } }] }] : []),
        ],
      },
      orderBy: [{ at: 'desc' }, { id: 'desc' }],
      take: f.limit + 1,
    });
    return rows.map((r) => ({
      id: r.id.toString(), at: r.at, keyId: r.keyId, action: r.action, targetType: r.targetType, targetId: r.targetId, generation: r.generation,
      detail: r.detail !== null && typeof r.detail === 'object' && !Array.isArray(r.detail) ? (r.detail as Record<string, unknown>) : { value: r.detail },
    }));
  }

  async insert(tx: Tx, e: { accountId: string; keyId: string; action: string; targetType: string; targetId: string; generation: number; detail: unknown }): Promise<void> {
    await tx.auditEvent.create({ data: { ...e, detail: (e.detail ?? {}) as Prisma.InputJsonValue } });
  }
}
