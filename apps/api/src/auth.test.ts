import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { generateApiKey } from './plugins/auth.ts';
import { useApiHarness } from './testing/api-harness.ts';

/** Issue 14, authentication and limits: default-deny, normalised paths, Redis-shared limits, billing role, lastUsedAt. */
const h = useApiHarness({
  keys: { admin: { account: 'A', role: 'admin' }, billing: { account: 'A', role: 'billing' } },
  redis: true, app: { docs: false, outboxDrainer: false }, instance: 'auth',
});
const keys = h.keys;
const app = (opts: { rateLimitMax?: number; authFailureMax?: number } = {}) => h.newApp({ docs: false, outboxDrainer: false, ...opts });

describe('default-deny authentication', () => {
  it('every documented route and /metrics answer 401 without a key; only /healthz and /readyz are public', async () => {
    const a = await app({ authFailureMax: 1_000_000 });
    await a.ready();
    const doc = a.swagger() as { paths: Record<string, Record<string, unknown>> };
    let checked = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const method of Object.keys(methods)) {
        const url = path.replace(/\{[^}]+\}/g, 'x1');
        // From an address of its own: these failures count against it (the limit is shared through Redis).
        const r = await a.inject({ method: method.toUpperCase() as 'GET', url, remoteAddress: '10.9.9.9' });
        expect(r.statusCode, `${method} ${url}`).toBe(401);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
    expect((await a.inject({ url: '/metrics', remoteAddress: '10.9.9.9' })).statusCode).toBe(401);
    expect((await a.inject({ url: '/no/such/route', remoteAddress: '10.9.9.9' })).statusCode).toBe(401);
    expect((await a.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await a.inject({ url: '/readyz' })).statusCode).toBe(200);
  });
  it('a percent-encoded path does not skip authentication or the rate limit', async () => {
    const a = await app({ rateLimitMax: 2, authFailureMax: 1_000_000 });
    expect((await a.inject({ url: '/%76%31/billing/price-book', remoteAddress: '10.9.9.10' })).statusCode).toBe(401);
    const k = generateApiKey();
    await h.store.createApiKey(h.accounts['A']!, 'limited', 'viewer', k.prefix, k.hash);
    const codes = [];
    for (const url of ['/v1/billing/price-book', '/%76%31/billing/price-book', '/v1/%62illing/price-book']) {
      codes.push((await a.inject({ url, headers: { authorization: `Bearer ${k.key}` } })).statusCode);
    }
    expect(codes).toEqual([200, 200, 429]);
  });
});

describe('limits in Redis', () => {
  it('two API processes share one per-key limit', async () => {
    const [a, b] = [await app({ rateLimitMax: 4 }), await app({ rateLimitMax: 4 })];
    const k = generateApiKey();
    await h.store.createApiKey(h.accounts['A']!, 'shared', 'viewer', k.prefix, k.hash);
    const codes = [];
    for (const x of [a, b, a, b, a]) codes.push((await x.inject({ url: '/v1/instances', headers: { authorization: `Bearer ${k.key}` } })).statusCode);
    expect(codes).toEqual([200, 200, 200, 200, 429]);
  });
  it('bad or missing keys are limited per client address, the lock-out grows, other addresses are unaffected', async () => {
    const [a, b] = [await app({ authFailureMax: 3 }), await app({ authFailureMax: 3 })];
    const from = (x: FastifyInstance, ip: string, key?: string) => x.inject({ url: '/v1/instances', remoteAddress: ip, headers: key ? { authorization: `Bearer ${key}` } : {} });
    expect((await from(a, '10.0.0.7', 'trb_bad_1')).statusCode).toBe(401);
    expect((await from(b, '10.0.0.7')).statusCode).toBe(401);
    expect((await from(a, '10.0.0.7', 'trb_bad_2')).statusCode).toBe(401);
    const locked = await from(b, '10.0.0.7', 'trb_bad_3');
    expect(locked.statusCode).toBe(429);
    expect(locked.json().code).toBe('rate-limited');
    const first = Number(locked.headers['retry-after']);
    // Even a valid key from that address waits now, and every attempt doubles the lock-out.
    const again = await from(a, '10.0.0.7', keys.admin);
    expect(again.statusCode).toBe(429);
    expect(Number(again.headers['retry-after'])).toBeGreaterThan(first);
    expect((await from(a, '10.0.0.8', keys.admin)).statusCode).toBe(200);
  });
});

describe('roles and key use', () => {
  it('the billing role reads billing and which instances exist, not their topics, users, ACLs or groups', async () => {
    const a = await app();
    const get = (url: string) => a.inject({ url, headers: { authorization: `Bearer ${keys.billing}` } });
    for (const url of ['/v1/billing/usage', '/v1/billing/price-book', '/v1/instances', `/v1/instances/${h.instanceId}`, '/v1/accounts']) expect((await get(url)).statusCode, url).toBe(200);
    for (const sub of ['topics', 'users', 'acls', 'client-quotas', 'consumer-group-quotas', 'consumer-groups']) {
      expect((await get(`/v1/instances/${h.instanceId}/${sub}`)).statusCode, sub).toBe(403);
    }
    expect((await get('/v1/operations')).statusCode).toBe(403);
  });
  it('lastUsedAt is filled in, at most once a minute per key and process', async () => {
    const a = await app();
    const list = async () => (await a.inject({ url: '/v1/api-keys', headers: { authorization: `Bearer ${keys.admin}` } })).json().items as { name: string; lastUsedAt: string | null }[];
    let used: string | null = null;
    for (let i = 0; i < 50 && !used; i++) used = (await list()).find((k) => k.name === 'admin')?.lastUsedAt ?? null; // bounded poll: the write is off the request path
    expect(used).not.toBeNull();
    for (let i = 0; i < 5; i++) await list();
    expect((await list()).find((k) => k.name === 'admin')?.lastUsedAt).toBe(used);
  });
});
