import type { Prisma } from '@tributary/db';
import type { Connection, Tx } from '../connection.ts';
import type { UsageRow } from '../types.ts';
import { LIST_ORDER } from './list.ts';

export interface UsageQuery { limit: number; instanceId?: string | undefined; from?: Date | undefined; to?: Date | undefined; after?: { createdAt: Date; id: bigint } | undefined }

/** Usage records: open periods of billable quantities per instance. */
export class UsageRepository {
  readonly #c: Connection;
  constructor(c: Connection) { this.#c = c; }

  /** Closes the instance's open records at `at` and opens one per `[meter, quantity]`. */
  async restart(tx: Tx, instanceId: string, at: Date, quantities: [string, number][], source: string): Promise<void> {
    await tx.usageRecord.updateMany({ where: { instanceId, periodEnd: null }, data: { periodEnd: at } });
    if (quantities.length === 0) return;
    await tx.usageRecord.createMany({ data: quantities.map(([meter, quantity]) => ({ instanceId, meter, quantity, periodStart: at, source })) });
  }

  async list(accountId: string, q: UsageQuery): Promise<UsageRow[]> {
    const and: Prisma.UsageRecordWhereInput[] = [{ instance: { accountId } }];
    if (q.instanceId !== undefined) and.push({ instanceId: q.instanceId });
    if (q.from !== undefined) and.push({ periodStart: { gte: q.from } });
    if (q.to !== undefined) and.push({ periodStart: { lt: q.to } });
    if (q.after !== undefined) and.push({ OR: [{ createdAt: { gt: q.after.createdAt } }, { createdAt: q.after.createdAt, id: { gt: q.after.id } }] });
    const rows = await this.#c.db.usageRecord.findMany({ where: { AND: and }, orderBy: LIST_ORDER, take: q.limit + 1 });
    return rows.map((u) => ({
      id: String(u.id), instanceId: u.instanceId, meter: u.meter, quantity: u.quantity.toNumber(), periodStart: u.periodStart, periodEnd: u.periodEnd, source: u.source, createdAt: u.createdAt,
    }));
  }
}
