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
  consumerGroupLimit: 5, billingMode: 'postpaid' as const, billingStartedAt: new Date('2026-01-02T03:04:05.678Z'),
};

describe('FastReads.instanceById', () => {
  it('returns what Prisma returns with the status row, field for field (every column, nulls and values; no status row yet)', async () => {
    await db.instance.create({ data: { ...base, id: 'ins-min' } });
    await db.instance.create({
      data: {
        ...base, id: 'ins-full', name: 'full', labels: { team: 'a' }, billingMode: 'prepaid', billingPeriodMonths: 3, billingAutoRenew: true,
        brokerConfig: { 'log.retention.ms': '1000' }, billingStatus: 'overdue', billingExpiresAt: new Date('2026-04-02T03:04:05.678Z'), deletedAt: new Date(),
        status: { create: { observedGeneration: 1, phase: 'Running', readyBrokers: 3, internalBootstrapServers: 'h:1,h:2', clientBootstrapServers: 'h:3', conditions: [{ type: 'Ready', status: 'True' }] } },
      },
    });
    await db.instance.create({ data: { ...base, id: 'ins-status-nulls', name: 'nulls', status: { create: { phase: 'Creating' } } } });
    const fast = new FastReads(pool);
    for (const id of ['ins-min', 'ins-full', 'ins-status-nulls']) {
      const viaPrisma = await db.instance.findUnique({ where: { id }, include: { status: true } });
      expect(viaPrisma).not.toBeNull();
      expect(viaPrisma!.status === null).toBe(id === 'ins-min');
      expect(await fast.instanceById(id)).toStrictEqual(viaPrisma);
    }
    expect(await fast.instanceById('ins-none')).toBeNull();
  });
});
