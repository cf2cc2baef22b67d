import { Prisma, isUniqueViolation, specColumns, specOf, type InstanceWithStatus } from '@tributary/db';
import type { InstanceSpec } from '@tributary/contracts';
import { parsePendingSize } from '@tributary/pricing';
import type { Connection, Tx } from '../connection.ts';
import type { InstanceRow } from '../types.ts';
import { LIST_ORDER, listWhere, type ListQuery } from './list.ts';
import { fail, ok, type RepoResult } from './result.ts';
import { instancePhase, lastChange } from './status.ts';

/** The row's pending prepaid downgrade, if any (columns pending_size, pending_requested_at, pending_effective_at). */
export function pendingOf(r: { pendingSize: unknown; pendingRequestedAt: Date | null; pendingEffectiveAt: Date | null }): InstanceRow['pending'] {
  const size = parsePendingSize(r.pendingSize);
  return size ? { size, requestedAt: r.pendingRequestedAt ?? new Date(0), effectiveAt: r.pendingEffectiveAt } : null;
}

/** The API's row and the operator's status row as one resource (status.ts composes the phase). */
const instanceRow = (r: InstanceWithStatus): InstanceRow => ({
  id: r.id, accountId: r.accountId, name: r.name, labels: r.labels as Record<string, string>, spec: specOf(r),
  generation: r.generation, observedGeneration: r.status?.observedGeneration ?? 0, phase: instancePhase(r.generation, r.deletedAt !== null, r.status),
  statusBrokers: r.status?.readyBrokers ?? 0, internalBootstrapServers: r.status?.internalBootstrapServers ?? null, clientBootstrapServers: r.status?.clientBootstrapServers ?? null, clientSecurityProtocol: r.status?.clientSecurityProtocol ?? null,
  conditions: (r.status?.conditions ?? []) as unknown[],
  billingStatus: r.billingStatus, billingStartedAt: r.billingStartedAt, billingExpiresAt: r.billingExpiresAt,
  pending: pendingOf(r),
  version: r.version, createdAt: r.createdAt, updatedAt: lastChange(r.updatedAt, r.status),
});
const withStatus = { include: { status: true } } as const;

/** The limits a write is checked against, read from the row it locked. */
export interface InstanceLimits { topicLimit: number; partitionLimit: number; consumerGroupLimit: number }

/** The Instance aggregate's rows: reads (through the instance cache), inserts, spec changes, deletion marks. */
export class InstanceRepository {
  readonly #c: Connection;
  constructor(c: Connection) { this.#c = c; }

  async list(accountId: string, q: ListQuery): Promise<InstanceRow[]> {
    const rows = await this.#c.db.instance.findMany({ where: { AND: [{ accountId, deletedAt: null }, ...listWhere(q)] }, orderBy: LIST_ORDER, take: q.limit + 1, ...withStatus });
    return rows.map(instanceRow);
  }

  /**
   * The hottest read (every instance-scoped route starts with it): from the instance cache, else plain
   * SQL (libs/db InstanceCache, FastReads). The result is frozen, and a cached row (itself frozen and
   * replaced on every change) maps to the same InstanceRow object each time, so callers may memoise
   * work per row object (GET /v1/instances/{id} keeps its serialised body).
   */
  async get(accountId: string, id: string): Promise<InstanceRow | null> {
    const c = this.#c;
    const r = await (c.instanceCache ? c.instanceCache.get(id) : c.fast.instanceById(id));
    if (!r || r.accountId !== accountId || r.deletedAt !== null) return null;
    let row = this.#rows.get(r);
    if (!row) {
      row = instanceRow(r);
      Object.freeze(row.spec);
      Object.freeze(row.spec.billing);
      Object.freeze(row.spec.brokerConfig);
      Object.freeze(row);
      this.#rows.set(r, row);
    }
    return row;
  }
  readonly #rows = new WeakMap<InstanceWithStatus, InstanceRow>();

  /**
   * Locks the instance's row for the rest of the transaction (SELECT … FOR UPDATE) and returns its
   * limits: writes that count against a limit queue here, so concurrent ones cannot overshoot it.
   */
  async lock(tx: Tx, id: string): Promise<InstanceLimits | null> {
    const rows = await tx.$queryRaw<InstanceLimits[]>`
      SELECT topic_limit AS "topicLimit", partition_limit AS "partitionLimit", consumer_group_limit AS "consumerGroupLimit"
      FROM "instance" WHERE id = ${id} FOR UPDATE`;
    return rows[0] ?? null;
  }

  async insert(tx: Tx, input: {
    id: string; accountId: string; name: string; labels: Record<string, string>; spec: InstanceSpec; billingStartedAt: Date; billingExpiresAt: Date | null;
  }): Promise<RepoResult<InstanceRow>> {
    try {
      const row = await tx.instance.create({
        data: {
          id: input.id, accountId: input.accountId, name: input.name, labels: input.labels, ...specColumns(input.spec), generation: 1,
          billingStartedAt: input.billingStartedAt, billingExpiresAt: input.billingExpiresAt, createdAt: input.billingStartedAt, updatedAt: input.billingStartedAt,
        },
        ...withStatus,
      });
      return ok(instanceRow(row));
    } catch (err) {
      if (isUniqueViolation(err)) return fail('duplicate');
      throw err;
    }
  }

  /** A new spec and labels (next generation): the phase reads Updating until the operator has observed it. */
  async updateSpec(tx: Tx, accountId: string, id: string, input: { labels: Record<string, string>; spec: InstanceSpec }, expectedVersion?: number): Promise<RepoResult<InstanceRow>> {
    const { count } = await tx.instance.updateMany({
      where: { id, accountId, deletedAt: null, ...(expectedVersion !== undefined ? { version: expectedVersion } : {}) },
      data: { labels: input.labels, ...specColumns(input.spec), generation: { increment: 1 }, version: { increment: 1 } },
    });
    if (count === 0) return fail(await this.missingOrStale(tx, id));
    return ok(instanceRow(await tx.instance.findUniqueOrThrow({ where: { id }, ...withStatus })));
  }

  /**
   * Records (or clears) the instance's pending prepaid downgrade inside the caller's transaction; the
   * caller's own write bumps the version (a spec change), or `bump` does (a cancellation).
   */
  async setPending(tx: Tx, id: string, pending: InstanceRow['pending'], bump = false): Promise<void> {
    await tx.instance.update({
      where: { id },
      data: {
        pendingSize: pending ? pending.size : Prisma.DbNull, pendingRequestedAt: pending?.requestedAt ?? null, pendingEffectiveAt: pending?.effectiveAt ?? null,
        ...(bump ? { version: { increment: 1 } } : {}),
      },
    });
  }

  /** Marks the instance deleted (it reads Deleting) and frees its name; the row stays for the operator and the trail. */
  async markDeleted(tx: Tx, accountId: string, id: string, at: Date, expectedVersion?: number): Promise<RepoResult<InstanceRow>> {
    const { count } = await tx.instance.updateMany({
      where: { id, accountId, deletedAt: null, ...(expectedVersion !== undefined ? { version: expectedVersion } : {}) },
      data: { deletedAt: at, generation: { increment: 1 }, version: { increment: 1 } },
    });
    if (count === 0) return fail(await this.missingOrStale(tx, id));
    return ok(instanceRow(await tx.instance.findUniqueOrThrow({ where: { id }, ...withStatus })));
  }

  private async missingOrStale(tx: Tx, id: string): Promise<'missing' | 'stale'> {
    return (await tx.instance.count({ where: { id, deletedAt: null } })) > 0 ? 'stale' : 'missing';
  }
}
