import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { startTestServices, type TestServices } from '@tributary/testkit';
import { createDb, createPool, type Db } from './client.ts';
import { FastReads } from './fast-reads.ts';
import { migrate } from './migrate.ts';

let services: TestServices;
let pool: pg.Pool;
let db: Db;

beforeAll(async () => {
  services = await startTestServices();
  await migrate(services.databaseUrl);
  pool = createPool(services.databaseUrl, 2);
  db = createDb(pool);
  await db.account.create({ data: { id: 'acc-1', name: 'a' } });
});
afterAll(async () => {
  await db?.$disconnect();
  await pool?.end();
  await services?.stop();
});

const base = {
  accountId: 'acc-1', name: 'prod', zone: 'zone-a', brokers: 3, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 10, topicLimit: 5,
  consumerGroupLimit: 5, billingMode: 'postpaid' as const, phase: 'Creating', billingStartedAt: new Date('2026-01-02T03:04:05.678Z'),
};

describe('FastReads.instanceById', () => {
  it('returns what Prisma returns, field for field (every column, nulls and values)', async () => {
    await db.instance.create({ data: { ...base, id: 'ins-min' } });
    await db.instance.create({
      data: {
        ...base, id: 'ins-full', name: 'full', labels: { team: 'a' }, billingMode: 'prepaid', billingPeriodMonths: 3, billingAutoRenew: true,
        brokerConfig: { 'log.retention.ms': '1000' }, observedGeneration: 1, statusBrokers: 3, internalBootstrapServers: 'h:1,h:2', clientBootstrapServers: 'h:3',
        conditions: [{ type: 'Ready', status: 'True' }], billingStatus: 'overdue', billingExpiresAt: new Date('2026-04-02T03:04:05.678Z'), deletedAt: new Date(),
      },
    });
    const fast = new FastReads(pool);
    for (const id of ['ins-min', 'ins-full']) {
      const viaPrisma = await db.instance.findUnique({ where: { id } });
      expect(viaPrisma).not.toBeNull();
      expect(await fast.instanceById(id)).toStrictEqual(viaPrisma);
    }
    expect(await fast.instanceById('ins-none')).toBeNull();
  });
});
