import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@prisma/client';

export type Db = PrismaClient;

/**
 * A Prisma client over node-postgres (the driver adapter): no query-engine binary, so it runs
 * offline. `max` bounds this process's connections.
 */
export function createDb(databaseUrl: string, opts: { max?: number } = {}): Db {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: opts.max ?? 10 }, {
    // An idle connection dropped by the server (restart, failover) is replaced on next use;
    // without a listener node-postgres would turn the drop into an uncaught exception.
    onPoolError: () => undefined,
  });
  return new PrismaClient({ adapter, transactionOptions: { maxWait: 10_000, timeout: 30_000 } });
}

/** Whether `err` is a unique-constraint violation (Prisma's P2002, or PostgreSQL's 23505 from raw SQL). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; meta?: { driverAdapterError?: { cause?: { kind?: string; originalCode?: string } } }; message?: string };
  if (e?.code === 'P2002' || e?.code === '23505') return true;
  const cause = e?.meta?.driverAdapterError?.cause;
  return cause?.kind === 'UniqueConstraintViolation' || cause?.originalCode === '23505';
}
