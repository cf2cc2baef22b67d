import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import pg from 'pg';
import { startTestServices, type TestServices } from '@tributary/testkit';
import { createDb, createPool, type Db } from './client.ts';
import { FastReads } from './fast-reads.ts';
import { InstanceCache } from './instance-cache.ts';
import { migrate } from './migrate.ts';

let services: TestServices;
let pool: pg.Pool;
let db: Db;
let fast: FastReads;
const caches: InstanceCache[] = [];

beforeAll(async () => {
  services = await startTestServices();
  await migrate(services.databaseUrl);
  pool = createPool(services.databaseUrl, 4);
  db = createDb(pool);
  fast = new FastReads(pool);
  await db.account.create({ data: { id: 'acc-1', name: 'a' } });
  // The caches listen as a role of their own, so a test can refuse its reconnects (NOLOGIN) while
  // looking at the bypassed state; a superuser could not be refused.
  await pool.query('CREATE ROLE cache_listener LOGIN');
  const url = new URL(services.databaseUrl);
  url.username = 'cache_listener';
  listenerUrl = url.toString();
}, 60_000);
let listenerUrl: string;
afterAll(async () => {
  for (const c of caches) await c.close();
  await db?.$disconnect();
  await pool?.end();
  await services?.stop();
});

const base = {
  accountId: 'acc-1', zone: 'zone-a', brokers: 3, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 10, topicLimit: 5,
  consumerGroupLimit: 5, billingMode: 'postpaid' as const, billingStartedAt: new Date('2026-01-02T03:04:05.678Z'),
};
let n = 0;
/** An instance the operator has reported on once (its status row says Creating). */
async function newInstance(): Promise<string> {
  const id = `ins-${++n}`;
  await db.instance.create({ data: { ...base, id, name: id, status: { create: { phase: 'Creating' } } } });
  return id;
}
/** Counts the loads that reach PostgreSQL, and can hold one between its query and its return. */
function countingLoad() {
  const loads = { count: 0, gate: null as Promise<void> | null, readDone: null as (() => void) | null };
  const load = async (id: string) => {
    loads.count++;
    const row = await fast.instanceById(id);
    const gate = loads.gate;
    if (gate) {
      loads.gate = null;
      loads.readDone?.();
      await gate;
    }
    return row;
  };
  return { loads, load };
}

/** A cache whose first load of `id` has read the row and holds its result until `release()`. */
async function cacheWithHeldLoad(id: string) {
  const { loads, load } = countingLoad();
  const cache = await startCache(load);
  let release!: () => void;
  loads.gate = new Promise<void>((r) => { release = r; });
  const readDone = new Promise<void>((r) => { loads.readDone = r; });
  const slow = cache.get(id);
  await readDone;
  return { cache, loads, slow, release };
}
async function startCache(load: (id: string) => Promise<Awaited<ReturnType<FastReads['instanceById']>>>, maxEntries?: number) {
  const cache = new InstanceCache({
    connectionString: listenerUrl, load, ...(maxEntries ? { maxEntries } : {}),
    listener: { backoff: { initialMs: 50, maxMs: 500 }, pingIntervalMs: 1_000, pingTimeoutMs: 2_000 },
  });
  caches.push(cache);
  await cache.start();
  expect(cache.usable).toBe(true);
  return cache;
}
/** Polls `check` until it holds; bounded so a broken cache fails the test instead of hanging it. */
async function eventually(check: () => Promise<boolean> | boolean, what: string, deadlineMs = 15_000) {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for: ${what}`);
}
/** A write another process makes (the operator's status update, in its own table) on its own connection. */
async function operatorWrites(id: string, phase: string, opts: { silent?: boolean } = {}) {
  const c = new pg.Client({ connectionString: services.databaseUrl });
  await c.connect();
  try {
    // session_replication_role = replica skips triggers: a change whose notification is never sent.
    if (opts.silent) await c.query('SET session_replication_role = replica');
    await c.query('UPDATE "instance_status" SET phase = $2, updated_at = now() WHERE instance_id = $1', [id, phase]);
  } finally {
    await c.end();
  }
}

describe('InstanceCache', () => {
  it('serves a row from memory until another connection changes it, then the change once notified', async () => {
    const id = await newInstance();
    const { loads, load } = countingLoad();
    const cache = await startCache(load);
    expect((await cache.get(id))?.status?.phase).toBe('Creating');
    expect((await cache.get(id))?.status?.phase).toBe('Creating');
    expect(loads.count).toBe(1);
    expect(cache.stats.hits).toBe(1);

    // Proof that it really serves from memory: a change without notification stays unseen.
    await operatorWrites(id, 'Silent', { silent: true });
    expect((await cache.get(id))?.status?.phase).toBe('Creating');

    await operatorWrites(id, 'Running');
    await eventually(async () => (await cache.get(id))?.status?.phase === 'Running', 'the notified change to be read');
    const loadsAfter = loads.count;
    expect((await cache.get(id))?.status?.phase).toBe('Running');
    expect(loads.count).toBe(loadsAfter); // cached again
  });

  it('notifies deletes too; missing ids are not cached', async () => {
    const id = await newInstance();
    const cache = await startCache((x) => fast.instanceById(x));
    await cache.get(id);
    expect(cache.size).toBe(1);
    // The status row's delete (its own trigger), then the instance row's.
    await db.instanceStatus.delete({ where: { instanceId: id } });
    await eventually(() => cache.size === 0, 'the status delete to be notified');
    expect((await cache.get(id))?.status).toBeNull();
    expect(cache.size).toBe(1);
    await db.instance.delete({ where: { id } });
    await eventually(() => cache.size === 0, 'the delete to be notified');
    expect(await cache.get(id)).toBeNull();
    expect(cache.size).toBe(0); // missing ids are not cached
  });

  it('a load that read the old row before an invalidation does not cache it (race guard)', async () => {
    const id = await newInstance();
    const { cache, loads, slow, release } = await cacheWithHeldLoad(id); // the old row is read; the load has not returned
    const invalidationsBefore = cache.stats.invalidations;
    await operatorWrites(id, 'Running');
    await eventually(() => cache.stats.invalidations > invalidationsBefore, 'the notification to arrive');
    release();
    expect((await slow)?.status?.phase).toBe('Creating'); // that caller got what it read
    expect((await cache.get(id))?.status?.phase).toBe('Running'); // but it was not cached
    expect(loads.count).toBe(2);
  });

  it("the process's own invalidate() keeps an in-flight load from caching (read-your-writes)", async () => {
    const id = await newInstance();
    const { cache, slow, release } = await cacheWithHeldLoad(id);
    // Our own write, with the trigger skipped so only the synchronous invalidate can save us.
    await operatorWrites(id, 'Updating', { silent: true });
    cache.invalidate(id);
    release();
    await slow;
    expect((await cache.get(id))?.status?.phase).toBe('Updating');
  });

  it('when the LISTEN connection dies: bypassed (no stale reads), then cached again after the reconnect', async () => {
    const id = await newInstance();
    const { loads, load } = countingLoad();
    const cache = await startCache(load);
    await cache.get(id);
    const pid = cache.listenerPid;
    expect(pid).toBeTypeOf('number');
    const admin = new pg.Client({ connectionString: services.databaseUrl });
    await admin.connect();
    try {
      // Hold the reconnect off while we look at the bypassed state.
      await admin.query('ALTER ROLE cache_listener NOLOGIN');
      try {
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        await eventually(() => !cache.usable, 'the loss to be noticed');
        expect(cache.size).toBe(0);
        // A change nobody is notified of (the listener is gone): must be read, not served stale.
        await operatorWrites(id, 'WhileDown', { silent: true });
        const before = loads.count;
        expect((await cache.get(id))?.status?.phase).toBe('WhileDown');
        expect((await cache.get(id))?.status?.phase).toBe('WhileDown');
        expect(loads.count).toBe(before + 2); // every read went to PostgreSQL
        expect(cache.size).toBe(0);
        expect(cache.stats.bypassed).toBeGreaterThanOrEqual(2);
      } finally {
        await admin.query('ALTER ROLE cache_listener LOGIN');
      }
    } finally {
      await admin.end();
    }
    await eventually(() => cache.usable, 'LISTEN to be re-established');
    expect(cache.listenerPid).not.toBe(pid);
    await cache.get(id);
    const before = loads.count;
    expect((await cache.get(id))?.status?.phase).toBe('WhileDown');
    expect(loads.count).toBe(before); // served from memory again
    await operatorWrites(id, 'AfterReconnect');
    await eventually(async () => (await cache.get(id))?.status?.phase === 'AfterReconnect', 'notifications to flow again');
  });

  it('a LISTEN connection that goes silent (no error, no close) is noticed by its ping and replaced', async () => {
    // A TCP relay to PostgreSQL that can stop forwarding the connections it has, without closing them.
    const pgUrl = new URL(listenerUrl);
    const relayed: net.Socket[] = [];
    const relay = net.createServer((client) => {
      const server = net.connect(Number(pgUrl.port), pgUrl.hostname);
      client.pipe(server).pipe(client);
      client.on('error', () => server.destroy());
      server.on('error', () => client.destroy());
      relayed.push(client, server);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const viaRelay = new URL(listenerUrl);
    viaRelay.port = String((relay.address() as net.AddressInfo).port);
    const id = await newInstance();
    const { loads, load } = countingLoad();
    const cache = new InstanceCache({ connectionString: viaRelay.toString(), load, listener: { backoff: { initialMs: 50, maxMs: 500 }, pingIntervalMs: 500, pingTimeoutMs: 1_000 } });
    caches.push(cache);
    try {
      await cache.start();
      expect(cache.usable).toBe(true);
      await cache.get(id);
      const pid = cache.listenerPid;
      for (const s of relayed) { s.unpipe(); s.pause(); } // silence, not a close
      const silenced = relayed.length;
      await eventually(() => !cache.usable, 'the silent connection to be given up');
      await operatorWrites(id, 'Unheard', { silent: true });
      const before = loads.count;
      expect((await cache.get(id))?.status?.phase).toBe('Unheard');
      expect(loads.count).toBe(before + 1);
      await eventually(() => cache.usable, 'a new LISTEN connection through the relay');
      expect(cache.listenerPid).not.toBe(pid);
      expect(relayed.length).toBeGreaterThan(silenced); // it came back through the relay
    } finally {
      await cache.close();
      for (const s of relayed) s.destroy();
      await new Promise((r) => relay.close(r));
    }
  });

  it('keeps at most maxEntries rows, dropping the least recently used', async () => {
    const [a, b, c] = [await newInstance(), await newInstance(), await newInstance()];
    const { loads, load } = countingLoad();
    const cache = await startCache(load, 2);
    await cache.get(a);
    await cache.get(b);
    await cache.get(a); // a is now the most recently used
    await cache.get(c); // evicts b
    expect(cache.size).toBe(2);
    const before = loads.count;
    await cache.get(a);
    await cache.get(c);
    expect(loads.count).toBe(before);
    await cache.get(b);
    expect(loads.count).toBe(before + 1);
  });

  it('cached rows are frozen: a caller cannot corrupt what the next request reads', async () => {
    const id = await newInstance();
    const cache = await startCache((x) => fast.instanceById(x));
    await cache.get(id);
    const row = (await cache.get(id))!;
    expect(() => { (row as { name: string }).name = 'x'; }).toThrow(TypeError);
    expect(() => { (row.status as { phase: string }).phase = 'x'; }).toThrow(TypeError);
    expect(() => { (row.labels as Record<string, string>)['k'] = 'v'; }).toThrow(TypeError);
  });

  it('TRUNCATE (no row triggers) drops every cached row', async () => {
    const [a, b] = [await newInstance(), await newInstance()];
    const cache = await startCache((x) => fast.instanceById(x));
    await cache.get(a);
    await cache.get(b);
    expect(cache.size).toBe(2);
    await pool.query('TRUNCATE "instance" CASCADE');
    await eventually(() => cache.size === 0, 'the truncate to be notified');
    expect(await cache.get(a)).toBeNull();
  });
});
