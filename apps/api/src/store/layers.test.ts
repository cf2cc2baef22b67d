import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServices, type TestServices } from '@tributary/testkit';
import { ApiError } from '../errors.ts';
import { PrismaStore } from './prisma-store.ts';
import { Connection } from './connection.ts';
import { TopicRepository } from './repositories/topics.ts';
import { ObjectRepository } from './repositories/instance-objects.ts';
import type { Principal } from './types.ts';

/** The store's layers: repositories answer failures as data; services check limits once, under the instance lock. */
let services: TestServices;
let store: PrismaStore;
let conn: Connection;
let p: Principal;
beforeAll(async () => {
  services = await startTestServices();
  store = await PrismaStore.connect(services.databaseUrl, { instanceCache: false });
  conn = await Connection.open(services.databaseUrl, { instanceCache: false });
  p = { keyId: 'key-1', accountId: await store.createAccount('a'), role: 'admin' };
});
afterAll(async () => { await conn?.close(); await store?.close(); await services?.stop(); });

const spec = (over: Partial<{ topicLimit: number; partitionLimit: number; consumerGroupLimit: number }> = {}) => ({
  zone: 'zone-a' as const, brokers: 1, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 1000, topicLimit: 1000, consumerGroupLimit: 5, billing: { mode: 'postpaid' as const }, brokerConfig: {}, ...over,
});
const topic = (name: string, partitions = 1) => ({ name, partitions, replicationFactor: 1, configs: {}, labels: {} });
const problemOf = async (p: Promise<unknown>) => { try { await p; return null; } catch (e) { return e instanceof ApiError ? e.code : e; } };

describe('repositories', () => {
  it('answer duplicate, stale and missing as data with a code, not an HTTP error', async () => {
    const { instance } = await store.createInstance(p, { name: 'repo', labels: {}, spec: spec() });
    const topics = new TopicRepository(conn);
    const first = await conn.tx((tx) => topics.insert(tx, 'top-r1', instance.id, topic('t')));
    expect(first.ok).toBe(true);
    expect(await conn.tx((tx) => topics.insert(tx, 'top-r2', instance.id, topic('t')))).toEqual({ ok: false, code: 'duplicate' });
    expect(await conn.tx((tx) => topics.update(tx, 'top-r1', { labels: { a: 'b' } }, 99))).toEqual({ ok: false, code: 'stale' });
    expect(await conn.tx((tx) => topics.update(tx, 'top-nope', { labels: {} }))).toEqual({ ok: false, code: 'missing' });
    const users = new ObjectRepository(conn, 'users');
    const cred = { mechanism: 'SCRAM-SHA-256', iterations: 4096, salt: 's', storedKey: 'k', serverKey: 'v', saltedPassword: 'x' };
    expect((await conn.tx((tx) => users.insert(tx, 'use-1', instance.id, 'u', cred))).ok).toBe(true);
    expect(await conn.tx((tx) => users.insert(tx, 'use-2', instance.id, 'u', cred))).toEqual({ ok: false, code: 'duplicate' });
  });
});

describe('services', () => {
  it('concurrent topic creates never overshoot topicLimit (checked once, under the instance lock)', async () => {
    const { instance } = await store.createInstance(p, { name: 'limits', labels: {}, spec: spec({ topicLimit: 5 }) });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => problemOf(store.createTopic(p, instance, topic(`t-${i}`)))));
    expect(results.filter((r) => r === null)).toHaveLength(5);
    expect(results.filter((r) => r === 'limit-exceeded')).toHaveLength(7);
    expect(await store.topicUsage(instance.id)).toEqual({ topics: 5, partitions: 5 });
  }, 60_000);

  it('reads limits from the locked row: a limit lowered after the caller read the instance still holds', async () => {
    const { instance } = await store.createInstance(p, { name: 'lowered', labels: {}, spec: spec({ partitionLimit: 10 }) });
    await store.updateInstance(p, instance.id, { labels: {}, spec: spec({ partitionLimit: 2 }) });
    // `instance` is the row as read before the change (partitionLimit 10).
    expect(await problemOf(store.createTopic(p, instance, topic('big', 3)))).toBe('limit-exceeded');
    expect(await problemOf(store.createTopic(p, instance, topic('ok', 2)))).toBeNull();
    const t = (await store.getTopic(instance.id, 'ok'))!;
    expect(await problemOf(store.updateTopic(p, t, { partitions: 3 }))).toBe('limit-exceeded');
    expect(await problemOf(store.updateTopic(p, t, { partitions: 1 }))).toBe('partition-decrease');
  });

  it('refuses a spec whose limits are below usage, and concurrent consumer-group quotas stay within consumerGroupLimit', async () => {
    const { instance } = await store.createInstance(p, { name: 'below', labels: {}, spec: spec({ consumerGroupLimit: 2 }) });
    await store.createTopic(p, instance, topic('a', 3));
    expect(await problemOf(store.updateInstance(p, instance.id, { labels: {}, spec: spec({ partitionLimit: 2 }) }))).toBe('limit-exceeded');
    expect(await problemOf(store.updateInstance(p, instance.id, { labels: {}, spec: spec({ topicLimit: 0 }) }))).toBe('limit-exceeded');
    const quotas = await Promise.all(Array.from({ length: 5 }, (_, i) => problemOf(store.createObject(p, instance, 'consumer-group-quotas', `g-${i}`, { maxMembers: 3 }))));
    expect(quotas.filter((r) => r === null)).toHaveLength(2);
    expect(await store.countObjects(instance.id, 'consumer-group-quotas')).toBe(2);
  }, 60_000);
});
