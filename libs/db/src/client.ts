import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@prisma/client';
import pg from 'pg';

export type Db = PrismaClient;

/** A node-postgres pool; give it to createDb to share it between Prisma and FastReads. */
export function createPool(databaseUrl: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max });
  // An idle connection dropped by the server (restart, failover) is replaced on next use;
  // without a listener node-postgres would turn the drop into an uncaught exception.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * A Prisma client over node-postgres (the driver adapter): no query-engine binary, so it runs
 * offline. Given a URL it owns its pool (`max` connections); given a pool it uses that one and
 * leaves closing it to the caller.
 */
export function createDb(database: string | pg.Pool, opts: { max?: number } = {}): Db {
  const adapter = typeof database === 'string'
    ? new PrismaPg({ connectionString: database, max: opts.max ?? 10 }, { onPoolError: () => undefined })
    : new PrismaPg(database);
  return new PrismaClient({ adapter, transactionOptions: { maxWait: 10_000, timeout: 30_000 } });
}

/** Whether `err` is a unique-constraint violation (Prisma's P2002, or PostgreSQL's 23505 from raw SQL). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; meta?: { driverAdapterError?: { cause?: { kind?: string; originalCode?: string } } }; message?: string };
  if (e?.code === 'P2002' || e?.code === '23505') return true;
  const cause = e?.meta?.driverAdapterError?.cause;
  return cause?.kind === 'UniqueConstraintViolation' || cause?.originalCode === '23505';
}
