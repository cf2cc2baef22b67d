import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until as untilWithin, useApiHarness } from '../testing/api-harness.ts';
import type { OutboxDrainer } from './outbox-drainer.ts';

/**
 * One-way writes: a route commits its change and the change's reconcile job in one transaction
 * (outbox_job); the drainer moves jobs to BullMQ. With Redis stopped the client still gets its 202,
 * nothing is lost, and after Redis is back every job is in the queue exactly once.
 */
const h = useApiHarness({ keys: { a: { account: 'A', role: 'admin' } }, inspect: true, app: { outboxDrainer: false, docs: false } });
// The test runs the drainer itself (short backoff) so it can stop it for the crash case.
let drainer: OutboxDrainer;
beforeAll(() => { drainer = h.store.startOutboxDrainer(h.queue, { pollMs: 200, minBackoffMs: 50, maxBackoffMs: 400 }); });
afterAll(async () => { await drainer?.stop(); });

const call = (method: 'POST' | 'GET' | 'DELETE', url: string, body?: object, headers: Record<string, string> = {}) => h.call(method, url, { body, headers });
const until = (check: () => Promise<boolean>, what: string) => untilWithin(check, what, 20_000, 50);
const spec = { zone: 'zone-a', brokers: 1, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 100, topicLimit: 50, consumerGroupLimit: 5, billing: { mode: 'postpaid' } };
/** Every job BullMQ holds, by id (nothing consumes the queue here, so they all wait). */
async function jobIds(): Promise<string[]> {
  const jobs = await h.inspect.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized']);
  return jobs.map((j) => j.id!).sort();
}

describe('outbox', () => {
  it('answers 202 while Redis is down; after it is back every job is delivered once; an idempotent retry replays', async () => {
    await h.services.stopRedis();
    const created = await call('POST', '/v1/instances', { name: 'offline', spec }, { 'idempotency-key': 'create-offline' });
    expect(created.statusCode, created.body).toBe(202);
    const id = created.json().resource.id as string;
    const topicIds: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      const t = await call('POST', `/v1/instances/${id}/topics`, { name, partitions: 1, replicationFactor: 1 });
      expect(t.statusCode, t.body).toBe(202);
      topicIds.push(t.json().resource.id);
    }
    const user = await call('POST', `/v1/instances/${id}/users`, { name: 'svc', password: 'a long enough secret' });
    expect(user.statusCode, user.body).toBe(202);
    // The retry of the create is the stored 202, not "already exists" (the key was kept: nothing failed after the commit).
    const retry = await call('POST', '/v1/instances', { name: 'offline', spec }, { 'idempotency-key': 'create-offline' });
    expect(retry.statusCode).toBe(202);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    // The jobs wait in PostgreSQL while the drainer keeps failing.
    await until(async () => (await h.store.db.outboxJob.findMany()).every((r) => r.attempts >= 1), 'the drainer tried every row and failed');
    const rows = await h.store.db.outboxJob.findMany({ orderBy: { id: 'asc' } });
    expect(rows).toHaveLength(5);
    expect(rows.every((r) => r.lastError !== null)).toBe(true);

    await h.services.startRedis();
    await until(async () => (await h.store.outbox.count()) === 0, 'the outbox drained after Redis came back');
    const ids = await jobIds();
    expect(ids).toEqual([
      `instance-${id}-1`, ...topicIds.map((t) => `topic-${t}-1`), rows.find((r) => r.name === 'reconcile-user')!.jobId,
    ].sort());
    const instanceJob = await h.inspect.getJob(`instance-${id}-1`);
    expect(instanceJob?.data).toMatchObject({ instanceId: id, generation: 1, reason: 'created', operationId: created.json().operation.id });
  }, 90_000);

  it('a drain that crashes after enqueueing leaves its rows, and draining them again adds nothing twice', async () => {
    await drainer.stop();
    const inst = (await call('POST', '/v1/instances', { name: 'crashy', spec })).json().resource.id as string;
    const before = await jobIds();
    // Delivered to BullMQ, then the process "dies" before deleting the rows: the transaction rolls back.
    await expect(h.store.outbox.drain(100, async (rows) => {
      for (const row of rows) await h.queue.enqueue(row);
      throw new Error('crash after enqueue');
    })).rejects.toThrow('crash after enqueue');
    expect(await h.store.outbox.count()).toBe(1);
    expect(await jobIds()).toEqual([...before, `instance-${inst}-1`].sort());
    // The next drainer delivers the same row again: BullMQ already holds that job id.
    drainer = h.store.startOutboxDrainer(h.queue, { pollMs: 200 });
    await until(async () => (await h.store.outbox.count()) === 0, 'the kept row drained');
    expect(await jobIds()).toEqual([...before, `instance-${inst}-1`].sort());
  }, 60_000);
});
