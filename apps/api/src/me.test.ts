import { describe, expect, it } from 'vitest';
import { SMALL_SPEC, useApiHarness, type Method } from './testing/api-harness.ts';

/** GET /v1/me, GET /v1/audit-events and the Tributary-Account header against the real store (PostgreSQL). */
const PLATFORM_KEY = 'trb_platform_me_0123456789abcdefghijkl';
const h = useApiHarness({
  keys: {
    admin: { account: 'A', role: 'admin' }, operator: { account: 'A', role: 'operator' }, viewer: { account: 'A', role: 'viewer' },
    billing: { account: 'A', role: 'billing' }, other: { account: 'B', role: 'admin' },
  },
  app: { docs: false, outboxDrainer: false }, instance: 'audited', platformKey: PLATFORM_KEY,
});

describe('GET /v1/me', () => {
  it('names the calling key, its role and account, and its Kafka principal, for every role', async () => {
    for (const [name, role] of [['admin', 'admin'], ['operator', 'operator'], ['viewer', 'viewer'], ['billing', 'billing']] as const) {
      const r = await h.call('GET', '/v1/me', { key: h.keys[name] });
      expect(r.statusCode, name).toBe(200);
      const me = r.json();
      expect(me.key.role).toBe(role);
      expect(me.key.name).toBe(name);
      expect(me.account).toEqual({ id: h.accounts['A'], name: 'A' });
      expect(me.platformAdmin).toBe(false);
      expect(me.kafkaPrincipal).toBe(`User:tributary-api.${me.key.id}`);
      // The prefix is what key lists show; the secret is never echoed.
      expect(h.keys[name].startsWith(`trb_${me.key.prefix}_`)).toBe(true);
      expect(JSON.stringify(me)).not.toContain(h.keys[name]);
      expect(r.headers['cache-control']).toBe('no-store');
    }
    expect((await h.call('GET', '/v1/me', { key: h.keys.other })).json().account.id).toBe(h.accounts['B']);
  });

  it('answers 401 without a key or with a revoked one', async () => {
    expect((await h.call('GET', '/v1/me', { key: 'trb_000000000000_nope' })).statusCode).toBe(401);
    const created = (await h.call('POST', '/v1/api-keys', { body: { name: 'short-lived', role: 'viewer' } })).json();
    expect((await h.call('GET', '/v1/me', { key: created.secret })).json().key.id).toBe(created.id);
    expect((await h.call('DELETE', `/v1/api-keys/${created.id}`)).statusCode).toBe(200);
    const after = await h.call('GET', '/v1/me', { key: created.secret });
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe('unauthenticated');
  });
});

describe('GET /v1/audit-events', () => {
  it('lists the account\'s trail newest first with the key behind each change, and pages through it', async () => {
    const me = (await h.call('GET', '/v1/me', { key: h.keys.operator })).json();
    for (const name of ['t-one', 't-two', 't-three']) {
      expect((await h.call('POST', `/v1/instances/${h.instanceId}/topics`, { key: h.keys.operator, body: { name, partitions: 1, replicationFactor: 1 } })).statusCode).toBe(202);
    }
    const all = (await h.call('GET', '/v1/audit-events?limit=200')).json();
    const topicCreates = all.items.filter((e: { action: string }) => e.action === 'topic.create');
    expect(topicCreates.map((e: { detail: { name: string }; keyId: string; targetType: string }) => [e.detail.name, e.keyId, e.targetType])).toEqual([
      ['t-three', me.key.id, 'topic'], ['t-two', me.key.id, 'topic'], ['t-one', me.key.id, 'topic'],
    ]);
    const times = all.items.map((e: { at: string }) => Date.parse(e.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(all.items.some((e: { action: string }) => e.action === 'instance.create')).toBe(true);

    // Pages of 2: every event once, in the same order.
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = (await h.call('GET', `/v1/audit-events?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).json();
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((e: { id: string }) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.items.map((e: { id: string }) => e.id));
  });

  it('filters by action (exact or prefix*), target and key', async () => {
    const me = (await h.call('GET', '/v1/me', { key: h.keys.operator })).json();
    const creates = (await h.call('GET', '/v1/audit-events?action=topic.create')).json().items;
    expect(creates.length).toBeGreaterThanOrEqual(3);
    expect(creates.every((e: { action: string }) => e.action === 'topic.create')).toBe(true);
    const topicAll = (await h.call('GET', '/v1/audit-events?action=topic.*')).json().items;
    expect(topicAll.every((e: { action: string }) => e.action.startsWith('topic.'))).toBe(true);
    // A LIKE metacharacter in the prefix matches itself, not "any character".
    expect((await h.call('GET', '/v1/audit-events?action=topic_*')).json().items).toEqual([]);
    const byKey = (await h.call('GET', `/v1/audit-events?keyId=${me.key.id}`)).json().items;
    expect(byKey.length).toBeGreaterThanOrEqual(3);
    expect(byKey.every((e: { keyId: string }) => e.keyId === me.key.id)).toBe(true);
    const one = (await h.call('GET', `/v1/audit-events?targetId=${h.instanceId}`)).json().items;
    expect(one.map((e: { action: string }) => e.action)).toContain('instance.create');
    expect(one.every((e: { targetId: string }) => e.targetId === h.instanceId)).toBe(true);
  });

  it('shows one account only, refuses billing keys, and answers problems for bad input', async () => {
    const other = (await h.call('GET', '/v1/audit-events?limit=200', { key: h.keys.other })).json().items;
    expect(other.some((e: { targetId: string }) => e.targetId.startsWith(h.instanceId))).toBe(false);
    expect((await h.call('GET', '/v1/audit-events', { key: h.keys.viewer })).statusCode).toBe(200);
    const billing = await h.call('GET', '/v1/audit-events', { key: h.keys.billing });
    expect(billing.statusCode).toBe(403);
    expect(billing.json().code).toBe('forbidden');
    for (const [query, path] of [['cursor=garbage', '/cursor'], ['limit=0', '/limit'], ['limit=201', '/limit'], ['sort=asc', '']] as const) {
      const r = await h.call('GET', `/v1/audit-events?${query}`);
      expect(r.statusCode, query).toBe(422);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(r.json().code).toBe('validation-failed');
      if (path) expect(r.json().errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    // A well-formed cursor of another list (a non-numeric id) is refused, not a 500.
    const instancesPage = (await h.call('POST', `/v1/instances`, { body: { name: 'second', labels: {}, spec: { zone: 'zone-a', brokers: 1, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 20, topicLimit: 5, consumerGroupLimit: 10, billing: { mode: 'postpaid' } } } }));
    expect(instancesPage.statusCode).toBe(202);
    const listed = (await h.call('GET', '/v1/instances?limit=1')).json();
    expect(listed.nextCursor).toBeDefined();
    const r = await h.call('GET', `/v1/audit-events?cursor=${encodeURIComponent(listed.nextCursor)}`);
    expect(r.statusCode).toBe(422);
    expect(r.json().errors[0].path).toBe('/cursor');
  });
});

describe('Tributary-Account: a platform admin acting on another account', () => {
  const asA = (method: Method, url: string, key: string, body?: unknown) => h.call(method, url, { key, body, headers: { 'tributary-account': h.accounts['A']! } });

  it('sees and changes the account as its own admins do, and the account\'s trail names the platform key', async () => {
    const home = (await h.call('GET', '/v1/me', { key: PLATFORM_KEY })).json();
    expect(home.account.id).toBe('acc-bootstrap');
    expect(home.homeAccount).toBeNull();
    expect(home.platformAdmin).toBe(true);
    const acting = (await asA('GET', '/v1/me', PLATFORM_KEY)).json();
    expect(acting.account).toEqual({ id: h.accounts['A'], name: 'A' });
    expect(acting.homeAccount).toEqual({ id: 'acc-bootstrap', name: home.account.name });
    expect(acting.platformAdmin).toBe(true);
    expect(acting.key.id).toBe(home.key.id);

    // Every list scopes to the named account: A's instance there, not at home.
    const names = async (r: Promise<{ json(): { items: { name: string }[] } }>) => (await r).json().items.map((i) => i.name);
    expect(await names(asA('GET', '/v1/instances', PLATFORM_KEY))).toContain('audited');
    expect(await names(h.call('GET', '/v1/instances', { key: PLATFORM_KEY }))).not.toContain('audited');
    expect(await names(asA('GET', '/v1/api-keys', PLATFORM_KEY))).toContain('admin');
    // Still a platform admin while acting: every account is listed (the console's account picker).
    expect((await names(asA('GET', '/v1/accounts', PLATFORM_KEY))).sort()).toEqual(expect.arrayContaining(['A', 'B', home.account.name]));

    const created = await asA('POST', `/v1/instances/${h.instanceId}/topics`, PLATFORM_KEY, { name: 'by-platform', partitions: 1, replicationFactor: 1 });
    expect(created.statusCode, created.body).toBe(202);
    const trail = (await h.call('GET', `/v1/audit-events?action=topic.create&keyId=${home.key.id}`)).json().items;
    expect(trail.map((e: { detail: { name: string } }) => e.detail.name)).toEqual(['by-platform']);
    // A key minted while acting belongs to the account acted on.
    const minted = (await asA('POST', '/v1/api-keys', PLATFORM_KEY, { name: 'minted-for-a', role: 'viewer' })).json();
    expect(minted.accountId).toBe(h.accounts['A']);

    // One Idempotency-Key: replayed for the same account, refused for another (never A's answer for B).
    const once = (account: string) => h.call('POST', '/v1/billing/quotes', { key: PLATFORM_KEY, body: { kind: 'create', spec: SMALL_SPEC }, headers: { 'tributary-account': account, 'idempotency-key': 'acting-idem-1' } });
    const first = await once(h.accounts['A']!);
    expect(first.statusCode, first.body).toBe(200);
    const replay = await once(h.accounts['A']!);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    const elsewhere = await once(h.accounts['B']!);
    expect(elsewhere.statusCode).toBe(422);
    expect(elsewhere.json().code).toBe('idempotency-key-reused');
  });

  it('refuses the header from any other key (403) and for an unknown account (404), naming the header; its own account or an empty value changes nothing', async () => {
    const foreign = await asA('GET', '/v1/instances', h.keys.other);
    expect(foreign.statusCode).toBe(403);
    expect(foreign.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(foreign.json().code).toBe('forbidden');
    expect(foreign.json().errors).toEqual([{ in: 'headers', path: '/tributary-account', message: expect.any(String) }]);
    for (const account of ['acc-doesnotexist', 'not an id']) {
      const unknown = await h.call('GET', '/v1/instances', { key: PLATFORM_KEY, headers: { 'tributary-account': account } });
      expect(unknown.statusCode, account).toBe(404);
      expect(unknown.json().code).toBe('not-found');
      expect(unknown.json().errors[0].path).toBe('/tributary-account');
    }
    expect((await asA('GET', '/v1/me', h.keys.viewer)).json().account.id).toBe(h.accounts['A']);
    const empty = await h.call('GET', '/v1/me', { key: PLATFORM_KEY, headers: { 'tributary-account': '' } });
    expect(empty.json().account.id).toBe('acc-bootstrap');
  });
});
