import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startTestServices, type TestServices } from '@tributary/testkit';
import { InstanceLock, withInstanceLock } from './instance-lock.ts';

// Two "operator processes": two Redis connections, each with its own InstanceLock, on a real Redis.
let services: TestServices;
let a: Redis;
let b: Redis;
beforeAll(async () => {
  services = await startTestServices();
  a = new Redis(services.redisUrl);
  b = new Redis(services.redisUrl);
});
afterAll(async () => {
  a?.disconnect();
  b?.disconnect();
  await services?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('InstanceLock', () => {
  it('admits one holder per instance, and the next one after release', async () => {
    const prefix = `t-${randomUUID()}:`;
    const first = new InstanceLock(a, { prefix });
    const second = new InstanceLock(b, { prefix });
    const held = await first.tryAcquire('i-1');
    expect(held).not.toBeNull();
    expect(await second.tryAcquire('i-1')).toBeNull();
    const other = await second.tryAcquire('i-2');
    expect(other).not.toBeNull();
    await held!.release();
    const after = await second.tryAcquire('i-1');
    expect(after?.token).toBeDefined();
    await after!.release();
    await other!.release();
  });

  it('keeps a lease alive past its TTL while the holder works, and lets it expire when the holder dies', async () => {
    const prefix = `t-${randomUUID()}:`;
    const holder = new InstanceLock(a, { prefix, ttlMs: 300 });
    const contender = new InstanceLock(b, { prefix, ttlMs: 300 });
    const held = await holder.tryAcquire('i-1');
    await sleep(900); // three TTLs: renewals keep it
    expect(held!.held).toBe(true);
    expect(await contender.tryAcquire('i-1')).toBeNull();
    // A holder that stops renewing (a crashed process) loses the lease after the TTL.
    const dead = new Redis(services.redisUrl);
    const crashed = await new InstanceLock(dead, { prefix, ttlMs: 300 }).tryAcquire('i-9');
    expect(crashed).not.toBeNull();
    dead.disconnect(); // renewals now fail
    let taken = null;
    for (let i = 0; i < 40 && !taken; i++) {
      await sleep(100);
      taken = await contender.tryAcquire('i-9');
    }
    expect(taken).not.toBeNull();
    await taken!.release();
    await held!.release();
  });

  it('never lets a stale holder release the lease a newer holder took', async () => {
    const prefix = `t-${randomUUID()}:`;
    const lock = new InstanceLock(a, { prefix, ttlMs: 200 });
    const stale = await lock.tryAcquire('i-1');
    // Simulate a stalled holder: its lease expires without renewal being able to help.
    await a.del(`${prefix}i-1`);
    const fresh = await new InstanceLock(b, { prefix, ttlMs: 5000 }).tryAcquire('i-1');
    await sleep(150); // the stale holder's renewal notices it lost the lease
    expect(stale!.held).toBe(false);
    await stale!.release();
    expect(await lock.holder('i-1')).toBe(fresh!.token);
    await fresh!.release();
  });

  it('never runs two reconciles of one instance at once across workers, while other instances run in parallel', async () => {
    const prefix = `t-${randomUUID()}:`;
    const locks = [new InstanceLock(a, { prefix }), new InstanceLock(b, { prefix })];
    const running = new Map<string, number>();
    let maxSame = 0;
    let maxAll = 0;
    const work = (id: string) => async () => {
      running.set(id, (running.get(id) ?? 0) + 1);
      maxSame = Math.max(maxSame, running.get(id)!);
      maxAll = Math.max(maxAll, [...running.values()].reduce((s, n) => s + n, 0));
      await sleep(30);
      running.set(id, running.get(id)! - 1);
    };
    const attempts = Array.from({ length: 40 }, (_, i) => withInstanceLock(locks[i % 2]!, i % 4 < 2 ? 'same' : `other-${i}`, work(i % 4 < 2 ? 'same' : `other-${i}`)));
    const results = await Promise.all(attempts);
    expect(maxSame).toBe(1);
    expect(maxAll).toBeGreaterThan(1);
    expect(results.some((r) => !r.ran)).toBe(true); // contention on 'same' really happened
  });
});
