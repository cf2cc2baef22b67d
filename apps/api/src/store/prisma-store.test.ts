import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServices, type TestServices } from '@tributary/testkit';
import { PrismaStore } from './prisma-store.ts';
import type { Principal } from './types.ts';

let services: TestServices;
beforeAll(async () => { services = await startTestServices(); });
afterAll(async () => { await services?.stop(); });

const spec = { zone: 'zone-a', brokers: 1, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 1000, topicLimit: 1000, consumerGroupLimit: 5, billing: { mode: 'postpaid' }, brokerConfig: {} } as const;

describe('PrismaStore.close', () => {
  it('lets transactions in flight finish, then closes (no connection left checked out)', async () => {
    const store = await PrismaStore.connect(services.databaseUrl);
    const accountId = await store.createAccount('a');
    const p: Principal = { keyId: 'key-1', accountId, role: 'admin' };
    const { instance } = await store.createInstance(p, { name: 'i', labels: {}, spec });
    const creates = Array.from({ length: 30 }, (_, i) => store.createTopic(p, instance, { name: `t-${i}`, partitions: 1, replicationFactor: 1, configs: {}, labels: {} }));
    const started = Date.now();
    await store.close();
    expect(Date.now() - started).toBeLessThan(10_000);
    const results = await Promise.allSettled(creates);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(30);
    // Everything committed: a fresh store sees the 30 topics.
    const again = await PrismaStore.connect(services.databaseUrl);
    expect(await again.topicUsage(instance.id)).toEqual({ topics: 30, partitions: 30 });
    await again.close();
  }, 60_000);
});

describe('PrismaStore.getPriceBook', () => {
  it('serves the latest price book in effect, not one that starts later', async () => {
    const store = await PrismaStore.connect(services.databaseUrl);
    try {
      const day = 24 * 3600_000;
      await store.db.priceBook.create({
        data: { id: 'pb-mid', name: 'mid', currency: 'EUR', effectiveFrom: new Date(Date.now() - day), prepaidDiscountPercent: 10, rates: { create: [{ id: 'pb-mid/broker-hour', meter: 'broker-hour', unit: 'broker-hour', priceMicros: 99 }] } },
      });
      await store.db.priceBook.create({ data: { id: 'pb-future', name: 'future', currency: 'GBP', effectiveFrom: new Date(Date.now() + day), prepaidDiscountPercent: 0 } });
      expect(await store.getPriceBook()).toMatchObject({ id: 'pb-mid', currency: 'EUR', prepaidDiscountPercent: 10, rates: [{ meter: 'broker-hour', unitPriceMicros: 99 }] });
    } finally {
      await store.db.priceBook.deleteMany({ where: { id: { in: ['pb-mid', 'pb-future'] } } });
      await store.close();
    }
  });
});
