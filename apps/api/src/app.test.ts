import { beforeAll, describe, expect, it } from 'vitest';
import { JOBS, ReconcileInstanceJobSchema, ReconcileTopicJobSchema } from '@tributary/contracts';
import { hashApiKey } from './plugins/auth.ts';
import { until, useApiHarness, type Method } from './testing/api-harness.ts';

const PLATFORM_KEY = 'trb_platform_0123456789abcdefghijklmnop';
const h = useApiHarness({
  keys: { adminA: { account: 'A', role: 'admin' }, viewerA: { account: 'A', role: 'viewer' }, adminB: { account: 'B', role: 'admin' } },
  platformKey: PLATFORM_KEY, inspect: true,
});
const keys = h.keys;

const spec = {
  zone: 'zone-a', brokers: 3, bandwidthMBps: 40, diskGiB: 500, partitionLimit: 20, topicLimit: 5,
  consumerGroupLimit: 10, billing: { mode: 'postpaid' },
};

const call = (method: Method, url: string, key: string, body?: unknown, headers: Record<string, string> = {}) => h.call(method, url, { key, body, headers });
/** Jobs reach Redis from the outbox shortly after the write's 202 (jobs/outbox-drainer.ts): wait for one, bounded. */
async function jobOf(id: string) {
  await until(async () => (await h.inspect.getJob(id)) !== undefined, `job ${id} in the queue`);
  return (await h.inspect.getJob(id))!;
}
async function newInstance(name: string, over: Partial<typeof spec> = {}, labels: Record<string, string> = {}) {
  const r = await call('POST', '/v1/instances', keys.adminA, { name, labels, spec: { ...spec, ...over } });
  expect(r.statusCode, r.body).toBe(202);
  return r.json().resource as { id: string; etag: string; generation: number };
}

describe('ops endpoints', () => {
  it('healthz and readyz answer without a key; metrics only to platform admin keys', async () => {
    expect((await h.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await h.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toEqual({ postgresql: 'ok', redis: 'ok' });
    expect((await h.app.inject({ url: '/metrics' })).statusCode).toBe(401);
    expect((await call('GET', '/metrics', keys.adminA)).statusCode).toBe(403); // a tenant's admin
    const metrics = await call('GET', '/metrics', PLATFORM_KEY);
    expect(metrics.body).toContain('tributary_api_requests_total');
    expect(metrics.body).toContain('tributary_api_instance_cache_listening 1');
    expect(metrics.body).toMatch(/tributary_api_instance_cache_reads_total\{result="hit"\} \d+/);
  });
  it('readyz is 503 when a dependency fails', async () => {
    const broken = await h.newApp({ docs: false, extraReadiness: { extra: async () => { throw new Error('down'); } } });
    const r = await broken.inject({ url: '/readyz' });
    expect(r.statusCode).toBe(503);
    expect(r.json().checks.extra).toBe('down');
    await broken.close();
  });
  it('echoes or generates a request id', async () => {
    expect((await h.app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-1' } })).headers['x-request-id']).toBe('abc-1');
    expect((await h.app.inject({ url: '/healthz' })).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
  it('serves Swagger UI at /docs', async () => {
    const r = await h.app.inject({ url: '/docs/json' });
    expect(r.json().openapi).toBe('3.1.0');
  });
  it('unknown routes are problem+json 404', async () => {
    const r = await call('GET', '/v1/nothing', keys.adminA);
    expect(r.statusCode).toBe(404);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(r.json().code).toBe('not-found');
  });
});

describe('auth', () => {
  it('401 without or with an unknown key', async () => {
    const none = await h.app.inject({ url: '/v1/instances' });
    expect(none.statusCode).toBe(401);
    expect(none.json().code).toBe('unauthenticated');
    expect((await call('GET', '/v1/instances', 'trb_nope_nope')).json().code).toBe('unauthenticated');
  });
  it('viewer reads but cannot mutate (403)', async () => {
    expect((await call('GET', '/v1/instances', keys.viewerA)).statusCode).toBe(200);
    const r = await call('POST', '/v1/instances', keys.viewerA, { name: 'v', spec });
    expect(r.statusCode).toBe(403);
    expect(r.json().code).toBe('forbidden');
  });
  it("another account's instance is 404, never 403", async () => {
    const inst = await newInstance('isolated');
    for (const [m, url] of [['GET', `/v1/instances/${inst.id}`], ['DELETE', `/v1/instances/${inst.id}`], ['GET', `/v1/instances/${inst.id}/topics`]] as const) {
      const r = await call(m, url, keys.adminB);
      expect(r.statusCode, url).toBe(404);
      expect(r.json().code).toBe('not-found');
    }
    const list = (await call('GET', '/v1/instances', keys.adminB)).json();
    expect(list.items).toEqual([]);
  });
  it("another account's instance stays 404 when its row is in the instance cache", async () => {
    const inst = await newInstance('isolated-warm');
    expect((await call('GET', `/v1/instances/${inst.id}`, keys.adminA)).statusCode).toBe(200);
    // The create's own NOTIFY may arrive after the first read and drop its row: read until one is served from memory.
    await until(async () => {
      const hits = h.store.instanceCache!.stats.hits;
      expect((await call('GET', `/v1/instances/${inst.id}`, keys.adminA)).statusCode).toBe(200);
      return h.store.instanceCache!.stats.hits > hits;
    }, 'a GET served from the instance cache'); // warm
    const scraped = /tributary_api_instance_cache_reads_total\{result="hit"\} (\d+)/.exec((await call('GET', '/metrics', PLATFORM_KEY)).body);
    expect(Number(scraped?.[1])).toBe(h.store.instanceCache!.stats.hits);
    for (const url of [`/v1/instances/${inst.id}`, `/v1/instances/${inst.id}/topics`]) {
      const r = await call('GET', url, keys.adminB);
      expect(r.statusCode, url).toBe(404);
      expect(r.json().code).toBe('not-found');
    }
  });
});

describe('instance cache (reads from memory, invalidated by NOTIFY)', () => {
  it("the API's own update is read back at once; the operator's status write once notified", async () => {
    const inst = await newInstance('cached');
    expect((await call('GET', `/v1/instances/${inst.id}`, keys.adminA)).statusCode).toBe(200); // warm
    const put = await call('PUT', `/v1/instances/${inst.id}`, keys.adminA, { labels: { v: '2' }, spec: { ...spec, brokers: 5 } });
    expect(put.statusCode, put.body).toBe(202);
    const mine = (await call('GET', `/v1/instances/${inst.id}`, keys.adminA)).json();
    expect(mine.spec.brokers).toBe(5); // no wait: the write dropped the cached row itself
    expect(mine.labels).toEqual({ v: '2' });
    // The body kept per cached row is the same document, with the row's ETag and a JSON content type.
    for (let i = 0; i < 2; i++) {
      const again = await call('GET', `/v1/instances/${inst.id}`, keys.adminA);
      expect(again.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(again.headers['etag']).toBe(mine.etag);
      expect(again.json()).toEqual(mine);
    }
    // The operator is another process with its own connection; it writes its own status row
    // (as apps/operator's DesiredStateStore does), not the instance row.
    await h.store.db.$executeRaw`INSERT INTO "instance_status" (instance_id, phase, observed_generation, updated_at) SELECT id, 'Running', generation, now() FROM "instance" WHERE id = ${inst.id}`;
    let seen = mine;
    await until(async () => (seen = (await call('GET', `/v1/instances/${inst.id}`, keys.adminA)).json()).status.phase === 'Running', 'the status write to be read', 15_000);
    // The ETag follows the status, although the instance row (its version) did not change.
    expect(seen.etag).not.toBe(mine.etag);
    expect(seen.etag.split('.')[1]).toBe(mine.etag.split('.')[1]);
  });
});

describe('instances', () => {
  it('create returns 202 with Creating, generation 1, an operation, and enqueues the reconcile job', async () => {
    const r = await call('POST', '/v1/instances', keys.adminA, { name: 'orders', labels: { team: 'pay' }, spec: { ...spec, billing: { mode: 'prepaid', periodMonths: 12 } } });
    expect(r.statusCode).toBe(202);
    const { resource, operation } = r.json();
    expect(resource.status.phase).toBe('Creating');
    expect(resource.generation).toBe(1);
    expect(resource.billingState.status).toBe('active');
    expect(new Date(resource.billingState.expiresAt).getTime() - new Date(resource.billingState.startedAt).getTime()).toBeGreaterThan(360 * 86400_000);
    expect(r.headers['etag']).toBe(resource.etag);
    expect(operation).toMatchObject({ kind: 'instance.create', targetId: resource.id, state: 'Pending', generation: 1 });
    const job = await jobOf(`instance-${resource.id}-1`);
    expect(job?.name).toBe(JOBS.reconcileInstance);
    expect(ReconcileInstanceJobSchema.parse(job?.data)).toEqual({ instanceId: resource.id, generation: 1, reason: 'created', operationId: operation.id });
    const op = await call('GET', `/v1/operations/${operation.id}`, keys.adminA);
    expect(op.json()).toEqual(operation);
    expect((await call('GET', `/v1/operations/${operation.id}`, keys.adminB)).statusCode).toBe(404);
  });
  it('records an audit event and usage records on every spec change', async () => {
    const inst = await newInstance('audited');
    await call('PUT', `/v1/instances/${inst.id}`, keys.adminA, { spec: { ...spec, brokers: 5 } });
    const audit = await h.store.db.auditEvent.findMany({ where: { targetId: inst.id }, orderBy: { id: 'asc' }, select: { action: true, generation: true } });
    expect(audit).toEqual([{ action: 'instance.create', generation: 1 }, { action: 'instance.update', generation: 2 }]);
    const usage = await h.store.db.usageRecord.findMany({ where: { instanceId: inst.id, meter: 'broker-hour' }, orderBy: { id: 'asc' } });
    expect(usage.map((r) => r.quantity.toNumber())).toEqual([3, 5]);
    // The first spec's record was closed when the second opened; only the current one is open.
    expect(usage[0]!.periodEnd).toEqual(usage[1]!.periodStart);
    expect(usage[1]!.periodEnd).toBeNull();
  });
  it('rejects invalid specs with 422 and the JSON path of each field', async () => {
    const r = await call('POST', '/v1/instances', keys.adminA, { name: 'Bad_Name', spec: { ...spec, brokers: 16, bandwidthMBps: 7, surprise: true } });
    expect(r.statusCode).toBe(422);
    const body = r.json();
    expect(body.code).toBe('validation-failed');
    expect(body.type).toBe('https://tributary.dev/problems/validation-failed');
    expect(body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['/name', '/spec/bandwidthMBps', '/spec/brokers', '/spec/surprise']);
  });
  it('refuses malformed JSON (400) and bodies over 1 MiB (413)', async () => {
    const bad = await h.app.inject({ method: 'POST', url: '/v1/instances', headers: { authorization: `Bearer ${keys.adminA}`, 'content-type': 'application/json' }, payload: '{"name":' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('malformed-request');
    const big = await call('POST', '/v1/instances', keys.adminA, { name: 'big', labels: { x: 'y'.repeat(1024 * 1024) }, spec });
    expect(big.statusCode).toBe(413);
    expect(big.json().code).toBe('payload-too-large');
  });
  it('duplicate names are 409 already-exists', async () => {
    await newInstance('twin');
    const r = await call('POST', '/v1/instances', keys.adminA, { name: 'twin', spec });
    expect(r.statusCode).toBe(409);
    expect(r.json().code).toBe('already-exists');
  });
  it('PUT bumps generation; a stale If-Match is 412; fewer brokers only while they hold every topic\'s replication factor', async () => {
    const inst = await newInstance('scaling');
    const get = await call('GET', `/v1/instances/${inst.id}`, keys.adminA);
    expect(get.headers['etag']).toBe(inst.etag);
    const ok = await call('PUT', `/v1/instances/${inst.id}`, keys.adminA, { spec: { ...spec, brokers: 6 } }, { 'if-match': inst.etag });
    expect(ok.statusCode).toBe(202);
    expect(ok.json().resource).toMatchObject({ generation: 2, spec: { brokers: 6 } });
    expect(ok.headers['etag']).not.toBe(inst.etag);
    const job = await jobOf(`instance-${inst.id}-2`);
    expect(job?.data.reason).toBe('updated');
    const stale = await call('PUT', `/v1/instances/${inst.id}`, keys.adminA, { spec: { ...spec, brokers: 7 } }, { 'if-match': inst.etag });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().code).toBe('precondition-failed');
    expect((await call('POST', `/v1/instances/${inst.id}/topics`, keys.adminA, { name: 'wide', partitions: 1, replicationFactor: 3 })).statusCode).toBe(202);
    const shrink = await call('PUT', `/v1/instances/${inst.id}`, keys.adminA, { spec: { ...spec, brokers: 2 } });
    expect(shrink.statusCode).toBe(422);
    expect(shrink.json()).toMatchObject({ code: 'replication-factor-too-high', detail: expect.stringContaining('topic "wide" has replication factor 3'), errors: [{ in: 'body', path: '/spec/brokers' }] });
    // Down to 3 brokers: the operator drains the others first.
    const down = await call('PUT', `/v1/instances/${inst.id}`, keys.adminA, { spec: { ...spec, brokers: 3 } });
    expect(down.statusCode, down.body).toBe(202);
    expect(down.json().resource).toMatchObject({ generation: 3, spec: { brokers: 3 } });
    const moved = await call('PUT', `/v1/instances/${inst.id}`, keys.adminA, { spec: { ...spec, brokers: 6, zone: 'zone-b', diskGiB: 100 } });
    expect(moved.statusCode).toBe(422);
    expect(moved.json().code).toBe('validation-failed');
    expect(moved.json().errors.map((e: { path: string }) => e.path)).toEqual(['/spec/zone', '/spec/diskGiB']);
  });
  it('paginates across pages and filters by name prefix and label', async () => {
    for (let i = 0; i < 5; i++) await newInstance(`page-${i}`, {}, { tier: i % 2 ? 'odd' : 'even' });
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let n = 0; n < 10; n++) {
      const r = (await call('GET', `/v1/instances?limit=2&name=page-*${cursor ? `&cursor=${cursor}` : ''}`, keys.adminA)).json();
      seen.push(...r.items.map((i: { name: string }) => i.name));
      cursor = r.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
    const odd = (await call('GET', '/v1/instances?label=tier=odd', keys.adminA)).json();
    expect(odd.items.map((i: { name: string }) => i.name)).toEqual(['page-1', 'page-3']);
    const badCursor = await call('GET', '/v1/instances?cursor=zzz', keys.adminA);
    expect(badCursor.statusCode).toBe(422);
    expect(badCursor.json().errors[0].path).toBe('/cursor');
  });
  it('deleting an instance with topics needs ?force=true', async () => {
    const inst = await newInstance('doomed');
    await call('POST', `/v1/instances/${inst.id}/topics`, keys.adminA, { name: 't', partitions: 1, replicationFactor: 2 });
    const refused = await call('DELETE', `/v1/instances/${inst.id}`, keys.adminA);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('instance-has-topics');
    const forced = await call('DELETE', `/v1/instances/${inst.id}?force=true`, keys.adminA);
    expect(forced.statusCode).toBe(202);
    expect(forced.json().resource.status.phase).toBe('Deleting');
    expect((await call('GET', `/v1/instances/${inst.id}`, keys.adminA)).statusCode).toBe(404);
  });
});

describe('topics', () => {
  let inst: { id: string };
  beforeAll(async () => { inst = await newInstance('topics-home'); });
  const topics = () => `/v1/instances/${inst.id}/topics`;

  it('create, get, list, patch, partitions, delete', async () => {
    const created = await call('POST', topics(), keys.adminA, { name: 'orders.v1', partitions: 3, replicationFactor: 3, configs: { 'retention.ms': '3600000' } });
    expect(created.statusCode).toBe(202);
    const { resource, operation } = created.json();
    expect(resource).toMatchObject({ name: 'orders.v1', partitions: 3, generation: 1, status: { phase: 'Creating' } });
    const job = await jobOf(`topic-${resource.id}-1`);
    expect(ReconcileTopicJobSchema.parse(job?.data)).toEqual({ instanceId: inst.id, topicId: resource.id, topicName: 'orders.v1', generation: 1, reason: 'created', operationId: operation.id });
    const got = await call('GET', `${topics()}/orders.v1`, keys.adminA);
    expect(got.json().configs).toEqual({ 'retention.ms': '3600000' });
    expect((await call('GET', topics(), keys.viewerA)).json().items).toHaveLength(1);
    const patched = await call('PATCH', `${topics()}/orders.v1`, keys.adminA, { configs: { 'cleanup.policy': 'compact' } }, { 'if-match': got.headers['etag'] as string });
    expect(patched.statusCode).toBe(202);
    expect(patched.json().resource.configs).toEqual({ 'retention.ms': '3600000', 'cleanup.policy': 'compact' });
    const stale = await call('PATCH', `${topics()}/orders.v1`, keys.adminA, { labels: {} }, { 'if-match': got.headers['etag'] as string });
    expect(stale.statusCode).toBe(412);
    const grown = await call('POST', `${topics()}/orders.v1/partitions`, keys.adminA, { partitions: 6 });
    expect(grown.statusCode).toBe(202);
    expect(grown.json().resource).toMatchObject({ partitions: 6, generation: 3 });
    expect((await jobOf(`topic-${resource.id}-3`))?.data.reason).toBe('partitions-increased');
    const shrink = await call('POST', `${topics()}/orders.v1/partitions`, keys.adminA, { partitions: 4 });
    expect(shrink.statusCode).toBe(422);
    expect(shrink.json()).toMatchObject({ code: 'partition-decrease', errors: [{ path: '/partitions' }] });
    expect((await call('DELETE', `${topics()}/orders.v1`, keys.adminA)).statusCode).toBe(202);
    expect((await call('GET', `${topics()}/orders.v1`, keys.adminA)).statusCode).toBe(404);
  });
  it('enforces replication factor against the brokers', async () => {
    const high = await call('POST', topics(), keys.adminA, { name: 'rf', partitions: 1, replicationFactor: 4 });
    expect(high.statusCode).toBe(422);
    expect(high.json()).toMatchObject({ code: 'replication-factor-too-high', errors: [{ path: '/replicationFactor' }] });
    const low = await call('POST', topics(), keys.adminA, { name: 'rf', partitions: 1, replicationFactor: 1 });
    expect(low.json().code).toBe('replication-factor-too-low');
  });
  it('changes a replication factor in place, checked against the brokers and min.insync.replicas', async () => {
    const created = await call('POST', topics(), keys.adminA, { name: 'rf-change', partitions: 2, replicationFactor: 2, configs: { 'min.insync.replicas': '2' } });
    expect(created.statusCode).toBe(202);
    const up = await call('PATCH', `${topics()}/rf-change`, keys.adminA, { replicationFactor: 3 });
    expect(up.statusCode, up.body).toBe(202);
    expect(up.json().resource).toMatchObject({ replicationFactor: 3, partitions: 2, generation: 2, configs: { 'min.insync.replicas': '2' } });
    expect((await jobOf(`topic-${created.json().resource.id}-2`))?.data.reason).toBe('updated');
    const high = await call('PATCH', `${topics()}/rf-change`, keys.adminA, { replicationFactor: 4 });
    expect(high.statusCode).toBe(422);
    expect(high.json()).toMatchObject({ code: 'replication-factor-too-high', errors: [{ in: 'body', path: '/replicationFactor' }] });
    // Below min.insync.replicas every acks=all producer would fail: refused, naming the config.
    const under = await call('PUT', `${topics()}/rf-change`, keys.adminA, { configs: { 'min.insync.replicas': '3' }, replicationFactor: 2 });
    expect(under.statusCode).toBe(422);
    expect(under.json().errors).toEqual([expect.objectContaining({ path: '/configs/min.insync.replicas' })]);
  });
  it("rejects Kafka-invalid names and configs with field paths", async () => {
    const r = await call('POST', topics(), keys.adminA, { name: '..', partitions: 0, replicationFactor: 2, configs: { 'cleanup.policy': 'never', 'log.dirs': '/' } });
    expect(r.statusCode).toBe(422);
    expect(r.json().errors.map((e: { path: string }) => e.path).sort()).toEqual(['/configs/cleanup.policy', '/configs/log.dirs', '/name', '/partitions']);
    const badName = await call('GET', `${topics()}/${'x'.repeat(250)}`, keys.adminA);
    expect(badName.statusCode).toBe(422);
    expect(badName.json().errors[0]).toMatchObject({ in: 'params', path: '/name' });
  });
  it('enforces topic and partition limits naming the limit and the usage', async () => {
    const home = await newInstance('limits', { partitionLimit: 10, topicLimit: 2 });
    const url = `/v1/instances/${home.id}/topics`;
    expect((await call('POST', url, keys.adminA, { name: 'a', partitions: 8, replicationFactor: 2 })).statusCode).toBe(202);
    const parts = await call('POST', url, keys.adminA, { name: 'b', partitions: 3, replicationFactor: 2 });
    expect(parts.statusCode).toBe(409);
    expect(parts.json()).toMatchObject({ code: 'limit-exceeded', limit: { name: 'partitionLimit', max: 10, current: 8, requested: 3 } });
    const grow = await call('POST', `${url}/a/partitions`, keys.adminA, { partitions: 11 });
    expect(grow.json().limit).toEqual({ name: 'partitionLimit', max: 10, current: 8, requested: 3 });
    expect((await call('POST', url, keys.adminA, { name: 'b', partitions: 2, replicationFactor: 2 })).statusCode).toBe(202);
    const topicsFull = await call('POST', url, keys.adminA, { name: 'c', partitions: 1, replicationFactor: 2 });
    expect(topicsFull.json()).toMatchObject({ code: 'limit-exceeded', limit: { name: 'topicLimit', max: 2, current: 2 } });
    const dup = await call('POST', url, keys.adminA, { name: 'a', partitions: 1, replicationFactor: 2 });
    expect(dup.statusCode).toBe(409);
    const lower = await call('PUT', `/v1/instances/${home.id}`, keys.adminA, { spec: { ...spec, partitionLimit: 9, topicLimit: 2 } });
    expect(lower.statusCode).toBe(409);
    expect(lower.json().limit).toMatchObject({ name: 'partitionLimit', max: 9, current: 10 });
  });
});

describe('automation semantics', () => {
  it('Idempotency-Key replays the first response and refuses a different body', async () => {
    const body = { name: 'idem', spec };
    const first = await call('POST', '/v1/instances', keys.adminA, body, { 'idempotency-key': 'k-1' });
    expect(first.statusCode).toBe(202);
    const again = await call('POST', '/v1/instances', keys.adminA, body, { 'idempotency-key': 'k-1' });
    expect(again.statusCode).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(again.headers['location']).toBe(first.headers['location']);
    const other = await call('POST', '/v1/instances', keys.adminA, { ...body, name: 'idem-2' }, { 'idempotency-key': 'k-1' });
    expect(other.statusCode).toBe(422);
    expect(other.json().code).toBe('idempotency-key-reused');
    // the same key under another API key is a different request
    const b = await call('POST', '/v1/instances', keys.adminB, body, { 'idempotency-key': 'k-1' });
    expect(b.statusCode).toBe(202);
    expect(b.json().resource.id).not.toBe(first.json().resource.id);
  });
  it('live consumer-group routes answer 409 instance-not-running', async () => {
    const inst = await newInstance('groups');
    for (const [m, url, body] of [
      ['GET', `/v1/instances/${inst.id}/consumer-groups`, undefined],
      ['GET', `/v1/instances/${inst.id}/consumer-groups/g1`, undefined],
      ['POST', `/v1/instances/${inst.id}/consumer-groups/g1/offsets`, { topic: 't', to: { kind: 'earliest' } }],
    ] as const) {
      const r = await call(m, url, keys.adminA, body);
      expect(r.statusCode, url).toBe(409);
      expect(r.json().code).toBe('instance-not-running');
    }
  });
  it('rate-limits per key with 429 and Retry-After', async () => {
    const limited = await h.newApp({ rateLimitMax: 3, docs: false });
    const get = (key: string) => limited.inject({ url: '/v1/instances', headers: { authorization: `Bearer ${key}` } });
    for (let i = 0; i < 3; i++) expect((await get(keys.viewerA)).statusCode).toBe(200);
    const over = await get(keys.viewerA);
    expect(over.statusCode).toBe(429);
    expect(over.json().code).toBe('rate-limited');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect((await get(keys.adminB)).statusCode).toBe(200);
    await limited.close();
  });
});

describe('users, ACLs and quotas', () => {
  let inst: { id: string };
  beforeAll(async () => { inst = await newInstance('access', { consumerGroupLimit: 2 }); });
  const base = () => `/v1/instances/${inst.id}`;

  it('SCRAM users: the password is never stored or returned; rotation changes the hash', async () => {
    const r = await call('POST', `${base()}/users`, keys.adminA, { name: 'svc', password: 'a very long secret', mechanism: 'SCRAM-SHA-256' });
    expect(r.statusCode).toBe(202);
    expect(r.body).not.toContain('a very long secret');
    expect(r.json().resource).toMatchObject({ name: 'svc', mechanism: 'SCRAM-SHA-256', iterations: 8192 });
    const row = await h.store.db.kafkaUser.findFirstOrThrow({ where: { instanceId: inst.id, name: 'svc' } });
    expect(JSON.stringify(row)).not.toContain('a very long secret');
    const before = row.storedKey;
    const got = await call('GET', `${base()}/users/svc`, keys.viewerA);
    expect(Object.keys(got.json()).sort()).toEqual(['createdAt', 'etag', 'id', 'instanceId', 'iterations', 'labels', 'mechanism', 'name', 'updatedAt']);
    const rotated = await call('PUT', `${base()}/users/svc`, keys.adminA, { password: 'another long secret' }, { 'if-match': got.headers['etag'] as string });
    expect(rotated.statusCode).toBe(202);
    const after = (await h.store.db.kafkaUser.findFirstOrThrow({ where: { instanceId: inst.id, name: 'svc' } })).storedKey;
    expect(after).not.toBe(before);
    await until(async () => (await h.inspect.getJobs(['waiting', 'delayed'])).some((j) => j.name === JOBS.reconcileUser && j.data.instanceId === inst.id && j.data.kind === 'users'), 'a reconcile-user job');
    expect((await call('POST', `${base()}/users`, keys.adminA, { name: 'svc', password: 'a very long secret' })).json().code).toBe('already-exists');
    expect((await call('POST', `${base()}/users`, keys.adminA, { name: 'weak', password: 'short' })).json().errors[0].path).toBe('/password');
    expect((await call('DELETE', `${base()}/users/svc`, keys.adminA)).statusCode).toBe(202);
    expect((await call('GET', `${base()}/users/svc`, keys.adminA)).statusCode).toBe(404);
  });
  it('ACLs: create, list, get by id, delete; invalid principal rejected', async () => {
    const r = await call('POST', `${base()}/acls`, keys.adminA, { resourceType: 'TOPIC', resourceName: 'orders.', patternType: 'PREFIXED', principal: 'User:svc', operation: 'WRITE' });
    expect(r.statusCode).toBe(202);
    const acl = r.json().resource;
    expect(acl).toMatchObject({ host: '*', permissionType: 'ALLOW' });
    expect((await call('GET', `${base()}/acls`, keys.adminA)).json().items).toHaveLength(1);
    expect((await call('GET', `${base()}/acls/${acl.id}`, keys.adminA)).json().principal).toBe('User:svc');
    const bad = await call('POST', `${base()}/acls`, keys.adminA, { resourceType: 'TOPIC', resourceName: 'x', principal: 'svc', operation: 'WRITE' });
    expect(bad.json()).toMatchObject({ code: 'validation-failed', errors: [{ path: '/principal' }] });
    expect((await call('DELETE', `${base()}/acls/${acl.id}`, keys.adminA)).statusCode).toBe(202);
  });
  it('client quotas need an entity and a rate', async () => {
    const r = await call('POST', `${base()}/client-quotas`, keys.adminA, { user: 'svc', producerByteRate: 1048576 });
    expect(r.statusCode).toBe(202);
    expect(r.json().resource).toMatchObject({ user: 'svc', clientId: null, producerByteRate: 1048576 });
    expect((await call('POST', `${base()}/client-quotas`, keys.adminA, { producerByteRate: 1048576 })).statusCode).toBe(422);
  });
  it('consumer-group quotas stay within consumerGroupLimit', async () => {
    for (const g of ['g1', 'g2']) expect((await call('POST', `${base()}/consumer-group-quotas`, keys.adminA, { group: g, maxMembers: 5 })).statusCode).toBe(202);
    const over = await call('POST', `${base()}/consumer-group-quotas`, keys.adminA, { group: 'g3' });
    expect(over.statusCode).toBe(409);
    expect(over.json()).toMatchObject({ code: 'limit-exceeded', limit: { name: 'consumerGroupLimit', max: 2, current: 2, requested: 1 } });
    expect((await call('GET', `${base()}/consumer-group-quotas/g1`, keys.adminA)).json()).toMatchObject({ group: 'g1', maxMembers: 5 });
    expect((await call('GET', `${base()}/consumer-group-quotas/g1`, keys.adminB)).statusCode).toBe(404);
  });
});

describe('billing, accounts and API keys', () => {
  it('price book is readable by every role; usage and invoices by admin and billing only', async () => {
    const pb = await call('GET', '/v1/billing/price-book', keys.viewerA);
    expect(pb.statusCode).toBe(200);
    // The first price book, seeded by a migration (prisma/migrations/*_price_book_discount).
    expect(pb.json()).toEqual({
      id: 'pb-default-2026', currency: 'USD', effectiveFrom: '2026-01-01T00:00:00.000Z', prepaidDiscountPercent: 15,
      rates: [
        { meter: 'bandwidth-mbps-hour', unitPriceMicros: 1_500 }, { meter: 'broker-hour', unitPriceMicros: 120_000 },
        { meter: 'disk-gib-hour', unitPriceMicros: 140 }, { meter: 'partition-hour', unitPriceMicros: 30 },
      ],
    });
    expect((await call('GET', '/v1/billing/usage', keys.viewerA)).statusCode).toBe(403);
    const usage = (await call('GET', '/v1/billing/usage?limit=2', keys.adminA)).json();
    expect(usage.items).toHaveLength(2);
    expect(usage.nextCursor).toBeTruthy();
    const next = (await call('GET', `/v1/billing/usage?limit=2&cursor=${usage.nextCursor}`, keys.adminA)).json();
    expect(next.items[0].id).not.toBe(usage.items[0].id);
    // The prepaid instance 'orders' (12 months) was invoiced at creation; nothing else was (routes/invoices.test.ts has the rest).
    const invoices = (await call('GET', '/v1/billing/invoices', keys.adminA)).json();
    expect(invoices.items.map((i: { kind: string; status: string; periodEnd: string }) => [i.kind, i.status])).toEqual([['prepaid', 'finalised']]);
    expect((await call('GET', '/v1/billing/invoices', keys.viewerA)).statusCode).toBe(403);
  });
  it('API keys: create shows the secret once, the new key works, list shows prefixes, revoke stops it', async () => {
    const created = await call('POST', '/v1/api-keys', keys.adminA, { name: 'ci', role: 'viewer' });
    expect(created.statusCode).toBe(201);
    const { secret, id, prefix } = created.json();
    expect(secret.startsWith(`trb_${prefix}_`)).toBe(true);
    expect((await call('GET', '/v1/instances', secret)).statusCode).toBe(200);
    const list = await call('GET', '/v1/api-keys', keys.adminA);
    expect(list.body).not.toContain(secret);
    expect(list.json().items.map((k: { prefix: string }) => k.prefix)).toContain(prefix);
    expect((await call('GET', '/v1/api-keys', keys.viewerA)).statusCode).toBe(403);
    expect((await call('POST', '/v1/api-keys', keys.adminA, { name: 'x', role: 'admin', accountId: 'acc-bootstrap' })).statusCode).toBe(404);
    expect((await call('DELETE', `/v1/api-keys/${id}`, keys.adminB)).statusCode).toBe(404);
    expect((await call('DELETE', `/v1/api-keys/${id}`, keys.adminA)).statusCode).toBe(200);
    expect((await call('GET', '/v1/instances', secret)).statusCode).toBe(401);
    // Both changes are audited with the acting key; the failed attempts left nothing.
    const audit = await h.store.db.auditEvent.findMany({ where: { targetId: id }, orderBy: { id: 'asc' } });
    const adminA = await h.store.findApiKeyByHash(hashApiKey(keys.adminA));
    expect(audit.map((a) => [a.action, a.targetType, a.keyId])).toEqual([['api-key.create', 'api-key', adminA!.keyId], ['api-key.revoke', 'api-key', adminA!.keyId]]);
    expect(JSON.stringify(audit.map((a) => a.detail))).not.toContain(secret);
  });
  it('accounts: own account for tenants; platform admins create accounts and mint their keys', async () => {
    const own = (await call('GET', '/v1/accounts', keys.adminA)).json();
    expect(own.items.map((a: { name: string }) => a.name)).toEqual(['A']);
    expect((await call('POST', '/v1/accounts', keys.adminA, { name: 'C' })).statusCode).toBe(403);
    const c = await call('POST', '/v1/accounts', PLATFORM_KEY, { name: 'C', email: 'c@example.com' });
    expect(c.statusCode).toBe(201);
    expect(await h.store.db.auditEvent.count({ where: { action: 'account.create', targetId: c.json().id, accountId: 'acc-bootstrap' } })).toBe(1);
    const key = await call('POST', '/v1/api-keys', PLATFORM_KEY, { name: 'c-admin', role: 'admin', accountId: c.json().id });
    expect(key.json().accountId).toBe(c.json().id);
    expect((await call('GET', '/v1/accounts', key.json().secret)).json().items.map((a: { name: string }) => a.name)).toEqual(['C']);
    expect((await call('GET', '/v1/accounts', PLATFORM_KEY)).json().items.length).toBeGreaterThanOrEqual(4);
  });
});
